"""Where a scorecard's targets and actuals come from.

:func:`published_target` is the ONE place a KPI reads a person's published
target: today the revenue of their ``SalesTarget`` for the period; when the
targets capability publishes targets, point this function at it.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from jili.extensions import db
from jili.inputs.models import SalesCredit, SalesTarget
from jili.periods.models import Period


def published_target(tenant_id: int, period: Period, person_id: int) -> Decimal | None:
    """The person's published revenue target for ``period`` (None when none)."""
    return db.session.scalar(
        select(SalesTarget.revenue).where(
            SalesTarget.tenant_id == tenant_id,
            SalesTarget.period_id == period.id,
            SalesTarget.person_id == person_id,
        )
    )


def credited_revenue(tenant_id: int, period: Period, person_id: int) -> Decimal:
    """The revenue credited to the person on deals dated within ``period``."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(SalesCredit.amount), 0)).where(
            SalesCredit.tenant_id == tenant_id,
            SalesCredit.person_id == person_id,
            SalesCredit.deal_date >= period.start_date,
            SalesCredit.deal_date <= period.end_date,
        )
    )
    return Decimal(total or 0)
