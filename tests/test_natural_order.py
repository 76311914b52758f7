"""Numbers never depend on row order: the odd cent of a split goes by employee
number (then name), never by database id, and a run's fingerprint hashes
natural keys — so a tenant exported and imported under another slug, with its
people created in another order, pays every cent to the same person and has
the same fingerprint (issue 9, items 12 and 13)."""

from __future__ import annotations

import json
from decimal import Decimal
from itertools import permutations

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from jili.extensions import db
from jili.models import Person, SalesCredit
from jili.plan_as_code.export import export_toml
from jili.schemes import BudgetRule, PayoutLine, apply_budget
from jili.schemes.lines import Explanation
from jili.tenancy import bound_tenant
from jili_excess_pool import ExcessPool
from jili_profit_sharing import ProfitSharing
from schemes.scheme_kit import D, context, facts, person, settings_for
from tenant_file_kit import import_text, tenant_by_slug

NUMBERS = ("A01", "A02", "A03")

# --- schemes: any ids, any order of the rows -> the same cents per employee --------


def _people(ids: list[int], **kw):
    """Three people with employee numbers A01..A03 and the given database ids."""
    return [
        person(pid, employee_no=no, name=f"员工{no}", **kw)
        for pid, no in zip(ids, NUMBERS, strict=True)
    ]


def _by_number(lines, people) -> dict[str, Decimal]:
    number = {p.person_id: p.employee_no for p in people}
    return {number[line.person_id]: line.amount for line in lines}


ids_and_order = st.permutations([11, 12, 13]).flatmap(
    lambda ids: st.tuples(st.just(ids), st.permutations(range(3)))
)


@given(ids_and_order)
def test_profit_sharing_gives_the_odd_cent_by_employee_number(case):
    ids, order = case
    people = _people(ids)
    rows = [people[i] for i in order]
    lines = ProfitSharing.calculate(
        facts(*rows, profit=D("10000")),
        settings_for(ProfitSharing, pool_pct="1", weights="equal"),
        context(),
    )
    # 100.00 in three equal parts: the cent left over goes to A01, whoever was created first.
    assert _by_number(lines, people) == {"A01": D("33.34"), "A02": D("33.33"), "A03": D("33.33")}


@given(ids_and_order)
def test_the_excess_pool_gives_the_odd_cent_by_employee_number(case):
    from jili.schemes import TeamFacts

    ids, order = case
    people = _people(ids, team_id=1, target=D("100"), booked_revenue=D("100"))
    rows = [people[i] for i in order]
    team = TeamFacts(
        1, "华东", "region", tuple(sorted(ids)), target=D("1000"), booked_revenue=D("2000")
    )
    settings = settings_for(ExcessPool, pool_rate_pct="0.01", split="sales", team_kind="any")
    lines = ExcessPool.calculate(facts(*rows, teams=[team]), settings, context())
    # pool 1000 × 0.01 % = 0.10, three equal sales: 0.04, 0.03, 0.03
    assert _by_number(lines, people) == {"A01": D("0.04"), "A02": D("0.03"), "A03": D("0.03")}


@given(ids_and_order)
def test_a_budget_cut_gives_the_odd_cent_by_employee_number(case):
    ids, order = case
    people = _people(ids)
    number = {p.person_id: p.employee_no for p in people}
    lines = [
        PayoutLine(people[i].person_id, D("30.00"), "x", "plan-1", Explanation("x")) for i in order
    ]
    outcome = apply_budget(
        lines,
        D("50.00"),
        BudgetRule.PROPORTIONAL,
        tie_keys=[(number[line.person_id],) for line in lines],
    )
    cut = {number[line.person_id]: line.amount for line in outcome.lines}
    assert cut == {"A01": D("16.67"), "A02": D("16.67"), "A03": D("16.66")}


# --- a whole tenant: export -> import with people created in another order ----------

