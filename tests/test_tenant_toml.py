"""Plan as code: `jili tenant export` / `import` — a tenant as one TOML file,
round trips byte for byte, every entry validated with errors that name it."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from jili import ROOT, create_app
from jili.extensions import db
from jili.models import AuditLog, Person, Plan, PlanVersion, SalesCredit, Tenant, Transaction
from jili.plan_as_code.demo import load_file
from jili.plan_as_code.export import export_tenant, export_toml
from jili.plan_as_code.importer import import_tenant, read_toml
from jili.plan_as_code.schema import TenantFileError
from jili.plan_as_code.writer import dumps
from jili.tenancy import all_tenants, bound_tenant

SHILI = Path(ROOT) / "tenants" / "shili.toml"
PG_URL = os.environ.get("JILI_TEST_DATABASE_URL")

# A tenant with what the demo lacks: a fiscal year from April in TWD, ISO weeks,
# a budget, a disabled scheme, eligibility by team and level, settings holding
# person ids, a team metric and a lower-is-better one, three-way split credits
# that do not divide evenly, and a refund.
RICH = """
format = 1

[tenant]
name = "信義測試貿易"
slug = "rich"
currency = "TWD"
locale = "zh_Hant"
timezone = "Asia/Taipei"
fiscal_year_start_month = 4
years = [2024]

[periods]
weeks_of = ["2024-M04"]

[schemes]
enabled = ["excess_pool", "profit_sharing", "tiered_commission"]
disabled = ["mentor_award"]

[budget]
amount = "500000.00"
rule = "priority"
release_from_attainment_pct = "150"
release_pct = "10"

[[teams]]
name = "北區"
kind = "region"

[[teams]]
name = "台北一課"
parent = "北區"

[[teams]]
name = "台北二課"
parent = "北區"

[[people]]
employee_no = "R001"
name = "黃雅婷"
level = "manager"
team = "北區"
hire_date = 2017-09-01
base_salary = "62000.00"

[[people]]
employee_no = "R002"
name = "吳承恩"
team = "台北一課"
manager = "R001"
hire_date = "2022-02-14"
base_salary = "42000"

[[people]]
employee_no = "R003"
name = "陳怡君"
team = "台北一課"
manager = "R001"
base_salary = 40000

[[people]]
employee_no = "R004"
name = "林冠宇"
level = "newcomer"
team = "台北二課"
manager = "R001"
mentor = "R002"
hire_date = 2024-06-03

[[plans]]
name = "提成"
scheme = "tiered_commission"

[[plans.versions]]
number = 1
effective = "2024-Q1"
eligibility = { teams = ["北區"], levels = ["core"] }
settings = { mode = "whole" }

[[plans.versions]]
number = 2
effective = "2024-Q2"
note = "marginal from Q2"
eligibility = { teams = ["北區"], levels = ["core", "newcomer"] }

[plans.versions.settings]
mode = "marginal"
basis = "collected"
bands = [{ from_pct = "0", rate_pct = "1" }, { from_pct = "100", rate_pct = "2.5" }]
attainment_cap_pct = "200"
region_coefficients = { "台北" = "1.1" }

[[plans.versions]]
number = 3
effective = "2024-Q2"
pilot = true
pilot_teams = ["台北二課"]
settings = { mode = "whole", attainment_cap_pct = "" }

[[plans]]
name = "分紅"
scheme = "profit_sharing"
priority = 5

[[plans.versions]]
number = 1
effective = "2024"

[plans.versions.settings]
pool_pct = "1.5"
people = ["R003", "R001"]
weights = "equal"

[[targets]]
period = "2024-Q2"
person = "R002"
revenue = "300000"
collected = "250000.00"
margin = "90000"

[[targets]]
period = "2024-Q2"
team = "台北一課"
revenue = "600000"

[[targets]]
period = "2024-M04-W27"
person = "R003"
revenue = "50000"

[[metrics]]
period = "2024-Q2"
person = "R002"
metric = "客訴率"
weight = "20"
actual = "0.5"
target = "1"
higher_is_better = false

