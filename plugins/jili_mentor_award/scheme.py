"""Mentor award (师徒制): rewards for a newcomer's first deal and early target.

- When a newcomer (hired at most ``newcomer_months`` before, default 6) closes
  a first deal, the mentor gets the talent-spotter award (伯乐奖) and the
  newcomer the ice-breaking award (破冰奖, 1,000 in seed 001).
- When the newcomer reaches target (booked revenue ≥ target) in a period that
  ends within ``training_within_months`` (default 3) of the hire date, mentor
  and newcomer each get a training fund.

Each award is paid once, in the period of the event: the first deal must fall
in the period, and every line carries a ``once_key`` (``bole:<newcomer>``,
``icebreaker:<newcomer>``, ``training_fund:mentor:<newcomer>``,
``training_fund:newcomer:<newcomer>``); keys found in
``context.paid_once_keys`` are not paid again. An award set to 0 is off.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l

from jili.schemes import (
    N_,
    CalculationContext,
    DecimalField,
    Explanation,
    Fact,
    IntField,
    PeriodFacts,
    PersonFacts,
    SchemeType,
    add_months,
    fmt_money,
    fmt_ratio,
)

ZERO = Decimal(0)


class MentorAward(SchemeType):
    """Awards to mentor and newcomer for the newcomer's first deal and early target."""

    key = "mentor_award"
    label = _l("Mentor award")
    description = _l(
        "伯乐奖 and 破冰奖 on a newcomer's first deal; a training fund for early target."
    )
    facts_needed = frozenset({Fact.SALES, Fact.TARGETS, Fact.FIRST_DEALS})
    settings_fields = (
        DecimalField(
            "bole_amount",
            _l("Talent-spotter award (伯乐奖) to the mentor"),
            minimum=ZERO,
            default="1000",
        ),
        DecimalField(
            "icebreaker_amount",
            _l("Ice-breaking award (破冰奖) to the newcomer"),
            minimum=ZERO,
            default="1000",
        ),
        DecimalField(
            "training_fund_amount",
            _l("Training fund, to each of mentor and newcomer"),
            minimum=ZERO,
            default="2000",
        ),
        IntField(
            "training_within_months",
            _l("Target reached within (months of hire)"),
            minimum=1,
            maximum=24,
            default=3,
        ),
        IntField(
            "newcomer_months",
            _l("A newcomer for (months after hire)"),
            minimum=1,
            maximum=36,
            default=6,
        ),
    )

    @classmethod
    def calculate(cls, facts: PeriodFacts, settings, context: CalculationContext):
        """Lines only for events in this period that were not paid before."""
        s = cls.load_settings(settings)
        lines = []
        for person in facts.people_sorted():
            if person.hire_date is None:
                continue
            own = [
                line
                for line in (
                    *cls._first_deal(facts, person, s, context),
                    *cls._training_fund(facts, person, s, context),
                )
                if line.once_key not in context.paid_once_keys
            ]
            if not own and _newcomer_in(facts, person, s):
                own = [cls._nothing(facts, person, s, context)]
            lines.extend(own)
        return lines

    @classmethod
    def prepare_one_person(cls, facts: PeriodFacts, settings, context: CalculationContext):
        """The simulator's fast path: what everyone's events pay each person,
        once; a changed person then gets what others' events (a mentee's first
        deal or early target) pay them, plus what their own events pay them."""
        s = cls.load_settings(settings)
        received: dict[int, Decimal] = {}  # recipient → paid by everyone's events
        by_own: dict[int, Decimal] = {}  # person → paid to them by their own events
        for person in facts.people.values():
            for line in cls._events(facts, person, s, context):
                received[line.person_id] = received.get(line.person_id, ZERO) + line.amount
                if line.person_id == person.person_id:
                    by_own[line.person_id] = by_own.get(line.person_id, ZERO) + line.amount

        def pay(changed: PersonFacts) -> Decimal:
            pid = changed.person_id
            from_others = received.get(pid, ZERO) - by_own.get(pid, ZERO)
            own = cls._events(facts, changed, s, context)
            return from_others + sum((x.amount for x in own if x.person_id == pid), ZERO)

        return pay

    @classmethod
    def _events(cls, facts, person: PersonFacts, s, context):
        """The award lines ``person``'s own first deal and attainment pay, to them
        and to their mentor, less those already paid (as :meth:`calculate`)."""
        if person.hire_date is None:
            return []
        return [
            line
            for line in (
                *cls._first_deal(facts, person, s, context),
                *cls._training_fund(facts, person, s, context),
            )
            if line.once_key not in context.paid_once_keys
        ]

    @classmethod
    def _nothing(cls, facts, person: PersonFacts, s, context):
        """The 0.00 line of a newcomer still in the award window who won nothing."""
        attainment = person.attainment
        explanation = Explanation(
            N_(
                "Newcomer %(newcomer)s (hired %(hire_date)s): no award due this period — "
                "first deal %(first_deal_date)s (its awards are paid once, in the period of "
                "the deal), attainment %(attainment)s (the training fund needs 100 %% by "
                "%(deadline)s)."
            ),
            {
                "newcomer": str(person.person_id),
                "hire_date": person.hire_date.isoformat(),
                "first_deal_date": person.first_deal_date.isoformat()
                if person.first_deal_date
                else "—",
                "attainment": fmt_ratio(attainment) if attainment is not None else "—",
                "deadline": add_months(person.hire_date, s.training_within_months).isoformat(),
            },
            {},
            (fmt_money(ZERO, context.places),),
        )
        return cls.line(context, person.person_id, ZERO, explanation)

    @classmethod
    def _first_deal(cls, facts, person: PersonFacts, s, context):
        first = person.first_deal_date
        if not facts.period.contains(first):
            return []
        newcomer_until = add_months(person.hire_date, s.newcomer_months)
        if not person.hire_date <= first <= newcomer_until:
            return []
        pid = person.person_id
        inputs = {
            "newcomer": str(pid),
            "hire_date": person.hire_date.isoformat(),
            "first_deal_date": first.isoformat(),
        }
        lines = []
        if s.icebreaker_amount > 0:
            explanation = Explanation(
                N_(
                    "Newcomer %(newcomer)s (hired %(hire_date)s) closed a first deal on %(first_deal_date)s: ice-breaking award."
                ),
                inputs,
                {"award": N_("ice-breaking award (破冰奖)")},
                (fmt_money(s.icebreaker_amount, context.places),),
            )
            lines.append(
                cls.line(
                    context,
                    pid,
                    s.icebreaker_amount,
                    explanation,
                    component="icebreaker",
                    once_key=f"icebreaker:{pid}",
                )
            )
        if person.mentor_id is not None and s.bole_amount > 0:
            explanation = Explanation(
                N_(
                    "Your mentee %(newcomer)s (hired %(hire_date)s) closed a first deal on %(first_deal_date)s: talent-spotter award."
                ),
                inputs,
                {"award": N_("talent-spotter award (伯乐奖)")},
                (fmt_money(s.bole_amount, context.places),),
            )
            lines.append(
                cls.line(
                    context,
                    person.mentor_id,
                    s.bole_amount,
                    explanation,
                    component="bole",
                    once_key=f"bole:{pid}",
                )
            )
        return lines

    @classmethod
    def _training_fund(cls, facts, person: PersonFacts, s, context):
        attainment = person.attainment
        if attainment is None or attainment < 1 or s.training_fund_amount <= 0:
            return []
        deadline = add_months(person.hire_date, s.training_within_months)
        if facts.period.end_date > deadline or facts.period.end_date < person.hire_date:
            return []
        pid = person.person_id
        inputs = {
            "newcomer": str(pid),
            "hire_date": person.hire_date.isoformat(),
            "attainment": fmt_ratio(attainment),
            "deadline": deadline.isoformat(),
            "months": str(s.training_within_months),
        }
        rule = {"award": N_("training fund")}
        step = (fmt_money(s.training_fund_amount, context.places),)
        message = N_(
            "Newcomer %(newcomer)s (hired %(hire_date)s) reached %(attainment)s of target "
            "within %(months)s months (by %(deadline)s): training fund."
        )
        recipients = [(pid, "newcomer")]
        if person.mentor_id is not None:
            recipients.append((person.mentor_id, "mentor"))
        return [
            cls.line(
                context,
                recipient,
                s.training_fund_amount,
                Explanation(message, inputs, rule, step),
                component=f"training_fund_{role}",
                once_key=f"training_fund:{role}:{pid}",
            )
            for recipient, role in recipients
        ]


def _newcomer_in(facts, person: PersonFacts, s) -> bool:
    """Whether the period overlaps the person's award window: from the hire
    date to the later of the newcomer window and the training-fund deadline."""
    until = max(
        add_months(person.hire_date, s.newcomer_months),
        add_months(person.hire_date, s.training_within_months),
    )
    return person.hire_date <= facts.period.end_date and facts.period.start_date <= until
