"""Pay corrections in a run: what upheld appeals and inquiries add to a period.

An upheld case never edits a closed run: it stores a ``pay_correction`` for an
open period (:mod:`jili.appeals`), and every final run of that period carries it
as a line of its own — plan id :data:`CORRECTIONS_PLAN_ID`, scheme key
``"correction"`` — with the words that explain it. Corrections stand outside
the budget ceiling: they repay what a closed period owed. This module is the
engine's one point of contact with them (:func:`include`, called once from
:mod:`jili.incentives.engine.runs`), and also recalculates one person's pay of a
period without storing anything (:func:`recalculate_person`), as the simulator
does, for a score appeal upheld after its period closed.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from types import MappingProxyType, SimpleNamespace

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from jili.extensions import db
from jili.schemes import BudgetOutcome, Explanation, PayoutLine

CORRECTIONS_PLAN_ID = 0
SCHEME_KEY = "correction"
PLAN_NAME = _l("Corrections from appeals")
ZERO = Decimal(0)

_ENTRY = SimpleNamespace(plan=SimpleNamespace(id=CORRECTIONS_PLAN_ID, name="corrections"))
_VERSION = SimpleNamespace(id=0)


def plan_name() -> str:
    """What a run page, statement or export calls the corrections' column."""
    return str(PLAN_NAME)


def correction_lines(tenant_id: int, period_id: int) -> list[PayoutLine]:
    """The period's pay corrections as payout lines, in the order they were made."""
    try:
        from jili.appeals.models import PayCorrection
    except ImportError:  # pragma: no cover - the appeals capability is not installed
        return []
    rows = db.session.scalars(
        select(PayCorrection)
        .where(PayCorrection.tenant_id == tenant_id, PayCorrection.period_id == period_id)
        .order_by(PayCorrection.id)
    )
    return [
        PayoutLine(
            person_id=row.person_id,
            amount=row.amount,
            scheme_key=SCHEME_KEY,
            plan_key=f"correction-{row.case_id}",
            explanation=Explanation.from_dict(row.explanation),
        )
        for row in rows
    ]


def include(tenant_id: int, period_id: int, calculated: list, before: list, outcome: BudgetOutcome):
    """``calculated`` and ``before`` with the period's corrections appended (never
    cut by the ceiling), and the outcome's totals raised by their sum."""
    lines = correction_lines(tenant_id, period_id)
    if not lines:
        return calculated, before, outcome
    added = sum((line.amount for line in lines), ZERO)
    calculated = [*calculated, *((_ENTRY, _VERSION, line) for line in lines)]
    before = [*before, *(line.amount for line in lines)]
    outcome = replace(
        outcome,
        total_before=outcome.total_before + added,
        total_after=outcome.total_after + added,
    )
    return calculated, before, outcome


def recalculate_person(tenant, period, person_id: int, kpi_score: Decimal | None) -> Decimal:
    """What ``person_id`` would be paid in ``period`` by its plans (corrections
    left out) if their KPI total score were ``kpi_score``: the period's facts and
    plans in force, calculated and cut by the budget as a run would, not stored."""
    from jili.incentives.engine.budget import apply_policy, budget_facts, budget_policy
    from jili.incentives.engine.facts import build_facts_and_own
    from jili.incentives.engine.runs import _calculate, _needed, load_subtree, paid_once_keys
    from jili.incentives.engine.versions import PlanStatus, plans_for_period
    from jili.money import CURRENCIES

    active = [e for e in plans_for_period(tenant.id, period) if e.status == PlanStatus.ACTIVE]
    policy = budget_policy(tenant.id, active, period.kind.value)
    facts, unrolled = build_facts_and_own(tenant.id, period, _needed(active) | budget_facts(policy))
    facts = _with_score(facts, person_id, kpi_score)
    if unrolled and person_id in unrolled:
        unrolled = {**unrolled, person_id: replace(unrolled[person_id], kpi_score=kpi_score)}
    runs = [(e, e.version, e.version.eligibility) for e in active]
    calculated = _calculate(
        tenant, period, runs, facts, load_subtree(tenant.id),
        paid_once_keys(tenant.id, period.id), unrolled,
    )  # fmt: skip
    places = CURRENCIES.get(tenant.currency, 2)
    calculated, _before, _outcome, _detail = apply_policy(
        policy, calculated, facts, unrolled, places
    )
    return sum((line.amount for _e, _v, line in calculated if line.person_id == person_id), ZERO)


def _with_score(facts, person_id: int, kpi_score: Decimal | None):
    person = facts.people.get(person_id)
    if person is None:
        return facts
    people = dict(facts.people)
    people[person_id] = replace(person, kpi_score=kpi_score)
    return replace(facts, people=MappingProxyType(people))
