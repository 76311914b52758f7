"""The evaluation tables: KPI library, KPI sets per level, tenant-defined levels,
rating bands, and the scorecards of a period with one line per KPI."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
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

from jili.extensions import db
from jili.tenancy import TenantScoped

DEFAULT_CAP = Decimal(100)


class KpiCategory(enum.StrEnum):
    RESULT = "result"
    PROCESS = "process"


class KpiSource(enum.StrEnum):
    TRANSACTIONS = "transactions"  # actual: the person's credited revenue in the period
    TARGETS = "targets"  # target and actual: the person's published revenue target
    ENTERED = "entered"  # actual entered by hr


def _enum(cls):
    return SAEnum(cls, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class Kpi(TenantScoped, db.Model):
    """A KPI of the library. ``code`` is the metric name its values carry."""

    __tablename__ = "kpi"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        UniqueConstraint("tenant_id", "code"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[KpiCategory] = mapped_column(_enum(KpiCategory), default=KpiCategory.RESULT)
    unit: Mapped[str] = mapped_column(String(20), default="")
    higher_is_better: Mapped[bool] = mapped_column(Boolean, default=True)
    formula: Mapped[str] = mapped_column(String(500), default="")
    source: Mapped[KpiSource] = mapped_column(_enum(KpiSource), default=KpiSource.ENTERED)
    default_target: Mapped[Decimal | None] = mapped_column(Numeric(18, 4), nullable=True)
    cap: Mapped[Decimal] = mapped_column(Numeric(9, 4), default=DEFAULT_CAP)


class EvaluationLevel(TenantScoped, db.Model):
    """A tenant-defined level besides newcomer, core and manager."""

    __tablename__ = "evaluation_level"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))


class PersonLevel(TenantScoped, db.Model):
    """A person evaluated at a tenant-defined level instead of their org level."""

    __tablename__ = "evaluation_person_level"
    __table_args__ = (
        UniqueConstraint("tenant_id", "person_id"),
        ForeignKeyConstraint(["tenant_id", "person_id"], ["person.tenant_id", "person.id"]),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(40))


class KpiSet(TenantScoped, db.Model):
    """The KPIs a level is evaluated on, with their weights."""

    __tablename__ = "kpi_set"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        UniqueConstraint("tenant_id", "level"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120), default="")


class KpiSetItem(TenantScoped, db.Model):
    __tablename__ = "kpi_set_item"
    __table_args__ = (
        UniqueConstraint("tenant_id", "set_id", "kpi_id"),
        ForeignKeyConstraint(["tenant_id", "set_id"], ["kpi_set.tenant_id", "kpi_set.id"]),
        ForeignKeyConstraint(["tenant_id", "kpi_id"], ["kpi.tenant_id", "kpi.id"]),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    set_id: Mapped[int] = mapped_column(Integer)
    kpi_id: Mapped[int] = mapped_column(Integer)
    weight: Mapped[Decimal] = mapped_column(Numeric(9, 4))
    target: Mapped[Decimal | None] = mapped_column(Numeric(18, 4), nullable=True)


class RatingBand(TenantScoped, db.Model):
    """A rating from ``min_score`` up; ``share_limit`` (percent of people) when a
    forced distribution applies to it."""

    __tablename__ = "rating_band"
    __table_args__ = (UniqueConstraint("tenant_id", "label"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(8))
    min_score: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    share_limit: Mapped[Decimal | None] = mapped_column(Numeric(5, 2), nullable=True)


class Scorecard(TenantScoped, db.Model):
    """A person's evaluation in a period: total score and rating."""

    __tablename__ = "scorecard"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        UniqueConstraint("tenant_id", "period_id", "person_id"),
        ForeignKeyConstraint(["tenant_id", "period_id"], ["period.tenant_id", "period.id"]),
        ForeignKeyConstraint(["tenant_id", "person_id"], ["person.tenant_id", "person.id"]),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(40))
    total: Mapped[Decimal | None] = mapped_column(Numeric(7, 2), nullable=True)
    rating: Mapped[str | None] = mapped_column(String(8), nullable=True)
    adjusted_rating: Mapped[str | None] = mapped_column(String(8), nullable=True)
    adjust_reason: Mapped[str] = mapped_column(String(500), default="")

    @property
    def final_rating(self) -> str | None:
        return self.adjusted_rating or self.rating


