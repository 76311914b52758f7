"""The ``job`` table: one row per background job (a calculation, a pilot run, an
import, an export) with its state, phase, percentage and outcome.

``active_key`` is set while a job is queued or running and cleared when it ends;
with ``UNIQUE (tenant_id, active_key)`` the database itself refuses a second job
of the same kind on the same period while one is still going (NULLs never
collide, so finished jobs do not count).

The period column is ``about_period_id`` on purpose: rows carrying a
``period_id`` are refused once their period is closed, and a job *about* a closed
period (exporting its payroll) is still allowed.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
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
from jili.tenancy import TenantScoped


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    #: stopped to ask a question (the budget deep cut): nothing stored
    NEEDS_CONFIRMATION = "confirm"


ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)


class Job(TenantScoped, db.Model):
    __tablename__ = "job"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        UniqueConstraint("tenant_id", "active_key"),
        ForeignKeyConstraint(
            ["tenant_id", "about_period_id"], ["period.tenant_id", "period.id"], ondelete="CASCADE"
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: calculate, pilot, import_transactions, import_targets, import_metrics, export_payroll
    kind: Mapped[str] = mapped_column(String(40))
    about_period_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: "<kind>:<period or ->" while queued or running, else NULL
    active_key: Mapped[str | None] = mapped_column(String(80), nullable=True)
    status: Mapped[JobStatus] = mapped_column(
        SAEnum(
            JobStatus,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=JobStatus.QUEUED,
    )
    #: facts, schemes, budget, storing, reading, checking, writing…
    phase: Mapped[str] = mapped_column(String(40), default="")
    percent: Mapped[int] = mapped_column(Integer, default=0)
    #: a message key of jili.jobs.words and its arguments — words, never a traceback
    message: Mapped[str] = mapped_column(String(60), default="")
    message_args: Mapped[dict] = mapped_column(JSON, default=dict)
    #: what the job was asked: version id, confirmation, file name, format, run id
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    #: what it produced: run id, import counts and errors, export file
    result: Mapped[dict] = mapped_column(JSON, default=dict)
    locale: Mapped[str] = mapped_column(String(16), default="")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE
