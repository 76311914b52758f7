"""Incentive tables: enabled schemes, plans and their versions, the period's
inputs (sales, targets, metric values, profit, one-off awards) and the
calculation runs with their payout lines.

Money columns are :class:`jili.money.Money` (integer hundredths). Rows that
belong to a period carry ``period_id``, so :mod:`jili.periods` refuses any
change to them once the period is closed. Transactions belong to the period
their date falls in (a refund claws back in the period it arrives); the
importer refuses dates inside a closed period.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Mapped, mapped_column, relationship

from jili.dbtypes import UTCDateTime, utcnow
from jili.extensions import db
from jili.money import Money
from jili.tenancy import TenantScoped


def _enum(cls):
    return SAEnum(cls, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class TenantScheme(TenantScoped, db.Model):
    """A scheme plugin a tenant's admin enabled (or disabled again)."""

    __tablename__ = "tenant_scheme"
    __table_args__ = (UniqueConstraint("tenant_id", "scheme_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scheme_key: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BudgetRuleChoice(enum.StrEnum):
    PROPORTIONAL = "proportional"
    PRIORITY = "priority"


#: The period kinds a budget ceiling is set for, in the order pages show them.
CEILING_KINDS = ("month", "quarter", "year", "week")


def ceiling_fields(kind: str) -> tuple[str, str]:
    """The two columns of ``kind``'s ceiling: the amount and the percent of revenue."""
    return f"ceiling_{kind}_amount", f"ceiling_{kind}_pct"


class IncentiveSetting(TenantScoped, db.Model):
    """A tenant's budget control: a ceiling on a period's total incentive cost
    for each kind of period (a month, a quarter, a year and a week each have
    their own sum and/or percent of that period's revenue; the lower of the two
    when both are set, none when neither), the rule applied when a ceiling
    cuts, and the extra released above an attainment."""

    __tablename__ = "incentive_setting"
    __table_args__ = (UniqueConstraint("tenant_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ceiling_month_amount: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    ceiling_month_pct: Mapped[Decimal | None] = mapped_column(Numeric(9, 4), nullable=True)
    ceiling_quarter_amount: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    ceiling_quarter_pct: Mapped[Decimal | None] = mapped_column(Numeric(9, 4), nullable=True)
    ceiling_year_amount: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    ceiling_year_pct: Mapped[Decimal | None] = mapped_column(Numeric(9, 4), nullable=True)
    ceiling_week_amount: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    ceiling_week_pct: Mapped[Decimal | None] = mapped_column(Numeric(9, 4), nullable=True)
    budget_rule: Mapped[BudgetRuleChoice] = mapped_column(
        _enum(BudgetRuleChoice), default=BudgetRuleChoice.PROPORTIONAL
    )
    release_from_attainment_pct: Mapped[Decimal | None] = mapped_column(
        Numeric(9, 4), nullable=True
    )
    release_pct: Mapped[Decimal] = mapped_column(Numeric(9, 4), default=Decimal("0"))

    def ceiling_for(self, kind: str) -> tuple[Decimal | None, Decimal | None]:
        """``(amount, percent of revenue)`` of the ceiling for periods of ``kind``."""
        if kind not in CEILING_KINDS:
            return None, None
        amount, pct = ceiling_fields(kind)
        return getattr(self, amount), getattr(self, pct)


class Plan(TenantScoped, db.Model):
    """A configured instance of a scheme; its settings live in versions."""

    __tablename__ = "plan"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        UniqueConstraint("tenant_id", "name"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    scheme_key: Mapped[str] = mapped_column(String(64))
    # Lower pays first when the budget rule is "priority".
    priority: Mapped[int] = mapped_column(Integer, default=100)
    # Which value of each target the plan measures against: "baseline" or
    # "challenge" (a target without a challenge value counts its baseline).
    target_basis: Mapped[str] = mapped_column(
        String(16), default="baseline", server_default="baseline"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    versions: Mapped[list[PlanVersion]] = relationship(
        primaryjoin="and_(Plan.id == PlanVersion.plan_id, Plan.tenant_id == PlanVersion.tenant_id)",
        foreign_keys="[PlanVersion.plan_id, PlanVersion.tenant_id]",
        order_by="PlanVersion.number",
        viewonly=True,
    )


class ApprovalStatus(enum.StrEnum):
    """Where a plan version stands in the maker-checker flow."""

    PROPOSED = "proposed"  # awaiting a second person's approval; never in force
    APPROVED = "approved"  # in force from its period (pilots: never in force)
    REJECTED = "rejected"  # refused by an approver, with a reason
    WITHDRAWN = "withdrawn"  # taken back by its author before a decision


class PlanVersion(TenantScoped, db.Model):
    """One version of a plan's settings and eligibility, in force from a period.

    Versions' settings are never edited: a change is a new version, *proposed*
    by its author and *approved* by someone else (an admin or owner; see
    :mod:`jili.incentives.services.approvals`) before it is in force. A period
    calculates with the latest approved non-pilot version whose
    ``effective_from`` is on or before the period's start. A pilot version is
    never in force; it runs beside the plan in force, for ``pilot_team_ids`` only.
    """

    __tablename__ = "plan_version"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        UniqueConstraint("tenant_id", "plan_id", "number"),
        ForeignKeyConstraint(["tenant_id", "plan_id"], ["plan.tenant_id", "plan.id"]),
        ForeignKeyConstraint(
            ["tenant_id", "effective_period_id"], ["period.tenant_id", "period.id"]
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    effective_period_id: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[date] = mapped_column(Date)  # the period's start date
    settings: Mapped[dict] = mapped_column(JSON)
    # {"team_ids": [...], "levels": [...], "person_ids": [...]}; empty = everyone
    eligibility: Mapped[dict] = mapped_column(JSON, default=dict)
    is_pilot: Mapped[bool] = mapped_column(Boolean, default=False)
    pilot_team_ids: Mapped[list] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The maker-checker decision: who approved or rejected (or the author who
    # withdrew), when, and a rejection's reason. Existing rows were approved.
    status: Mapped[ApprovalStatus] = mapped_column(
        _enum(ApprovalStatus), default=ApprovalStatus.PROPOSED
    )
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decision_reason: Mapped[str] = mapped_column(String(500), default="")

    @property
    def in_force_candidate(self) -> bool:
        """Approved and not a pilot: may be the version in force for a period."""
        return not self.is_pilot and self.status == ApprovalStatus.APPROVED

    plan: Mapped[Plan] = relationship(
        primaryjoin="and_(PlanVersion.plan_id == Plan.id, PlanVersion.tenant_id == Plan.tenant_id)",
        foreign_keys="[PlanVersion.plan_id, PlanVersion.tenant_id]",
        viewonly=True,
    )
    effective_period = relationship(
        "Period",
        primaryjoin="and_(PlanVersion.effective_period_id == Period.id, "
        "PlanVersion.tenant_id == Period.tenant_id)",
        foreign_keys="[PlanVersion.effective_period_id, PlanVersion.tenant_id]",
        viewonly=True,
    )


class RunKind(enum.StrEnum):
    FINAL = "final"  # counts for payouts: the latest final run of the period
    PILOT = "pilot"  # shadow calculation, never paid


class CalculationRun(TenantScoped, db.Model):
    """An immutable calculation of a period: its inputs' fingerprint, the plan
    versions used, the budget outcome, the total. Its lines are in
    :class:`PayoutLineRecord`. Append-only, like the audit log."""

    __tablename__ = "calculation_run"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        UniqueConstraint("tenant_id", "period_id", "number"),
        ForeignKeyConstraint(["tenant_id", "period_id"], ["period.tenant_id", "period.id"]),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, … per period
    kind: Mapped[RunKind] = mapped_column(_enum(RunKind), default=RunKind.FINAL)
    fingerprint: Mapped[str] = mapped_column(String(64))
    # [{"plan_id", "plan_name", "version_id", "version", "scheme_key", "status"}]
    plans: Mapped[list] = mapped_column(JSON)
    # {"ceiling", "rule", "total_before", "total_after", "applied"} (money as strings)
    budget: Mapped[dict] = mapped_column(JSON)
    notes: Mapped[list] = mapped_column(JSON, default=list)
    total: Mapped[Decimal] = mapped_column(Money())
    line_count: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT"), nullable=True
    )
    created_by_label: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    period = relationship(
        "Period",
        primaryjoin="and_(CalculationRun.period_id == Period.id, "
        "CalculationRun.tenant_id == Period.tenant_id)",
        foreign_keys="[CalculationRun.period_id, CalculationRun.tenant_id]",
        viewonly=True,
    )


class PayoutLineRecord(TenantScoped, db.Model):
    """One payout line of a run, with its explanation (JSON). Append-only."""

    __tablename__ = "payout_line"
    __table_args__ = (
        Index("ix_payout_line_run_person", "tenant_id", "run_id", "person_id"),
        ForeignKeyConstraint(
            ["tenant_id", "run_id"], ["calculation_run.tenant_id", "calculation_run.id"]
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[int] = mapped_column(Integer)
    plan_id: Mapped[int] = mapped_column(Integer)
    plan_version_id: Mapped[int] = mapped_column(Integer)
    scheme_key: Mapped[str] = mapped_column(String(64))
    component: Mapped[str] = mapped_column(String(60), default="")
    amount: Mapped[Decimal] = mapped_column(Money())
    amount_before_budget: Mapped[Decimal] = mapped_column(Money())
    once_key: Mapped[str | None] = mapped_column(String(120), nullable=True)
    # "" for final lines; "in_force" / "pilot" for the two sides of a pilot run
    side: Mapped[str] = mapped_column(String(10), default="")
    explanation: Mapped[dict] = mapped_column(JSON)
    explanation_text: Mapped[str] = mapped_column(Text, default="")


class RunIsImmutable(RuntimeError):
    pass


@event.listens_for(CalculationRun, "before_update")
@event.listens_for(CalculationRun, "before_delete")
@event.listens_for(PayoutLineRecord, "before_update")
@event.listens_for(PayoutLineRecord, "before_delete")
def _refuse_rewrite(mapper, connection, target) -> None:
    raise RunIsImmutable("calculation runs and their lines are never changed")


def run_number_next(tenant_id: int, period_id: int) -> int:
    from sqlalchemy import func, select

    current = db.session.scalar(
        select(func.max(CalculationRun.number)).where(
            CalculationRun.tenant_id == tenant_id, CalculationRun.period_id == period_id
        )
    )
    return (current or 0) + 1
