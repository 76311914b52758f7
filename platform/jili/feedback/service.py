"""The feedback channel's rules: settings, working-day deadlines, threads, aggregates."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from jili.accounts.models import Tenant
from jili.extensions import db
from jili.feedback import receipts
from jili.feedback.models import (
    DEFAULT_DEADLINE_DAYS,
    DEFAULT_THRESHOLD,
    Category,
    FeedbackMessage,
    FeedbackSetting,
    FeedbackThread,
    Status,
    new_link_key,
    random_id,
)


class ThreadClosed(Exception):
    """A closed conversation takes no more messages."""


# --- settings ------------------------------------------------------------------------


def settings_for(tenant_id: int) -> FeedbackSetting:
    """The tenant's settings; an unsaved default object when it has none yet."""
    found = db.session.scalar(select(FeedbackSetting).where(FeedbackSetting.tenant_id == tenant_id))
    if found is not None:
        return found
    return FeedbackSetting(
        tenant_id=tenant_id,
        link_key=None,
        deadline_days=DEFAULT_DEADLINE_DAYS,
        aggregate_threshold=DEFAULT_THRESHOLD,
        consultant_access=False,
    )


def ensure_settings(tenant_id: int) -> FeedbackSetting:
    """The tenant's settings row, created (with its public link key) on first use."""
    found = db.session.scalar(select(FeedbackSetting).where(FeedbackSetting.tenant_id == tenant_id))
    if found is not None:
        return found
    row = FeedbackSetting(
        tenant_id=tenant_id,
        link_key=new_link_key(),
        deadline_days=DEFAULT_DEADLINE_DAYS,
        aggregate_threshold=DEFAULT_THRESHOLD,
        consultant_access=False,
    )
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:  # created by a concurrent request
        db.session.rollback()
        row = db.session.scalar(
            select(FeedbackSetting).where(FeedbackSetting.tenant_id == tenant_id)
        )
    return row


# --- days ----------------------------------------------------------------------------


def today_for(tenant: Tenant) -> date:
    """The tenant's calendar day now: the only 'when' a submission keeps."""
    try:
        zone = ZoneInfo(tenant.timezone)
    except (KeyError, ValueError):
        zone = ZoneInfo("Asia/Shanghai")
    return datetime.now(zone).date()


def add_working_days(start: date, days: int) -> date:
    """``days`` working days (Monday–Friday) after ``start``."""
    current = start
    remaining = max(days, 0)
    while remaining:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def due_day(thread: FeedbackThread, deadline_days: int) -> date:
    return add_working_days(thread.waiting_since, deadline_days)


def is_overdue(thread: FeedbackThread, deadline_days: int, today: date) -> bool:
    return thread.status == Status.NEW and today > due_day(thread, deadline_days)


# --- threads -------------------------------------------------------------------------


def create_thread(tenant: Tenant, category: Category, text: str) -> tuple[FeedbackThread, str]:
    """Store a submission; returns the thread and its receipt code (display form).

    The code exists only in the return value: the caller shows it once.
    """
    day = today_for(tenant)
    for _attempt in range(8):
        code = receipts.new_code()
        raw = receipts.normalize(code)
        lookup = receipts.lookup_id(tenant.id, raw)
        taken = db.session.scalar(
            select(func.count())
            .select_from(FeedbackThread)
            .where(FeedbackThread.tenant_id == tenant.id, FeedbackThread.lookup_id == lookup)
        )
        if not taken:
            break
    else:  # pragma: no cover - 2**40 prefixes per tenant
        raise RuntimeError("could not draw an unused receipt code")
    thread = FeedbackThread(
        id=random_id(),
        tenant_id=tenant.id,
        category=category,
        status=Status.NEW,
        day=day,
        waiting_since=day,
        lookup_id=lookup,
        code_hash=receipts.hash_code(raw),
    )
    db.session.add(thread)
    db.session.flush()
    _add_message(thread, text, from_staff=False, day=day)
    return thread, code


def find_thread(tenant_id: int, code: str | None) -> FeedbackThread | None:
    """The thread this receipt code belongs to, or None — always one slow verification."""
    raw = receipts.normalize(code)
    thread = None
    if raw is not None:
        thread = db.session.scalar(
            select(FeedbackThread).where(
                FeedbackThread.tenant_id == tenant_id,
                FeedbackThread.lookup_id == receipts.lookup_id(tenant_id, raw),
            )
        )
    ok = receipts.verify(thread.code_hash if thread is not None else None, raw)
    return thread if ok else None


def _add_message(
    thread: FeedbackThread, text: str, *, from_staff: bool, day: date
) -> FeedbackMessage:
    last = db.session.scalar(
        select(func.max(FeedbackMessage.seq)).where(
            FeedbackMessage.tenant_id == thread.tenant_id, FeedbackMessage.thread_id == thread.id
        )
    )
    message = FeedbackMessage(
        id=random_id(),
        tenant_id=thread.tenant_id,
        thread_id=thread.id,
        seq=(last or 0) + 1,
        from_staff=from_staff,
        day=day,
        body=text,
    )
    db.session.add(message)
    db.session.flush()
    db.session.expire(thread, ["messages"])
    return message


def author_reply(tenant: Tenant, thread: FeedbackThread, text: str) -> FeedbackMessage:
    if thread.status == Status.CLOSED:
        raise ThreadClosed()
    day = today_for(tenant)
    message = _add_message(thread, text, from_staff=False, day=day)
    if thread.status == Status.ANSWERED:
        thread.status = Status.NEW  # waiting for the company again
        thread.waiting_since = day
    return message


def staff_answer(tenant: Tenant, thread: FeedbackThread, text: str) -> FeedbackMessage:
    if thread.status == Status.CLOSED:
        raise ThreadClosed()
    message = _add_message(thread, text, from_staff=True, day=today_for(tenant))
    thread.status = Status.ANSWERED
    return message


def close(thread: FeedbackThread) -> None:
    if thread.status == Status.CLOSED:
        raise ThreadClosed()
    thread.status = Status.CLOSED


# --- aggregates ----------------------------------------------------------------------


@dataclass
class MonthRow:
    month: date
    total: int
    shown: bool
    cells: dict[Category, int | None] = field(default_factory=dict)  # None: below threshold


def monthly_summary(
    tenant_id: int, threshold: int, today: date, months: int = 12
) -> list[MonthRow]:
    """Submissions per month and category, counts below ``threshold`` withheld.

    A month with fewer than ``threshold`` submissions shows nothing but that
    fact; in the others, each category's count shows only when it reaches the
    threshold itself.
    """
    month_starts = [date(today.year, today.month, 1)]
    for _ in range(months - 1):
        month_starts.append((month_starts[-1] - timedelta(days=1)).replace(day=1))
    first = month_starts[-1]
    rows = db.session.execute(
        select(FeedbackThread.day, FeedbackThread.category).where(
            FeedbackThread.tenant_id == tenant_id, FeedbackThread.day >= first
        )
    ).all()
    per_month: dict[date, Counter] = {}
    for day, category in rows:
        per_month.setdefault(date(day.year, day.month, 1), Counter())[Category(category)] += 1
    out: list[MonthRow] = []
    for month in month_starts:  # every month, so an empty one looks like a small one
        counts = per_month.get(month, Counter())
        total = sum(counts.values())
        shown = total >= threshold
        cells = {c: (counts[c] if shown and counts[c] >= threshold else None) for c in Category}
        out.append(MonthRow(month=month, total=total if shown else 0, shown=shown, cells=cells))
    return out
