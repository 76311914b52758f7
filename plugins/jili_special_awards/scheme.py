"""Special awards (专项奖励): three independent rules, each may be switched off.

- *Over-target bonus*: when booked revenue exceeds the target by more than
  X % (strictly), Y % of the whole amount over target. Target 1,000,000,
  X 10 %, Y 2 %: sales 1,150,000 → 2 % × 150,000 = 3,000.00; sales
  1,080,000 → nothing.
- *One-off awards* set by an approver (e.g. strategic client signed,
  5,000–20,000), passed in as ``PeriodFacts.one_off_awards``, each with a
  reason. An award of an unknown kind, outside its range or without a reason
  fails the run (``SchemeInputError``); the entry form should check it first
  with :meth:`SpecialAwards.one_off_errors`.
- *Attainment award*: attainment ≥ X % (default 80) → Y % (default 10) of the
  monthly base salary (seed 002's quarterly 达标奖).

Lines are only made for awards won.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l

from jili.schemes import (
    N_,
    BoolField,
    CalculationContext,
    DecimalField,
    Explanation,
    Fact,
    OneOffAward,
    OptionalTextField,
    PercentField,
    PeriodFacts,
    PersonFacts,
    RecordListField,
    SchemeInputError,
    SchemeType,
    Settings,
    Step,
    TextField,
    fmt_money,
    fmt_pct,
    fmt_ratio,
    step_message,
)

HUNDRED = Decimal(100)
ZERO = Decimal(0)
# Words in the arithmetic (translated when read; see jili.schemes.Step).
RANGE_STEP = step_message(N_("%(amount)s (range %(minimum)s – %(maximum)s)"))


class SpecialAwards(SchemeType):
    """Over-target bonus, approver-set one-off awards and an attainment award."""

    key = "special_awards"
    label = _l("Special awards")
    description = _l(
        "Over-target bonus, one-off awards with a reason, attainment award (专项奖励)."
    )
    facts_needed = frozenset({Fact.SALES, Fact.TARGETS, Fact.ONE_OFF_AWARDS, Fact.RATINGS})
    per_person = True
    settings_fields = (
        BoolField("over_target_enabled", _l("Over-target bonus"), default=True),
        PercentField(
            "over_target_threshold_pct",
            _l("Paid when over target by more than (%)"),
            minimum=ZERO,
            default="10",
        ),
        PercentField(
            "over_target_rate_pct",
            _l("Rate on the amount over target (%)"),
            minimum=ZERO,
            maximum=HUNDRED,
            default="2",
        ),
        RecordListField(
            "one_off_kinds",
            _l("One-off awards an approver may grant"),
            fields=(
                TextField("key", _l("Key"), max_length=40),
                TextField("label", _l("Name")),
                DecimalField("minimum", _l("Minimum"), minimum=ZERO),
                DecimalField("maximum", _l("Maximum"), minimum=ZERO),
            ),
            default=[
                {
                    "key": "strategic_client",
                    "label": "Strategic client signed",
                    "minimum": "5000",
                    "maximum": "20000",
                }
            ],
        ),
        BoolField("attainment_award_enabled", _l("Attainment award"), default=True),
        PercentField(
            "attainment_award_from_pct",
            _l("Attainment award from (≥ %)"),
            minimum=ZERO,
            default="80",
        ),
        PercentField(
            "attainment_award_salary_pct",
            _l("Attainment award (%), on the monthly base salary"),
            minimum=ZERO,
            default="10",
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
    def check_settings(cls, settings: Settings) -> dict:
        errors, seen = {}, set()
        for i, kind in enumerate(settings.one_off_kinds):
            if kind.key in seen:
                errors[f"one_off_kinds[{i}].key"] = _l("Each award needs its own key.")
            seen.add(kind.key)
            if kind.maximum < kind.minimum:
                errors[f"one_off_kinds[{i}].maximum"] = _l("Must not be below the minimum.")
        return errors

    @classmethod
    def one_off_errors(cls, award: OneOffAward, settings) -> dict[str, str]:
        """Field → message for an approver's award under these plan settings
        (empty when it may be paid)."""
        s = cls.load_settings(settings)
        return _one_off_errors(award, {k.key: k for k in s.one_off_kinds})

    @classmethod
    def calculate(cls, facts: PeriodFacts, settings, context: CalculationContext):
        """Lines for the awards won in the period, in person order."""
        s = cls.load_settings(settings)
        lines = []
        for person in facts.people_sorted():
            own = []
            if s.minimum_rating and not facts.rating_at_least(person.rating, s.minimum_rating):
                if s.over_target_enabled or s.attainment_award_enabled:
                    lines.append(cls._below_minimum(person, s.minimum_rating, context))
                continue
            if s.over_target_enabled:
                own.extend(cls._over_target(person, s, context))
            if s.attainment_award_enabled:
                own.extend(cls._attainment_award(person, s, context))
            if not own and (s.over_target_enabled or s.attainment_award_enabled):
                own.append(cls._nothing(person, s, context))
            lines.extend(own)
        lines.extend(cls._one_offs(facts, s, context))
        awarded = {line.person_id for line in lines if line.amount}
        # A one-off award says enough: no 0.00 line beside it.
        lines = [line for line in lines if line.amount or line.person_id not in awarded]
        return sorted(lines, key=lambda line: (facts.person_key(line.person_id), line.component))

    @classmethod
    def _below_minimum(cls, person: PersonFacts, minimum: str, context):
        """The 0.00 line of a person rated below the plan's minimum (or not rated):
        no over-target or attainment award; an approver's one-off award still pays."""
        if person.rating is None:
            message = N_(
                "The plan asks for a rating of at least %(minimum)s and there is no rating "
                "for the period: no award, nothing to pay."
            )
        else:
            message = N_(
                "Rating %(rating)s is below the plan's minimum rating %(minimum)s: "
                "no award, nothing to pay."
            )
        explanation = Explanation(
            message,
            {"rating": person.rating or "", "minimum": minimum},
            {},
            (fmt_money(ZERO, context.places),),
        )
        return cls.line(context, person.person_id, ZERO, explanation)

    @classmethod
    def _nothing(cls, person: PersonFacts, s, context):
        """The 0.00 line of a person who won no award, with the thresholds."""
        target, actual = person.target, person.booked_revenue
        places = context.places
        thresholds = []
        if s.over_target_enabled:
            thresholds.append(f"> {fmt_pct(HUNDRED + s.over_target_threshold_pct)}")
        if s.attainment_award_enabled:
            thresholds.append(f"≥ {fmt_pct(s.attainment_award_from_pct)}")
        inputs = {"sales": fmt_money(actual, places)}
        if target is None or target <= 0:
            message = N_("No revenue target for the period: no award, nothing to pay.")
        elif s.attainment_award_enabled and person.base_salary <= 0 and not s.over_target_enabled:
            message = N_("No monthly base salary to pay the attainment award on: nothing to pay.")
        else:
            message = N_(
                "Attainment %(attainment)s (sales %(sales)s against target %(target)s) "
                "reaches no award (%(thresholds)s): nothing to pay."
            )
            inputs |= {
                "target": fmt_money(target, places),
                "attainment": fmt_ratio(actual / target),
            }
        explanation = Explanation(
            message, inputs, {"thresholds": "; ".join(thresholds)}, (fmt_money(ZERO, places),)
        )
        return cls.line(context, person.person_id, ZERO, explanation)

    @classmethod
    def _over_target(cls, person: PersonFacts, s, context):
        target, actual = person.target, person.booked_revenue
        if target is None or target <= 0:
            return []
        if actual * HUNDRED <= target * (HUNDRED + s.over_target_threshold_pct):
            return []
        over = actual - target
        amount = over * s.over_target_rate_pct / HUNDRED
        places = context.places
        explanation = Explanation(
            N_(
                "Sales %(sales)s are %(attainment)s of target %(target)s, more than "
                "%(threshold)s over: %(rate)s of the amount over target."
            ),
            {
                "sales": fmt_money(actual, places),
                "target": fmt_money(target, places),
                "attainment": fmt_ratio(actual / target),
            },
            {
                "threshold": fmt_pct(s.over_target_threshold_pct),
                "rate": fmt_pct(s.over_target_rate_pct),
            },
            (
                f"({fmt_money(actual, places)} − {fmt_money(target, places)}) × "
                f"{fmt_pct(s.over_target_rate_pct)} = {fmt_money(amount, places)}",
            ),
        )
        return [cls.line(context, person.person_id, amount, explanation, component="over_target")]

    @classmethod
    def _attainment_award(cls, person: PersonFacts, s, context):
        target, actual = person.target, person.booked_revenue
        if target is None or target <= 0 or person.base_salary <= 0:
            return []
        if actual * HUNDRED < target * s.attainment_award_from_pct:
            return []
        amount = person.base_salary * s.attainment_award_salary_pct / HUNDRED
        places = context.places
        explanation = Explanation(
            N_(
                "Attainment %(attainment)s reaches %(threshold)s: %(share)s of the monthly base salary %(salary)s."
            ),
            {
                "attainment": fmt_ratio(actual / target),
                "salary": fmt_money(person.base_salary, places),
            },
            {
                "threshold": f"≥ {fmt_pct(s.attainment_award_from_pct)}",
                "share": fmt_pct(s.attainment_award_salary_pct),
            },
            (
                f"{fmt_money(person.base_salary, places)} × {fmt_pct(s.attainment_award_salary_pct)}"
                f" = {fmt_money(amount, places)}",
            ),
        )
        return [
            cls.line(context, person.person_id, amount, explanation, component="attainment_award")
        ]

    @classmethod
    def _one_offs(cls, facts: PeriodFacts, s, context):
        kinds = {k.key: k for k in s.one_off_kinds}
        lines = []
        awards = sorted(
            facts.one_off_awards,
            key=lambda a: (facts.person_key(a.person_id), a.kind, a.amount, a.reason),
        )
        for award in awards:
            errors = _one_off_errors(award, kinds)
            if errors:
                raise SchemeInputError(
                    f"one-off award {award.kind!r} for person {award.person_id}: "
                    + "; ".join(f"{k}: {v}" for k, v in errors.items())
                )
            kind = kinds[award.kind]
            explanation = Explanation(
                N_("%(award)s, granted by %(approver)s: %(reason)s"),
                {
                    "approver": award.approved_by or "—",
                    "reason": award.reason,
                    "amount": fmt_money(award.amount, context.places),
                },
                {
                    "award": kind.label,
                    "range": f"{fmt_money(kind.minimum)} – {fmt_money(kind.maximum)}",
                },
                (
                    Step(
                        RANGE_STEP,
                        amount=fmt_money(award.amount, context.places),
                        minimum=fmt_money(kind.minimum),
                        maximum=fmt_money(kind.maximum),
                    ),
                ),
            )
            lines.append(
                cls.line(
                    context,
                    award.person_id,
                    award.amount,
                    explanation,
                    component=f"one_off:{award.kind}",
                )
            )
        return lines


def _one_off_errors(award: OneOffAward, kinds: dict) -> dict[str, str]:
    errors = {}
    kind = kinds.get(award.kind)
    if kind is None:
        errors["kind"] = str(_l("Not an award of this plan."))
    elif not kind.minimum <= award.amount <= kind.maximum:
        errors["amount"] = str(
            _l("Between %(lo)s and %(hi)s.", lo=fmt_money(kind.minimum), hi=fmt_money(kind.maximum))
        )
    if not award.reason.strip():
        errors["reason"] = str(_l("Give the reason for the award."))
    return errors