class ScorecardLine(TenantScoped, db.Model):
    """One KPI of a scorecard: weight, target, actual and its score."""

    __tablename__ = "scorecard_line"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        UniqueConstraint("tenant_id", "scorecard_id", "kpi_id"),
        Index("ix_scorecard_line_tenant_period", "tenant_id", "period_id"),
        ForeignKeyConstraint(
            ["tenant_id", "scorecard_id"], ["scorecard.tenant_id", "scorecard.id"]
        ),
        ForeignKeyConstraint(["tenant_id", "kpi_id"], ["kpi.tenant_id", "kpi.id"]),
        ForeignKeyConstraint(["tenant_id", "period_id"], ["period.tenant_id", "period.id"]),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(Integer)
    period_id: Mapped[int] = mapped_column(Integer)  # so closed periods refuse changes
    kpi_id: Mapped[int] = mapped_column(Integer)
    weight: Mapped[Decimal] = mapped_column(Numeric(9, 4))
    target: Mapped[Decimal | None] = mapped_column(Numeric(18, 4), nullable=True)
    actual: Mapped[Decimal | None] = mapped_column(Numeric(18, 4), nullable=True)
    higher_is_better: Mapped[bool] = mapped_column(Boolean, default=True)
    cap: Mapped[Decimal] = mapped_column(Numeric(9, 4), default=DEFAULT_CAP)
    score: Mapped[Decimal | None] = mapped_column(Numeric(9, 4), nullable=True)


# --- the evaluation cycle (self-assessment → manager scoring → hr → publication → final) ---


class CycleStage(enum.StrEnum):
    SELF = "self"  # people assess themselves
    MANAGER = "manager"  # managers score their people
    CALIBRATION = "calibration"  # hr calibrates and aggregates
    PUBLISHED = "published"  # results shown; appeals during the window, then answered
    FINAL = "final"


#: Working-day deadlines after the period's end (seeds 001, 002), a tenant setting.
DEFAULT_DEADLINES = {
    "self_days": 3,
    "manager_days": 5,
    "publication_days": 3,
    "appeal_days": 5,
    "payout_days": 10,
}


class CycleSettings(TenantScoped, db.Model):
    """A company's cycle deadlines in working days; no row = the seed's defaults."""

    __tablename__ = "evaluation_cycle_settings"
    __table_args__ = (UniqueConstraint("tenant_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    self_days: Mapped[int] = mapped_column(Integer, default=3)
    manager_days: Mapped[int] = mapped_column(Integer, default=5)
    publication_days: Mapped[int] = mapped_column(Integer, default=3)
    appeal_days: Mapped[int] = mapped_column(Integer, default=5)
    payout_days: Mapped[int] = mapped_column(Integer, default=10)


class EvaluationCycle(TenantScoped, db.Model):
    """A period's evaluation cycle: its stage and the days each step ended."""

    __tablename__ = "evaluation_cycle"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        UniqueConstraint("tenant_id", "period_id"),
        ForeignKeyConstraint(["tenant_id", "period_id"], ["period.tenant_id", "period.id"]),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(Integer)
    stage: Mapped[CycleStage] = mapped_column(_enum(CycleStage), default=CycleStage.SELF)
    started_on: Mapped[date] = mapped_column(Date)
    self_closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    manager_closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    published_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    finalised_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    reminded_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class LineAssessment(TenantScoped, db.Model):
    """The person's self-assessment and the manager's scoring of one scorecard line."""

    __tablename__ = "scorecard_assessment"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        UniqueConstraint("tenant_id", "line_id"),
        ForeignKeyConstraint(
            ["tenant_id", "line_id"], ["scorecard_line.tenant_id", "scorecard_line.id"]
        ),
        ForeignKeyConstraint(["tenant_id", "period_id"], ["period.tenant_id", "period.id"]),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_id: Mapped[int] = mapped_column(Integer)
    period_id: Mapped[int] = mapped_column(Integer)  # so closed periods refuse changes
    self_actual: Mapped[Decimal | None] = mapped_column(Numeric(18, 4), nullable=True)
    self_evidence: Mapped[str] = mapped_column(Text, default="")
    self_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    self_late: Mapped[bool] = mapped_column(Boolean, default=False)
    manager_actual: Mapped[Decimal | None] = mapped_column(Numeric(18, 4), nullable=True)
    manager_comment: Mapped[str] = mapped_column(Text, default="")
    manager_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    manager_late: Mapped[bool] = mapped_column(Boolean, default=False)
    manager_name: Mapped[str] = mapped_column(String(200), default="")


class EvidenceFile(TenantScoped, db.Model):
    """A file attached to a self-assessment line; the bytes live under
    instance/uploads/<tenant>/evaluation/ (``stored_name``)."""

    __tablename__ = "scorecard_evidence"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        ForeignKeyConstraint(
            ["tenant_id", "line_id"], ["scorecard_line.tenant_id", "scorecard_line.id"]
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_id: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    stored_name: Mapped[str] = mapped_column(String(80))
    uploaded_on: Mapped[date] = mapped_column(Date)
