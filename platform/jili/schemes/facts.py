"""Facts: what a period knows about each person and team, as plain data.

The core builds these once per period in a few grouped SQL queries (one row per
person, one per team, one per person × region × product line) and hands the
same :class:`PeriodFacts` to every enabled plan. Schemes read facts; they never
query. Every amount is a ``Decimal`` in the tenant's currency.
"""

from __future__ import annotations

import calendar
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from types import MappingProxyType

ZERO = Decimal(0)


class Basis(enum.StrEnum):
    """Which sales amount a scheme pays on."""

    BOOKED = "booked"  # booked revenue: deals signed in the period
    COLLECTED = "collected"  # cash collected in the period
    MARGIN = "margin"  # gross margin of the period's deals


class Fact(enum.StrEnum):
    """Groups of facts a scheme may ask for (``SchemeType.facts_needed``).

    The facts builder runs only the queries some enabled plan needs. The person
    row itself (level, team, hire date, mentor, base salary) is always there.
    """

    SALES = "sales"  # booked_revenue, collected_cash, margin, deal_count
    SALES_SLICES = "sales_slices"  # per region × product line, for coefficients
    TARGETS = "targets"  # target, collected_target, margin_target
    FIRST_DEALS = "first_deals"  # first_deal_date (ever, not only this period)
    KPI_SCORES = "kpi_scores"  # kpi_score: total evaluation score 0–100
    TEAMS = "teams"  # PeriodFacts.teams
    PROFIT = "profit"  # PeriodFacts.profit, entered by finance
    ONE_OFF_AWARDS = "one_off_awards"  # PeriodFacts.one_off_awards, set by approvers
    RATINGS = "ratings"  # rating: final evaluation rating; PeriodFacts.rating_labels


@dataclass(frozen=True, slots=True)
class SalesSlice:
    """One person's sales in one region and product line (for coefficients)."""

    region: str
    product_line: str
    booked_revenue: Decimal = ZERO
    collected_cash: Decimal = ZERO
    margin: Decimal = ZERO

    def amount(self, basis: Basis) -> Decimal:
        return _amount(self, basis)


@dataclass(frozen=True, slots=True)
class PersonFacts:
    """One person in one period. Sales are the person's credited shares, net of
    refunds (so they may be negative); a manager's row may include the team's
    roll-up when the builder decides so."""

    person_id: int
    level: str = "core"  # jili.models.Level value: newcomer, core, manager
    team_id: int | None = None
    hire_date: date | None = None
    mentor_id: int | None = None
    base_salary: Decimal = ZERO  # monthly
    booked_revenue: Decimal = ZERO
    collected_cash: Decimal = ZERO
    margin: Decimal = ZERO
    deal_count: int = 0
    first_deal_date: date | None = None  # the person's first deal ever
    target: Decimal | None = None  # booked-revenue target for the period
    collected_target: Decimal | None = None  # falls back to ``target``
    margin_target: Decimal | None = None
    kpi_score: Decimal | None = None  # total score, see jili.schemes.kpi
    slices: tuple[SalesSlice, ...] = ()
    employee_no: str = ""  # the person's natural key in the tenant
    name: str = ""
    rating: str | None = None  # final evaluation rating of the period (S, A, B, C …)

    @property
    def natural_key(self) -> tuple[str, str, int]:
        """What orders people and breaks ties (the odd cent of a split):
        employee number, then name — never the database id, which depends on
        creation order. The id comes last only for facts built without them."""
        return (self.employee_no, self.name, self.person_id)

    def amount(self, basis: Basis) -> Decimal:
        """The sales amount on ``basis``."""
        return _amount(self, basis)

    def target_for(self, basis: Basis) -> Decimal | None:
        """The target on ``basis``; collected cash is measured against the
        revenue target unless a collection target is set."""
        if basis is Basis.MARGIN:
            return self.margin_target
        if basis is Basis.COLLECTED and self.collected_target is not None:
            return self.collected_target
        return self.target

    @property
    def attainment(self) -> Decimal | None:
        """Booked revenue / target as a fraction (0.96 = 96 %); None without a
        positive target."""
        return attainment(self.booked_revenue, self.target)


@dataclass(frozen=True, slots=True)
class TeamFacts:
    """A team (region or group) in one period. ``member_ids`` are the people
    whose sales count for the team, sub-teams included when the builder rolls
    them up."""

    team_id: int
    name: str = ""
    kind: str = "group"  # jili.models.TeamKind value: region or group
    member_ids: tuple[int, ...] = ()
    target: Decimal | None = None  # on the basis of the plan that uses it
    booked_revenue: Decimal = ZERO
    collected_cash: Decimal = ZERO
    margin: Decimal = ZERO
    collaboration_score: Decimal | None = None

    def amount(self, basis: Basis) -> Decimal:
        return _amount(self, basis)


