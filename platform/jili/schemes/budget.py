"""Budget control (成本可控): a ceiling on a period's total incentive cost.

The ceiling is a fixed sum, a percentage of the period's revenue, or the lower
of the two; it may be raised by a released extra (seed 002: above 150 % of
target, 10 % more budget). When the lines add up to more than the ceiling the
tenant's rule applies:

- ``proportional``: every positive line shrinks by the same factor, split with
  the largest-remainder method so the lines add up exactly to the ceiling;
- ``priority``: plans are paid in priority order (lower number first) while
  the budget lasts; the plan where it runs out is scaled down proportionally,
  the plans after it pay nothing.

Negative lines (claw-backs) are never scaled: they stay and make room.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from jili.schemes.lines import Explanation, PayoutLine, budget_step, fmt_money, quantize
from jili.schemes.split import split_largest_remainder

ZERO = Decimal(0)
HUNDRED = Decimal(100)


class BudgetRule(enum.StrEnum):
    PROPORTIONAL = "proportional"
    PRIORITY = "priority"


@dataclass(frozen=True, slots=True)
class BudgetPolicy:
    """A tenant's budget settings (all optional: no amount and no percentage
    means no ceiling)."""

    amount: Decimal | None = None
    pct_of_revenue: Decimal | None = None
    rule: BudgetRule = BudgetRule.PROPORTIONAL
    plan_priority: Mapping[str, int] = field(default_factory=dict)
    release_from_attainment_pct: Decimal | None = None
    release_pct: Decimal = ZERO

    def ceiling(
        self, revenue: Decimal, attainment: Decimal | None = None, places: int = 2
    ) -> Decimal | None:
        """The period's ceiling, rounded to the minor unit; ``attainment`` is the
        company's attainment as a fraction (1.5 = 150 %) for the released extra."""
        candidates = []
        if self.amount is not None:
            candidates.append(self.amount)
        if self.pct_of_revenue is not None:
            candidates.append(max(ZERO, revenue) * self.pct_of_revenue / HUNDRED)
        if not candidates:
            return None
        ceiling = min(candidates)
        released = (
            self.release_from_attainment_pct is not None
            and attainment is not None
            and attainment * HUNDRED >= self.release_from_attainment_pct
        )
        if released:
            ceiling = ceiling * (HUNDRED + self.release_pct) / HUNDRED
        return quantize(ceiling, places)


@dataclass(frozen=True, slots=True)
class BudgetOutcome:
    """What the ceiling did: ``applied`` is True when lines were cut."""

    lines: list[PayoutLine]
    ceiling: Decimal | None
    total_before: Decimal
    total_after: Decimal
    applied: bool
    rule: BudgetRule


def apply_budget(
    lines: Sequence[PayoutLine],
    ceiling: Decimal | None,
    rule: BudgetRule = BudgetRule.PROPORTIONAL,
    *,
    plan_priority: Mapping[str, int] | None = None,
    places: int = 2,
    tie_keys: Sequence[Any] | None = None,
    plan_order: Mapping[str, Any] | None = None,
    explain: bool = True,
) -> BudgetOutcome:
    """Cut ``lines`` down to ``ceiling`` by ``rule``; lines keep their order,
    and a changed line says so in its explanation — unless ``explain`` is
    False: then a cut line keeps its explanation as calculated, and whoever
    stores it adds the cut when the line is read (:func:`budget_explanation`).

    ``tie_keys`` (one per line) break ties for the odd minor unit of a
    proportional cut, and ``plan_order`` (plan key → sort key) orders plans of
    equal priority; pass natural keys (employee number, plan name) so the
    result never depends on database ids. By default: the line's position and
    the plan key."""
    lines = list(lines)
    total = sum((line.amount for line in lines), ZERO)
    if ceiling is None or total <= ceiling:
        return BudgetOutcome(lines, ceiling, total, total, False, rule)
    if ceiling < 0:
        raise ValueError("a budget ceiling cannot be negative")
    # Claw-backs stay as they are, so the positive lines may use the ceiling
    # plus whatever the negative lines take back.
    room = ceiling - sum((line.amount for line in lines if line.amount < 0), ZERO)
    positive = [i for i, line in enumerate(lines) if line.amount > 0]
    if rule is BudgetRule.PROPORTIONAL:
        new = _scale(lines, positive, room, places, tie_keys)
    else:
        new = {}
        priority = plan_priority or {}
        order = plan_order or {}
        plans = sorted(
            {lines[i].plan_key for i in positive},
            key=lambda p: (priority.get(p, len(priority) + 1_000_000), str(order.get(p, "")), p),
        )
        for plan in plans:
            members = [i for i in positive if lines[i].plan_key == plan]
            plan_total = sum((lines[i].amount for i in members), ZERO)
            if plan_total <= room:
                room -= plan_total
                continue
            new.update(_scale(lines, members, room, places, tie_keys))
            room = ZERO
    ceiling_text = fmt_money(ceiling, places)
    result = list(lines)
    for i, amount in new.items():
        old = lines[i]
        if not explain:
            result[i] = PayoutLine(
                old.person_id, amount, old.scheme_key, old.plan_key, old.explanation,
                old.component, old.once_key,
            )  # fmt: skip
            continue
        result[i] = PayoutLine(
            old.person_id,
            amount,
            old.scheme_key,
            old.plan_key,
            budget_explanation(old.explanation, ceiling_text, rule, old.amount, amount, places),
            old.component,
            old.once_key,
        )
    total_after = sum((line.amount for line in result), ZERO)
    return BudgetOutcome(result, ceiling, total, total_after, True, rule)


def budget_explanation(
    expl: Explanation,
    ceiling_text: str,
    rule: BudgetRule | str,
    before: Decimal,
    after: Decimal,
    places: int = 2,
) -> Explanation:
    """``expl`` with the budget ceiling's cut from ``before`` to ``after`` as its
    last step (and the ceiling's note under ``rule["budget_ceiling"]``)."""
    # A Step: stored with its English, said in the reader's language when read.
    step, note = budget_step(
        ceiling_text, BudgetRule(rule).value, fmt_money(before, places), fmt_money(after, places)
    )
    # Built directly (not dataclasses.replace): this runs for every cut line.
    return Explanation(
        expl.message,
        expl.inputs,
        {**expl.rule, "budget_ceiling": note},
        (*expl.arithmetic, step),
    )


def _scale(
    lines: list[PayoutLine],
    indexes: list[int],
    room: Decimal,
    places: int,
    tie_keys: Sequence[Any] | None = None,
) -> dict[int, Decimal]:
    """New amounts for ``lines[indexes]`` so that they add up to ``room``."""
    if room <= 0:
        return {i: quantize(ZERO, places) for i in indexes}
    return split_largest_remainder(
        quantize(room, places),
        {i: lines[i].amount for i in indexes},
        places,
        tie_key=None if tie_keys is None else tie_keys.__getitem__,
    )
