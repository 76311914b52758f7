"""Paying one changed person against the rest of the company.

The what-if simulator varies one person's facts (their sales at 0 %, 10 % …
200 % of a target) and asks what that person would earn. The plain answer is
to calculate the whole company again for every point — what
:func:`full_recalculation` does, and what every scheme gets by default — but
a pool at 10,000 people makes that seconds per point. A scheme may instead
override :meth:`jili.schemes.SchemeType.prepare_one_person` to work out "the
rest of the company" once (a team's other members, the pool's other weights,
the awards mentees bring their mentor) and return a :data:`OnePersonPayout`
that pays one changed person cheaply.

The contract, for any ``changed`` person whose id is in ``facts.people``::

    prepare_one_person(facts, settings, context)(changed)
        == sum(line.amount for line in calculate(facts.with_person(changed), settings, context)
               if line.person_id == changed.person_id)

exactly, as ``Decimal`` (``tests/schemes/test_one_person.py`` holds every
built-in scheme to it). :meth:`PeriodFacts.with_person` moves the sums of every
team the person counts for by the same difference.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from jili.schemes.facts import PeriodFacts, PersonFacts

if TYPE_CHECKING:
    from jili.schemes.base import CalculationContext

ZERO = Decimal(0)

#: What ``prepare_one_person`` returns: the changed person's facts → what they earn.
OnePersonPayout = Callable[[PersonFacts], Decimal]


def paid_to(lines, person_id: int) -> Decimal:
    """The sum of ``lines`` paid to ``person_id``."""
    return sum((line.amount for line in lines if line.person_id == person_id), ZERO)


def full_recalculation(
    scheme: Any, facts: PeriodFacts, settings: Mapping[str, Any], context: CalculationContext
) -> OnePersonPayout:
    """The whole company calculated again for each changed person (the default
    for schemes that are not ``per_person``: always right, slow for a pool)."""

    def pay(changed: PersonFacts) -> Decimal:
        if changed.person_id not in facts.people:
            raise KeyError(changed.person_id)
        lines = scheme.calculate(facts.with_person(changed), settings, context)
        return paid_to(lines, changed.person_id)

    return pay


def alone(
    scheme: Any, facts: PeriodFacts, settings: Mapping[str, Any], context: CalculationContext
) -> OnePersonPayout:
    """The changed person calculated alone: for ``per_person`` schemes, whose
    lines depend on the person's own facts only. The period, the profit, the
    rating labels and the teams stay; of the one-off awards, the person's own.
    Everyone's awards are calculated once first (with nobody's facts), so an
    award the scheme refuses fails here as it fails the company's calculation."""
    if facts.one_off_awards:
        scheme.calculate(_only(facts, {}, facts.one_off_awards), settings, context)
    awards: dict[int, tuple] = {}
    for award in facts.one_off_awards:
        awards[award.person_id] = (*awards.get(award.person_id, ()), award)

    def pay(changed: PersonFacts) -> Decimal:
        if changed.person_id not in facts.people:
            raise KeyError(changed.person_id)
        one = _only(facts, {changed.person_id: changed}, awards.get(changed.person_id, ()))
        return paid_to(scheme.calculate(one, settings, context), changed.person_id)

    return pay


def _only(facts: PeriodFacts, people: dict, awards: tuple) -> PeriodFacts:
    return PeriodFacts(
        facts.period,
        MappingProxyType(people),
        facts.teams,
        profit=facts.profit,
        one_off_awards=awards,
        rating_labels=facts.rating_labels,
    )
