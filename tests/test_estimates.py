"""The provisional estimate's fast path (jili.incentives.services.estimates): the
company part calculated once per inputs stamp, then read per person, per team and by
the simulator. It must equal a full calculation to the fen for every one of the six
schemes, and never serve a number from before an input changed."""

from __future__ import annotations

import os
import sys
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from jili import ROOT

sys.path.insert(0, str(Path(ROOT) / "bench"))

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("JILI_TEST_DATABASE_URL")),
    reason="builds the benchmark's company in its own SQLite file: run in the SQLite pass",
)

SIX = {
    "excess_pool",
    "mentor_award",
    "performance_bonus",
    "profit_sharing",
    "special_awards",
    "tiered_commission",
}


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    """The benchmark's company, small: six plans (one per scheme), teams, managers,
    newcomers with mentors, targets, KPIs, profit, awards and credits."""
    import generate

    url = f"sqlite:///{tmp_path_factory.mktemp('estimates') / 'company.sqlite3'}"
    generate.generate(url, 160, 4000)
    app = generate.app_for(url)
    with app.app_context():  # one group far over target, so its excess pool pays
        from sqlalchemy import text

        from jili.extensions import db

        db.session.execute(
            text(
                "UPDATE sales_target SET baseline = baseline / 20 WHERE person_id IN (SELECT id "
                "FROM person WHERE team_id = (SELECT min(team_id) FROM person WHERE level = 'core'))"
            )
        )
        db.session.commit()
        from jili.accounts.models import Tenant
        from jili.inputs.services import facts
        from jili.tenancy import bound_tenant

        # the generator writes credits with raw SQL, past the facts table's upkeep
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "bench"))
        with bound_tenant(tenant.id):
            facts.rebuild(db.session(), tenant.id)
            db.session.commit()
    return app


@pytest.fixture
def ctx(company):
    from jili.accounts.models import Tenant
    from jili.extensions import db
    from jili.incentives.services import estimates
    from jili.tenancy import bound_tenant

    with company.app_context():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "bench"))
        with bound_tenant(tenant.id):
            estimates.clear_cache()
            yield tenant
            db.session.rollback()


def _period(tenant_id):
    from jili.extensions import db
    from jili.periods.models import Period

    return db.session.scalar(select(Period).where(Period.tenant_id == tenant_id))


def full_calculation(tenant_id: int, period) -> dict[int, dict[int, Decimal]]:
    """plan id → person id → amount: each active plan calculated by its scheme over
    facts built from scratch for that plan alone, as the engine does for a run
    (before the budget ceiling) — no cache, no stamp."""
    from jili.incentives.engine import PlanStatus, load_subtree, narrow, plans_for_period
    from jili.incentives.engine.facts import build_facts_and_own, without_rollup
    from jili.incentives.engine.runs import paid_once_keys
    from jili.schemes import CalculationContext, Fact

    out = {}
    once = paid_once_keys(tenant_id, period.id)
    for entry in plans_for_period(tenant_id, period):
        if entry.status != PlanStatus.ACTIVE:
            continue
        facts, unrolled = build_facts_and_own(
            tenant_id, period, entry.scheme.facts_needed | {Fact.SALES, Fact.TARGETS}
        )
        if not entry.scheme.manager_rollup:
            facts = without_rollup(facts, unrolled)
        scoped = narrow(facts, entry.version.eligibility, load_subtree(tenant_id))
        context = CalculationContext(
            plan_key=entry.plan_key,
            places=2,
            currency="CNY",
            paid_once_keys=once.get(entry.plan.id, frozenset()),
        )
        amounts: dict[int, Decimal] = defaultdict(Decimal)
        for line in entry.scheme.calculate(scoped, entry.version.settings, context):
            amounts[line.person_id] += line.amount
        out[entry.plan.id] = dict(amounts)
    return out


def _people(tenant_id):
    from jili.extensions import db
    from jili.org.models import Person

    return list(db.session.scalars(select(Person).where(Person.tenant_id == tenant_id)))


