"""Attainment to date: every target of a person or a team against its actual,
and the pace still needed per remaining working day.

Actuals of money and count metrics come from the credited transactions
(:class:`jili.inputs.models.SalesCredit`) dated in the period up to today; a
team's are its members' and its sub-teams' members'. Entered metrics read the
period's metric values (:class:`jili.inputs.models.MetricValue` with the code).
Working days come from :func:`working_days_between` (Mon–Fri until the
tenant's calendar, :mod:`jili.workdays`, lands).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import distinct, func, select

from jili.extensions import db
from jili.inputs.models import MetricValue, SalesCredit, SalesTarget, Transaction
from jili.org.models import Person, Team
from jili.periods.models import Period
from jili.targets.models import ActualSource
from jili.targets.services.core import subject_targets
from jili.targets.services.metrics import MetricDef, by_code

ZERO = Decimal(0)


def working_days_between(tenant_id: int, a: date, b: date) -> int:
    """Working days d with a < d ≤ b: the tenant's calendar when
    :mod:`jili.workdays` provides one, otherwise Monday to Friday."""
    try:
        from jili.workdays import services as workdays  # noqa: PLC0415
    except ImportError:  # pragma: no cover - until jili.workdays lands
        workdays = None
    fn = getattr(workdays, "working_days_between", None) if workdays else None
    if fn is not None:
        return fn(tenant_id, a, b)
    if b <= a:
        return 0
    days = (b - a).days
    weeks, rest = divmod(days, 7)
    count = weeks * 5
    for i in range(1, rest + 1):
        if (a + timedelta(days=weeks * 7 + i)).weekday() < 5:
            count += 1
    return count


@dataclass(frozen=True)
class Progress:
    """One target's progress: ``attainment`` is actual / target (a ratio, 1 =
    100 %), None without a positive target; ``pace_per_day`` is what is still
    needed per remaining working day (None when none are left or nothing is)."""

    metric: str
    label: str
    unit: str
    is_money: bool
    higher_is_better: bool
    target: Decimal
    challenge: Decimal | None
    actual: Decimal
    attainment: Decimal | None
    remaining_working_days: int
    pace_per_day: Decimal | None

    @property
    def pct(self) -> Decimal:
        return (self.attainment or ZERO) * 100

    @property
    def remaining(self) -> Decimal:
        return max(self.target - self.actual, ZERO)


def _remaining_days(tenant_id: int, period: Period, today: date) -> int:
    if today > period.end_date:
        return 0
    # today counts while it is still running: the working days from today on
    start = max(today, period.start_date) - timedelta(days=1)
    return working_days_between(tenant_id, start, period.end_date)


def _progress(
    tenant_id: int, period: Period, today: date, targets: list[SalesTarget], actuals: dict
) -> list[Progress]:
    metrics = by_code(tenant_id)
    order = {code: i for i, code in enumerate(metrics)}
    days = _remaining_days(tenant_id, period, today)
    out = []
    for t in sorted(targets, key=lambda t: (order.get(t.metric, len(order)), t.metric)):
        m = metrics.get(t.metric)
        if m is None:
            continue
        actual = actuals.get(t.metric, ZERO)
        attainment = actual / t.baseline if t.baseline > 0 else None
        pace = None
        if days > 0 and m.higher_is_better and actual < t.baseline:
            pace = (t.baseline - actual) / days
        out.append(
            Progress(
                t.metric,
                m.label,
                m.unit,
                m.is_money,
                m.higher_is_better,
                t.baseline,
                t.challenge,
                actual,
                attainment,
                days,
                pace,
            )
        )
    return out


def _targets_of(tenant_id: int, period_id: int, **subject) -> list[SalesTarget]:
    return subject_targets(tenant_id, period_id, **subject)


def person_progress(tenant_id: int, period: Period, person_id: int, today: date) -> list[Progress]:
    """Each target of the person in ``period`` against their actual to ``today``."""
    targets = _targets_of(tenant_id, period.id, person_id=person_id)
    if not targets:
        return []
    metrics = by_code(tenant_id)
    actuals = actuals_for(
        tenant_id,
        period,
        today,
        [metrics[t.metric] for t in targets if t.metric in metrics],
        people=[person_id],
        person_id=person_id,
    )
    return _progress(tenant_id, period, today, targets, actuals)


def team_progress(tenant_id: int, period: Period, team_id: int, today: date) -> list[Progress]:
    """Each target of the team in ``period`` against its members' actuals (the
    team's sub-teams included) to ``today``."""
    targets = _targets_of(tenant_id, period.id, team_id=team_id)
    if not targets:
        return []
    metrics = by_code(tenant_id)
    actuals = actuals_for(
        tenant_id,
        period,
        today,
        [metrics[t.metric] for t in targets if t.metric in metrics],
        people=team_members(tenant_id, team_id),
        team_id=team_id,
    )
    return _progress(tenant_id, period, today, targets, actuals)


