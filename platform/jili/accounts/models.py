from __future__ import annotations

import enum
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Mapped, mapped_column, relationship

from jili.dbtypes import UTCDateTime, utcnow
from jili.extensions import db
from jili.tenancy import TenantScoped


class Role(enum.StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    CONSULTANT = "consultant"
    MANAGER = "manager"
    HR = "hr"
    STAFF = "staff"


class TenantStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Tenant(db.Model):
    """A company that signed up. Global row: the tenant itself is not tenant-scoped."""

    __tablename__ = "tenant"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    locale: Mapped[str] = mapped_column(String(10), default="zh_Hans")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    fiscal_year_start_month: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[TenantStatus] = mapped_column(
        SAEnum(
            TenantStatus,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=TenantStatus.ACTIVE,
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Maker-checker for plan versions is on unless the company opts out: a
    # company with one administrator may let the author approve their own
    # version (recorded as a self-approval). See jili.incentives.services.approvals.
    plan_self_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    # Promotion list: this many consecutive ratings of A or better (issue 14 item 6).
    promotion_streak: Mapped[int] = mapped_column(Integer, default=2)

    @property
    def is_suspended(self) -> bool:
        return self.status == TenantStatus.SUSPENDED


class User(UserMixin, db.Model):
    """A login. One user may belong to many tenants through memberships."""

    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_operator: Mapped[bool] = mapped_column(Boolean, default=False)
    locale: Mapped[str | None] = mapped_column(String(10), nullable=True)
    # Part of the session cookie's user id: rotating it ends every other session.
    session_token: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_hex(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(back_populates="user", viewonly=True)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def rotate_sessions(self) -> None:
        self.session_token = secrets.token_hex(16)


class Membership(TenantScoped, db.Model):
    """A user's role in one tenant."""

    __tablename__ = "membership"
    __table_args__ = (
        UniqueConstraint("tenant_id", "user_id"),
        Index("ix_membership_user", "user_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(
        SAEnum(Role, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    tenant: Mapped[Tenant] = relationship()


class Invitation(TenantScoped, db.Model):
    """An e-mailed link to join a tenant: stored as a hash, expires, works once."""

    __tablename__ = "invitation"
    __table_args__ = (
        Index("ix_invitation_tenant_email", "tenant_id", "email"),
        # The person is of the same tenant (and, on Citus, on the same shard). People
        # are never deleted (they leave), so no ON DELETE action is needed.
        ForeignKeyConstraint(["tenant_id", "person_id"], ["person.tenant_id", "person.id"]),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[Role] = mapped_column(
        SAEnum(Role, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    # The person the new login is for: accepting links the login to this person.
    person_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    tenant: Mapped[Tenant] = relationship()

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= utcnow():
            return "expired"
        return "pending"


class PasswordReset(db.Model):
    """A forgotten-password link: stored as a hash, expires, works once. Global, like
    the user it belongs to (a login is not inside any company)."""

    __tablename__ = "password_reset"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    user: Mapped[User] = relationship()
