"""Notifications: what the bell lists, the e-mail outbox, and who wants e-mail.

A notification stores its kind and parameters (codes, names, dates), never a
sentence: the words are made when it is read, in the reader's language.
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
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from jili.dbtypes import UTCDateTime, utcnow
from jili.extensions import db
from jili.tenancy import TenantScoped


class Notification(TenantScoped, db.Model):
    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        Index("ix_notification_tenant_user", "tenant_id", "user_id", "read_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    link: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class OutboxStatus:
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMail(TenantScoped, db.Model):
    """An e-mail waiting to be sent (or sent, or given up) for a notification."""

    __tablename__ = "notification_outbox"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        Index("ix_notification_outbox_due", "status", "next_attempt_at"),
        ForeignKeyConstraint(
            ["tenant_id", "notification_id"],
            ["notification.tenant_id", "notification.id"],
            ondelete="CASCADE",
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notification_id: Mapped[int] = mapped_column(Integer)
    to_email: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(10), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str] = mapped_column(String(200), default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class NotificationPreference(TenantScoped, db.Model):
    """A member's choice of e-mail for this company's notifications (default: on)."""

    __tablename__ = "notification_preference"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    email: Mapped[bool] = mapped_column(Boolean, default=True)
