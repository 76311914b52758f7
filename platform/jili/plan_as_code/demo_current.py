"""Keeping a demo company current: inputs up to today, past periods published.

A demo tenant file holds the organisation, the plans and (shili) the worked
examples of a fixed past quarter; it cannot hold "this quarter". After loading,
:func:`bring_up_to_date` gives every person targets and sales in the current
quarter and month and in the four quarters before (metrics for people who have
metrics in the file), then calculates and publishes every period that has ended
— except the latest ended month, left open so the admin home has something due.

Everything is deterministic (a hash of the company, person and period, no
random state) and idempotent: deals carry fixed external ids and dates, only
the ones dated up to today are imported, a target or metric is never written
twice, and only open periods are calculated. Running it again another day
adds the days since and publishes what has ended since; nothing already there
changes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select

from jili.accounts.models import Tenant
from jili.audit import services as audit
from jili.dbtypes import utcnow
from jili.extensions import db
from jili.incentives.engine import calculate_period
from jili.inputs.models import MetricValue, SalesTarget, Transaction
from jili.inputs.services.transactions import import_transaction_rows
from jili.org.models import Level, Person, Team
from jili.periods.models import Period, PeriodKind, PeriodStatus
from jili.periods.services import advance, generate_year
from jili.schemes import split_largest_remainder
from jili.targets.models import PublicationStatus, TargetPublication
from jili.tenancy import bound_tenant

QUARTERS = 5  # the current quarter and the four before it (the admin home's cost chart)
DEALS_A_MONTH = 4
DEAL_DAYS = (1, 9, 17, 24)  # day of month of each deal (clamped to the month)
PRODUCTS = {
    "zh_Hant": ("精密零件", "自動化設備", "維修服務"),
    "en": ("Devices", "Solutions", "Services"),
}
DEFAULT_PRODUCTS = ("智能终端", "解决方案", "运维服务")
TEN_THOUSAND = Decimal(10_000)
CENT = Decimal("0.01")


@dataclass
class Outcome:
    deals: int = 0
    targets: int = 0
    metrics: int = 0
    published: list[str] = field(default_factory=list)


def _unit(*parts: str) -> Decimal:
    """A stable number in [0, 1) from ``parts``."""
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    return Decimal(int.from_bytes(digest[:4], "big")) / Decimal(2**32)


def attainment(slug: str, employee_no: str, label: str) -> Decimal:
    """The share of target a person sells in a month: 55 % to 135 %, two places."""
    return (Decimal("0.55") + _unit(slug, employee_no, label) * Decimal("0.8")).quantize(CENT)


def fiscal_year_of(day: date, start_month: int) -> int:
    return day.year if day.month >= start_month else day.year - 1


def _periods(tenant: Tenant, today: date) -> tuple[list[Period], list[Period]]:
    """The quarters of the window (oldest first) and their months started by today."""
    first = fiscal_year_of(
        today - timedelta(days=3 * 31 * QUARTERS), tenant.fiscal_year_start_month
    )
    for year in range(first, fiscal_year_of(today, tenant.fiscal_year_start_month) + 1):
        generate_year(tenant.id, year, tenant.fiscal_year_start_month)
    quarters = list(
        db.session.scalars(
            select(Period)
            .where(
                Period.tenant_id == tenant.id,
                Period.kind == PeriodKind.QUARTER,
                Period.start_date <= today,
            )
            .order_by(Period.start_date.desc())
            .limit(QUARTERS)
        )
    )[::-1]
    months = list(
        db.session.scalars(
            select(Period)
            .where(
                Period.tenant_id == tenant.id,
                Period.kind == PeriodKind.MONTH,
                Period.parent_id.in_([q.id for q in quarters]),
                Period.start_date <= today,
            )
            .order_by(Period.start_date)
        )
    )
    return quarters, months


def _quarterly_targets(tenant_id: int, people: list[Person]) -> dict[int, Decimal]:
    """Each seller's quarterly revenue target: their latest target in the file, or
    sixty monthly salaries rounded to ten thousand; a manager's is their reports'."""
    latest: dict[int, Decimal] = {}
    rows = db.session.execute(
        select(SalesTarget.person_id, SalesTarget.baseline)
        .join(Period, Period.id == SalesTarget.period_id)
        .where(
            SalesTarget.tenant_id == tenant_id,
            SalesTarget.person_id.is_not(None),
            SalesTarget.metric == "revenue",
            Period.kind == PeriodKind.QUARTER,
        )
        .order_by(Period.start_date)
    )
    for person_id, revenue in rows:
        latest[person_id] = revenue
    out = {}
    for p in people:
        if p.level == Level.MANAGER:
            continue
        base = latest.get(p.id) or p.base_salary * 60
        out[p.id] = max((base / TEN_THOUSAND).to_integral_value(ROUND_HALF_UP), 1) * TEN_THOUSAND
    for p in people:
        if p.level == Level.MANAGER:
            reports = [out[q.id] for q in people if q.manager_id == p.id and q.id in out]
            out[p.id] = sum(reports, Decimal(0)) or p.base_salary * 60
    return out


def _add_target(tenant_id: int, period: Period, person_id: int, revenue: Decimal, out: Outcome):
    exists = db.session.scalar(
        select(SalesTarget.id).where(
            SalesTarget.tenant_id == tenant_id,
            SalesTarget.period_id == period.id,
            SalesTarget.person_id == person_id,
        )
    )
    if exists is None:
        collected = (revenue * Decimal("0.9")).quantize(CENT)
        for metric, value in (("revenue", revenue), ("collected", collected)):
            db.session.add(
                SalesTarget(
                    tenant_id=tenant_id,
                    period_id=period.id,
                    person_id=person_id,
                    metric=metric,
                    baseline=value,
                )
            )
        out.targets += 1


def _team_targets(tenant_id: int, period: Period, targets: dict[int, Decimal], people, out):
    """A team that has a target in the file gets its members' sum in each quarter."""
    team_ids = set(
        db.session.scalars(
            select(SalesTarget.team_id).where(
                SalesTarget.tenant_id == tenant_id, SalesTarget.team_id.is_not(None)
            )
        )
    )
    for team_id in team_ids:
        exists = db.session.scalar(
            select(SalesTarget.id).where(
                SalesTarget.tenant_id == tenant_id,
                SalesTarget.period_id == period.id,
                SalesTarget.team_id == team_id,
                SalesTarget.metric == "revenue",
            )
        )
        total = sum((targets[p.id] for p in people if p.team_id == team_id), Decimal(0))
        if exists is None and total > 0:
            db.session.add(
                SalesTarget(
                    tenant_id=tenant_id,
                    period_id=period.id,
                    team_id=team_id,
                    metric="revenue",
                    baseline=total,
                )
            )
            out.targets += 1


