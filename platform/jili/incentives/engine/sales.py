"""The period's credited sales, for the facts builder: whole months from the
facts table (:class:`SalesFact`, pre-summed by month), the days of a month a
period cuts from the credits; and each newcomer's first deal."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import case, func, select

from jili.extensions import db
from jili.inputs.models import SalesCredit, SalesFact
from jili.inputs.services.facts import month_end, month_of
from jili.org.models import Level
from jili.periods.models import Period
from jili.schemes import Fact, SalesSlice

ZERO = Decimal(0)
ONE_DAY = timedelta(days=1)

#: Own credited sales of a person: booked, collected, margin, deal count.
Sales = tuple[Decimal, Decimal, Decimal, int]


def period_sales(
    tenant_id: int, period: Period, needed: frozenset[Fact], only: frozenset[int] | None
) -> tuple[dict[int, Sales], dict[int, list[SalesSlice]]]:
    """Each person's own credited sales in the period, and their slices by
    region × product line when needed.

    The whole months of the period come from the facts table (pre-summed by
    month); a period that cuts a month (a week, a fiscal period starting mid-
    month) reads those edge days from the credits."""
    if Fact.SALES_SLICES not in needed and not needed & {Fact.SALES, Fact.TEAMS, Fact.TARGETS}:
        return {}, defaultdict(list)
    by_slice = Fact.SALES_SLICES in needed
    sums: dict[tuple, list] = {}
    months, edges = period_months(period.start_date, period.end_date)
    if months is not None:
        _add_rows(sums, _fact_rows(tenant_id, months, only, by_slice))
    for first, last in edges:
        _add_rows(sums, _credit_rows(tenant_id, first, last, only, by_slice))
    totals: dict[int, list] = {}
    slices: dict[int, list[SalesSlice]] = defaultdict(list)
    for key in sorted(sums):
        booked, collected, margin, deals = sums[key]
        pid = key[0]
        if by_slice:
            slices[pid].append(SalesSlice(key[1], key[2], booked, collected, margin))
        t = totals.setdefault(pid, [ZERO, ZERO, ZERO, 0])
        t[0] += booked
        t[1] += collected
        t[2] += margin
        t[3] += deals
    return {pid: (t[0], t[1], t[2], t[3]) for pid, t in totals.items()}, slices


def period_months(
    start: date, end: date
) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """The first and last whole month (first days) inside ``start``–``end``, or
    None, and the edge day ranges outside whole months."""
    first = start if start.day == 1 else month_end(start) + ONE_DAY
    last_end = end if end == month_end(end) else end.replace(day=1) - ONE_DAY
    if first > last_end:
        return None, [(start, end)]
    edges = []
    if start < first:
        edges.append((start, first - ONE_DAY))
    if last_end < end:
        edges.append((last_end + ONE_DAY, end))
    return (first, month_of(last_end)), edges


def _add_rows(sums: dict[tuple, list], rows) -> None:
    for row in rows:
        key = (row[0], *(v or "" for v in row[1:-4]))
        booked, collected, margin, deals = row[-4:]
        acc = sums.setdefault(key, [ZERO, ZERO, ZERO, 0])
        acc[0] += booked or ZERO
        acc[1] += collected or ZERO
        acc[2] += margin or ZERO
        acc[3] += int(deals or 0)


def _fact_rows(tenant_id: int, months: tuple[date, date], only, by_slice: bool):
    keys = (
        (SalesFact.person_id, SalesFact.region, SalesFact.product_line)
        if by_slice
        else (SalesFact.person_id,)
    )
    return db.session.execute(
        select(
            *keys,
            func.sum(SalesFact.amount),
            func.sum(SalesFact.collected_amount),
            func.sum(SalesFact.margin),
            func.sum(SalesFact.deals),
        )
        .where(
            SalesFact.tenant_id == tenant_id,
            SalesFact.month >= months[0],
            SalesFact.month <= months[1],
            *([SalesFact.person_id.in_(only)] if only else []),
        )
        .group_by(*keys)
    ).all()


def _credit_rows(tenant_id: int, first: date, last: date, only, by_slice: bool):
    keys = (
        (SalesCredit.person_id, SalesCredit.region, SalesCredit.product_line)
        if by_slice
        else (SalesCredit.person_id,)
    )
    return db.session.execute(
        select(
            *keys,
            func.sum(SalesCredit.amount),
            func.sum(SalesCredit.collected_amount),
            func.sum(SalesCredit.margin),
            func.sum(case((SalesCredit.amount > 0, 1), else_=0)),
        )
        .where(
            SalesCredit.tenant_id == tenant_id,
            SalesCredit.deal_date >= first,
            SalesCredit.deal_date <= last,
            *([SalesCredit.person_id.in_(only)] if only else []),
        )
        .group_by(*keys)
    ).all()


def first_deals(tenant_id: int, period: Period, people_rows: list) -> dict[int, object]:
    # Only newcomers and mentees can have a first-deal event worth paying. Each
    # fact row keeps its month's earliest positive credit: that day is on or
    # before the period's end exactly when the month has a deal by then.
    first_deals: dict[int, object] = {}
    candidates = [p.id for p in people_rows if p.level == Level.NEWCOMER or p.mentor_id]
    for chunk in _chunks(candidates, 500):
        rows = db.session.execute(
            select(SalesFact.person_id, func.min(SalesFact.first_deal))
            .where(
                SalesFact.tenant_id == tenant_id,
                SalesFact.month <= period.end_date,
                SalesFact.first_deal <= period.end_date,
                SalesFact.person_id.in_(chunk),
            )
            .group_by(SalesFact.person_id)
        ).all()
        first_deals.update({r[0]: r[1] for r in rows})
    return first_deals


def _chunks(items: list[int], size: int):
    for i in range(0, len(items), size):
        yield items[i : i + size]
