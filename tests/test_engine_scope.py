"""Who and what a run covers: plans of the period's cadence, disabled schemes,
eligibility, one-off awards, managers' own excess, the budget ceiling, and
pilots beside the plan in force (on the small :class:`World` of test_engine)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from jili.extensions import db
from jili.incentives.engine import (
    build_facts,
    calculate_period,
    latest_run,
    pilot_diff,
    pilot_run,
    run_lines,
)
from jili.incentives.models import BudgetRuleChoice
from jili.models import (
    IncentiveSetting,
    Level,
    Period,
    PeriodStatus,
    Plan,
    PlanVersion,
    SalesTarget,
    Team,
)
from jili.periods.models import PeriodKind
from jili.tenancy import bound_tenant
from jili_tiered_commission import TieredCommission
from test_engine import World, amounts, paid

D = Decimal


@pytest.fixture
def world(app, make_tenant):
    tenant = make_tenant()
    with bound_tenant(tenant.id):
        w = World(tenant)
        db.session.commit()
        yield w


def test_a_plan_runs_only_in_periods_of_its_cadence(world):
    w = world
    w.enable("tiered_commission")
    july = Period(
        tenant_id=w.t,
        kind=PeriodKind.MONTH,
        label="2024-07",
        start_date=date(2024, 7, 1),
        end_date=date(2024, 7, 31),
    )
    db.session.add(july)
    w.target(w.a, "500000")
    w.sale(w.a, "650000", day=date(2024, 7, 15))
    w.plan("季度提成", TieredCommission)  # effective from 2024-Q2: quarterly
    db.session.commit()
    month_run = calculate_period(w.tenant, july)
    assert month_run.line_count == 0 and month_run.plans == []
    assert set(paid(calculate_period(w.tenant, w.q3))) == {w.a.id}


def test_a_disabled_or_missing_scheme_is_not_calculated_and_says_so(world):
    w = world
    w.target(w.a, "500000")
    w.sale(w.a, "650000")
    w.plan("阶梯提成", TieredCommission)  # scheme not enabled
    ghost = Plan(tenant_id=w.t, name="旧方案", scheme_key="no_such_scheme")
    db.session.add(ghost)
    db.session.flush()
    db.session.add(
        PlanVersion(
            tenant_id=w.t,
            plan_id=ghost.id,
            number=1,
            effective_period_id=w.q2.id,
            effective_from=w.q2.start_date,
            settings={"x": 1},
        )
    )
    db.session.commit()
    run = calculate_period(w.tenant, w.q3)
    assert run.line_count == 0
    statuses = {n["plan_name"]: n["status"] for n in run.notes}
    assert statuses == {"阶梯提成": "disabled", "旧方案": "unavailable"}


def test_eligibility_by_team_and_level(world):
    w = world
    w.enable("tiered_commission")
    other = Team(tenant_id=w.t, name="华南组")
    db.session.add(other)
    db.session.flush()
    d = w.person("E9", "丁", team=other)
    for p in (w.a, w.c, d):
        w.target(p, "500000")
        w.sale(p, "650000")
    w.plan(
        "阶梯提成",
        TieredCommission,
        eligibility={"team_ids": [w.team.id], "levels": ["core"], "person_ids": [d.id]},
    )
    db.session.commit()
    paid_to = paid(calculate_period(w.tenant, w.q3))
    assert set(paid_to) == {w.a.id, d.id}  # c is a newcomer; d is listed by name


def test_one_off_awards_reach_only_the_plans_their_person_is_eligible_for(world):
    from jili.models import OneOffAwardGrant
    from jili_special_awards import SpecialAwards

    w = world
    w.enable("special_awards")
    db.session.add(
        OneOffAwardGrant(
            tenant_id=w.t,
            period_id=w.q3.id,
            person_id=w.b.id,
            kind="strategic_client",
            amount=D("8000"),
            reason="签下战略客户",
        )
    )
    no_kinds = {"one_off_kinds": [], "attainment_award_enabled": False}
    w.plan("超额奖", SpecialAwards, no_kinds, eligibility={"person_ids": [w.a.id]})
    w.plan("战略客户奖", SpecialAwards, eligibility={"person_ids": [w.b.id]})
    db.session.commit()
    run = calculate_period(w.tenant, w.q3)
    assert paid(run) == {w.b.id: D("8000.00")}


def test_an_excess_pool_splits_by_a_managers_own_excess_not_the_roll_up(world):
    """DOMAIN's pool example with C as the group's manager: C's row rolls up the
    group for other schemes, but the pool is split by each member's own excess."""
    from jili_excess_pool import ExcessPool

    w = world
    w.enable("excess_pool")
    boss = w.person("M1", "经理", level=Level.MANAGER)
    for p, target, sold in ((w.a, "4000000", "4600000"), (w.b, "3000000", "3500000")):
        w.target(p, target)
        w.sale(p, sold)
    w.target(boss, "3000000")
    w.sale(boss, "2900000")
    db.session.add(
        SalesTarget(
            tenant_id=w.t,
            period_id=w.q3.id,
            team_id=w.team.id,
            metric="revenue",
            baseline=D("10000000"),
        )
    )
    w.plan("超额奖金池", ExcessPool)
    db.session.commit()
    assert build_facts(w.t, w.q3).people[boss.id].booked_revenue == D("11000000.00")
    got = amounts(calculate_period(w.tenant, w.q3))
    assert got[w.a.id] == D("109090.91") and got[w.b.id] == D("90909.09")
    assert got.get(boss.id, D(0)) == 0