def _regions(tenant_id: int, people: list[Person]) -> dict[int, str]:
    """Where each person sells: their latest deal's region in the file, else their team."""
    teams = dict(
        db.session.execute(select(Team.id, Team.name).where(Team.tenant_id == tenant_id)).all()
    )
    out = {p.id: teams.get(p.team_id, "") for p in people}
    rows = db.session.execute(
        select(Transaction.person_id, Transaction.region)
        .where(Transaction.tenant_id == tenant_id, Transaction.region != "")
        .order_by(Transaction.deal_date)
    )
    for person_id, region in rows:
        out[person_id] = region
    return out


#: The struggling seller's share of target in the two bad months of each four
#: (a red alert's two consecutive months under 70 %), by the month's parity.
STRUGGLE = {1: Decimal("0.64"), 0: Decimal("0.58")}


def _struggles(tenant_id: int, person: Person, month: Period) -> bool:
    """One seller per demo company — the first core seller without a login — has
    two bad months in every four (Jan–Feb, May–Jun, Sep–Oct): the rules raise a
    red alert asking for an improvement plan a few times a year, beside the
    yellow ones of the others. Fixed by the calendar, so a month's deals never
    change when the demo is brought up to a later day."""
    if person.level != Level.CORE or person.user_id is not None:
        return False
    if month.start_date.month % 4 not in (1, 2):
        return False
    first = db.session.scalar(
        select(func.min(Person.employee_no)).where(
            Person.tenant_id == tenant_id,
            Person.level == Level.CORE,
            Person.user_id.is_(None),
        )
    )
    return person.employee_no == first