def _check_everyone(tenant, period) -> None:
    """Every person's estimate by plan, and every team's sum, equal the full calculation."""
    from jili.home.services.progress import estimate
    from jili.home.services.team import team_estimate
    from jili.incentives.services.estimates import company_estimate

    reference = full_calculation(tenant.id, period)
    company = company_estimate(tenant.id, "CNY", period)
    assert set(company.plans) == set(reference)
    people = _people(tenant.id)
    for plan_id, amounts in reference.items():
        result = company.plans[plan_id]
        assert not result.problem
        for person in people:
            assert result.amount(person.id) == amounts.get(person.id, Decimal(0)), (
                result.plan_name,
                person.employee_no,
            )
    names = {r.plan_id: r.plan_name for r in company.plans.values()}
    for person in people[:: max(1, len(people) // 25)] + [
        p for p in people if p.level == "manager"
    ]:
        got = {e.plan_id: e.amount for e in estimate(tenant.id, "CNY", person, period)}
        for plan_id, amount in got.items():
            assert amount == reference[plan_id].get(person.id, Decimal(0)), (
                names[plan_id],
                person.employee_no,
            )
    teams = defaultdict(set)
    for person in people:
        teams[person.team_id].add(person.id)
    for ids in teams.values():
        by_plan, _budget, own = team_estimate(tenant.id, "CNY", period, frozenset(ids))
        want = [
            (names[pid], sum((reference[pid].get(i, Decimal(0)) for i in ids), Decimal(0)))
            for pid in reference
        ]
        assert by_plan == want
        assert set(own) == ids


def test_the_fast_estimate_equals_a_full_calculation_for_every_scheme(ctx):
    from jili.incentives.services.estimates import active_entries

    period = _period(ctx.id)
    assert {e.plan.scheme_key for e in active_entries(ctx.id, period)} == SIX
    reference = full_calculation(ctx.id, period)
    assert all(any(v != 0 for v in amounts.values()) for amounts in reference.values())
    _check_everyone(ctx, period)


def test_the_company_part_is_calculated_once_per_stamp(ctx, monkeypatch):
    from jili.extensions import db
    from jili.incentives.services import estimates

    period = _period(ctx.id)
    calls = []
    real = estimates._calculate
    monkeypatch.setattr(estimates, "_calculate", lambda *a: calls.append(1) or real(*a))
    first = estimates.company_estimate(ctx.id, "CNY", period)
    db.session.commit()  # a new unit of work: the stamp is read again, the result reused
    again = estimates.company_estimate(ctx.id, "CNY", period)
    assert again is first and len(calls) == 1


def _change_credit(tenant_id, period):
    from jili.extensions import db
    from jili.inputs.models import SalesCredit, Transaction
    from jili.org.models import Level, Person

    person = db.session.scalar(
        select(Person).where(Person.tenant_id == tenant_id, Person.level == Level.CORE)
    )
    deal = Transaction(
        tenant_id=tenant_id,
        external_id="late-deal",
        deal_date=period.start_date,
        person_id=person.id,
        amount=Decimal("987654.32"),
        collected_amount=Decimal("987654.32"),
        margin=Decimal("123456.78"),
        row_hash="x",
    )
    db.session.add(deal)
    db.session.flush()
    db.session.add(
        SalesCredit(
            tenant_id=tenant_id,
            transaction_id=deal.id,
            person_id=person.id,
            share_bp=10000,
            deal_date=period.start_date,
            amount=deal.amount,
            collected_amount=deal.collected_amount,
            margin=deal.margin,
        )
    )


def _change_target(tenant_id, period):
    from jili.extensions import db
    from jili.inputs.models import SalesTarget

    target = db.session.scalar(
        select(SalesTarget).where(
            SalesTarget.tenant_id == tenant_id,
            SalesTarget.period_id == period.id,
            SalesTarget.person_id.is_not(None),
            SalesTarget.metric == "revenue",
        )
    )
    target.baseline = target.baseline / 2


def _change_kpi(tenant_id, period):
    from jili.extensions import db
    from jili.inputs.models import MetricValue

    for value in db.session.scalars(
        select(MetricValue)
        .where(
            MetricValue.tenant_id == tenant_id,
            MetricValue.period_id == period.id,
            MetricValue.person_id.is_not(None),
        )
        .limit(3)
    ):
        value.actual = value.actual + 7


def _change_profit(tenant_id, period):
    from jili.extensions import db
    from jili.inputs.models import ProfitEntry

    entry = db.session.scalar(select(ProfitEntry).where(ProfitEntry.tenant_id == tenant_id))
    entry.amount = entry.amount + Decimal("1000000.01")


def _change_team(tenant_id, period):
    from jili.extensions import db
    from jili.org.models import Level, Person, Team

    mover = db.session.scalar(
        select(Person).where(Person.tenant_id == tenant_id, Person.level == Level.CORE)
    )
    mover.team_id = db.session.scalar(
        select(Team.id).where(Team.tenant_id == tenant_id, Team.id != mover.team_id)
    )


def _change_first_deal(tenant_id, period):
    """A newcomer's deal from before the period: their first deal moves earlier."""
    from jili.extensions import db
    from jili.inputs.models import SalesCredit, Transaction
    from jili.org.models import Person

    newcomer = db.session.scalar(
        select(Person).where(Person.tenant_id == tenant_id, Person.mentor_id.is_not(None))
    )
    day = date.fromordinal(period.start_date.toordinal() - 20)
    deal = Transaction(
        tenant_id=tenant_id,
        external_id="earlier-deal",
        deal_date=day,
        person_id=newcomer.id,
        amount=Decimal("10.00"),
        row_hash="y",
    )
    db.session.add(deal)
    db.session.flush()
    db.session.add(
        SalesCredit(
            tenant_id=tenant_id,
            transaction_id=deal.id,
            person_id=newcomer.id,
            share_bp=10000,
            deal_date=day,
            amount=deal.amount,
        )
    )


def _raw(sql: str):
    """A change written with raw SQL, past the ORM (as the bench generator and bulk
    statements write): the database's triggers must still renew the stamp."""

    def change(tenant_id, period):
        from sqlalchemy import text

        from jili.extensions import db

        db.session.execute(text(sql), {"t": tenant_id, "p": period.id})

    change.__name__ = "_change_raw_" + sql.split()[1]
    return change


_RAW = [
    _raw("UPDATE sales_target SET baseline = baseline / 3 WHERE tenant_id = :t AND period_id = :p "
         "AND person_id IN (SELECT min(person_id) FROM sales_target WHERE tenant_id = :t)"),
    _raw("UPDATE sales_fact SET amount = amount * 5 WHERE tenant_id = :t AND person_id = "
         "(SELECT max(person_id) FROM sales_fact WHERE tenant_id = :t)"),
    _raw("UPDATE metric_value SET actual = actual + 11 WHERE tenant_id = :t AND period_id = :p"),
    _raw("UPDATE person SET team_id = (SELECT max(id) FROM team WHERE tenant_id = :t) "
         "WHERE tenant_id = :t AND id = (SELECT min(id) FROM person WHERE tenant_id = :t "
         "AND level = 'core')"),
]  # fmt: skip


@pytest.mark.parametrize(
    "change",
    [
        _change_credit,
        _change_target,
        _change_kpi,
        _change_profit,
        _change_team,
        _change_first_deal,
        *_RAW,
    ],  # fmt: skip
    ids=lambda f: f.__name__.removeprefix("_change_"),
)
def test_a_changed_input_is_never_served_stale(ctx, change):
    from jili.extensions import db
    from jili.incentives.services.estimates import company_estimate

    period = _period(ctx.id)
    before = company_estimate(ctx.id, "CNY", period)
    change(ctx.id, period)
    db.session.flush()
    after = company_estimate(ctx.id, "CNY", period)
    assert after.stamp != before.stamp
    _check_everyone(ctx, period)  # equal to a calculation from scratch on the new inputs


def test_a_changed_plan_setting_changes_the_stamp(ctx):
    from jili.extensions import db
    from jili.incentives.services.estimates import active_entries, company_estimate

    period = _period(ctx.id)
    before = company_estimate(ctx.id, "CNY", period)
    entry = next(e for e in active_entries(ctx.id, period) if e.plan.scheme_key == "excess_pool")
    entry.plan.name = "Excess pool (renamed)"
    db.session.flush()
    after = company_estimate(ctx.id, "CNY", period)
    assert after.stamp != before.stamp
    assert "Excess pool (renamed)" in [r.plan_name for r in after.plans.values()]


def test_team_slices_from_the_cache_equal_the_grouped_query(ctx):
    from jili.home.services.team import _cached_slices, team_slices
    from jili.org.models import Level
    from jili.org.visibility import team_people

    period = _period(ctx.id)
    managers = [p for p in _people(ctx.id) if p.level == Level.MANAGER]
    assert managers
    for manager in managers:
        ids = frozenset(p.id for p in team_people(manager))
        rows = _cached_slices(ctx.id, "CNY", period, ids)
        assert rows is not None  # the tiered commission reads slices, so the cache has them
        cached = team_slices(ctx.id, period, manager, Decimal(1000), rows)
        assert cached == team_slices(ctx.id, period, manager, Decimal(1000))
        assert cached[0] and cached[1]
