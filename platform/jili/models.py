"""The domain's tables. Every tenant-owned model mixes in :class:`TenantScoped`."""

from jili.accounts.models import Invitation, Membership, PasswordReset, Role, Tenant, User
from jili.adjustments.models import AdjustmentRequest, AdjustmentSetting
from jili.alerts.models import Alert, AlertRule, ImprovementPlan
from jili.appeals.models import AppealCase, AppealFile, AppealMessage, AppealSetting, PayCorrection
from jili.audit.models import AuditLog
from jili.evaluation.models import (
    CycleSettings,
    EvaluationCycle,
    EvaluationLevel,
    EvidenceFile,
    Kpi,
    KpiSet,
    KpiSetItem,
    LineAssessment,
    PersonLevel,
    RatingBand,
    Scorecard,
    ScorecardLine,
)
from jili.feedback.models import FeedbackMessage, FeedbackSetting, FeedbackThread
from jili.incentives.models import (
    CalculationRun,
    IncentiveSetting,
    PayoutLineRecord,
    Plan,
    PlanVersion,
    RunKind,
    TenantScheme,
)
from jili.inputs.models import (
    InputsPending,
    InputsVersion,
    MetricValue,
    OneOffAwardGrant,
    ProfitEntry,
    SalesCredit,
    SalesFact,
    SalesTarget,
    Transaction,
)
from jili.jobs.models import Job, JobStatus
from jili.letters.models import LetterTemplate, ResponsibilityLetter
from jili.notifications.models import Notification, NotificationPreference, OutboxMail
from jili.org.models import Level, Person, Team
from jili.periods.models import Period, PeriodKind, PeriodStatus
from jili.targets.models import TargetMetric, TargetPublication
from jili.workdays.models import CalendarDay

__all__ = [
    "InputsPending",
    "InputsVersion",
    "Job",
    "JobStatus",
    "AdjustmentRequest",
    "AppealCase",
    "AppealFile",
    "AppealMessage",
    "AppealSetting",
    "PayCorrection",
    "AdjustmentSetting",
    "LetterTemplate",
    "ResponsibilityLetter",
    "Alert",
    "AlertRule",
    "CalendarDay",
    "ImprovementPlan",
    "Notification",
    "NotificationPreference",
    "OutboxMail",
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
    "SalesFact",
    "SalesTarget",
    "TargetMetric",
    "TargetPublication",
    "TenantScheme",
    "Transaction",
    "AuditLog",
    "EvaluationLevel",
    "Kpi",
    "KpiSet",
    "KpiSetItem",
    "PersonLevel",
    "RatingBand",
    "Scorecard",
    "ScorecardLine",
    "CycleSettings",
    "EvaluationCycle",
    "EvidenceFile",
    "LineAssessment",
    "FeedbackMessage",
    "FeedbackSetting",
    "FeedbackThread",
    "Invitation",
    "PasswordReset",
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
