"""Performance bonus (绩效奖金), seed 001's core formula.

Bonus = base by level × coefficient by evaluation score × attainment, the
attainment (booked revenue / target) capped at 150 % by default and never
below 0. Default bases: newcomer 5,000, core 8,000; default coefficients:
score ≥ 90 → 1.2, [80, 90) → 1.0, [70, 80) → 0.8, < 70 → 0 (bands are
tenant settings; a band from 90 means ≥ 90).

A plan may ask for a minimum rating (e.g. "B"): a person whose final rating of
the period is below it, or who has none, gets a 0.00 line that says so.

Examples (DOMAIN.md): core, score 93.2, attainment 96 % → 8,000 × 1.2 × 96 %
= 9,216.00; newcomer, score 85.6, 90 % → 5,000 × 1.0 × 90 % = 4,500.00.

The score is the person's KPI total (``jili.schemes.kpi_total_score``). A
person without a base for their level, without a score or without a target
gets no line.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l

from jili.schemes import (
    LEVELS,
    N_,
    BandsField,
    CalculationContext,
    DecimalField,
    DecimalMapField,
    Explanation,
    Fact,
    OptionalDecimalField,
    OptionalTextField,
    PeriodFacts,
    PersonFacts,
    SchemeType,
    Step,
    band_for_percent,
    fmt_money,
    fmt_number,
    fmt_pct,
    fmt_ratio,
    make_bands,
    step_message,
)

HUNDRED = Decimal(100)
ZERO = Decimal(0)
# Words in the arithmetic (translated when read; see jili.schemes.Step).
CAPPED = step_message(N_("%(attainment)s (capped)"))
CAPPED_STEP = step_message(N_("%(base)s × %(coefficient)s × %(attainment)s (capped) = %(amount)s"))


class PerformanceBonus(SchemeType):
    """Base by level × coefficient by score × capped attainment."""

    key = "performance_bonus"
    label = _l("Performance bonus")
    description = _l("Base by level × coefficient by evaluation score × attainment (绩效奖金).")
    facts_needed = frozenset({Fact.SALES, Fact.TARGETS, Fact.KPI_SCORES, Fact.RATINGS})
    per_person = True
    settings_fields = (
        DecimalMapField(
            "level_bases",
            _l("Bonus base per level"),
            minimum=ZERO,
            default={"newcomer": "5000", "core": "8000"},
            keys=LEVELS,
        ),
        BandsField(
            "coefficient_bands",
            _l("Coefficient by score"),
            value_field=DecimalField(
                "coefficient", _l("Coefficient"), minimum=ZERO, maximum=Decimal(10)
            ),
            rising=True,
            default=[
                {"from_pct": "0", "coefficient": "0"},
                {"from_pct": "70", "coefficient": "0.8"},
                {"from_pct": "80", "coefficient": "1.0"},
                {"from_pct": "90", "coefficient": "1.2"},
            ],
            help_text=_l("A band from 90 covers scores ≥ 90 up to the next band."),
        ),
        OptionalDecimalField(
            "attainment_cap_pct",
            _l("Attainment cap (%)"),
            minimum=ZERO,
            default="150",
            help_text=_l("Empty: no cap."),
        ),
        OptionalTextField(
            "minimum_rating",
            _l("Minimum rating"),
            max_length=8,
            default="",
            help_text=_l(
                "A rating label such as B: people rated below it (or not rated) get nothing. "
                "Empty: ratings do not matter."
            ),
        ),
    )

    @classmethod
    def calculate(cls, facts: PeriodFacts, settings, context: CalculationContext):
        """One line per person with a base, a score and a target."""
        s = cls.load_settings(settings)
        bands = make_bands(s.coefficient_bands, "coefficient")
        lines = []
        for person in facts.people_sorted():
            base = s.level_bases.get(person.level)
            if base is None:
                continue  # a level the plan does not cover
            minimum = s.minimum_rating
            if minimum and not facts.rating_at_least(person.rating, minimum):
                lines.append(cls._below_minimum(person, base, minimum, context))
                continue
            if person.kpi_score is None or not person.target or person.target <= 0:
                lines.append(cls._nothing(person, base, context))
                continue
            lines.append(cls._line(person, base, bands, s.attainment_cap_pct, context))
        return lines

    @classmethod
    def _nothing(cls, person: PersonFacts, base, context):
        """The 0.00 line of a person without a score or a target, saying which."""
        if person.kpi_score is None:
            message = N_(
                "Level %(level)s base %(base)s; no evaluation score for the period: nothing to pay."
            )
        else:
            message = N_(
                "Level %(level)s base %(base)s; no revenue target for the period: nothing to pay."
            )
        explanation = Explanation(
            message,
            {"base": fmt_money(base, context.places)},
            {"level": person.level},
            (fmt_money(ZERO, context.places),),
        )
        return cls.line(context, person.person_id, ZERO, explanation)

    @classmethod
    def _below_minimum(cls, person: PersonFacts, base, minimum: str, context):
        """The 0.00 line of a person rated below the plan's minimum, or not rated."""
        if person.rating is None:
            message = N_(
                "Level %(level)s base %(base)s; the plan asks for a rating of at least "
                "%(minimum)s and there is no rating for the period: nothing to pay."
            )
        else:
            message = N_(
                "Level %(level)s base %(base)s; rating %(rating)s is below the plan's "
                "minimum rating %(minimum)s: nothing to pay."
            )
        explanation = Explanation(
            message,
            {
                "base": fmt_money(base, context.places),
                "rating": person.rating or "",
                "minimum": minimum,
            },
            {"level": person.level},
            (fmt_money(ZERO, context.places),),
        )
        return cls.line(context, person.person_id, ZERO, explanation)

    @classmethod
    def _line(cls, person: PersonFacts, base, bands, cap_pct, context):
        places = context.places
        band = band_for_percent(bands, person.kpi_score)
        actual, target = max(ZERO, person.booked_revenue), person.target
        capped = cap_pct is not None and actual * HUNDRED > cap_pct * target
        # Multiply before dividing so 8,000 × 1.2 × 480,000 / 500,000 stays exact.
        if capped:
            amount = base * band.value * cap_pct / HUNDRED
            attainment_shown = Step(CAPPED, attainment=fmt_pct(cap_pct))
            step = Step(
                CAPPED_STEP,
                base=fmt_money(base, places),
                coefficient=fmt_number(band.value),
                attainment=fmt_pct(cap_pct),
                amount=fmt_money(amount, places),
            )
        else:
            amount = base * band.value * actual / target
            attainment_shown = fmt_ratio(actual / target)
            step = (
                f"{fmt_money(base, places)} × {fmt_number(band.value)} × {attainment_shown}"
                f" = {fmt_money(amount, places)}"
            )
        explanation = Explanation(
            N_(
                "Level %(level)s base %(base)s; score %(score)s is in band %(band)s, "
                "coefficient %(coefficient)s; attainment %(attainment)s."
            ),
            {
                "base": fmt_money(base, places),
                "score": fmt_number(person.kpi_score),
                "coefficient": fmt_number(band.value),
                "attainment": attainment_shown,
                "sales": fmt_money(person.booked_revenue, places),
                "target": fmt_money(target, places),
            },
            {"level": person.level, "band": band.describe(percent=False)},
            (step,),
        )
        return cls.line(context, person.person_id, amount, explanation)