[[metrics]]
period = "2024-Q2"
team = "台北一課"
metric = "collaboration"
actual = "87.5"

[[profit]]
period = "2024"
amount = "9000000"

[[awards]]
period = "2024-Q2"
person = "R003"
kind = "strategic_client"
amount = "8000"
reason = "簽下台積電供應鏈"
approved_by = "黃雅婷"

[[transactions]]
external_id = "T-1"
deal_date = 2024-07-03
employee_no = "R002"
customer = "大同"
region = "台北"
amount = "100000"
collected_amount = "100000"
margin = "30000"
credits = "R002:33.33;R003:33.33;R004:33.34"
new_customer = true

[[transactions]]
external_id = "T-2"
deal_date = 2024-07-09
employee_no = "R003"
amount = "55555.55"
credits = "R004:100"
strategic = true

[[transactions]]
external_id = "T-1R"
deal_date = 2024-08-01
employee_no = "R002"
customer = "大同"
region = "台北"
amount = "-20000"
collected_amount = "-20000"
margin = "-6000"
credits = "R002:33.33;R003:33.33;R004:33.34"
"""


def _tenant(slug: str) -> Tenant:
    return db.session.scalar(select(Tenant).where(Tenant.slug == slug))


def _import(text: str, **kw) -> Tenant:
    return import_tenant(read_toml(text), **kw)


def _count_tenants() -> int:
    return db.session.scalar(select(func.count(Tenant.id)))


def _assert_round_trip(tenant: Tenant, new_slug: str) -> str:
    first = export_toml(tenant)
    copy = _import(first, slug=new_slug)
    second = export_toml(copy)
    old, new = f'slug = "{tenant.slug}"', f'slug = "{new_slug}"'
    assert first.count(old) == 1
    assert second == first.replace(old, new)
    # and a third time, from the copy: nothing drifts
    third = export_toml(_import(second, slug=new_slug + "-2"))
    assert third == second.replace(new, f'slug = "{new_slug}-2"')
    return first


# --- round trips ----------------------------------------------------------------------


def test_the_demo_tenant_round_trips_byte_for_byte(app):
    load_file(SHILI)
    text = _assert_round_trip(_tenant("shili"), "shili-copy")
    assert "[[plans.versions]]" in text and "pilot = true" in text
    assert 'credits = "SL004:50;SL005:50"' in text
    assert 'amount = "-50000.00"' in text


@pytest.mark.parametrize("name", ["huadong", "xinyi"])
def test_the_other_demo_tenants_round_trip(app, name):
    load_file(Path(ROOT) / "tenants" / f"{name}.toml")
    _assert_round_trip(_tenant(name), f"{name}-copy")


def test_a_rich_tenant_round_trips_byte_for_byte(app):
    rich = _import(RICH)
    _assert_round_trip(rich, "rich-copy")


@pytest.mark.skipif(bool(PG_URL), reason="a second database is a second SQLite file")
def test_a_fresh_database_gets_the_very_same_bytes(app, tmp_path):
    load_file(SHILI)
    text = export_toml(_tenant("shili"))
    other = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'other.sqlite3'}",
        }
    )
    with other.app_context():
        db.create_all()
        assert _tenant("shili") is None
        again = export_toml(_import(text))
        db.session.remove()
        db.engine.dispose()
    assert again == text


def test_export_is_deterministic_and_reads_back_as_written(app):
    load_file(SHILI)
    tenant = _tenant("shili")
    assert export_toml(tenant) == export_toml(tenant)
    exported = tomllib.loads(export_toml(tenant))
    written = tomllib.loads(SHILI.read_text(encoding="utf-8"))
    written.pop("demo_logins")
    written["format"] = 1
    # the file lists teams in its own order; the export walks the tree by name
    key = lambda t: t["name"]  # noqa: E731
    assert sorted(exported.pop("teams"), key=key) == sorted(written.pop("teams"), key=key)
    exported["plans"].sort(key=key)
    written["plans"].sort(key=key)
    metric = lambda m: (m["person"], m["metric"])  # noqa: E731
    assert sorted(exported.pop("metrics"), key=metric) == sorted(written.pop("metrics"), key=metric)
    assert exported == written


def test_the_rich_file_keeps_every_value(app):
    data = export_tenant(_import(RICH))
    assert data["tenant"]["years"] == [2024]
    assert data["periods"] == {"weeks_of": ["2024-M04"]}
    assert data["schemes"] == {
        "enabled": ["excess_pool", "profit_sharing", "tiered_commission"],
        "disabled": ["mentor_award"],
    }
    assert data["budget"] == {
        "amount": "500000.00",
        "rule": "priority",
        "release_from_attainment_pct": "150",
        "release_pct": "10",
    }
    people = {p["employee_no"]: p for p in data["people"]}
    assert people["R003"]["level"] == "core" and "hire_date" not in people["R003"]
    assert people["R003"]["base_salary"] == "40000.00"
    assert people["R004"]["mentor"] == "R002"
    plans = {p["name"]: p for p in data["plans"]}
    assert [p["name"] for p in data["plans"]] == ["分紅", "提成"]  # by priority
    v1, v2, v3 = plans["提成"]["versions"]
    assert v1["eligibility"] == {"teams": ["北區"], "levels": ["core"]}
    assert v1["settings"]["bands"] == [
        {"from_pct": "0", "rate_pct": "1.2"},
        {"from_pct": "120", "rate_pct": "1.8"},
    ]  # defaults filled in by the scheme's validation
    assert v2["settings"]["region_coefficients"] == {"台北": "1.1"}
    assert v2["settings"]["attainment_cap_pct"] == "200"
    assert v3["pilot"] is True and v3["pilot_teams"] == ["台北二課"]
    assert v3["settings"]["attainment_cap_pct"] == ""  # None: no cap
    # settings that hold person ids travel as employee numbers
    assert plans["分紅"]["versions"][0]["settings"]["people"] == ["R001", "R003"]
    metrics = data["metrics"]
    assert metrics[0] == {
        "period": "2024-Q2",
        "team": "台北一課",
        "metric": "collaboration",
        "weight": "0",
        "actual": "87.5",
    }
    assert metrics[1]["higher_is_better"] is False and metrics[1]["actual"] == "0.5"
    targets = data["targets"]
    assert targets[0]["team"] == "台北一課"
    assert targets[1] == {
        "period": "2024-Q2",
        "person": "R002",
        "revenue": "300000.00",
        "collected": "250000.00",
        "margin": "90000.00",
    }
    assert targets[2]["period"] == "2024-M04-W27"
    txns = {t["external_id"]: t for t in data["transactions"]}
    assert [t["external_id"] for t in data["transactions"]] == ["T-1", "T-2", "T-1R"]
    assert txns["T-1"]["credits"] == "R002:33.33;R003:33.33;R004:33.34"
    assert txns["T-1"]["new_customer"] is True and "strategic" not in txns["T-1"]
    assert txns["T-2"]["credits"] == "R004:100" and txns["T-2"]["strategic"] is True
    assert txns["T-1R"]["amount"] == "-20000.00"
    assert data["awards"] == [
        {
            "period": "2024-Q2",
            "person": "R003",
            "kind": "strategic_client",
            "amount": "8000.00",
            "reason": "簽下台積電供應鏈",
            "approved_by": "黃雅婷",
        }
    ]


def test_credits_are_split_and_add_up_to_the_deal(app):
    rich = _import(RICH)
    with bound_tenant(rich.id):
        txn = db.session.scalar(
            select(Transaction).where(
                Transaction.tenant_id == rich.id, Transaction.external_id == "T-1"
            )
        )
        parts = db.session.scalars(
            select(SalesCredit).where(
                SalesCredit.tenant_id == rich.id, SalesCredit.transaction_id == txn.id
            )
        ).all()
        assert sorted(c.share_bp for c in parts) == [3333, 3333, 3334]
        assert sum(c.amount for c in parts) == txn.amount


def test_the_export_holds_no_ids_timestamps_or_accounts(app):
    load_file(SHILI)
    text = export_toml(_tenant("shili"))
    assert "password" not in text and "demo_logins" not in text and "@" not in text

    def keys(value, path=""):
        if isinstance(value, dict):
            for k, v in value.items():
                yield k
                yield from keys(v)
        elif isinstance(value, list):
            for v in value:
                yield from keys(v)

    found = set(keys(tomllib.loads(text)))
    assert not {k for k in found if k.endswith("_id") and k != "external_id"}
    assert not {k for k in found if k.endswith("_at") or k in {"id", "user", "login", "status"}}


def test_the_import_is_audited(app):
    rich = _import(RICH, source="rich.toml")
    with bound_tenant(rich.id):
        entry = db.session.scalar(
            select(AuditLog).where(
                AuditLog.tenant_id == rich.id, AuditLog.action == "tenant.import"
            )
        )
    assert entry.after["source"] == "rich.toml"
    assert entry.after["people"] == 4 and entry.after["transactions"] == 3
    assert entry.after["plan_versions"] == 4


def test_dumps_writes_valid_toml_for_awkward_values(app):
    data = {
        "format": 1,
        "tenant": {"name": 'A "quoted"\\ name\twith tab', "slug": "x"},
        "plans": [
            {
                "name": "p",
                "versions": [
                    {
                        "number": 1,
                        "settings": {
                            "weird key": "v",
                            "long": ["x" * 30, "y" * 30, "z" * 30, "w"],
                            "map": {"a.b": "1"},
                        },
                    }
                ],
            }
        ],
    }
    assert tomllib.loads(dumps(data)) == data


# --- errors ---------------------------------------------------------------------------


def _people_everywhere() -> int:
    with all_tenants():
        return db.session.scalar(select(func.count(Person.id)).execution_options(all_tenants=True))


def _errors(text: str, **kw) -> list[str]:
    before = (_count_tenants(), _people_everywhere())
    with pytest.raises(TenantFileError) as exc, force_locale("en"):
        _import(text, **kw)
    after = (_count_tenants(), _people_everywhere())
    assert after == before, "an import that failed left something behind"
    return exc.value.errors


def test_an_existing_slug_is_refused_and_another_slug_works(app):
    _import(RICH)
    errors = _errors(RICH)
    assert any("rich" in e and "--slug" in e for e in errors)
    assert _import(RICH, slug="rich-2").slug == "rich-2"


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
    assert out.read_text(encoding="utf-8") == export_toml(_tenant("shili"))

    result = runner.invoke(args=["tenant", "import", str(out)])
    assert result.exit_code == 1
    assert "nothing imported" in result.output and "--slug" in result.output

    result = runner.invoke(args=["tenant", "import", str(out), "--slug", "shili-copy"])
    assert result.exit_code == 0, result.output
    assert "shili-copy: imported" in result.output
    copy = _tenant("shili-copy")
    with bound_tenant(copy.id):
        assert len(db.session.scalars(select(Plan).where(Plan.tenant_id == copy.id)).all()) == 8
        assert (
            len(
                db.session.scalars(
                    select(PlanVersion).where(PlanVersion.tenant_id == copy.id)
                ).all()
            )
            == 10
        )
    with bound_tenant(_tenant("shili").id):
        assert db.session.scalar(
            select(AuditLog).where(
                AuditLog.tenant_id == _tenant("shili").id, AuditLog.action == "tenant.export"
            )
        )


def test_cli_exports_to_standard_output_and_refuses_an_unknown_tenant(runner):
    load_file(SHILI)
    result = runner.invoke(args=["tenant", "export", "shili"])
    assert result.exit_code == 0
    assert result.output == export_toml(_tenant("shili"))
    result = runner.invoke(args=["tenant", "export", "nobody"])
    assert result.exit_code == 1 and "nobody" in result.output
