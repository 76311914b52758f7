"""Targets' own tables: the tenant's metrics and each period's publication.

The targets themselves stay in :class:`jili.inputs.models.SalesTarget` (one row
per subject × metric, baseline and optional challenge); this module re-exports
it so the capability reads as one.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Mapped, mapped_column

from jili.dbtypes import UTCDateTime, utcnow
from jili.extensions import db
from jili.inputs.models import SalesTarget
from jili.tenancy import TenantScoped

__all__ = [
    "ActualSource",
    "MetricKind",
    "PublicationStatus",
    "SalesTarget",
    "TargetMetric",
    "TargetPublication",
]


def _enum(cls):
    return SAEnum(cls, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class MetricKind(enum.StrEnum):
    MONEY = "money"
    COUNT = "count"
    NUMBER = "number"


class ActualSource(enum.StrEnum):
    """Where a metric's actuals come from: summed from transactions by a rule,
    or entered/imported as metric values (:class:`jili.inputs.models.MetricValue`
    rows whose ``metric`` is the code)."""

    TRANSACTIONS = "transactions"
    ENTERED = "entered"


class PublicationStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class TargetMetric(TenantScoped, db.Model):
    """A tenant-defined metric targets can be set on (besides the built-ins).

    With ``source == transactions`` the actual is ``measure`` (``amount``,
    ``collected``, ``margin``, ``deals``, ``new_customers``) of the person's
    credited transactions in the period, optionally only those of one product
    line and/or region.
    """

    __tablename__ = "target_metric"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        UniqueConstraint("tenant_id", "code"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    unit: Mapped[str] = mapped_column(String(20), default="")
    kind: Mapped[MetricKind] = mapped_column(_enum(MetricKind), default=MetricKind.NUMBER)
    higher_is_better: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[ActualSource] = mapped_column(_enum(ActualSource), default=ActualSource.ENTERED)
    measure: Mapped[str] = mapped_column(String(20), default="")
    product_line: Mapped[str] = mapped_column(String(80), default="")
    region: Mapped[str] = mapped_column(String(80), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)


class TargetPublication(TenantScoped, db.Model):
    """A period's targets: draft until published; ``version`` is 1 at
    publication and goes up with every change after it (0 = never published)."""

    __tablename__ = "target_publication"
    __table_args__ = (
        UniqueConstraint("tenant_id", "period_id"),
        ForeignKeyConstraint(["tenant_id", "period_id"], ["period.tenant_id", "period.id"]),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[PublicationStatus] = mapped_column(
        _enum(PublicationStatus), default=PublicationStatus.DRAFT
    )
    version: Mapped[int] = mapped_column(Integer, default=0)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    published_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    published_by_label: Mapped[str] = mapped_column(String(254), default="")
    # publishing with parents whose children don't add up needs a reason
    accepted_difference_reason: Mapped[str] = mapped_column(String(500), default="")
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
