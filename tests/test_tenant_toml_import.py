"""Plan as code: `jili tenant import` — all or nothing, every problem named
with its entry ("people #4 (R004): ..."), nothing left behind; and the
`jili tenant` CLI. Round trips: test_tenant_toml.py."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from jili.extensions import db
from jili.models import AuditLog, Person, Plan, PlanVersion, Tenant
from jili.plan_as_code.demo import load_file
from jili.plan_as_code.export import export_toml
from jili.plan_as_code.schema import TenantFileError
from jili.tenancy import all_tenants, bound_tenant
from tenant_file_kit import RICH, SHILI, import_text, tenant_by_slug


def _count_tenants() -> int:
    return db.session.scalar(select(func.count(Tenant.id)))


# --- errors ---------------------------------------------------------------------------


def _people_everywhere() -> int:
    with all_tenants():
        return db.session.scalar(select(func.count(Person.id)).execution_options(all_tenants=True))


def _errors(text: str, **kw) -> list[str]:
    before = (_count_tenants(), _people_everywhere())
    with pytest.raises(TenantFileError) as exc, force_locale("en"):
        import_text(text, **kw)
    after = (_count_tenants(), _people_everywhere())
    assert after == before, "an import that failed left something behind"
    return exc.value.errors


def test_an_existing_slug_is_refused_and_another_slug_works(app):
    import_text(RICH)
    errors = _errors(RICH)
    assert any("rich" in e and "--slug" in e for e in errors)
    assert import_text(RICH, slug="rich-2").slug == "rich-2"


def test_an_unknown_team_is_named_with_its_entry(app):
    errors = _errors(RICH.replace('team = "台北二課"\nmanager', 'team = "台南課"\nmanager'))
    assert errors == ["people #4 (R004): Team 台南課 is not in the file's teams."]


def test_a_bad_setting_is_reported_with_its_path(app):
    errors = _errors(RICH.replace('rate_pct = "2.5"', 'rate_pct = "lots"'))
    assert len(errors) == 1
    assert errors[0].startswith("plans #1 (提成) version 2:")
    assert "bands[1].rate_pct" in errors[0]


def test_unknown_people_in_settings_and_eligibility_are_named(app):
    text = RICH.replace('people = ["R003", "R001"]', 'people = ["R003", "R999"]')
    errors = _errors(text)
    assert errors == [
        "plans #2 (分紅) version 1: Employee number R999 is not in the file's people."
    ]
    errors = _errors(RICH.replace('levels = ["core"] }', 'levels = ["boss"] }'))
    assert errors == ["plans #1 (提成) version 1: eligibility: boss is not a level."]


def test_a_float_amount_and_an_unknown_key_are_refused(app):
    errors = _errors(RICH.replace('amount = "9000000"', "amount = 9000000.5"))
    assert len(errors) == 1 and errors[0].startswith("profit #1: amount:")
    errors = _errors(
        RICH.replace("hire_date = 2024-06-03", 'hire_date = 2024-06-03\nmenter = "R002"')
    )
    assert len(errors) == 1 and errors[0].startswith("people #4 (R004): Unknown key menter")


def test_transaction_errors_name_the_deal_and_roll_everything_back(app):
    errors = _errors(RICH.replace('credits = "R004:100"', 'credits = "R004:60;R404:40"'))
    assert errors == ["transactions #2 (T-2): credits: No person with employee number R404."]
    errors = _errors(RICH.replace('credits = "R004:100"', 'credits = "R004:60"'))
    assert len(errors) == 1 and "100" in errors[0] and errors[0].startswith("transactions #2")


def test_periods_schemes_and_plans_are_checked(app):
    errors = _errors(RICH.replace('effective = "2024"', 'effective = "2031"'))
    assert errors == [
        "plans #2 (分紅) version 1: Period 2031 does not exist: add its fiscal year to "
        "[tenant] years."
    ]
    errors = _errors(RICH.replace('scheme = "profit_sharing"', 'scheme = "lottery"'))
    assert errors == [
        "plans #2 (分紅): Scheme lottery is not installed here (see jili plugins list)."
    ]
    errors = _errors(RICH.replace('pilot_teams = ["台北二課"]\n', ""))
    assert errors == [
        "plans #1 (提成) version 3: A pilot version needs the teams it runs on (pilot_teams)."
    ]


def test_the_tenant_table_is_checked(app):
    errors = _errors(
        RICH.replace('currency = "TWD"', 'currency = "XYZ"').replace(
            "fiscal_year_start_month = 4", "fiscal_year_start_month = 13"
        )
    )
    assert len(errors) == 2
    assert any("XYZ" in e for e in errors) and any("fiscal_year_start_month" in e for e in errors)
    assert _errors(RICH, slug="Bad Slug!")[0].startswith("[tenant]: The slug Bad Slug!")
    errors = _errors("[tenant\nname=")
    assert errors[0].startswith("Not a valid TOML file")


def test_a_team_cycle_is_refused(app):
    text = RICH.replace(
        'name = "北區"\nkind = "region"', 'name = "北區"\nkind = "region"\nparent = "台北一課"'
    )
    errors = _errors(text)
    assert any("cycle" in e for e in errors)


# --- the CLI ------------------------------------------------------------------------


def test_cli_exports_to_a_file_and_imports_under_another_slug(runner, tmp_path):
    load_file(SHILI)
    out = tmp_path / "shili.toml"
    result = runner.invoke(args=["tenant", "export", "shili", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == export_toml(tenant_by_slug("shili"))

    result = runner.invoke(args=["tenant", "import", str(out)])
    assert result.exit_code == 1
    assert "nothing imported" in result.output and "--slug" in result.output

    result = runner.invoke(args=["tenant", "import", str(out), "--slug", "shili-copy"])
    assert result.exit_code == 0, result.output
    assert "shili-copy: imported" in result.output
    copy = tenant_by_slug("shili-copy")
    with bound_tenant(copy.id):
        assert len(db.session.scalars(select(Plan).where(Plan.tenant_id == copy.id)).all()) == 8
        assert (
            len(
                db.session.scalars(
                    select(PlanVersion).where(PlanVersion.tenant_id == copy.id)
                ).all()
            )
            == 11  # with the demo's pending proposal
        )
    with bound_tenant(tenant_by_slug("shili").id):
        assert db.session.scalar(
            select(AuditLog).where(
                AuditLog.tenant_id == tenant_by_slug("shili").id, AuditLog.action == "tenant.export"
            )
        )


def test_cli_exports_to_standard_output_and_refuses_an_unknown_tenant(runner):
    load_file(SHILI)
    result = runner.invoke(args=["tenant", "export", "shili"])
    assert result.exit_code == 0
    assert result.output == export_toml(tenant_by_slug("shili"))
    result = runner.invoke(args=["tenant", "export", "nobody"])
    assert result.exit_code == 1 and "nobody" in result.output
