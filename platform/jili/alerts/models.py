"""Alert rules, the alerts they raise, and the improvement plans red alerts ask for."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKeyConstraint,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from jili.dbtypes import UTCDateTime, utcnow
from jili.extensions import db
from jili.tenancy import TenantScoped


class Level(enum.StrEnum):
    YELLOW = "yellow"
    RED = "red"


class Measure(enum.StrEnum):
    ATTAINMENT = "attainment"  # actual ÷ target, threshold in per cent
    VALUE = "value"  # the metric's actual itself


class AlertRule(TenantScoped, db.Model):
    """Raise ``level`` for a person whose ``measure`` of ``metric`` is below
    ``threshold`` in ``periods`` consecutive ended periods of ``period_kind``."""

    __tablename__ = "alert_rule"
    __table_args__ = (UniqueConstraint("tenant_id", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), default="")  # optional, the tenant's words
    level: Mapped[str] = mapped_column(String(10), default=Level.YELLOW.value)
    measure: Mapped[str] = mapped_column(String(12), default=Measure.ATTAINMENT.value)
    metric: Mapped[str] = mapped_column(String(40), default="revenue")
    threshold: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    periods: Mapped[int] = mapped_column(Integer, default=1)
    period_kind: Mapped[str] = mapped_column(String(10), default="month")
    plan_days: Mapped[int] = mapped_column(Integer, default=0)  # 0: no plan asked
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Alert(TenantScoped, db.Model):
    """A rule met for a person, as of the last period of the streak."""

    __tablename__ = "alert"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        UniqueConstraint("tenant_id", "rule_id", "person_id", "period_id"),
        ForeignKeyConstraint(
            ["tenant_id", "rule_id"], ["alert_rule.tenant_id", "alert_rule.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(["tenant_id", "person_id"], ["person.tenant_id", "person.id"]),
        ForeignKeyConstraint(["tenant_id", "period_id"], ["period.tenant_id", "period.id"]),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[int] = mapped_column(Integer)
    period_id: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(10))
    metric: Mapped[str] = mapped_column(String(40))
    # [[period label, value as text], …] oldest first: what the rule saw
    values: Mapped[list] = mapped_column(JSON, default=list)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Withdrawn when the rule no longer holds for its periods (kept, not deleted):
    # when, and what the rule saw then ([[period label, value as text or None], …]).
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    withdrawn_values: Mapped[list | None] = mapped_column(JSON, nullable=True)

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class ImprovementPlan(TenantScoped, db.Model):
    """What a red alert — or a C rating of a period (``scorecard_id``) — asks for:
    actions and a follow-up date, due by ``due_date``; then a second evaluation on
    the follow-up with its outcome (improved, not improved)."""

    __tablename__ = "improvement_plan"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        UniqueConstraint("tenant_id", "alert_id"),
        UniqueConstraint("tenant_id", "scorecard_id"),
        ForeignKeyConstraint(
            ["tenant_id", "alert_id"], ["alert.tenant_id", "alert.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(
            ["tenant_id", "scorecard_id"], ["scorecard.tenant_id", "scorecard.id"]
        ),
        ForeignKeyConstraint(["tenant_id", "person_id"], ["person.tenant_id", "person.id"]),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # a red alert's plan
    scorecard_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # a C rating's
    person_id: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date] = mapped_column(Date)
    actions: Mapped[str] = mapped_column(Text, default="")
    follow_up_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    submitted_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    submitted_by: Mapped[str] = mapped_column(String(254), default="")
    late_notified: Mapped[bool] = mapped_column(Boolean, default=False)
    # The second evaluation, on or after the follow-up date.
    second_rating: Mapped[str | None] = mapped_column(String(8), nullable=True)
    second_outcome: Mapped[str] = mapped_column(String(16), default="")  # improved / not_improved
    second_note: Mapped[str] = mapped_column(Text, default="")
    second_evaluated_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    second_evaluated_by: Mapped[str] = mapped_column(String(254), default="")
