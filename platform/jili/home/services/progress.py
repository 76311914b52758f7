"""A person's progress in the current periods: targets against actuals to date, the
pace needed per remaining working day, and a provisional estimate of earnings.

The estimate runs each plan's scheme on today's facts of that one person (the same
path as the what-if simulator) and is never stored as a run: it is before any budget
ceiling and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from jili.extensions import db
from jili.incentives.engine import latest_run, load_subtree, narrow
from jili.incentives.engine import run_lines as engine_run_lines
from jili.incentives.engine.facts import build_facts_and_own
from jili.incentives.engine.runs import paid_once_keys
from jili.incentives.models import CalculationRun, PayoutLineRecord, RunKind
from jili.incentives.services.estimates import active_entries, basis_of, company_estimate
from jili.incentives.services.simulator import payout_for
from jili.inputs.models import SalesTarget
from jili.money import CURRENCIES
from jili.org.models import Level, Person
from jili.periods.models import Period, PeriodKind, PeriodStatus
from jili.schemes import CalculationContext, Fact, PeriodFacts
from jili.targets.services import is_published, working_days_between
from jili.targets.services import person_progress as target_progress

ZERO = Decimal(0)
HUNDRED = Decimal(100)
PUBLISHED = (PeriodStatus.PUBLISHED, PeriodStatus.CLOSED)
HOME_KINDS = (PeriodKind.MONTH, PeriodKind.QUARTER)


def tenant_today(timezone: str) -> date:
    """Today in the company's time zone (UTC when the zone is unknown)."""
    try:
        return datetime.now(ZoneInfo(timezone)).date()
    except (ZoneInfoNotFoundError, ValueError):
        return datetime.now(ZoneInfo("UTC")).date()


def working_days(start: date, end: date, tenant_id: int = 0) -> int:
    """Working days from ``start`` to ``end`` inclusive (the tenant's calendar
    through :func:`jili.targets.services.working_days_between`)."""
    return working_days_between(tenant_id, start - timedelta(days=1), end)


def current_periods(tenant_id: int, today: date, person_id: int | None = None) -> list[Period]:
    """The open month and quarter to show on a home page: for each kind, the open
    period containing today; failing that, the latest started open period (where the
    person has a target, when there is one). Quarter first, then month."""
    open_periods = list(
        db.session.scalars(
            select(Period).where(
                Period.tenant_id == tenant_id,
                Period.status == PeriodStatus.OPEN,
                Period.kind.in_(HOME_KINDS),
                Period.start_date <= today,
            )
        )
    )
    with_target: set[int] = set()
    if person_id is not None and open_periods:
        with_target = set(
            db.session.scalars(
                select(SalesTarget.period_id).where(
                    SalesTarget.tenant_id == tenant_id,
                    SalesTarget.person_id == person_id,
                    SalesTarget.period_id.in_([p.id for p in open_periods]),
                )
            )
        )
    out = []
    for kind in (PeriodKind.QUARTER, PeriodKind.MONTH):
        of_kind = [p for p in open_periods if p.kind == kind]
        if not of_kind:
            continue
        out.append(
            max(
                of_kind,
                key=lambda p: (
                    p.start_date <= today <= p.end_date,
                    p.id in with_target,
                    p.start_date,
                ),
            )
        )
    return out


@dataclass
class TargetProgress:
    """One target of a period: what it measures, the target, the actual to date."""

    measure: str  # a metric code: revenue, collected, margin, deals, …
    target: Decimal
    actual: Decimal
    label: str = ""
    is_money: bool = True

    @property
    def pct(self) -> Decimal:
        return self.actual / self.target * HUNDRED if self.target > 0 else ZERO

    @property
    def remaining(self) -> Decimal:
        return max(self.target - self.actual, ZERO)


@dataclass
class PlanEstimate:
    plan_id: int
    plan_name: str
    amount: Decimal | None  # None: the plan could not be estimated (``problem``)
    problem: str = ""


@dataclass
class PeriodProgress:
    period: Period
    targets: list[TargetProgress] = field(default_factory=list)
    working_days_left: int = 0
    estimates: list[PlanEstimate] = field(default_factory=list)

    @property
    def estimate_total(self) -> Decimal:
        return sum((e.amount for e in self.estimates if e.amount is not None), ZERO)

    def pace(self, target: TargetProgress) -> Decimal | None:
        """What is still needed per remaining working day; None when none are left."""
        if self.working_days_left <= 0:
            return None
        return target.remaining / self.working_days_left


