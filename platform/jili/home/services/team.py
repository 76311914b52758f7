"""A manager's team at a glance: the people of their team and every team under it
and their direct reports (whom :mod:`jili.org.visibility` lets them see — the caller
passes them in), attainment to date in a period, who is under 80 % and 70 %, the
team's revenue by region and by product line, and the team's provisional payout
against its share of the period's budget ceiling.

**The team's share of the budget** is the ceiling the budget policy gives the whole
company on today's facts (a fixed sum, a percentage of revenue, and any extra released
above an attainment), multiplied by the team's credited revenue over the company's
credited revenue to date: the part of the ceiling the team's own sales "earn". When the
ceiling is a percentage of revenue this is that percentage of the team's revenue. With
no revenue booked yet in the company, nothing can be apportioned and no share is shown."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from sqlalchemy import func, select

from jili.extensions import db
from jili.incentives.engine.facts import build_facts_and_own
from jili.incentives.services.estimates import company_estimate
from jili.inputs.models import SalesCredit
from jili.money import CURRENCIES
from jili.org.models import Person
from jili.org.visibility import team_condition
from jili.periods.models import Period
from jili.schemes import Fact, PersonFacts
from jili.targets.services import is_published

ZERO = Decimal(0)
HUNDRED = Decimal(100)
YELLOW = Decimal(80)  # DOMAIN.md: yellow alert under 80 % of target
RED = Decimal(70)


#: The alert bands a manager sees: under 70 %, and from 70 % to under 80 %.
BANDS = ("under-70", "under-80")


def in_band(ranking: list[Attainment], band: str) -> list[Attainment]:
    """Who of ``ranking`` (best first) is in ``band``, the lowest attainment first."""
    low, high = (None, RED) if band == "under-70" else (RED, YELLOW)
    return [a for a in reversed(ranking) if (low is None or a.pct >= low) and a.pct < high]


@dataclass
class Attainment:
    person: Person
    actual: Decimal
    target: Decimal | None

    @property
    def pct(self) -> Decimal | None:
        if self.target is None or self.target <= 0:
            return None
        return self.actual / self.target * HUNDRED


@dataclass
class Slice:
    """The team's booked revenue in one region or product line ("" = not given),
    and what it adds to the team's attainment: revenue / the team's revenue target."""

    name: str
    revenue: Decimal
    pct: Decimal | None


@dataclass
class BudgetShare:
    ceiling: Decimal | None  # the company's ceiling on today's facts (None: no ceiling)
    company_revenue: Decimal
    team_revenue: Decimal

    @property
    def share(self) -> Decimal | None:
        if self.ceiling is None or self.company_revenue <= 0:
            return None
        return self.ceiling * max(self.team_revenue, ZERO) / self.company_revenue


@dataclass
class TeamPeriod:
    period: Period
    ranking: list[Attainment] = field(default_factory=list)  # with a target, best first
    without_target: list[Attainment] = field(default_factory=list)
    payout: Decimal = ZERO
    payout_by_plan: list[tuple[str, Decimal | None]] = field(default_factory=list)
    by_region: list[Slice] = field(default_factory=list)
    by_product: list[Slice] = field(default_factory=list)
    budget: BudgetShare | None = None
    places: int = 2

    @cached_property
    def under_80(self) -> list[Attainment]:
        return in_band(self.ranking, "under-80")

    @cached_property
    def under_70(self) -> list[Attainment]:
        return in_band(self.ranking, "under-70")

    @property
    def team_target(self) -> Decimal:
        return sum((a.target for a in self.ranking), ZERO)

    @property
    def team_revenue(self) -> Decimal:
        return sum((a.actual for a in self.ranking + self.without_target), ZERO)

    @property
    def team_pct(self) -> Decimal | None:
        target = self.team_target
        return self.team_revenue / target * HUNDRED if target > 0 else None

    @property
    def budget_share(self) -> Decimal | None:
        """The team's share of the ceiling in the currency's minor unit (shown, not stored)."""
        share = self.budget.share if self.budget else None
        if share is None:
            return None
        return share.quantize(Decimal(1).scaleb(-self.places), rounding=ROUND_HALF_UP)


def team_period(
    tenant_id: int, currency: str, period: Period, people: list[Person], manager: Person
) -> TeamPeriod:
    """Each person's own booked revenue against their revenue target to date (no
    manager roll-up), the team's revenue by region and product line, and the team's
    provisional payout against its share of the budget."""
    out = TeamPeriod(period=period, places=CURRENCIES.get(currency, 2))
    if not people:
        return out
    ids = frozenset(p.id for p in people)
    out.payout_by_plan, company, own = team_estimate(tenant_id, currency, period, ids)
    out.payout = sum((a for _name, a in out.payout_by_plan if a is not None), ZERO)
    out.ranking, out.without_target = _attainments(tenant_id, period, people, own)
    out.by_region, out.by_product = team_slices(
        tenant_id,
        period,
        manager,
        out.team_target,
        _cached_slices(tenant_id, currency, period, ids),
    )
    if company is not None:
        ceiling, revenue = company
        out.budget = BudgetShare(ceiling, revenue, out.team_revenue)
    return out


def team_ranking(
    tenant_id: int, currency: str, period: Period, people: list[Person]
) -> tuple[list[Attainment], list[Attainment]]:
    """(with a target, best first; without one): each of ``people``'s own booked
    revenue against their revenue target to date — from the estimate's cached facts
    when a plan is active, else the people's own facts alone."""
    company = company_estimate(tenant_id, currency, period) if people else None
    own = None
    if company is not None:
        own = {p.id: row for p in people if (row := company.own(p.id)) is not None}
    return _attainments(tenant_id, period, people, own)


