"""The tenant's letter template and each person's responsibility letters.

A letter keeps a frozen copy of what it said (``content``: the target lines, the
plans, the template's paragraphs, the deadline) so the version a person
acknowledged reads the same forever; a later change of their targets issues a
new version instead of editing the old one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from jili.dbtypes import UTCDateTime, utcnow
from jili.extensions import db
from jili.tenancy import TenantScoped

TITLE_MAX = 200
TEXT_MAX = 4000
DEFAULT_ACK_DAYS = 5


class LetterTemplate(TenantScoped, db.Model):
    """What a tenant's responsibility letters say around the targets: one per tenant."""

    __tablename__ = "letter_template"
    __table_args__ = (UniqueConstraint("tenant_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    opening: Mapped[str] = mapped_column(Text, default="")
    support: Mapped[str] = mapped_column(Text, default="")  # support resources
    authority: Mapped[str] = mapped_column(Text, default="")  # authority limits, a line each
    closing: Mapped[str] = mapped_column(Text, default="")
    # days after issue within which the person is asked to acknowledge
    acknowledge_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_ACK_DAYS)


class ResponsibilityLetter(TenantScoped, db.Model):
    """One version of a person's letter for a period. The newest version is the
    one to acknowledge; older ones are kept as they were."""

    __tablename__ = "responsibility_letter"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        UniqueConstraint("tenant_id", "period_id", "person_id", "version"),
        Index("ix_responsibility_letter_person", "tenant_id", "person_id", "period_id"),
        ForeignKeyConstraint(["tenant_id", "period_id"], ["period.tenant_id", "period.id"]),
        ForeignKeyConstraint(["tenant_id", "person_id"], ["person.tenant_id", "person.id"]),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    # the targets' publication version the letter was made from
    targets_version: Mapped[int] = mapped_column(Integer, default=0)
    content: Mapped[dict] = mapped_column(JSON)
    current: Mapped[bool] = mapped_column(Boolean, default=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    acknowledged_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
