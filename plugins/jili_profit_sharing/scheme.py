"""Profit sharing (利润分红): a share of the profit finance entered, for core staff.

Pool = profit × pool % (seed 000: 1–3 % of annual profit), rounded to the
minor unit, split with the largest-remainder method among the eligible people
by weight: by grade (a weight per level), by evaluation score, or equally.
Eligible: the designated people (if any are named), of the listed levels (if
any are listed), employed at least ``min_tenure_months`` at the period's end.

Example (DOMAIN.md): 20,000,000 × 2 % = 400,000, weights 3 : 2 : 1 →
200,000.00, 133,333.33, 66,666.67.

No profit entered, or a loss: no pool, and every eligible person gets a 0.00
line that says so. When every weight is 0 the pool is split equally, and the
explanation says so.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l

from jili.schemes import (
    LEVELS,
    N_,
    CalculationContext,
    ChoiceField,
    DecimalMapField,
    Explanation,
    Fact,
    IdListField,
    IntField,
    PercentField,
    PeriodFacts,
    PersonFacts,
    SchemeType,
    StrListField,
    add_months,
    fmt_money,
    fmt_number,
    fmt_pct,
    quantize,
    split_largest_remainder,
)

HUNDRED = Decimal(100)
ZERO = Decimal(0)
WEIGHT_WORDS = {
    "grade": N_("grade"),
    "score": N_("evaluation score"),
    "equal": N_("equal parts"),
}


class ProfitSharing(SchemeType):
    """A percentage of the profit entered by finance, split among eligible core staff."""

    key = "profit_sharing"
    label = _l("Profit sharing")
    description = _l("A share of annual profit for designated core staff (利润分红).")
    facts_needed = frozenset({Fact.PROFIT, Fact.KPI_SCORES})
    settings_fields = (
        PercentField(
            "pool_pct", _l("Pool (%), on the profit"), minimum=ZERO, maximum=HUNDRED, default="2"
        ),
        IdListField("people", _l("Designated people (empty: everyone eligible)"), default=[]),
        StrListField("levels", _l("Levels (empty: all)"), choices=LEVELS, default=[]),
        IntField(
            "min_tenure_months", _l("Minimum tenure (months)"), minimum=0, maximum=600, default=0
        ),
        ChoiceField(
            "weights",
            _l("Weights"),
            choices=(
                ("grade", _l("By grade")),
                ("score", _l("By evaluation score")),
                ("equal", _l("Equal")),
            ),
            default="grade",
        ),
        DecimalMapField(
            "grade_weights",
            _l("Weight per level (by grade)"),
            minimum=ZERO,
            default={"newcomer": "1", "core": "2", "manager": "3"},
            keys=LEVELS,
        ),
    )

    @classmethod
    def calculate(cls, facts: PeriodFacts, settings, context: CalculationContext):
        """One line per eligible person; none without a positive profit."""
        s = cls.load_settings(settings)
        profit = facts.profit
        people = [p for p in facts.people_sorted() if _eligible(p, facts, s)]
        if not people:
            return []
        places = context.places
        if profit is None or profit <= 0:
            return [cls._no_pool(p, profit, facts, context) for p in people]
        pool = quantize(profit * s.pool_pct / HUNDRED, places)
        weights = {p.person_id: _weight(p, s) for p in people}
        method = s.weights
        if not any(weights.values()):
            weights, method = {k: Decimal(1) for k in weights}, "equal"
        parts = split_largest_remainder(pool, weights, places, tie_key=facts.person_key)
        total = sum(weights.values(), ZERO)
        inputs = {"profit": fmt_money(profit, places), "pool": fmt_money(pool, places)}
        pool_step = (
            f"{fmt_money(profit, places)} × {fmt_pct(s.pool_pct)} = {fmt_money(pool, places)}"
        )
        lines = []
        for person in people:
            pid = person.person_id
            explanation = Explanation(
                N_(
                    "Profit %(profit)s gives a pool of %(pool)s, split by %(weights)s (largest remainder): weight %(weight)s of %(total_weight)s."
                ),
                {**inputs, "weight": fmt_number(weights[pid]), "total_weight": fmt_number(total)},
                {"weights": WEIGHT_WORDS[method]},
                (
                    pool_step,
                    f"{fmt_money(pool, places)} × {fmt_number(weights[pid])} / {fmt_number(total)} = {fmt_money(parts[pid], places)}",
                ),
            )
            lines.append(cls.line(context, pid, parts[pid], explanation))
        return lines

    @classmethod
    def prepare_one_person(cls, facts: PeriodFacts, settings, context: CalculationContext):
        """The simulator's fast path: the pool, everyone's weight and today's
        split, once; a changed person's part is split again only when their
        weight or eligibility differs from today's (sales never change them)."""
        s = cls.load_settings(settings)
        profit, places = facts.profit, context.places
        if profit is None or profit <= 0:
            return lambda changed: ZERO  # no pool: 0.00 lines, or none
        pool = quantize(profit * s.pool_pct / HUNDRED, places)
        everyone = {
            p.person_id: _weight(p, s) for p in facts.people.values() if _eligible(p, facts, s)
        }
        known: dict[tuple, Decimal] = {}
        if everyone:  # today's split: a person whose weight the change leaves keeps their part
            today = _split(pool, everyone, places, facts.person_key)
            known = {(k, w, facts.people[k].natural_key): today[k] for k, w in everyone.items()}

        def pay(changed: PersonFacts) -> Decimal:
            pid = changed.person_id
            if not _eligible(changed, facts, s):
                return ZERO
            key = (pid, _weight(changed, s), changed.natural_key)
            if key not in known:
                weights = {**everyone, pid: key[1]}

                def tie(k):
                    return changed.natural_key if k == pid else facts.person_key(k)

                known[key] = _split(pool, weights, places, tie)[pid]
            return known[key]

        return pay

    @classmethod
    def _no_pool(cls, person: PersonFacts, profit, facts: PeriodFacts, context):
        """The 0.00 line of an eligible person when there is no profit to share."""
        if profit is None:
            message = N_("No profit entered for %(period)s: no pool, nothing to pay.")
            inputs = {"period": facts.period.label}
        else:
            message = N_(
                "Profit %(profit)s for %(period)s is not positive: no pool, nothing to pay."
            )
            inputs = {"period": facts.period.label, "profit": fmt_money(profit, context.places)}
        explanation = Explanation(message, inputs, {}, (fmt_money(ZERO, context.places),))
        return cls.line(context, person.person_id, ZERO, explanation)


def _split(pool: Decimal, weights: dict, places: int, tie) -> dict:
    """The pool split as :meth:`ProfitSharing.calculate` splits it (equal parts
    when every weight is 0), amounts only."""
    if not any(weights.values()):
        weights = {k: Decimal(1) for k in weights}
    return split_largest_remainder(pool, weights, places, tie_key=tie)


def _eligible(person: PersonFacts, facts: PeriodFacts, s) -> bool:
    if s.people and person.person_id not in s.people:
        return False
    if s.levels and person.level not in s.levels:
        return False
    if s.min_tenure_months:
        if person.hire_date is None:
            return False
        return add_months(person.hire_date, s.min_tenure_months) <= facts.period.end_date
    return True


def _weight(person: PersonFacts, s) -> Decimal:
    if s.weights == "grade":
        return s.grade_weights.get(person.level, ZERO)
    if s.weights == "score":
        return max(ZERO, person.kpi_score or ZERO)
    return Decimal(1)