TENANT = """
format = 1

[tenant]
name = "次序测试"
slug = "order"
currency = "CNY"
locale = "zh_Hans"
timezone = "Asia/Shanghai"
years = [2024]

[schemes]
enabled = ["profit_sharing"]

[budget]
amount = "50.00"
rule = "proportional"

[[teams]]
name = "华东"

{people}

[[plans]]
name = "分红"
scheme = "profit_sharing"

[[plans.versions]]
number = 1
effective = "2024"
settings = {{ pool_pct = "1", weights = "equal" }}

[[profit]]
period = "2024"
amount = "10000"

[[transactions]]
external_id = "D-1"
deal_date = 2024-05-06
employee_no = "A03"
amount = "100.01"
credits = "A03:50;A01:50"
"""


def _tenant_text(order) -> str:
    blocks = [
        f'[[people]]\nemployee_no = "{no}"\nname = "员工{no}"\nteam = "华东"\n'
        for no in (NUMBERS[i] for i in order)
    ]
    return TENANT.format(people="\n".join(blocks))


def _calc(runner, slug: str) -> dict:
    result = runner.invoke(args=["calc", "--tenant", slug, "--period", "2024", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _credits(slug: str) -> dict[str, Decimal]:
    tenant = tenant_by_slug(slug)
    with bound_tenant(tenant.id):
        rows = db.session.execute(
            select(Person.employee_no, SalesCredit.amount)
            .join(Person, Person.id == SalesCredit.person_id)
            .where(SalesCredit.tenant_id == tenant.id)
        ).all()
    return dict(rows)


def test_any_creation_order_pays_the_same_cents_with_the_same_fingerprint(app, runner):
    reports = []
    for n, order in enumerate(permutations(range(3))):
        slug = f"order-{n}"
        import_text(_tenant_text(order), slug=slug)
        assert _credits(slug) == {"A01": D("50.01"), "A03": D("50.00")}
        reports.append(_calc(runner, slug))
    first = reports[0]
    # pool 100.00 -> 33.34, 33.33, 33.33; the ceiling 50.00 cuts them to 16.67, 16.67, 16.66
    assert {p["employee_no"]: p["total"] for p in first["people"]} == {
        "A01": "16.67",
        "A02": "16.67",
        "A03": "16.66",
    }
    for report in reports[1:]:
        assert report["people"] == first["people"]
        assert report["fingerprint"] == first["fingerprint"]


def test_export_and_import_under_another_slug_moves_no_cent(app, runner):
    # Created A03, A02, A01: the export lists A01 first, so the copy is created the other way.
    original = import_text(_tenant_text((2, 1, 0)), slug="order")
    copy = import_text(export_toml(original), slug="order-copy")
    with bound_tenant(original.id):
        ids = dict(db.session.execute(select(Person.employee_no, Person.id)).all())
    with bound_tenant(copy.id):
        copied = dict(db.session.execute(select(Person.employee_no, Person.id)).all())
    assert sorted(ids, key=ids.get) != sorted(copied, key=copied.get)
    assert _credits("order-copy") == _credits("order")
    before, after = _calc(runner, "order"), _calc(runner, "order-copy")
    assert after["people"] == before["people"]
    assert after["total"] == before["total"] == "50.00"
    assert after["fingerprint"] == before["fingerprint"]


def test_the_fingerprint_does_not_see_how_a_database_spells_a_decimal(app):
    from jili.incentives.engine.natural import NaturalKeys
    from jili.incentives.engine.storage import fingerprint

    keys = NaturalKeys({1: "A01"}, {})
    # PostgreSQL returns a KPI score of numeric(18,4) as 87.5000, SQLite may say 87.5.
    one = facts(person(1, employee_no="A01", kpi_score="87.5"), profit=D("100"))
    other = facts(person(1, employee_no="A01", kpi_score="87.5000"), profit=D("100.00"))
    assert fingerprint(one, [], {}, keys) == fingerprint(other, [], {}, keys)
    changed = facts(person(1, employee_no="A01", kpi_score="87.6"), profit=D("100"))
    assert fingerprint(changed, [], {}, keys) != fingerprint(one, [], {}, keys)
