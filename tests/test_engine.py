"""The engine on a real database: facts from grouped queries, immutable runs,
plan versions in force, re-run diffs, locks and once-only awards.

Who and what a run covers (cadence, eligibility, budget, pilots) is in
test_engine_scope.py, on the same :class:`World`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event, select, update

from jili.extensions import db
from jili.incentives.engine import (
    CalculationFailed,
    PeriodLocked,
    build_facts,
    calculate_period,
    diff_runs,
    previous_run,
    run_lines,
)
from jili.incentives.models import RunIsImmutable
from jili.models import (
    AuditLog,
    CalculationRun,
    Level,
    MetricValue,
    PayoutLineRecord,
    Period,
    PeriodStatus,
    Person,
    Plan,
    PlanVersion,
    SalesCredit,
    SalesTarget,
    Team,
    TenantScheme,
    Transaction,
)
from jili.periods.models import PeriodKind
from jili.periods.services import PeriodClosed
from jili.schemes import Fact
from jili.tenancy import bound_tenant
from jili_tiered_commission import TieredCommission

D = Decimal
Q3 = (date(2024, 7, 1), date(2024, 9, 30))


class World:
    """A small tenant: one team, three sellers, quarters of 2024."""

    def __init__(self, tenant):
        self.tenant = tenant
        self.t = tenant.id
        self._n = 0
        self.team = Team(tenant_id=self.t, name="华东一组")
        db.session.add(self.team)
        db.session.flush()
        self.q2 = self.period("2024-Q2", date(2024, 4, 1), date(2024, 6, 30))
        self.q3 = self.period("2024-Q3", *Q3)
        self.a = self.person("E1", "甲")
        self.b = self.person("E2", "乙")
        self.c = self.person("E3", "丙", level=Level.NEWCOMER)

    def period(self, label, start, end):
        p = Period(
            tenant_id=self.t, kind=PeriodKind.QUARTER, label=label, start_date=start, end_date=end
        )
        db.session.add(p)
        db.session.flush()
        return p

    def person(self, no, name, level=Level.CORE, team=None, **kw):
        p = Person(
            tenant_id=self.t,
            employee_no=no,
            name=name,
            level=level,
            team_id=(team or self.team).id,
            **kw,
        )
        db.session.add(p)
        db.session.flush()
        return p

    def sale(self, person, amount, day=date(2024, 8, 1), shares=None, region="", product=""):
        self._n += 1
        amount = D(amount)
        txn = Transaction(
            tenant_id=self.t,
            external_id=f"T{self._n}",
            deal_date=day,
            person_id=person.id,
            amount=amount,
            collected_amount=amount,
            margin=amount / 5,
            row_hash="x",
        )
        db.session.add(txn)
        db.session.flush()
        for who, part in shares or [(person, amount)]:
            db.session.add(
                SalesCredit(
                    tenant_id=self.t,
                    transaction_id=txn.id,
                    person_id=who.id,
                    share_bp=10000,
                    deal_date=day,
                    region=region,
                    product_line=product,
                    amount=D(part),
                    collected_amount=D(part),
                    margin=D(part) / 5,
                )
            )

    def target(self, person, revenue, period=None):
        db.session.add(
            SalesTarget(
                tenant_id=self.t,
                period_id=(period or self.q3).id,
                person_id=person.id,
                metric="revenue",
                baseline=D(revenue),
            )
        )

    def enable(self, key):
        db.session.add(TenantScheme(tenant_id=self.t, scheme_key=key, enabled=True))

    def plan(self, name, scheme, settings=None, eligibility=None, period=None, priority=100):
        plan = Plan(tenant_id=self.t, name=name, scheme_key=scheme.key, priority=priority)
        db.session.add(plan)
        db.session.flush()
        self.version(plan, scheme, settings, eligibility, period)
        return plan

    def version(self, plan, scheme, settings=None, eligibility=None, period=None, **kw):
        period = period or self.q2
        settings = {**scheme.default_settings(), **(settings or {})}
        number = len(
            db.session.scalars(select(PlanVersion).where(PlanVersion.plan_id == plan.id)).all()
        )
        v = PlanVersion(
            tenant_id=self.t,
            plan_id=plan.id,
            number=number + 1,
            effective_period_id=period.id,
            effective_from=period.start_date,
            settings=scheme.validate_settings(settings),
            eligibility=eligibility or {},
            **kw,
        )
        db.session.add(v)
        db.session.flush()
        return v


@pytest.fixture
def world(app, make_tenant):
    tenant = make_tenant()
    with bound_tenant(tenant.id):
        w = World(tenant)
        db.session.commit()
        yield w


def amounts(run):
    out = {}
    for line in run_lines(run):
        out[line.person_id] = out.get(line.person_id, D(0)) + line.amount
    return out


def paid(run):
    """What each person is paid; everyone else has 0.00 lines that say why."""
    return {k: v for k, v in amounts(run).items() if v != 0}


def test_facts_aggregate_credits_refunds_and_roll_up_a_manager(world):
    w = world
    boss = w.person("M1", "经理", level=Level.MANAGER)
    w.sale(w.a, "100000.00")
    w.sale(w.a, "-20000.00", day=date(2024, 9, 1))  # a refund claws back in its period
    w.sale(w.a, "60000.00", shares=[(w.a, "36000.00"), (w.b, "24000.00")])
    w.sale(w.b, "5000.00", day=date(2024, 6, 30))  # Q2, not Q3
    w.target(w.a, "200000")
    db.session.commit()
    facts = build_facts(w.t, w.q3)
    a, b = facts.people[w.a.id], facts.people[w.b.id]
    assert a.booked_revenue == D("116000.00") and a.deal_count == 2
    assert b.booked_revenue == D("24000.00")
    assert a.target == D("200000.00") and a.attainment == D("0.58")
    assert facts.people[boss.id].booked_revenue == D("140000.00")  # the team's, rolled up
    team = facts.teams[w.team.id]
    assert team.booked_revenue == D("140000.00")  # own credits only: no double count
    assert set(team.member_ids) == {w.a.id, w.b.id, w.c.id, boss.id}


def test_facts_are_a_handful_of_queries_whatever_the_headcount(world, app):
    w = world
    for i in range(40):
        p = w.person(f"X{i}", f"人{i}")
        w.sale(p, "1000")
        w.target(p, "5000")
    db.session.commit()
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        build_facts(w.t, w.q3, frozenset(Fact))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) <= 12, statements


def test_a_run_pays_the_plan_in_force_and_is_stored_immutably(world):
    w = world
    w.enable("tiered_commission")
    w.target(w.a, "500000")
    w.sale(w.a, "650000")
    w.plan("阶梯提成", TieredCommission, {"mode": "whole"}, eligibility={"person_ids": [w.a.id]})
    db.session.commit()
    run = calculate_period(w.tenant, w.q3)
    assert amounts(run) == {w.a.id: D("11700.00")}
    assert run.total == D("11700.00") and run.number == 1
    assert db.session.get(Period, w.q3.id).status == PeriodStatus.CALCULATED
    (line,) = run_lines(run)
    assert "650,000.00 × 1.8 % = 11,700.00" in line.explanation_text
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "run.calculate"))
    line.amount = D("1")
    with pytest.raises(RunIsImmutable):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(Exception, match="append-only"):
        db.session.execute(update(PayoutLineRecord).values(amount=D("1")))
    db.session.rollback()


def test_a_new_version_applies_from_its_period_and_a_rerun_shows_the_change(world):
    w = world
    w.enable("tiered_commission")
    w.target(w.a, "500000")
    w.sale(w.a, "650000")
    plan = w.plan("阶梯提成", TieredCommission, {"mode": "whole"})
    db.session.commit()
    first = calculate_period(w.tenant, w.q3)
    w.version(plan, TieredCommission, {"mode": "marginal"}, period=w.q3)
    db.session.commit()
    second = calculate_period(w.tenant, w.q3)
    assert amounts(second)[w.a.id] == D("8100.00")
    assert previous_run(second).id == first.id
    (row,) = diff_runs(second, first)
    assert (row.person_id, row.before, row.after, row.change) == (
        w.a.id,
        D("11700.00"),
        D("8100.00"),
        D("-3600.00"),
    )
    assert second.plans[0]["version"] == 2 and first.plans[0]["version"] == 1
    assert second.fingerprint != first.fingerprint
    # Q2 still calculates with version 1: version 2 is effective from Q3.
    w.target(w.a, "500000", period=w.q2)
    w.sale(w.a, "650000", day=date(2024, 5, 5))
    db.session.commit()
    assert amounts(calculate_period(w.tenant, w.q2))[w.a.id] == D("11700.00")


def test_the_same_inputs_give_the_same_fingerprint_and_lines(world):
    w = world
    w.enable("tiered_commission")
    w.target(w.a, "500000")
    w.sale(w.a, "650000")
    w.plan("阶梯提成", TieredCommission)
    db.session.commit()
    one, two = calculate_period(w.tenant, w.q3), calculate_period(w.tenant, w.q3)
    assert one.fingerprint == two.fingerprint and diff_runs(two, one) == []


def test_a_failing_plan_leaves_no_partial_run(world, monkeypatch):
    w = world
    w.enable("tiered_commission")
    w.target(w.a, "500000")
    w.sale(w.a, "650000")
    w.plan("阶梯提成", TieredCommission)
    db.session.commit()

    def boom(*a, **k):
        raise RuntimeError("plugin bug")

    monkeypatch.setattr(TieredCommission, "calculate", classmethod(boom))
    with pytest.raises(CalculationFailed, match="plugin bug"):
        calculate_period(w.tenant, w.q3)
    assert db.session.scalars(select(CalculationRun)).all() == []
    assert db.session.get(Period, w.q3.id).status == PeriodStatus.OPEN


def test_published_and_closed_periods_are_locked(world):
    w = world
    w.enable("tiered_commission")
    w.plan("阶梯提成", TieredCommission)
    db.session.commit()
    calculate_period(w.tenant, w.q3)
    q3 = db.session.get(Period, w.q3.id)
    q3.status = PeriodStatus.PUBLISHED
    db.session.commit()
    with pytest.raises(PeriodLocked):
        calculate_period(w.tenant, q3)
    q3.status = PeriodStatus.CLOSED
    db.session.commit()
    with pytest.raises(PeriodLocked):
        calculate_period(w.tenant, q3)
    with pytest.raises(PeriodClosed):
        db.session.add(
            MetricValue(tenant_id=w.t, period_id=q3.id, person_id=w.a.id, metric="x", actual=1)
        )
        db.session.flush()
    db.session.rollback()


def test_mentor_awards_are_paid_once_across_periods(world):
    from jili_mentor_award import MentorAward

    w = world
    w.enable("mentor_award")
    mentor = w.a
    newbie = w.person("N1", "新人", level=Level.NEWCOMER, hire_date=date(2024, 5, 1))
    newbie.mentor_id = mentor.id
    w.sale(newbie, "30000", day=date(2024, 6, 20))  # first deal, in Q2
    w.plan("师徒制", MentorAward)
    db.session.commit()
    q2 = calculate_period(w.tenant, w.q2)
    assert amounts(q2)[newbie.id] == D("1000.00") and mentor.id in amounts(q2)
    w.sale(newbie, "30000", day=date(2024, 8, 20))
    db.session.commit()
    q3 = calculate_period(w.tenant, w.q3)
    assert newbie.id not in paid(q3)  # the first deal is in Q2, paid there


def test_region_coefficients_come_from_the_sales_slices_and_only_then_are_queried(world):
    w = world
    w.enable("tiered_commission")
    w.target(w.a, "500000")
    w.sale(w.a, "325000", region="西北")
    w.sale(w.a, "325000", region="华东")
    plan = w.plan("阶梯提成", TieredCommission, {"mode": "whole"})
    db.session.commit()
    # 650,000 × 1.8 % = 11,700; half the sales in 西北 at 1.2: × 1.1 = 12,870.
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        plain = calculate_period(w.tenant, w.q3)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert paid(plain) == {w.a.id: D("11700.00")}
    assert not [s for s in statements if "sales_credit.region" in s]  # no slices needed
    w.version(
        plan,
        TieredCommission,
        {"mode": "whole", "region_coefficients": {"西北": "1.2"}},
        period=w.q3,
    )
    db.session.commit()
    assert paid(calculate_period(w.tenant, w.q3)) == {w.a.id: D("12870.00")}


def test_facts_for_one_person_only_read_that_persons_sales(world):
    w = world
    boss = w.person("M1", "经理", level=Level.MANAGER)
    w.sale(w.a, "100000")
    w.sale(w.b, "50000")
    w.target(w.a, "200000")
    db.session.commit()
    alone = build_facts(w.t, w.q3, only=frozenset({w.a.id}))
    assert set(alone.people) == {w.a.id}
    assert alone.people[w.a.id].booked_revenue == D("100000.00")
    assert alone.people[w.a.id].target == D("200000.00")
    # A manager alone gets no roll-up: the simulator never restricts a manager.
    assert build_facts(w.t, w.q3, only=frozenset({boss.id})).people[boss.id].booked_revenue == 0
