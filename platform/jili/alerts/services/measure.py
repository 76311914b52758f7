"""What an alert rule reads: a person's attainment of a metric in a period (from
the targets' progress service), or the metric's actual value."""

from __future__ import annotations

import importlib
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from jili.extensions import db
from jili.inputs.models import MetricValue, SalesCredit, SalesTarget
from jili.periods.models import Period


def _targets_progress():
    """The targets capability's ``person_progress`` (issue 12 item 7), or None while
    that capability has no services yet (then the old money targets are read)."""
    try:
        module = importlib.import_module("jili.targets.services")
    except ImportError:
        return None
    return getattr(module, "person_progress", None)


_person_progress = _targets_progress()

HUNDRED = Decimal(100)
_ACTUAL_COLUMN = {
    "revenue": SalesCredit.amount,
    "collected": SalesCredit.collected_amount,
    "margin": SalesCredit.margin,
}


def _progress(tenant_id: int, period: Period, person_id: int, metric: str, today: date):
    if _person_progress is None:
        return None
    for p in _person_progress(tenant_id, period, person_id, today):
        if p.metric == metric:
            return p
    return None


def _legacy_attainment(tenant_id: int, period: Period, person_id: int, metric: str):
    """Before the targets capability: the money targets of the old SalesTarget row."""
    column = _ACTUAL_COLUMN.get(metric)
    target_col = getattr(SalesTarget, metric, None)
    if column is None or target_col is None:
        return None
    target = db.session.scalar(
        select(target_col).where(
            SalesTarget.tenant_id == tenant_id,
            SalesTarget.period_id == period.id,
            SalesTarget.person_id == person_id,
        )
    )
    if not target:
        return None
    actual = db.session.scalar(
        select(func.coalesce(func.sum(column), 0)).where(
            SalesCredit.tenant_id == tenant_id,
            SalesCredit.person_id == person_id,
            SalesCredit.deal_date >= period.start_date,
            SalesCredit.deal_date <= period.end_date,
        )
    )
    return Decimal(actual) / Decimal(target)


def attainment_percent(
    tenant_id: int, period: Period, person_id: int, metric: str, today: date
) -> Decimal | None:
    """Actual ÷ target in per cent (two places), or None without a target."""
    if _person_progress is not None:
        p = _progress(tenant_id, period, person_id, metric, today)
        ratio = None if p is None else p.attainment
    else:
        ratio = _legacy_attainment(tenant_id, period, person_id, metric)
    if ratio is None:
        return None
    return (Decimal(ratio) * HUNDRED).quantize(Decimal("0.01"))


def actual_value(
    tenant_id: int, period: Period, person_id: int, metric: str, today: date
) -> Decimal | None:
    """The metric's actual: an entered value, else the progress service's actual."""
    entered = db.session.scalar(
        select(MetricValue.actual).where(
            MetricValue.tenant_id == tenant_id,
            MetricValue.period_id == period.id,
            MetricValue.person_id == person_id,
            MetricValue.metric == metric,
        )
    )
    if entered is not None:
        return Decimal(entered)
    p = _progress(tenant_id, period, person_id, metric, today)
    return None if p is None or p.actual is None else Decimal(p.actual)
