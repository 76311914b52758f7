"""The fiscal calendar: years → quarters → months (→ ISO weeks), and period status."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from jili.extensions import db
from jili.periods.models import Period, PeriodKind, PeriodStatus

# Allowed status moves; reopening a closed period is separate (admin, audited).
FORWARD = {
    PeriodStatus.OPEN: PeriodStatus.CALCULATED,
    PeriodStatus.CALCULATED: PeriodStatus.PUBLISHED,
    PeriodStatus.PUBLISHED: PeriodStatus.CLOSED,
}


class PeriodClosed(Exception):
    """A change touched a closed period."""

    def __init__(self, period: Period):
        self.period = period
        super().__init__(
            _(
                "Period %(label)s is closed: nothing in it can change. An admin can reopen it.",
                label=period.label,
            )
        )


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    return date(d.year + y, m + 1, 1)


def fiscal_year_bounds(year: int, start_month: int) -> tuple[date, date]:
    """Fiscal year ``year`` starts on the 1st of ``start_month`` of that calendar year."""
    start = date(year, start_month, 1)
    return start, _add_months(start, 12) - timedelta(days=1)


def generate_year(tenant_id: int, year: int, start_month: int) -> list[Period]:
    """Create the year, its quarters and months, skipping any that exist. Returns new ones."""
    existing = {
        p.label: p
        for p in db.session.scalars(
            select(Period).where(Period.tenant_id == tenant_id, Period.label.like(f"{year}%"))
        )
    }
    created: list[Period] = []

    def get_or_make(kind, label, start, end, parent):
        if label in existing:
            return existing[label]
        p = Period(
            tenant_id=tenant_id,
            kind=kind,
            label=label,
            start_date=start,
            end_date=end,
            parent_id=parent.id if parent else None,
            status=PeriodStatus.OPEN,
        )
        db.session.add(p)
        db.session.flush()
        existing[label] = p
        created.append(p)
        return p

    y_start, y_end = fiscal_year_bounds(year, start_month)
    yp = get_or_make(PeriodKind.YEAR, str(year), y_start, y_end, None)
    for q in range(4):
        q_start = _add_months(y_start, 3 * q)
        q_end = _add_months(q_start, 3) - timedelta(days=1)
        qp = get_or_make(PeriodKind.QUARTER, f"{year}-Q{q + 1}", q_start, q_end, yp)
        for m in range(3):
            m_start = _add_months(q_start, m)
            m_end = _add_months(m_start, 1) - timedelta(days=1)
            # Months are named by the calendar month, with the fiscal year as prefix
            # when they differ (FY2024 starting in April has 2024-M10 = January 2025).
            label = (
                f"{year}-{m_start.month:02d}"
                if start_month == 1
                else f"{year}-M{3 * q + m + 1:02d}"
            )
            get_or_make(PeriodKind.MONTH, label, m_start, m_end, qp)
    return created


def generate_weeks(tenant_id: int, month: Period) -> list[Period]:
    """ISO weeks (Monday–Sunday) whose Thursday falls in the month, as its children."""
    if month.kind != PeriodKind.MONTH:
        raise ValueError("weeks are generated under a month")
    if month.is_closed:
        raise PeriodClosed(month)
    created = []
    day = month.start_date - timedelta(days=month.start_date.weekday())
    while day <= month.end_date:
        thursday = day + timedelta(days=3)
        if month.start_date <= thursday <= month.end_date:
            iso_year, iso_week, _wd = thursday.isocalendar()
            label = (
                f"{month.label}-W{iso_week:02d}"
                if "-M" in month.label
                else f"{iso_year}-W{iso_week:02d}"
            )
            exists = db.session.scalar(
                select(Period.id).where(Period.tenant_id == tenant_id, Period.label == label)
            )
            if exists is None:
                p = Period(
                    tenant_id=tenant_id,
                    kind=PeriodKind.WEEK,
                    label=label,
                    start_date=day,
                    end_date=day + timedelta(days=6),
                    parent_id=month.id,
                )
                db.session.add(p)
                created.append(p)
        day += timedelta(days=7)
    db.session.flush()
    return created


def tenant_today(timezone: str | None) -> date:
    """Today's date in the tenant's time zone (Asia/Shanghai when unknown)."""
    try:
        zone = ZoneInfo(timezone or "Asia/Shanghai")
    except (KeyError, ValueError):
        zone = ZoneInfo("Asia/Shanghai")
    return datetime.now(zone).date()


def has_ended(period: Period, today: date) -> bool:
    """Whether the period is over: publishing or closing before then is an override."""
    return today > period.end_date


def advance(period: Period) -> PeriodStatus:
    if period.status not in FORWARD:
        raise PeriodClosed(period)
    period.status = FORWARD[period.status]
    return period.status


def reopen(period: Period) -> None:
    period.status = PeriodStatus.OPEN


# A closed period refuses every change at the ORM level: to itself, and to any
# row that carries a ``period_id`` (targets, transactions, runs in later issues).
@event.listens_for(Session, "before_flush")
def _refuse_changes_in_closed_periods(session: Session, flush_context, instances) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, Period):
            state = inspect(obj)
            hist = state.attrs.status.history
            was = hist.deleted[0] if hist.deleted else obj.status
            if was == PeriodStatus.CLOSED:
                changed = {a.key for a in state.attrs if a.history.has_changes()}
                # The only change allowed on a closed period is reopening it.
                if (
                    obj in session.deleted
                    or changed != {"status"}
                    or obj.status != PeriodStatus.OPEN
                ):
                    raise PeriodClosed(obj)
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        period_id = getattr(obj, "period_id", None)
        if period_id is not None and not isinstance(obj, Period):
            with session.no_autoflush:
                period = session.get(Period, period_id)
            if period is not None and period.is_closed:
                raise PeriodClosed(period)
