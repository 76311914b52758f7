"""Plan as code: the working-day calendar and the alert rules round-trip through
`jili tenant export/import` byte for byte; a bad entry names itself."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from jili.alerts.services import add_default_rules, create_rule
from jili.extensions import db
from jili.models import AlertRule, CalendarDay
from jili.plan_as_code.export import export_toml
from jili.plan_as_code.schema import TenantFileError
from jili.tenancy import bound_tenant
from jili.workdays.services import load_china_defaults, set_day
from tenant_file_kit import import_text


def test_calendar_and_alert_rules_round_trip_byte_for_byte(make_tenant):
    tenant = make_tenant("acme")
    with bound_tenant(tenant.id):
        load_china_defaults(tenant.id, 2026)
        set_day(tenant.id, date(2026, 12, 2), False, "公司年会")
        add_default_rules(tenant.id)
        create_rule(
            tenant.id,
            dict(name="毛利预警", level="red", measure="attainment", metric="margin",
                 threshold=Decimal("72.5"), periods=3, period_kind="quarter", plan_days=5,
                 active=False),
        )  # fmt: skip
        db.session.commit()
    first = export_toml(tenant)
    assert "[[calendar]]" in first and "[[alert_rules]]" in first
    assert 'holiday = "spring_festival"' in first and 'name = "公司年会"' in first
    assert 'threshold = "72.5"' in first
    copy = import_text(first, slug="acme-copy")
    second = export_toml(copy)
    assert second == first.replace('slug = "acme"', 'slug = "acme-copy"')
    with bound_tenant(copy.id):
        assert len(db.session.scalars(select(AlertRule)).all()) == 4
        assert (
            len(db.session.scalars(select(CalendarDay)).all()) == 40
        )  # 33 holidays, 6 make-up days, 1 own


@pytest.mark.parametrize(
    "section,problem",
    [
        ('[[calendar]]\ndate = "2026-02-30"\nworking = false\n', "calendar #1"),
        ('[[calendar]]\ndate = "2026-02-03"\nholiday = "moon"\n', "calendar #1"),
        (
            '[[alert_rules]]\nlevel = "purple"\nmetric = "revenue"\nthreshold = "80"\n',
            "alert_rules #1",
        ),
        (
            '[[alert_rules]]\nlevel = "red"\nmetric = "revenue"\nthreshold = "80"\nperiods = 0\n',
            "alert_rules #1",
        ),
    ],
)
def test_a_bad_calendar_or_rule_entry_is_named_and_nothing_is_imported(
    make_tenant, section, problem
):
    tenant = make_tenant("acme")
    text = export_toml(tenant) + "\n" + section
    with pytest.raises(TenantFileError) as err:
        import_text(text, slug="acme-bad")
    assert any(problem in e for e in err.value.errors), err.value.errors
