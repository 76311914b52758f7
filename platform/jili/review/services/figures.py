"""The figures of a period review, for a span: a quarter, or a half-year (the
first or second two quarters of a fiscal year).

What is counted, and how:

* **Pay** is what the latest final run of each period inside the span pays (a
  month's commission and the quarter's bonus both count; pilot runs never do);
  a person's payout is the sum of their lines — people with only 0.00 lines
  count with 0.00, people with no line at all do not count.
* **Revenue** is the credited sales (refunds included) dated in the span.
* **Attainment** is a person's credited sales over their revenue targets of the
  periods inside the span, taken from the longest kind of period that has
  targets (so a quarter's target and its months' are never added together).
* **Quartiles** interpolate between ranks like Excel's QUARTILE.INC
  (position (n − 1) × p), exactly in Decimal; pages show them to the cent.
* **Top 10 % share** is the share of the span's pay that went to the best-paid
  tenth of the people paid (at least one person), ties broken by natural key.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from jili.extensions import db
from jili.incentives.models import CalculationRun, PayoutLineRecord, Plan, RunKind
from jili.inputs.models import SalesCredit, SalesTarget
from jili.org.models import Person
from jili.periods.models import Period, PeriodKind

ZERO = Decimal(0)
HUNDRED = Decimal(100)
#: Attainment buckets in per cent: [from, to), the last open-ended.
BUCKETS = (ZERO, Decimal(50), Decimal(70), Decimal(80), Decimal(90), HUNDRED, Decimal(120))
_KIND_LENGTH = {PeriodKind.YEAR: 4, PeriodKind.QUARTER: 3, PeriodKind.MONTH: 2, PeriodKind.WEEK: 1}


@dataclass(frozen=True)
class Span:
    label: str
    start: date
    end: date  # inclusive
    key: str  # what the page's selector sends: "<period id>" or "<year id>-h1"


def spans(tenant_id: int) -> list[Span]:
    """Every quarter, and each half-year of every fiscal year, latest first."""
    periods = db.session.scalars(
        select(Period)
        .where(
            Period.tenant_id == tenant_id, Period.kind.in_([PeriodKind.QUARTER, PeriodKind.YEAR])
        )
        .order_by(Period.start_date)
    ).all()
    quarters = [p for p in periods if p.kind == PeriodKind.QUARTER]
    out = [Span(q.label, q.start_date, q.end_date, str(q.id)) for q in quarters]
    for year in (p for p in periods if p.kind == PeriodKind.YEAR):
        inside = [q for q in quarters if year.start_date <= q.start_date <= year.end_date]
        for half, pair in ((1, inside[0:2]), (2, inside[2:4])):
            if len(pair) == 2:
                out.append(
                    Span(
                        f"{year.label}-H{half}",
                        pair[0].start_date,
                        pair[1].end_date,
                        f"{year.id}-h{half}",
                    )  # fmt: skip
                )
    return sorted(out, key=lambda s: (s.end, s.start), reverse=True)


def periods_in(tenant_id: int, span: Span) -> list[Period]:
    return list(
        db.session.scalars(
            select(Period)
            .where(
                Period.tenant_id == tenant_id,
                Period.start_date >= span.start,
                Period.end_date <= span.end,
            )
            .order_by(Period.start_date, Period.label)
        )
    )


# -- pay ------------------------------------------------------------------------------


def final_runs(tenant_id: int, periods: list[Period]) -> list[CalculationRun]:
    """The latest final run of each period (none for a period never calculated)."""
    ids = [p.id for p in periods]
    if not ids:
        return []
    latest = (
        select(CalculationRun.period_id, func.max(CalculationRun.number).label("n"))
        .where(
            CalculationRun.tenant_id == tenant_id,
            CalculationRun.kind == RunKind.FINAL,
            CalculationRun.period_id.in_(ids),
        )
        .group_by(CalculationRun.period_id)
        .subquery()
    )
    return list(
        db.session.scalars(
            select(CalculationRun)
            .join(
                latest,
                (latest.c.period_id == CalculationRun.period_id)
                & (latest.c.n == CalculationRun.number),
            )
            .where(CalculationRun.tenant_id == tenant_id, CalculationRun.kind == RunKind.FINAL)
        )
    )


@dataclass
class Pay:
    per_person: dict[int, Decimal]  # person id → payout in the span
    per_plan: dict[int, Decimal]  # plan id → cost
    plan_people: dict[int, set[int]]  # plan id → people with a line of it


def pay(tenant_id: int, runs: list[CalculationRun]) -> Pay:
    per_person: dict[int, Decimal] = defaultdict(Decimal)
    per_plan: dict[int, Decimal] = defaultdict(Decimal)
    plan_people: dict[int, set[int]] = defaultdict(set)
    if runs:
        rows = db.session.execute(
            select(
                PayoutLineRecord.person_id, PayoutLineRecord.plan_id, PayoutLineRecord.amount
            ).where(
                PayoutLineRecord.tenant_id == tenant_id,
                PayoutLineRecord.run_id.in_([r.id for r in runs]),
            )
        ).all()
        for person_id, plan_id, amount in rows:
            per_person[person_id] += amount
            per_plan[plan_id] += amount
            plan_people[plan_id].add(person_id)
    return Pay(dict(per_person), dict(per_plan), dict(plan_people))


def plan_names(tenant_id: int, ids) -> dict[int, str]:
    ids = list(ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(Plan.id, Plan.name).where(Plan.tenant_id == tenant_id, Plan.id.in_(ids))
    ).all()
    return dict(rows)


def revenue(tenant_id: int, span: Span) -> dict[int, Decimal]:
    """person id → credited sales dated in the span."""
    rows = db.session.execute(
        select(SalesCredit.person_id, func.sum(SalesCredit.amount))
        .where(
            SalesCredit.tenant_id == tenant_id,
            SalesCredit.deal_date >= span.start,
            SalesCredit.deal_date <= span.end,
        )
        .group_by(SalesCredit.person_id)
    ).all()
    return {pid: amount or ZERO for pid, amount in rows}


def targets(tenant_id: int, periods: list[Period]) -> dict[int, Decimal]:
    """person id → revenue target over the span (the longest kind with targets)."""
    by_period = {p.id: p for p in periods}
    rows = db.session.execute(
        select(SalesTarget.period_id, SalesTarget.person_id, SalesTarget.baseline).where(
            SalesTarget.tenant_id == tenant_id,
            SalesTarget.metric == "revenue",
            SalesTarget.person_id.is_not(None),
            SalesTarget.period_id.in_(list(by_period) or [-1]),
        )
    ).all()
    if not rows:
        return {}
    longest = max(_KIND_LENGTH[by_period[r.period_id].kind] for r in rows)
    out: dict[int, Decimal] = defaultdict(Decimal)
    for r in rows:
        if _KIND_LENGTH[by_period[r.period_id].kind] == longest:
            out[r.person_id] += r.baseline
    return dict(out)


def people(tenant_id: int) -> dict[int, Person]:
    return {
        p.id: p for p in db.session.scalars(select(Person).where(Person.tenant_id == tenant_id))
    }


# -- statistics ---------------------------------------------------------------------


def quantile(values: list[Decimal], p: Decimal) -> Decimal:
    """The ``p`` quantile (0 ≤ p ≤ 1) of ``values``, interpolated like Excel's
    QUARTILE.INC / PERCENTILE.INC, exact in Decimal."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    position = (len(ordered) - 1) * p
    low = int(position)  # position ≥ 0: the floor
    fraction = position - low
    if low + 1 >= len(ordered) or fraction == 0:
        return ordered[low]
    return ordered[low] + (ordered[low + 1] - ordered[low]) * fraction