def test_the_budget_ceiling_cuts_lines_proportionally_and_shows_it(world):
    w = world
    w.enable("tiered_commission")
    for p in (w.a, w.b):
        w.target(p, "500000")
        w.sale(p, "650000")
    w.plan("阶梯提成", TieredCommission, {"mode": "whole"})
    db.session.add(
        IncentiveSetting(
            tenant_id=w.t, budget_amount=D("20000.01"), budget_rule=BudgetRuleChoice.PROPORTIONAL
        )
    )
    db.session.commit()
    run = calculate_period(w.tenant, w.q3)
    assert run.budget["applied"] is True
    assert run.budget["total_before"] == "23400.00" and run.total == D("20000.01")
    got = sorted(paid(run).values())
    assert got == [D("10000.00"), D("10000.01")]
    lines = [line for line in run_lines(run) if line.amount_before_budget]
    assert {line.amount_before_budget for line in lines} == {D("11700.00")}
    assert all("budget ceiling" in line.explanation_text for line in lines)


def test_a_ceiling_as_percent_of_revenue_counts_each_credit_once(world):
    """1 % of the period's revenue (1,300,000, not the manager's roll-up on top)."""
    w = world
    w.enable("tiered_commission")
    w.person("M1", "经理", level=Level.MANAGER)
    for p in (w.a, w.b):
        w.target(p, "500000")
        w.sale(p, "650000")
    w.plan("阶梯提成", TieredCommission, {"mode": "whole"}, {"person_ids": [w.a.id, w.b.id]})
    db.session.add(IncentiveSetting(tenant_id=w.t, budget_pct_of_revenue=D("1")))
    db.session.commit()
    run = calculate_period(w.tenant, w.q3)
    assert run.budget["ceiling"] == "13000.00" and run.budget["applied"] is True
    assert amounts(run) == {w.a.id: D("6500.00"), w.b.id: D("6500.00")}


def test_a_pilot_runs_beside_the_plan_in_force_and_pays_nothing(world):
    w = world
    w.enable("tiered_commission")
    other = Team(tenant_id=w.t, name="试点组")
    db.session.add(other)
    db.session.flush()
    d = w.person("E9", "丁", team=other)
    for p in (w.a, d):
        w.target(p, "500000")
        w.sale(p, "650000")
    plan = w.plan("阶梯提成", TieredCommission, {"mode": "whole"})
    pilot = w.version(
        plan,
        TieredCommission,
        {"mode": "marginal"},
        period=w.q3,
        is_pilot=True,
        pilot_team_ids=[other.id],
    )
    db.session.commit()
    run = pilot_run(w.tenant, w.q3, pilot)
    (row,) = pilot_diff(run)
    assert (row.person_id, row.before, row.after) == (d.id, D("11700.00"), D("8100.00"))
    assert latest_run(w.t, w.q3.id) is None  # no final run: pilots never pay
    assert db.session.get(Period, w.q3.id).status == PeriodStatus.OPEN
    final = calculate_period(w.tenant, w.q3)
    assert paid(final) == {w.a.id: D("11700.00"), d.id: D("11700.00")}  # pilot not in force
