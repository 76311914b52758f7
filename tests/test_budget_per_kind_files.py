"""The budget ceiling per period kind in stored and written form: migration
0007 turns the one ceiling into every kind's (and back), on SQLite and
PostgreSQL; tenant files carry each kind's ceiling, read an older file's single
ceiling as every kind's, and round trip byte for byte."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import select, text

from jili.extensions import db
from jili.incentives.models import IncentiveSetting
from jili.plan_as_code.export import export_toml
from jili.plan_as_code.schema import TenantFileError
from jili.tenancy import bound_tenant
from tenant_file_kit import import_text
from test_migrations import _alembic_config, _app, _run

REVISION = "0007"
KINDS = ("month", "quarter", "year", "week")
D = Decimal


# -- the migration -------------------------------------------------------------------


def _before(app) -> str:
    with app.app_context():
        script = ScriptDirectory.from_config(_alembic_config(app))
        return script.get_revision(REVISION).down_revision


def _seed(app) -> None:
    """A tenant with the one ceiling of before, and a tenant with none."""
    with app.app_context(), db.engine.begin() as conn:
        pg = conn.dialect.name == "postgresql"
        ts = "2024-01-02 03:04:05+00" if pg else "2024-01-02 03:04:05.000000"
        for slug in ("capped", "open"):
            conn.execute(
                text(
                    "insert into tenant (slug, name, currency, locale, timezone, "
                    "fiscal_year_start_month, status, created_at) values "
                    "(:slug, :slug, 'CNY', 'zh_Hans', 'Asia/Shanghai', 1, 'active', :ts)"
                ),
                {"slug": slug, "ts": ts},
            )
        ids = dict(conn.execute(text("select slug, id from tenant")).all())
        conn.execute(
            text(
                "insert into incentive_setting (tenant_id, budget_amount, budget_pct_of_revenue, "
                "budget_rule, release_from_attainment_pct, release_pct) values "
                "(:t, 50000050, 5.25, 'priority', 150, 10), (:o, null, null, 'proportional', "
                "null, 0)"
            ),
            {"t": ids["capped"], "o": ids["open"]},
        )


def _settings(app) -> dict[str, IncentiveSetting]:
    with app.app_context():
        # The tenant table by hand: at this revision it lacks later columns.
        out = {}
        for tenant_id, slug in db.session.execute(text("select id, slug from tenant")).all():
            with bound_tenant(tenant_id):
                out[slug] = db.session.scalar(select(IncentiveSetting))
                db.session.expunge(out[slug])
        db.session.remove()
        return out


def _upgrade_and_downgrade(app) -> None:
    before = _before(app)
    _run(app, command.upgrade, before)
    _seed(app)
    _run(app, command.upgrade, REVISION)
    rows = _settings(app)
    for kind in KINDS:  # the ceiling applied to every run: it is every kind's now
        assert rows["capped"].ceiling_for(kind) == (D("500000.50"), D("5.25"))
        assert rows["open"].ceiling_for(kind) == (None, None)
    assert rows["capped"].budget_rule.value == "priority"
    assert rows["capped"].release_pct == D("10")
    _run(app, command.downgrade, before)
    with app.app_context(), db.engine.connect() as conn:
        back = conn.execute(
            text(
                "select t.slug, s.budget_amount, s.budget_pct_of_revenue from incentive_setting s "
                "join tenant t on t.id = s.tenant_id order by t.slug"
            )
        ).all()
    assert [(slug, a, D(str(p)) if p is not None else None) for slug, a, p in back] == [
        ("capped", 50000050, D("5.25")),
        ("open", None, None),
    ]
    _run(app, command.upgrade, "head")


def test_migration_0007_makes_the_one_ceiling_every_kinds_sqlite(tmp_path):
    app = _app(f"sqlite:///{Path(tmp_path) / 'ceiling.sqlite3'}")
    try:
        _upgrade_and_downgrade(app)
    finally:
        with app.app_context():
            db.engine.dispose()


def test_migration_0007_makes_the_one_ceiling_every_kinds_postgres(pg_run):
    if pg_run is None:
        pytest.skip("PostgreSQL only: needs JILI_TEST_DATABASE_URL")
    with pg_run.scratch_schema() as schema:
        app = _app(
            os.environ["JILI_TEST_DATABASE_URL"],
            {"connect_args": {"options": f"-c search_path={schema}"}},
        )
        try:
            _upgrade_and_downgrade(app)
        finally:
            with app.app_context():
                db.engine.dispose()


# -- tenant files ----------------------------------------------------------------------

FILE = """
format = 1

[tenant]
name = "上限测试"
slug = "caps"
currency = "CNY"
locale = "zh_Hans"
timezone = "Asia/Shanghai"
years = [2024]

{budget}
"""

PER_KIND = """[budget]
month = { amount = "200000.00" }
quarter = { amount = "600000.00", pct_of_revenue = "5" }
year = { pct_of_revenue = "4.5" }
week = { amount = "50000.00" }
rule = "priority"
release_from_attainment_pct = "150"
release_pct = "10"
"""


def _ceilings(tenant) -> dict[str, tuple]:
    with bound_tenant(tenant.id):
        row = db.session.scalar(select(IncentiveSetting))
        return {kind: row.ceiling_for(kind) for kind in KINDS}


def test_each_kinds_ceiling_round_trips_byte_for_byte(app):
    tenant = import_text(FILE.format(budget=PER_KIND))
    assert _ceilings(tenant) == {
        "month": (D("200000.00"), None),
        "quarter": (D("600000.00"), D("5")),
        "year": (None, D("4.5")),
        "week": (D("50000.00"), None),
    }
    first = export_toml(tenant)
    assert PER_KIND in first
    copy = import_text(first, slug="caps-copy")
    assert export_toml(copy) == first.replace('slug = "caps"', 'slug = "caps-copy"')


def test_an_older_file_with_one_ceiling_gives_it_to_every_kind(app):
    older = '[budget]\namount = "500000.00"\npct_of_revenue = "5"\nrule = "proportional"\n'
    tenant = import_text(FILE.format(budget=older))
    assert set(_ceilings(tenant).values()) == {(D("500000.00"), D("5"))}
    assert (
        '[budget]\nmonth = { amount = "500000.00", pct_of_revenue = "5" }\n'
        'quarter = { amount = "500000.00", pct_of_revenue = "5" }\n' in export_toml(tenant)
    )


@pytest.mark.parametrize(
    ("budget", "says"),
    [
        ('[budget]\namount = "1.00"\nmonth = { amount = "2.00" }', "not both"),
        ('[budget]\nquarter = { pct_of_revenue = "101" }', "at most 100"),
        ('[budget]\nquarter = { amount = "1.001" }', "decimal"),
        ('[budget]\nyear = { share = "5" }', "Unknown key share"),
        ('[budget]\nmonth = "5"', "Must be a table"),
    ],
)
def test_a_bad_ceiling_in_a_file_is_refused_naming_the_place(app, budget, says):
    from flask_babel import force_locale

    with pytest.raises(TenantFileError) as caught, force_locale("en"):
        import_text(FILE.format(budget=budget))
    message = "\n".join(caught.value.errors)
    assert "[budget]" in message and says in message, message
