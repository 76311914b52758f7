"""Plan as code, the evaluation cycle: the company's deadlines and each period's
cycle round trip through `jili tenant export/import` byte for byte; bad values
are refused with the entry named."""

from __future__ import annotations

from datetime import date

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from jili.evaluation.models import CycleStage
from jili.evaluation.services import cycle as cycles
from jili.extensions import db
from jili.models import Period
from jili.plan_as_code.demo import load_file
from jili.plan_as_code.export import export_toml
from jili.plan_as_code.schema import TenantFileError
from jili.tenancy import bound_tenant
from tenant_file_kit import SHILI, import_text, tenant_by_slug
from test_tenant_toml import _assert_round_trip


def _with_cycle():
    load_file(SHILI)
    tenant = tenant_by_slug("shili")
    with bound_tenant(tenant.id):
        q3 = db.session.scalar(
            select(Period).where(Period.tenant_id == tenant.id, Period.label == "2024-Q3")
        )
        cycles.save_settings(tenant.id, {"self_days": 2, "publication_days": 4})
        cycle = cycles.start(tenant.id, q3, date(2024, 10, 8))
        cycles.advance(cycle, date(2024, 10, 10))
        db.session.commit()
    return tenant


def test_deadlines_and_cycles_round_trip_byte_for_byte(app):
    tenant = _with_cycle()
    text = _assert_round_trip(tenant, "shili-cycle")
    assert "[evaluation_deadlines]\nself_days = 2\nmanager_days = 5\npublication_days = 4" in text
    assert 'stage = "manager"' in text and 'self_closed_on = "2024-10-10"' in text
    copy = tenant_by_slug("shili-cycle")
    with bound_tenant(copy.id):
        assert cycles.settings(copy.id)["publication_days"] == 4
        (cycle,) = cycles.open_cycles(copy.id)
        assert cycle.stage == CycleStage.MANAGER


def test_a_company_on_the_default_deadlines_writes_no_deadlines(app):
    load_file(SHILI)
    assert "evaluation_deadlines" not in export_toml(tenant_by_slug("shili"))


@pytest.mark.parametrize(
    "bad, message",
    [
        ('self_days = 99', "0 to 60"),
        ('self_days = "3"', "whole number"),
        ('weekly = 1', "Unknown key"),
    ],
)
def test_bad_deadlines_are_refused_naming_the_entry(app, bad, message):
    text = export_toml(_with_cycle()).replace("self_days = 2", bad)
    with force_locale("en"), pytest.raises(TenantFileError) as exc:
        import_text(text, slug="shili-bad")
    assert any("evaluation_deadlines" in e and message in e for e in exc.value.errors)
    assert tenant_by_slug("shili-bad") is None


def test_a_bad_cycle_stage_or_date_is_refused(app):
    text = export_toml(_with_cycle())
    for old, new in (('stage = "manager"', 'stage = "done"'),
                     ('started_on = "2024-10-08"', 'started_on = "8 Oct"')):  # fmt: skip
        with force_locale("en"), pytest.raises(TenantFileError) as exc:
            import_text(text.replace(old, new), slug="shili-bad")
        assert any("evaluation_cycles #1" in e for e in exc.value.errors)
