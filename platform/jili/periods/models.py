from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import Date, ForeignKeyConstraint, Index, Integer, String, UniqueConstraint
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Mapped, mapped_column, relationship

from jili.extensions import db
from jili.tenancy import TenantScoped


class PeriodKind(enum.StrEnum):
    YEAR = "year"
    QUARTER = "quarter"
    MONTH = "month"
    WEEK = "week"


class PeriodStatus(enum.StrEnum):
    OPEN = "open"
    CALCULATED = "calculated"
    PUBLISHED = "published"
    CLOSED = "closed"


class Period(TenantScoped, db.Model):
    """A year, quarter, month or week of the tenant's fiscal calendar."""

    __tablename__ = "period"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        UniqueConstraint("tenant_id", "label"),
        Index("ix_period_tenant_parent", "tenant_id", "parent_id"),
        Index("ix_period_tenant_start", "tenant_id", "start_date"),
        ForeignKeyConstraint(["tenant_id", "parent_id"], ["period.tenant_id", "period.id"]),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[PeriodKind] = mapped_column(
        SAEnum(
            PeriodKind, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]
        )
    )
    label: Mapped[str] = mapped_column(String(20))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)  # inclusive
    parent_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[PeriodStatus] = mapped_column(
        SAEnum(
            PeriodStatus,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=PeriodStatus.OPEN,
    )

    parent: Mapped[Period | None] = relationship(
        primaryjoin="and_(Period.parent_id == remote(Period.id), Period.tenant_id == remote(Period.tenant_id))",
        foreign_keys="[Period.parent_id]",
        viewonly=True,
    )

    @property
    def is_closed(self) -> bool:
        return self.status == PeriodStatus.CLOSED