def _deal_rows(
    tenant: Tenant, month: Period, person: Person, monthly: Decimal, region: str, today: date
) -> list[dict[str, str]]:
    """The person's deals of ``month`` dated up to today: the month's target times
    their attainment, in four deals on fixed days."""
    share_of_target = attainment(tenant.slug, person.employee_no, month.label)
    if _struggles(tenant.id, person, month):
        share_of_target = min(share_of_target, STRUGGLE[month.start_date.month % 2])
    total = (monthly * share_of_target).quantize(CENT)
    products = PRODUCTS.get(tenant.locale, DEFAULT_PRODUCTS)
    share = (total / DEALS_A_MONTH).quantize(CENT)
    rows = []
    for k, day in enumerate(DEAL_DAYS):
        deal_date = min(month.start_date + timedelta(days=day - 1), month.end_date)
        if deal_date > today:
            break
        amount = share if k < DEALS_A_MONTH - 1 else total - share * (DEALS_A_MONTH - 1)
        mix = _unit(tenant.slug, person.employee_no, month.label, str(k))
        rows.append(
            {
                "external_id": f"DEMO-{month.label}-{person.employee_no}-{k + 1}",
                "deal_date": deal_date.isoformat(),
                "employee_no": person.employee_no,
                "customer": f"{region} #{int(mix * 90) + 10}",
                "product_line": products[int(mix * len(products))],
                "region": region,
                "amount": str(amount),
                "collected_amount": str((amount * Decimal("0.9")).quantize(CENT)),
                "margin": str((amount * Decimal("0.3")).quantize(CENT)),
            }
        )
    return rows


def _metrics(tenant: Tenant, quarter: Period, out: Outcome) -> None:
    """People with metrics in the file get the same metrics in ``quarter``, their
    actuals moved by the quarter's attainment."""
    rows = db.session.scalars(
        select(MetricValue)
        .join(Period, Period.id == MetricValue.period_id)
        .where(
            MetricValue.tenant_id == tenant.id,
            MetricValue.person_id.is_not(None),
            Period.kind == PeriodKind.QUARTER,
            Period.start_date < quarter.start_date,
        )
        .order_by(Period.start_date)
    ).all()
    done = set(
        db.session.execute(
            select(MetricValue.person_id, MetricValue.metric).where(
                MetricValue.tenant_id == tenant.id, MetricValue.period_id == quarter.id
            )
        )
    )
    latest = {(m.person_id, m.metric): m for m in rows}
    numbers = dict(
        db.session.execute(
            select(Person.id, Person.employee_no).where(Person.tenant_id == tenant.id)
        ).all()
    )
    for (person_id, metric), m in sorted(latest.items()):
        if (person_id, metric) in done:
            continue
        factor = Decimal("0.85") + _unit(
            tenant.slug, numbers[person_id], quarter.label, metric
        ) * Decimal("0.3")
        db.session.add(
            MetricValue(
                tenant_id=tenant.id,
                period_id=quarter.id,
                person_id=person_id,
                metric=metric,
                weight=m.weight,
                actual=(m.actual * factor).quantize(CENT),
                target=m.target,
                higher_is_better=m.higher_is_better,
            )
        )
        out.metrics += 1


