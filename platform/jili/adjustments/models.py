"""Target adjustment requests and the tenant's rule for how far a target may move
without a director."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Mapped, deferred, mapped_column

from jili.dbtypes import UTCDateTime, utcnow
from jili.extensions import db
from jili.money import Money
from jili.tenancy import TenantScoped

DEFAULT_LIMIT_PCT = Decimal("10")  # seed 000: a quarterly review may move a target ±10 %
REASON_MAX = 2000


class AdjustmentStatus(enum.StrEnum):
    REVIEW = "review"  # waiting for hr's data review
    APPROVAL = "approval"  # reviewed, waiting for the approver
    APPROVED = "approved"
    REJECTED = "rejected"


class AdjustmentSetting(TenantScoped, db.Model):
    """The tenant's rule: a change within ±``limit_pct`` % of the current target may
    be approved by the person's manager; beyond it only a director may."""

    __tablename__ = "adjustment_setting"
    __table_args__ = (UniqueConstraint("tenant_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    limit_pct: Mapped[Decimal] = mapped_column(Numeric(7, 2), default=DEFAULT_LIMIT_PCT)


class AdjustmentRequest(TenantScoped, db.Model):
    """A request to change one published target (its baseline) of a person or a team."""

    __tablename__ = "adjustment_request"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        Index("ix_adjustment_request_tenant_status", "tenant_id", "status"),
        Index("ix_adjustment_request_person", "tenant_id", "person_id", "period_id"),
        ForeignKeyConstraint(["tenant_id", "period_id"], ["period.tenant_id", "period.id"]),
        ForeignKeyConstraint(["tenant_id", "person_id"], ["person.tenant_id", "person.id"]),
        Index("ix_adjustment_request_team", "tenant_id", "team_id", "period_id"),
        ForeignKeyConstraint(["tenant_id", "team_id"], ["team.tenant_id", "team.id"]),
        CheckConstraint("(person_id IS NULL) <> (team_id IS NULL)", name="one_subject"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(Integer)
    # one person's target, or one team's (exactly one of the two)
    person_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    team_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    metric: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[Decimal] = mapped_column(Money())
    new_value: Mapped[Decimal] = mapped_column(Money())
    reason: Mapped[str] = mapped_column(Text)
    # beyond the tenant's limit when asked: only a director may approve
    needs_director: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[AdjustmentStatus] = mapped_column(
        SAEnum(
            AdjustmentStatus,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=AdjustmentStatus.REVIEW,
    )
    evidence_name: Mapped[str] = mapped_column(String(200), default="")
    evidence_type: Mapped[str] = mapped_column(String(100), default="")
    evidence_data: Mapped[bytes | None] = deferred(mapped_column(LargeBinary, nullable=True))
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reviewed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    review_note: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decision_note: Mapped[str] = mapped_column(Text, default="")