def _attainments(tenant_id, period, people, own) -> tuple[list[Attainment], list[Attainment]]:
    if not people:
        return [], []
    if own is None:  # no plan calculated: read only these people's own sales and targets
        ids = frozenset(p.id for p in people)
        facts, _rolled = build_facts_and_own(
            tenant_id, period, frozenset({Fact.SALES, Fact.TARGETS}), only=ids
        )
        own = facts.people
    published = is_published(tenant_id, period.id)  # draft targets are not shown yet
    ranking: list[Attainment] = []
    without: list[Attainment] = []
    for person in people:
        row = own.get(person.id)
        target = row.target if row and published else None
        a = Attainment(person, row.booked_revenue if row else ZERO, target)
        (ranking if a.pct is not None else without).append(a)
    ranking.sort(key=lambda a: (-a.pct, a.person.employee_no))
    return ranking, without


def _cached_slices(tenant_id: int, currency: str, period: Period, ids: frozenset[int]):
    """(region, product line, revenue) of each of ``ids`` from the estimate's cached
    facts, when they carry slices (a plan reads them); None: read them in SQL."""
    company = company_estimate(tenant_id, currency, period)
    if company is None or not company.has_slices:
        return None
    people = company.facts.people
    return [
        (s.region, s.product_line, s.booked_revenue)
        for pid in ids
        if pid in people
        for s in people[pid].slices
    ]


def team_slices(
    tenant_id: int, period: Period, manager: Person, team_target: Decimal, rows=None
) -> tuple[list[Slice], list[Slice]]:
    """The team's credited revenue in the period by region and by product line:
    one grouped query over the credits of the manager's people (the visibility
    rule's condition, the manager excluded), largest first, then by name — or the
    same sums from ``rows`` (:func:`_cached_slices`), each person's own."""
    if rows is None:
        rows = _slice_rows(tenant_id, period, manager)
    regions: dict[str, Decimal] = {}
    products: dict[str, Decimal] = {}
    for region, product, amount in rows:
        amount = Decimal(amount or 0)
        regions[region or ""] = regions.get(region or "", ZERO) + amount
        products[product or ""] = products.get(product or "", ZERO) + amount

    def slices(sums: dict[str, Decimal]) -> list[Slice]:
        out = [
            Slice(name, amount, amount / team_target * HUNDRED if team_target > 0 else None)
            for name, amount in sums.items()
        ]
        return sorted(out, key=lambda s: (-s.revenue, s.name))

    return slices(regions), slices(products)


def _slice_rows(tenant_id: int, period: Period, manager: Person) -> list:
    team = select(Person.id).where(
        Person.tenant_id == tenant_id, team_condition(manager), Person.id != manager.id
    )
    return db.session.execute(
        # The team's people first, then each one's credits by the person × date
        # index: a small team reads its own credits, not the company's.
        select(SalesCredit.region, SalesCredit.product_line, func.sum(SalesCredit.amount))
        .where(
            SalesCredit.tenant_id == tenant_id,
            SalesCredit.person_id.in_(team),
            SalesCredit.deal_date >= period.start_date,
            SalesCredit.deal_date <= period.end_date,
        )
        .group_by(SalesCredit.region, SalesCredit.product_line)
    ).all()


def team_estimate(
    tenant_id: int, currency: str, period: Period, person_ids: frozenset[int]
) -> tuple[
    list[tuple[str, Decimal | None]],
    tuple[Decimal | None, Decimal] | None,
    dict[int, PersonFacts] | None,
]:
    """plan name → what ``person_ids`` would earn from it on today's facts: every
    active plan calculated over the period's facts, as a run would (pools need
    the whole company), summed for these people — calculated once per inputs
    stamp (:func:`jili.incentives.services.estimates.company_estimate`), so a
    page view reads sums. Before any budget ceiling; not stored.
    Also the company's ceiling on today's facts and its credited revenue, and each
    person's facts with their own sales (no manager roll-up) — None when no plan is
    active, and nothing is read."""
    company = company_estimate(tenant_id, currency, period)
    if company is None:
        return [], None, None
    out = []
    for result in company.plans.values():
        if result.problem:
            out.append((result.plan_name, None))  # a plan refusing today's inputs
        else:
            out.append((result.plan_name, result.total(person_ids)))
    own = {pid: p for pid in person_ids if (p := company.own(pid)) is not None}
    return out, (company.ceiling, company.revenue), own
