"""The tenant's budget policy and its ceiling applied to a run's lines."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from jili.extensions import db
from jili.incentives.engine.versions import PlanEntry
from jili.incentives.models import IncentiveSetting, PlanVersion
from jili.schemes import (
    BudgetOutcome,
    BudgetPolicy,
    BudgetRule,
    Fact,
    PayoutLine,
    PeriodFacts,
    PersonFacts,
    apply_budget,
)

ZERO = Decimal(0)

#: A calculated line with the plan and version it came from.
Calculated = tuple[PlanEntry, PlanVersion, PayoutLine]


def budget_policy(tenant_id: int, entries: list[PlanEntry]) -> BudgetPolicy:
    setting = db.session.scalar(
        select(IncentiveSetting).where(IncentiveSetting.tenant_id == tenant_id)
    )
    priority = {e.plan_key: e.plan.priority for e in entries}
    if setting is None:
        return BudgetPolicy(plan_priority=priority)
    return BudgetPolicy(
        amount=setting.budget_amount,
        pct_of_revenue=(
            Decimal(setting.budget_pct_of_revenue)
            if setting.budget_pct_of_revenue is not None
            else None
        ),
        rule=BudgetRule(setting.budget_rule.value),
        plan_priority=priority,
        release_from_attainment_pct=(
            Decimal(setting.release_from_attainment_pct)
            if setting.release_from_attainment_pct is not None
            else None
        ),
        release_pct=Decimal(setting.release_pct or 0),
    )


def budget_facts(policy: BudgetPolicy) -> frozenset[Fact]:
    """The facts the ceiling itself reads (revenue and attainment), if any."""
    if policy.pct_of_revenue is not None or policy.release_from_attainment_pct is not None:
        return frozenset({Fact.SALES, Fact.TARGETS})
    return frozenset()


def company_revenue_and_target(
    facts: PeriodFacts, unrolled: dict
) -> tuple[Decimal, Decimal | None]:
    """The period's credited revenue (each credit once: managers' own sales,
    not their roll-up) and the sum of people's revenue targets, from the facts
    already read."""
    people = [unrolled.get(pid, p) for pid, p in facts.people.items()]
    revenue = sum((p.booked_revenue for p in people), ZERO)
    targets = [p.target for p in people if p.target is not None]
    return revenue, (sum(targets, ZERO) if targets else None)


def apply_policy(
    policy: BudgetPolicy,
    calculated: list[Calculated],
    facts: PeriodFacts,
    unrolled: dict[int, PersonFacts],
    places: int,
) -> tuple[list[Calculated], list[Decimal], BudgetOutcome]:
    """``calculated`` with the ceiling applied, each line's amount before the
    cut (in the same order), and the budget outcome."""
    ceiling = None
    if policy.amount is not None or policy.pct_of_revenue is not None:
        revenue, target = company_revenue_and_target(facts, unrolled)
        attainment = revenue / target if target and target > 0 else None
        ceiling = policy.ceiling(revenue, attainment, places)
    outcome = apply_budget(
        [line for _e, _v, line in calculated],
        ceiling,
        policy.rule,
        plan_priority=dict(policy.plan_priority),
        places=places,
        # Natural keys, never ids: the person, then the plan's name and the component.
        tie_keys=[
            (facts.person_key(line.person_id), e.plan.name, line.component)
            for e, _v, line in calculated
        ],
        plan_order={e.plan_key: e.plan.name for e, _v, _l in calculated},
    )
    # apply_budget keeps the order: outcome line i is calculated line i, cut or not.
    before = [line.amount for _e, _v, line in calculated]
    cut = [(e, v, out) for (e, v, _old), out in zip(calculated, outcome.lines, strict=True)]
    return cut, before, outcome