def _inputs(tenant: Tenant, today: date, out: Outcome) -> None:
    quarters, months = _periods(tenant, today)
    people = list(
        db.session.scalars(
            select(Person).where(Person.tenant_id == tenant.id).order_by(Person.employee_no)
        )
    )
    quarterly = _quarterly_targets(tenant.id, people)
    regions = _regions(tenant.id, people)
    open_ = [q for q in quarters if q.status == PeriodStatus.OPEN]
    for quarter in open_:
        for person in people:
            _add_target(tenant.id, quarter, person.id, quarterly[person.id], out)
        _team_targets(tenant.id, quarter, quarterly, people, out)
        _metrics(tenant, quarter, out)
    rows: list[dict[str, str]] = []
    for month in months:
        if month.status != PeriodStatus.OPEN:
            continue
        for person in people:
            monthly = _month_share(quarterly[person.id], month, months)
            _add_target(tenant.id, month, person.id, monthly, out)
            if person.level != Level.MANAGER:
                rows += _deal_rows(tenant, month, person, monthly, regions[person.id], today)
    for period in [*open_, *(m for m in months if m.status == PeriodStatus.OPEN)]:
        _publish_targets(tenant.id, period)
    db.session.flush()
    if rows:
        outcome = import_transaction_rows(tenant, rows, source="demo (generated)", first_row=1)
        if outcome.errors:
            raise ValueError(f"{tenant.slug}: generated deals refused: {outcome.errors[:3]}")
        out.deals += outcome.created


def _month_share(quarterly: Decimal, month: Period, months: list[Period]) -> Decimal:
    """A month's third of its quarter, split to the fen by largest remainder
    (the earliest month takes what cannot be divided)."""
    siblings = sorted(
        (m for m in months if m.parent_id == month.parent_id), key=lambda m: m.start_date
    )
    if len(siblings) != 3:
        return (quarterly / 3).quantize(CENT)
    parts = split_largest_remainder(quarterly, {m.start_date: 1 for m in siblings}, 2)
    return parts[month.start_date]


def _publish_targets(tenant_id: int, period: Period) -> None:
    """The demo's targets of an open period are published, as a company would."""
    exists = db.session.scalar(
        select(TargetPublication.id).where(
            TargetPublication.tenant_id == tenant_id, TargetPublication.period_id == period.id
        )
    )
    if exists is None:
        db.session.add(
            TargetPublication(
                tenant_id=tenant_id,
                period_id=period.id,
                status=PublicationStatus.PUBLISHED,
                version=1,
                published_at=utcnow(),
            )
        )


def _publish_ended(tenant: Tenant, today: date, out: Outcome) -> None:
    """Calculate and publish every open period that has ended, oldest first, but
    the latest ended month: that one stays open, due."""
    ended = list(
        db.session.scalars(
            select(Period)
            .where(
                Period.tenant_id == tenant.id,
                Period.kind != PeriodKind.WEEK,
                Period.end_date < today,
            )
            .order_by(Period.end_date, Period.start_date.desc())
        )
    )
    months = [p for p in ended if p.kind == PeriodKind.MONTH]
    due = months[-1].id if months else None
    for period in ended:
        if period.status != PeriodStatus.OPEN or period.id == due:
            continue
        run = calculate_period(tenant, period, confirm=True)  # the file says what it wants
        advance(period)
        audit.record(
            "period.status",
            period,
            tenant_id=tenant.id,
            before={"status": PeriodStatus.CALCULATED},
            after={"status": period.status, "run": run.number, "total": str(run.total)},
        )
        db.session.commit()
        out.published.append(period.label)


def bring_up_to_date(tenant: Tenant, today: date) -> Outcome:
    """Inputs up to ``today`` and every ended period published (see the module)."""
    out = Outcome()
    with bound_tenant(tenant.id):
        try:
            _inputs(tenant, today, out)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        _publish_ended(tenant, today, out)
    return out