def team_members(tenant_id: int, team_id: int) -> list[int]:
    """Ids of the people in the team and all its sub-teams."""
    parents = dict(
        db.session.execute(select(Team.id, Team.parent_id).where(Team.tenant_id == tenant_id)).all()
    )
    teams, frontier = {team_id}, [team_id]
    while frontier:
        node = frontier.pop()
        for tid, parent in parents.items():
            if parent == node and tid not in teams:
                teams.add(tid)
                frontier.append(tid)
    return list(
        db.session.scalars(
            select(Person.id).where(Person.tenant_id == tenant_id, Person.team_id.in_(teams))
        )
    )


def actuals_for(
    tenant_id: int,
    period: Period,
    today: date,
    metrics: list[MetricDef],
    *,
    people: list[int],
    person_id: int | None = None,
    team_id: int | None = None,
) -> dict[str, Decimal]:
    """metric code → the actual to ``today`` (transactions of ``people``, or the
    entered value of the person or team)."""
    out: dict[str, Decimal] = {}
    end = min(today, period.end_date)
    for m in metrics:
        if m.source == ActualSource.ENTERED:
            value = db.session.scalar(
                select(MetricValue.actual).where(
                    MetricValue.tenant_id == tenant_id,
                    MetricValue.period_id == period.id,
                    MetricValue.metric == m.code,
                    MetricValue.person_id == person_id
                    if person_id
                    else MetricValue.team_id == team_id,
                )
            )
            out[m.code] = Decimal(value) if value is not None else ZERO
        else:
            out[m.code] = _from_transactions(tenant_id, period.start_date, end, m, people)
    return out


def _from_transactions(
    tenant_id: int, start: date, end: date, m: MetricDef, people: list[int]
) -> Decimal:
    if not people or end < start:
        return ZERO
    column = {
        "amount": func.sum(SalesCredit.amount),
        "collected": func.sum(SalesCredit.collected_amount),
        "margin": func.sum(SalesCredit.margin),
        "deals": func.count(distinct(SalesCredit.transaction_id)),
        "new_customers": func.count(distinct(SalesCredit.transaction_id)),
    }[m.measure or "amount"]
    query = select(column).where(
        SalesCredit.tenant_id == tenant_id,
        SalesCredit.person_id.in_(people),
        SalesCredit.deal_date >= start,
        SalesCredit.deal_date <= end,
    )
    if m.measure in ("deals", "new_customers"):
        query = query.where(SalesCredit.amount > 0)
    if m.measure == "new_customers":
        query = query.join(
            Transaction,
            (Transaction.tenant_id == SalesCredit.tenant_id)
            & (Transaction.id == SalesCredit.transaction_id),
        ).where(Transaction.new_customer.is_(True))
    if m.product_line:
        query = query.where(SalesCredit.product_line == m.product_line)
    if m.region:
        query = query.where(SalesCredit.region == m.region)
    value = db.session.scalar(query)
    return Decimal(value or 0)
