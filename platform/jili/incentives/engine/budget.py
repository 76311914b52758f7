"""The tenant's budget policy and its ceiling applied to a run's lines."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from jili.extensions import db
from jili.incentives.engine.versions import PlanEntry
from jili.incentives.models import IncentiveSetting, PlanVersion
from jili.schemes import (
    BudgetOutcome,
    BudgetPolicy,
    BudgetRule,
    Explanation,
    Fact,
    PayoutLine,
    PeriodFacts,
    PersonFacts,
    apply_budget,
)
from jili.schemes.budget import budget_explanation
from jili.schemes.lines import fmt_money

ZERO = Decimal(0)
HUNDRED = Decimal(100)

#: A calculated line with the plan and version it came from.
Calculated = tuple[PlanEntry, PlanVersion, PayoutLine]


def budget_policy(tenant_id: int, entries: list[PlanEntry], kind: str = "month") -> BudgetPolicy:
    """The budget policy of a period of ``kind`` (``"month"``, ``"quarter"``…):
    that kind's ceiling with the tenant's rule and released extra."""
    setting = db.session.scalar(
        select(IncentiveSetting).where(IncentiveSetting.tenant_id == tenant_id)
    )
    priority = {e.plan_key: e.plan.priority for e in entries}
    if setting is None:
        return BudgetPolicy(plan_priority=priority)
    amount, pct = setting.ceiling_for(kind)
    return BudgetPolicy(
        amount=amount,
        pct_of_revenue=Decimal(pct) if pct is not None else None,
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
) -> tuple[list[Calculated], list[Decimal], BudgetOutcome, dict]:
    """``calculated`` with the ceiling applied, each line's amount before the
    cut (in the same order), the budget outcome, and what a run shows of how
    the ceiling came about (:func:`ceiling_detail`)."""
    ceiling = revenue = attainment = None
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
        # A cut line is stored with its amount before the cut; the cut's step is
        # added to its explanation when the line is read (runs.run_lines).
        explain=False,
    )
    # apply_budget keeps the order: outcome line i is calculated line i, cut or not.
    before = [line.amount for _e, _v, line in calculated]
    cut = [(e, v, out) for (e, v, _old), out in zip(calculated, outcome.lines, strict=True)]
    detail = ceiling_detail(policy, outcome, before, revenue, attainment)
    detail.update({"places": places, "cut_explained_when_read": True})
    return cut, before, outcome, detail


def ceiling_detail(
    policy: BudgetPolicy,
    outcome: BudgetOutcome,
    before: list[Decimal],
    revenue: Decimal | None,
    attainment: Decimal | None,
) -> dict:
    """What a run keeps beside its budget outcome so pages can say in words
    how the ceiling came about: the period's revenue (when a percentage of it
    counts), whether the extra was released, and the factor a proportional cut
    scaled every positive line by (the ceiling, less the claw-backs that stay,
    over the positive lines)."""
    released = (
        policy.release_from_attainment_pct is not None
        and attainment is not None
        and attainment * HUNDRED >= policy.release_from_attainment_pct
    )
    detail: dict = {
        "revenue": str(revenue) if revenue is not None and policy.pct_of_revenue else None,
        "released": bool(released),
        "factor": None,
    }
    if outcome.applied and policy.rule is BudgetRule.PROPORTIONAL and outcome.ceiling is not None:
        positive = sum((a for a in before if a > 0), ZERO)
        room = outcome.ceiling - sum((a for a in before if a < 0), ZERO)
        if positive > 0:
            factor = max(ZERO, room) / positive
            detail["factor"] = str(factor.quantize(Decimal("0.0001")))
    return detail


def explain_cuts(budget: dict | None, lines: list) -> None:
    """Add the budget ceiling's step to the explanation of each cut line of a
    run stored with ``cut_explained_when_read`` (its lines keep their
    explanation as calculated, and ``amount_before_budget``). The loaded rows
    get the words as if stored (``set_committed_value``: nothing is written)."""
    if not budget or not budget.get("cut_explained_when_read") or budget.get("ceiling") is None:
        return
    places = int(budget.get("places", 2))
    ceiling_text = fmt_money(Decimal(budget["ceiling"]), places)
    for line in lines:
        if line.amount == line.amount_before_budget:
            continue
        expl = Explanation.from_dict(line.explanation)
        if "budget_ceiling" in expl.rule:
            continue  # already said (the same row read twice in a session)
        said = budget_explanation(
            expl, ceiling_text, budget["rule"], line.amount_before_budget, line.amount, places
        )
        set_committed_value(line, "explanation", said.to_dict())
        set_committed_value(line, "explanation_text", said.plain_text())


def cuts_more_than_half(outcome: BudgetOutcome) -> bool:
    """True when the ceiling removes more than half of the calculated payouts:
    the case a person confirms before the run is stored."""
    if not outcome.applied or outcome.total_before <= 0:
        return False
    return (outcome.total_before - outcome.total_after) * 2 > outcome.total_before
