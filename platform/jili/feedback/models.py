"""The feedback tables. What is *not* here is the point: no user, no address,
no user agent, no timestamp finer than a day, no sequential id.

* Row ids are random (:func:`random_id`), so neither ids nor the primary-key
  order reveal which submission came first. On SQLite the thread and message
  tables are ``WITHOUT ROWID`` (clustered on that random id), so there is no
  hidden sequential rowid either.
* ``day`` is the tenant-local calendar day, never a time.
* A receipt code is stored only as an argon2 hash (``code_hash``) plus a keyed
  lookup id derived from its first part (``lookup_id``), see :mod:`.receipts`.
"""

from __future__ import annotations

import enum
import secrets
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    Date,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Mapped, mapped_column, relationship

from jili.extensions import db
from jili.tenancy import TenantScoped

DEFAULT_DEADLINE_DAYS = 3
DEFAULT_THRESHOLD = 5
MAX_TEXT = 5000


def random_id() -> str:
    """128 random bits as 32 hex characters: says nothing about when a row was made."""
    return secrets.token_hex(16)


def new_link_key() -> str:
    return secrets.token_urlsafe(12)


class Category(enum.StrEnum):
    CALCULATION = "calculation"
    ALLOCATION = "allocation"
    TARGET = "target"
    RULE = "rule"
    SUGGESTION = "suggestion"
    OTHER = "other"


CATEGORY_LABELS = {
    Category.CALCULATION: _l("Calculation error"),
    Category.ALLOCATION: _l("Unfair lead or resource allocation"),
    Category.TARGET: _l("Target too high"),
    Category.RULE: _l("Rule unclear"),
    Category.SUGGESTION: _l("Suggestion"),
    Category.OTHER: _l("Other"),
}


class Status(enum.StrEnum):
    NEW = "new"
    ANSWERED = "answered"
    CLOSED = "closed"


STATUS_LABELS = {
    Status.NEW: _l("New"),
    Status.ANSWERED: _l("Answered"),
    Status.CLOSED: _l("Closed"),
}


def _enum(cls):
    return SAEnum(cls, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class FeedbackSetting(TenantScoped, db.Model):
    """The tenant's feedback settings and the key of its public link ``/f/<link_key>/``."""

    __tablename__ = "feedback_setting"
    __table_args__ = (UniqueConstraint("tenant_id"), UniqueConstraint("link_key"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    link_key: Mapped[str] = mapped_column(String(32), default=new_link_key)
    deadline_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_DEADLINE_DAYS)
    aggregate_threshold: Mapped[int] = mapped_column(Integer, default=DEFAULT_THRESHOLD)
    consultant_access: Mapped[bool] = mapped_column(Boolean, default=False)


class FeedbackThread(TenantScoped, db.Model):
    """One submission and the conversation that follows it."""

    __tablename__ = "feedback_thread"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        UniqueConstraint("tenant_id", "lookup_id"),
        Index("ix_feedback_thread_tenant_day", "tenant_id", "day"),
        {"sqlite_with_rowid": False},
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    category: Mapped[Category] = mapped_column(_enum(Category))
    status: Mapped[Status] = mapped_column(_enum(Status), default=Status.NEW)
    day: Mapped[date] = mapped_column(Date)  # the day it was submitted, tenant-local
    waiting_since: Mapped[date] = mapped_column(Date)  # day of the oldest unanswered author message
    lookup_id: Mapped[str] = mapped_column(String(64))
    code_hash: Mapped[str] = mapped_column(String(200))

    messages: Mapped[list[FeedbackMessage]] = relationship(
        primaryjoin="and_(FeedbackMessage.thread_id == FeedbackThread.id, "
        "FeedbackMessage.tenant_id == FeedbackThread.tenant_id)",
        foreign_keys="[FeedbackMessage.thread_id, FeedbackMessage.tenant_id]",
        order_by="FeedbackMessage.seq",
        viewonly=True,
    )

    @property
    def first_text(self) -> str:
        return self.messages[0].body if self.messages else ""


class FeedbackMessage(TenantScoped, db.Model):
    """A message in a thread: from the anonymous author, or an answer from the company.

    Which staff member answered is in the audit log, not here.
    """

    __tablename__ = "feedback_message"
    __table_args__ = (
        UniqueConstraint("tenant_id", "thread_id", "seq"),
        ForeignKeyConstraint(
            ["tenant_id", "thread_id"],
            ["feedback_thread.tenant_id", "feedback_thread.id"],
            ondelete="CASCADE",
        ),
        {"sqlite_with_rowid": False},
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    thread_id: Mapped[str] = mapped_column(String(32))
    seq: Mapped[int] = mapped_column(Integer)  # order within its thread only
    from_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    day: Mapped[date] = mapped_column(Date)
    body: Mapped[str] = mapped_column(Text)
