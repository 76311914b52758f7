"""What an alert rule reads: a person's attainment of a metric in a period (the
targets' progress service), or the metric's actual value."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from jili.extensions import db
from jili.inputs.models import MetricValue
from jili.periods.models import Period
from jili.targets.services import person_progress

HUNDRED = Decimal(100)


def _progress(tenant_id: int, period: Period, person_id: int, metric: str, today: date):
    for p in person_progress(tenant_id, period, person_id, today):
        if p.metric == metric:
            return p
    return None


def attainment_percent(
    tenant_id: int, period: Period, person_id: int, metric: str, today: date
) -> Decimal | None:
    """Actual ÷ target in per cent (two places), or None without a target."""
    p = _progress(tenant_id, period, person_id, metric, today)
    if p is None or p.attainment is None:
        return None
    return (Decimal(p.attainment) * HUNDRED).quantize(Decimal("0.01"))


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