def person_progress(
    tenant_id: int, currency: str, person: Person, period: Period, today: date
) -> PeriodProgress:
    """Published targets, actuals to date (:mod:`jili.targets`) and the provisional
    estimate of ``person`` in ``period``."""
    out = PeriodProgress(period=period)
    start = max(today, period.start_date)
    out.working_days_left = (
        working_days(start, period.end_date, tenant_id) if today <= period.end_date else 0
    )
    if is_published(tenant_id, period.id):
        for p in target_progress(tenant_id, period, person.id, today):
            if p.target > 0:
                out.targets.append(
                    TargetProgress(p.metric, p.target, p.actual, p.label, p.is_money)
                )
    out.estimates = estimate(tenant_id, currency, person, period)
    return out


def estimate(tenant_id: int, currency: str, person: Person, period: Period) -> list[PlanEstimate]:
    """What ``person`` would earn from each active plan of ``period`` on today's facts.

    When every plan is per person (and the person is not a manager, whose row
    rolls up their teams'), only that person's facts are read. Otherwise a pool,
    a ranking or a mentor award needs the company: the period's plans are
    calculated once per inputs stamp (:mod:`jili.incentives.services.estimates`)
    and this person's amounts read from that. Nothing is stored."""
    entries = active_entries(tenant_id, period)
    if not entries:
        return []
    if person.level != Level.MANAGER and all(e.scheme.per_person for e in entries):
        return _estimate_alone(tenant_id, currency, person, period, entries)
    company = company_estimate(tenant_id, currency, period, entries)
    out = []
    for entry in entries:
        result = company.plans[entry.plan.id]
        if person.id not in result.eligible:
            continue  # not eligible: this plan pays them nothing, so it is not listed
        if result.problem:
            out.append(PlanEstimate(entry.plan.id, entry.plan.name, None, result.problem))
        else:
            out.append(PlanEstimate(entry.plan.id, entry.plan.name, result.amount(person.id)))
    return out


def _estimate_alone(tenant_id, currency, person, period, entries) -> list[PlanEstimate]:
    """Per-person plans on this person's facts alone (a few indexed reads)."""
    needed = frozenset().union(*(e.scheme.facts_needed for e in entries))
    by_basis: dict[str, PeriodFacts] = {}  # the plan's target value: baseline or challenge
    subtree = load_subtree(tenant_id)
    once = paid_once_keys(tenant_id, period.id)
    places = CURRENCIES.get(currency, 2)
    out = []
    for entry in entries:
        basis = basis_of(entry)
        if basis not in by_basis:
            by_basis[basis], _unrolled = build_facts_and_own(
                tenant_id, period, needed | {Fact.SALES, Fact.TARGETS},
                only=frozenset({person.id}), basis=basis,
            )  # fmt: skip
        facts = by_basis[basis]
        scoped = narrow(facts, entry.version.eligibility, subtree)
        if person.id not in scoped.people:
            continue  # not eligible: this plan pays them nothing, so it is not listed
        context = CalculationContext(
            plan_key=entry.plan_key,
            places=places,
            currency=currency,
            paid_once_keys=once.get(entry.plan.id, frozenset()),
        )
        try:
            amount = payout_for(entry.scheme, entry.version.settings, scoped, person.id, context)
        except Exception as exc:  # a plugin refusing today's inputs: say so, plainly
            out.append(PlanEstimate(entry.plan.id, entry.plan.name, None, str(exc)))
            continue
        out.append(PlanEstimate(entry.plan.id, entry.plan.name, amount))
    return out


@dataclass(frozen=True)
class LatestStatement:
    period: Period
    total: Decimal


def latest_statement(tenant_id: int, person_id: int) -> LatestStatement | None:
    """The person's total in the latest published (or closed) period whose final
    run pays them something (a line, even of zero): a month without any plan of
    theirs is not their latest statement."""
    periods = db.session.scalars(
        select(Period)
        .where(
            Period.tenant_id == tenant_id,
            Period.status.in_(PUBLISHED),
            Period.id.in_(
                select(CalculationRun.period_id)
                .join(
                    PayoutLineRecord,
                    (PayoutLineRecord.tenant_id == CalculationRun.tenant_id)
                    & (PayoutLineRecord.run_id == CalculationRun.id),
                )
                .where(
                    CalculationRun.tenant_id == tenant_id,
                    CalculationRun.kind == RunKind.FINAL,
                    PayoutLineRecord.person_id == person_id,
                )
            ),
        )
        .order_by(Period.end_date.desc(), Period.start_date.desc())
        .limit(1)
    )
    period = next(iter(periods), None)
    if period is None:
        return None
    run = latest_run(tenant_id, period.id)
    lines = engine_run_lines(run, [person_id]) if run is not None else []
    return LatestStatement(period, sum((line.amount for line in lines), ZERO))