@dataclass(frozen=True, slots=True)
class OneOffAward:
    """An award an approver granted in the period (e.g. strategic client signed)."""

    person_id: int
    kind: str  # matches a kind configured on the special-awards plan
    amount: Decimal
    reason: str
    approved_by: str = ""


@dataclass(frozen=True, slots=True)
class PeriodInfo:
    """The period being calculated."""

    label: str  # e.g. "2024-Q3"
    kind: str  # year, quarter, month, week
    start_date: date
    end_date: date  # inclusive

    def contains(self, day: date | None) -> bool:
        return day is not None and self.start_date <= day <= self.end_date


@dataclass(frozen=True, slots=True)
class PeriodFacts:
    """Everything a scheme may read about one period of one tenant."""

    period: PeriodInfo
    people: Mapping[int, PersonFacts] = field(default_factory=dict)
    teams: Mapping[int, TeamFacts] = field(default_factory=dict)
    profit: Decimal | None = None  # entered by finance for this period
    one_off_awards: tuple[OneOffAward, ...] = ()
    rating_labels: tuple[str, ...] = ()  # the company's rating bands, best first

    def rating_at_least(self, rating: str | None, minimum: str) -> bool:
        """Whether ``rating`` is ``minimum`` or a better band (``rating_labels``
        order); no rating, or a label the company does not use, is not."""
        labels = list(self.rating_labels)
        if rating is None or rating not in labels or minimum not in labels:
            return False
        return labels.index(rating) <= labels.index(minimum)

    @classmethod
    def build(
        cls,
        period: PeriodInfo,
        people: list[PersonFacts] | tuple[PersonFacts, ...] = (),
        teams: list[TeamFacts] | tuple[TeamFacts, ...] = (),
        **kw,
    ) -> PeriodFacts:
        """Index ``people`` and ``teams`` by id (what a facts builder calls)."""
        by_person = {p.person_id: p for p in people}
        by_team = {t.team_id: t for t in teams}
        if len(by_person) != len(people) or len(by_team) != len(teams):
            raise ValueError("duplicate person or team id in facts")
        return cls(period, MappingProxyType(by_person), MappingProxyType(by_team), **kw)

    def with_person(self, changed: PersonFacts) -> PeriodFacts:
        """These facts with ``changed`` in place of the person of the same id,
        and every team that person counts for moved by the same difference in
        booked revenue, collected cash and margin (team targets stay). What the
        what-if simulator calculates on; see :meth:`SchemeType.prepare_one_person`."""
        old = self.people[changed.person_id]
        people = dict(self.people)
        people[changed.person_id] = changed
        teams = {k: shift_team(t, old, changed) for k, t in self.teams.items()}
        return PeriodFacts(
            self.period,
            MappingProxyType(people),
            MappingProxyType(teams),
            profit=self.profit,
            one_off_awards=self.one_off_awards,
            rating_labels=self.rating_labels,
        )

    def people_sorted(self) -> list[PersonFacts]:
        """People in natural-key order (employee number, then name), so results
        never depend on insertion order or on database ids."""
        return sorted(self.people.values(), key=_natural_key)

    def person_key(self, person_id: int) -> tuple:
        """The natural key of ``person_id`` (for ties in splits); a person not
        in the facts sorts by id after everyone who is."""
        person = self.people.get(person_id)
        if person is None:
            return ("\uffff", "", person_id)
        return person.natural_key


def shift_team(team: TeamFacts, old: PersonFacts, new: PersonFacts) -> TeamFacts:
    """``team`` with ``old``'s sales replaced by ``new``'s when that person counts
    for it (unchanged otherwise): each sum moves by ``new − old``, exactly as
    :meth:`PeriodFacts.with_person` moves it."""
    if new.person_id not in team.member_ids:
        return team
    return replace(
        team,
        booked_revenue=team.booked_revenue + (new.booked_revenue - old.booked_revenue),
        collected_cash=team.collected_cash + (new.collected_cash - old.collected_cash),
        margin=team.margin + (new.margin - old.margin),
    )


def _natural_key(person: PersonFacts) -> tuple[str, str, int]:
    return person.natural_key


def attainment(actual: Decimal, target: Decimal | None) -> Decimal | None:
    """``actual / target`` as a fraction, or None when there is no positive target."""
    if target is None or target <= 0:
        return None
    return actual / target


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, clamped to the month's end
    (31 January + 1 month = 29 February in a leap year)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _amount(row, basis: Basis) -> Decimal:
    if basis is Basis.BOOKED:
        return row.booked_revenue
    if basis is Basis.COLLECTED:
        return row.collected_cash
    if basis is Basis.MARGIN:
        return row.margin
    raise ValueError(f"unknown basis {basis!r}")
