"""A manager's team at a glance: the people of their team and every team under it
(and their direct reports: the statements' visibility rule), attainment to date in a
period, who is under 80 % and 70 %, and the team's provisional payout."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import or_, select

from jili.extensions import db
from jili.incentives.engine import PlanStatus, load_subtree, narrow, plans_for_period
from jili.incentives.engine.facts import build_facts_and_own, without_rollup
from jili.incentives.engine.runs import paid_once_keys
from jili.money import CURRENCIES
from jili.org.models import Person
from jili.periods.models import Period
from jili.schemes import CalculationContext, Fact
from jili.targets.services import is_published

ZERO = Decimal(0)
HUNDRED = Decimal(100)
YELLOW = Decimal(80)  # DOMAIN.md: yellow alert under 80 % of target
RED = Decimal(70)


def team_people(tenant_id: int, manager: Person) -> list[Person]:
    """The people a manager may see besides themselves: everyone in their team and
    the teams under it, and their direct reports (the same rule as statements)."""
    teams = load_subtree(tenant_id).get(manager.team_id, []) if manager.team_id else []
    condition = Person.manager_id == manager.id
    if teams:
        condition = or_(condition, Person.team_id.in_(teams))
    return list(
        db.session.scalars(
            select(Person)
            .where(Person.tenant_id == tenant_id, condition, Person.id != manager.id)
            .order_by(Person.employee_no)
        )
    )


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
class TeamPeriod:
    period: Period
    ranking: list[Attainment] = field(default_factory=list)  # with a target, best first
    without_target: list[Attainment] = field(default_factory=list)
    payout: Decimal = ZERO
    payout_by_plan: list[tuple[str, Decimal | None]] = field(default_factory=list)

    @property
    def under_80(self) -> list[Attainment]:
        return [a for a in self.ranking if RED <= a.pct < YELLOW]

    @property
    def under_70(self) -> list[Attainment]:
        return [a for a in self.ranking if a.pct < RED]


def team_period(tenant_id: int, currency: str, period: Period, people: list[Person]) -> TeamPeriod:
    """Each person's own booked revenue against their revenue target to date (no
    manager roll-up), and the team's provisional payout."""
    out = TeamPeriod(period=period)
    if not people:
        return out
    ids = frozenset(p.id for p in people)
    facts, _own = build_facts_and_own(
        tenant_id, period, frozenset({Fact.SALES, Fact.TARGETS}), only=ids
    )
    published = is_published(tenant_id, period.id)  # draft targets are not shown yet
    for person in people:
        row = facts.people.get(person.id)
        target = row.target if row and published else None
        a = Attainment(person, row.booked_revenue if row else ZERO, target)
        (out.ranking if a.pct is not None else out.without_target).append(a)
    out.ranking.sort(key=lambda a: (-a.pct, a.person.employee_no))
    out.payout_by_plan = team_estimate(tenant_id, currency, period, ids)
    out.payout = sum((a for _name, a in out.payout_by_plan if a is not None), ZERO)
    return out


def team_estimate(
    tenant_id: int, currency: str, period: Period, person_ids: frozenset[int]
) -> list[tuple[str, Decimal | None]]:
    """plan name → what ``person_ids`` would earn from it on today's facts: every
    active plan calculated once over the period's facts, as a run would (pools need
    the whole team), summed for these people. Before any budget ceiling; not stored."""
    entries = [e for e in plans_for_period(tenant_id, period) if e.status == PlanStatus.ACTIVE]
    if not entries:
        return []
    needed = frozenset().union(*(e.scheme.facts_needed for e in entries))
    facts, unrolled = build_facts_and_own(tenant_id, period, needed | {Fact.SALES, Fact.TARGETS})
    subtree = load_subtree(tenant_id)
    once = paid_once_keys(tenant_id, period.id)
    places = CURRENCIES.get(currency, 2)
    out = []
    for entry in entries:
        base = facts if entry.scheme.manager_rollup else without_rollup(facts, unrolled)
        scoped = narrow(base, entry.version.eligibility, subtree)
        context = CalculationContext(
            plan_key=entry.plan_key,
            places=places,
            currency=currency,
            paid_once_keys=once.get(entry.plan.id, frozenset()),
        )
        try:
            lines = entry.scheme.calculate(scoped, entry.version.settings, context)
        except Exception:  # noqa: BLE001  a plan refusing today's inputs: shown as unavailable
            out.append((entry.plan.name, None))
            continue
        total = sum((ln.amount for ln in lines if ln.person_id in person_ids), ZERO)
        out.append((entry.plan.name, total))
    return out
