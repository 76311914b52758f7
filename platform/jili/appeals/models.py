"""Appeals and pay inquiries: a named case (a score, a statement line, a missing
deal credit), its thread of messages, its evidence files, and the pay
corrections an upheld case adds to an open period."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Mapped, mapped_column

from jili.dbtypes import UTCDateTime, utcnow
from jili.extensions import db
from jili.money import Money
from jili.tenancy import TenantScoped

DEFAULT_ANSWER_DAYS = 5  # seeds 001/002: appeals answered within 5 working days
TEXT_MAX = 4000
REFERENCE_MAX = 80
FILES_PER_CASE = 10


class CaseKind(enum.StrEnum):
    SCORE = "score"  # a KPI line of a scorecard
    STATEMENT = "statement"  # a payout line of a calculation run
    CREDIT = "credit"  # a deal the person was not credited for


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    UPHELD = "upheld"
    REJECTED = "rejected"


def _enum(cls):
    return SAEnum(cls, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class AppealSetting(TenantScoped, db.Model):
    """How many working days hr has to answer a case."""

    __tablename__ = "appeal_setting"
    __table_args__ = (UniqueConstraint("tenant_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    answer_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_ANSWER_DAYS)


class AppealCase(TenantScoped, db.Model):
    """One appeal or inquiry. ``case_period_id`` is the period it is about (named
    so, not ``period_id``: a case about a closed period is still raised and
    answered; what it changes goes to an open period)."""

    __tablename__ = "appeal_case"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        Index("ix_appeal_case_tenant_status", "tenant_id", "status"),
        Index("ix_appeal_case_person", "tenant_id", "person_id"),
        ForeignKeyConstraint(["tenant_id", "person_id"], ["person.tenant_id", "person.id"]),
        ForeignKeyConstraint(["tenant_id", "case_period_id"], ["period.tenant_id", "period.id"]),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[CaseKind] = mapped_column(_enum(CaseKind))
    status: Mapped[CaseStatus] = mapped_column(_enum(CaseStatus), default=CaseStatus.OPEN)
    person_id: Mapped[int] = mapped_column(Integer)
    case_period_id: Mapped[int] = mapped_column(Integer)
    # a score appeal: the KPI line (its KPI's name and code kept, as the line has
    # no (tenant, id) key to point at), its actual when raised, the actual claimed
    scorecard_line_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    kpi_name: Mapped[str] = mapped_column(String(120), default="")
    kpi_code: Mapped[str] = mapped_column(String(80), default="")
    actual_before: Mapped[Decimal | None] = mapped_column(Numeric(18, 4), nullable=True)
    actual_claimed: Mapped[Decimal | None] = mapped_column(Numeric(18, 4), nullable=True)
    actual_upheld: Mapped[Decimal | None] = mapped_column(Numeric(18, 4), nullable=True)
    # a statement inquiry: the run and line asked about (lines are append-only)
    run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    payout_line_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    line_amount: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    # a missing deal credit: the deal's reference and the amount claimed
    reference: Mapped[str] = mapped_column(String(REFERENCE_MAX), default="")
    amount_claimed: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    raised_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    raised_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decision_note: Mapped[str] = mapped_column(Text, default="")

    @property
    def is_open(self) -> bool:
        return self.status == CaseStatus.OPEN


class AppealMessage(TenantScoped, db.Model):
    """One message of a case's thread."""

    __tablename__ = "appeal_message"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        ForeignKeyConstraint(["tenant_id", "case_id"], ["appeal_case.tenant_id", "appeal_case.id"]),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(Integer, index=True)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AppealFile(TenantScoped, db.Model):
    """An evidence file of a case, stored under instance/uploads/<tenant>/appeals/<case>/."""

    __tablename__ = "appeal_file"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        ForeignKeyConstraint(["tenant_id", "case_id"], ["appeal_case.tenant_id", "appeal_case.id"]),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    stored_as: Mapped[str] = mapped_column(String(80))  # a random file name, never the user's
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PayCorrection(TenantScoped, db.Model):
    """What an upheld case adds to a person's pay in an open period: the engine
    puts it in that period's runs as a line of its own. ``period_id`` is the
    period it is paid in, so once that period closes the row is frozen too."""

    __tablename__ = "pay_correction"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        UniqueConstraint("tenant_id", "case_id"),
        Index("ix_pay_correction_period", "tenant_id", "period_id"),
        ForeignKeyConstraint(["tenant_id", "person_id"], ["person.tenant_id", "person.id"]),
        ForeignKeyConstraint(["tenant_id", "period_id"], ["period.tenant_id", "period.id"]),
        ForeignKeyConstraint(["tenant_id", "source_period_id"], ["period.tenant_id", "period.id"]),
        ForeignKeyConstraint(["tenant_id", "case_id"], ["appeal_case.tenant_id", "appeal_case.id"]),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(Integer)
    period_id: Mapped[int] = mapped_column(Integer)
    source_period_id: Mapped[int] = mapped_column(Integer)
    case_id: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Money())
    words: Mapped[str] = mapped_column(Text)  # in English, as a run stores explanations
    explanation: Mapped[dict] = mapped_column(JSON)  # jili.schemes Explanation.to_dict()
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