@dataclass(frozen=True)
class Distribution:
    count: int
    total: Decimal
    minimum: Decimal
    q1: Decimal
    median: Decimal
    q3: Decimal
    maximum: Decimal
    top_count: int  # the best-paid tenth (at least one)
    top_total: Decimal
    top_share: Decimal | None  # per cent of the total; None when nothing was paid


def distribution(amounts: list[Decimal]) -> Distribution | None:
    if not amounts:
        return None
    ordered = sorted(amounts)
    total = sum(ordered, ZERO)
    top_count = max(1, math.ceil(len(ordered) / 10))
    top_total = sum(ordered[-top_count:], ZERO)
    return Distribution(
        count=len(ordered),
        total=total,
        minimum=ordered[0],
        q1=quantile(ordered, Decimal("0.25")),
        median=quantile(ordered, Decimal("0.5")),
        q3=quantile(ordered, Decimal("0.75")),
        maximum=ordered[-1],
        top_count=top_count,
        top_total=top_total,
        top_share=top_total * HUNDRED / total if total > 0 else None,
    )


def bucket_of(pct: Decimal) -> int:
    """Index into :data:`BUCKETS` of an attainment in per cent (below 0 → the first)."""
    index = 0
    for i, edge in enumerate(BUCKETS):
        if pct >= edge:
            index = i
    return index


def ratio_pct(part: Decimal, whole: Decimal) -> Decimal | None:
    return part * HUNDRED / whole if whole > 0 else None
