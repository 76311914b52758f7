"""Where a scorecard's targets and actuals come from.

:func:`published_target` is the ONE place a KPI reads a person's published
revenue target (its baseline) of the period, as the targets capability
publishes it — nothing while the period's targets are still a draft.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from jili.extensions import db
from jili.inputs.models import SalesCredit
from jili.periods.models import Period
from jili.targets.services import published_targets


def published_target(tenant_id: int, period: Period, person_id: int) -> Decimal | None:
    """The person's published revenue target for ``period`` (None when none)."""
    for line in published_targets(tenant_id, period.id, person_id):
        if line.metric == "revenue":
            return line.baseline
    return None


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
