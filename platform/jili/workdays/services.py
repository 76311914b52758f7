"""The tenant's working days: Monday to Friday, except the holidays the tenant
lists, plus the make-up working days (调休) it lists on weekends.

``add_working_days`` and ``working_days_between`` are what deadlines (improvement
plans) and pace (targets' progress) are counted in.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from jili.audit import services as audit
from jili.extensions import db
from jili.workdays import china
from jili.workdays.models import CalendarDay

HOLIDAY_LABELS = {
    "new_year": _l("New Year's Day"),
    "spring_festival": _l("Spring Festival"),
    "qingming": _l("Qingming Festival"),
    "labour_day": _l("Labour Day"),
    "dragon_boat": _l("Dragon Boat Festival"),
    "mid_autumn": _l("Mid-Autumn Festival"),
    "national_day": _l("National Day"),
}
MAX_SPAN_DAYS = 3 * 366  # a deadline or a count never looks further than this


class CalendarError(ValueError):
    """A calendar change that cannot be made; the message says why."""


def _overrides(tenant_id: int, first: date, last: date) -> dict[date, bool]:
    rows = db.session.execute(
        select(CalendarDay.day, CalendarDay.working).where(
            CalendarDay.tenant_id == tenant_id, CalendarDay.day >= first, CalendarDay.day <= last
        )
    ).all()
    return {d: w for d, w in rows}


def _by_week(d: date) -> bool:
    return d.weekday() < 5


def is_working_day(tenant_id: int, d: date) -> bool:
    return _overrides(tenant_id, d, d).get(d, _by_week(d))


def add_working_days(tenant_id: int, start: date, n: int) -> date:
    """The ``n``-th working day after ``start`` (``start`` itself when ``n`` is 0)."""
    if n < 0:
        raise ValueError("n must not be negative")
    if n == 0:
        return start
    window = _overrides(tenant_id, start, start + timedelta(days=MAX_SPAN_DAYS))
    d, left = start, n
    while left:
        d += timedelta(days=1)
        if (d - start).days > MAX_SPAN_DAYS:
            raise ValueError("no working day in sight")
        if window.get(d, _by_week(d)):
            left -= 1
    return d


def working_days_between(tenant_id: int, a: date, b: date) -> int:
    """Working days d with a < d ≤ b (0 when b ≤ a)."""
    if b <= a:
        return 0
    window = _overrides(tenant_id, a + timedelta(days=1), b)
    count, d = 0, a
    while d < b:
        d += timedelta(days=1)
        count += window.get(d, _by_week(d))
    return count


def days_of_year(tenant_id: int, year: int) -> list[CalendarDay]:
    return list(
        db.session.scalars(
            select(CalendarDay)
            .where(
                CalendarDay.tenant_id == tenant_id,
                CalendarDay.day >= date(year, 1, 1),
                CalendarDay.day <= date(year, 12, 31),
            )
            .order_by(CalendarDay.day)
        )
    )


def years_listed(tenant_id: int) -> list[int]:
    days = db.session.scalars(select(CalendarDay.day).where(CalendarDay.tenant_id == tenant_id))
    return sorted({d.year for d in days})


def label(row: CalendarDay) -> str:
    """The day's name as the reader reads it: the tenant's own, or the built-in one."""
    if row.name:
        return row.name
    return str(HOLIDAY_LABELS.get(row.holiday, ""))


def set_day(tenant_id: int, day: date, working: bool, name: str) -> CalendarDay:
    """List ``day`` as a holiday (``working`` false) or a make-up working day."""
    name = name.strip()
    if len(name) > 80:
        raise CalendarError(str(_l("The name is longer than 80 characters.")))
    if working and _by_week(day):
        raise CalendarError(
            str(_l("%(day)s is a weekday: it is a working day already.", day=day.isoformat()))
        )
    if not working and not _by_week(day):
        raise CalendarError(
            str(
                _l(
                    "%(day)s is a weekend day: it is not a working day already.",
                    day=day.isoformat(),
                )
            )
        )
    row = db.session.scalar(
        select(CalendarDay).where(CalendarDay.tenant_id == tenant_id, CalendarDay.day == day)
    )
    before = None if row is None else {"working": row.working, "name": label(row)}
    if row is None:
        row = CalendarDay(tenant_id=tenant_id, day=day)
        db.session.add(row)
    row.working, row.name, row.holiday = working, name, row.holiday if not name else ""
    db.session.flush()
    audit.record(
        "calendar.day_set",
        row,
        object_type="CalendarDay",
        object_id=day.isoformat(),
        before=before,
        after={"day": day, "working": working, "name": label(row)},
    )
    return row


def remove_day(tenant_id: int, day_id: int) -> CalendarDay | None:
    row = db.session.scalar(
        select(CalendarDay).where(CalendarDay.tenant_id == tenant_id, CalendarDay.id == day_id)
    )
    if row is None:
        return None
    audit.record(
        "calendar.day_remove",
        row,
        object_type="CalendarDay",
        object_id=row.day.isoformat(),
        before={"day": row.day, "working": row.working, "name": label(row)},
    )
    db.session.delete(row)
    db.session.flush()
    return row


def load_china_defaults(tenant_id: int, year: int) -> int:
    """Replace ``year``'s listed days with mainland China's holidays and make-up
    working days for that year; the number of days listed."""
    rows = china.days(year)
    if not rows:
        raise CalendarError(str(_l("There are no built-in holidays for %(year)s.", year=str(year))))
    db.session.execute(
        delete(CalendarDay).where(
            CalendarDay.tenant_id == tenant_id,
            CalendarDay.day >= date(year, 1, 1),
            CalendarDay.day <= date(year, 12, 31),
        )
    )
    for d, working, code in rows:
        db.session.add(CalendarDay(tenant_id=tenant_id, day=d, working=working, holiday=code))
    db.session.flush()
    audit.record(
        "calendar.china_defaults",
        tenant_id=tenant_id,
        object_type="CalendarDay",
        object_id=str(year),
        after={"year": str(year), "days": len(rows), "provisional": year in china.PROVISIONAL},
    )
    return len(rows)
