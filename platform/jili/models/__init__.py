"""The domain's tables. Every tenant-owned model mixes in :class:`TenantScoped`."""

from ..feedback.models import FeedbackMessage, FeedbackSetting, FeedbackThread
from .accounts import Invitation, Membership, Role, Tenant, User
from .audit import AuditLog
from .org import Level, Person, Team
from .periods import Period, PeriodKind, PeriodStatus

__all__ = [
    "AuditLog",
    "FeedbackMessage",
    "FeedbackSetting",
    "FeedbackThread",
    "Invitation",
    "Level",
    "Membership",
    "Period",
    "PeriodKind",
    "PeriodStatus",
    "Person",
    "Role",
    "Team",
    "Tenant",
    "User",
]
