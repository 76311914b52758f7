"""The admin / hr home: a setup checklist that ticks itself off from the data, what is
due this week, and incentive cost against revenue over the latest periods."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import exists, func, select

from jili.audit.models import AuditLog
from jili.extensions import db
from jili.feedback import service as feedback
from jili.feedback.models import FeedbackThread, Status
from jili.home.services.links import unlinked_members
from jili.incentives.models import CalculationRun, Plan, RunKind, TenantScheme
from jili.inputs.models import SalesCredit, SalesTarget, Transaction
from jili.org.models import Person, Team
from jili.periods.models import Period, PeriodKind, PeriodStatus

ZERO = Decimal(0)
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Step:
    key: str  # settings, teams, people, periods, schemes, plan, inputs, calculation, publication, linked
    done: bool
    endpoint: str


def _any(tenant_id: int, model, *where) -> bool:
    return bool(db.session.scalar(select(exists().where(model.tenant_id == tenant_id, *where))))


def checklist(tenant_id: int) -> list[Step]:
    """Each setup step, done or not, in the order a new company goes through them."""
    published = (PeriodStatus.PUBLISHED, PeriodStatus.CLOSED)
    has_final = select(CalculationRun.period_id).where(
        CalculationRun.tenant_id == tenant_id, CalculationRun.kind == RunKind.FINAL
    )
    has_person_login = _any(tenant_id, Person, Person.user_id.is_not(None))
    return [
        Step(
            "settings",
            # set on the settings page, or with the rest of the company from a tenant file
            _any(tenant_id, AuditLog, AuditLog.action.in_(("settings.update", "tenant.import"))),
            "tenant.settings",
        ),
        Step("teams", _any(tenant_id, Team), "tenant.teams"),
        Step("people", _any(tenant_id, Person), "tenant.people"),
        Step("periods", _any(tenant_id, Period), "tenant.periods"),
        Step(
            "schemes",
            _any(tenant_id, TenantScheme, TenantScheme.enabled.is_(True)),
            "tenant.schemes",
        ),
        Step("plan", _any(tenant_id, Plan), "tenant.plans"),
        Step(
            "inputs",
            _any(tenant_id, Transaction) or _any(tenant_id, SalesTarget),
            "tenant.transactions",
        ),
        Step(
            "calculation",
            _any(tenant_id, CalculationRun, CalculationRun.kind == RunKind.FINAL),
            "tenant.periods",
        ),
        Step(
            "publication",
            _any(tenant_id, Period, Period.status.in_(published), Period.id.in_(has_final)),
            "tenant.periods",
        ),
        Step("linked", has_person_login and not unlinked_members(tenant_id), "tenant.members"),
    ]


@dataclass(frozen=True)
class Due:
    ended_not_calculated: list[Period]
    feedback_due: int  # unanswered threads due by the end of this week (overdue included)
    feedback_overdue: int


def due_this_week(tenant_id: int, today: date) -> Due:
    periods = list(
        db.session.scalars(
            select(Period)
            .where(
                Period.tenant_id == tenant_id,
                Period.status == PeriodStatus.OPEN,
                Period.kind != PeriodKind.WEEK,
                Period.end_date < today,
            )
            .order_by(Period.end_date.desc(), Period.kind)
            .limit(20)
        )
    )
    days = feedback.settings_for(tenant_id).deadline_days
    week_end = today + timedelta(days=6 - today.weekday())
    waiting = db.session.scalars(
        select(FeedbackThread).where(
            FeedbackThread.tenant_id == tenant_id, FeedbackThread.status == Status.NEW
        )
    )
    due = overdue = 0
    for thread in waiting:
        day = feedback.due_day(thread, days)
        if day <= week_end:
            due += 1
            overdue += day < today
    return Due(periods, due, overdue)


@dataclass(frozen=True)
class CostRow:
    period: Period
    cost: Decimal | None  # the latest final run's total; None: not calculated
    revenue: Decimal

    @property
    def pct(self) -> Decimal | None:
        if self.cost is None or self.revenue <= 0:
            return None
        return self.cost / self.revenue * HUNDRED


def cost_against_revenue(tenant_id: int, today: date, count: int = 5) -> list[CostRow]:
    """The current quarter and the four before it (oldest first): the incentive cost
    of each (its latest final run) against the revenue credited in it (SQL sums)."""
    periods = list(
        db.session.scalars(
            select(Period)
            .where(
                Period.tenant_id == tenant_id,
                Period.kind == PeriodKind.QUARTER,
                Period.start_date <= today,
            )
            .order_by(Period.start_date.desc())
            .limit(count)
        )
    )
    rows = []
    for period in reversed(periods):
        cost = db.session.scalar(
            select(CalculationRun.total)
            .where(
                CalculationRun.tenant_id == tenant_id,
                CalculationRun.period_id == period.id,
                CalculationRun.kind == RunKind.FINAL,
            )
            .order_by(CalculationRun.number.desc())
            .limit(1)
        )
        revenue = db.session.scalar(
            select(func.coalesce(func.sum(SalesCredit.amount), 0)).where(
                SalesCredit.tenant_id == tenant_id,
                SalesCredit.deal_date >= period.start_date,
                SalesCredit.deal_date <= period.end_date,
            )
        )
        rows.append(CostRow(period, cost, Decimal(revenue)))
    return rows
