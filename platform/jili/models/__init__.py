"""The domain's tables. Every tenant-owned model mixes in :class:`TenantScoped`."""

from ..feedback.models import FeedbackMessage, FeedbackSetting, FeedbackThread
from .accounts import Invitation, Membership, Role, Tenant, User
from .audit import AuditLog
from .incentives import (
    CalculationRun,
    IncentiveSetting,
    MetricValue,
    OneOffAwardGrant,
    PayoutLineRecord,
    Plan,
    PlanVersion,
    ProfitEntry,
    RunKind,
    SalesCredit,
    SalesTarget,
    TenantScheme,
    Transaction,
)
from .org import Level, Person, Team
from .periods import Period, PeriodKind, PeriodStatus

__all__ = [
    "CalculationRun",
    "IncentiveSetting",
    "MetricValue",
    "OneOffAwardGrant",
    "PayoutLineRecord",
    "Plan",
    "PlanVersion",
    "ProfitEntry",
    "RunKind",
    "SalesCredit",
    "SalesTarget",
    "TenantScheme",
    "Transaction",
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
