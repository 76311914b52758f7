"""The demo companies' appeals: on the past evaluated quarter (the one with
rated scorecards), a newcomer's score appeal upheld — its correction paid in the
next open quarter — and another of hers rejected with a reason; and one pay
inquiry still open, on her latest published statement. Done once: a company
that has appeals already is left alone. Cases are operational data: they are
not part of what ``jili tenant export`` writes."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from jili.accounts.models import Membership, Role, Tenant, User
from jili.appeals.models import AppealCase, CaseKind
from jili.appeals.services import cases, decisions
from jili.evaluation.models import Kpi, Scorecard, ScorecardLine
from jili.extensions import db
from jili.org.models import Person
from jili.periods.models import Period
from jili.tenancy import bound_tenant

UPHELD = (
    "客户拜访",
    Decimal(40),
    "CRM 里 9 月有 8 次拜访漏登，附拜访记录。",
    "核对 CRM 与签到记录，8 次拜访属实。",
)
REJECTED = (
    "培训学时",
    Decimal(20),
    "线下培训 3.4 学时没有计入。",
    "培训系统只有 16.6 学时的签到，线下课未签到不计。",
)


def _decider(tenant_id: int) -> User | None:
    for role in (Role.HR, Role.ADMIN, Role.OWNER):
        user = db.session.scalar(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.tenant_id == tenant_id, Membership.role == role)
            .order_by(User.id)
        )
        if user is not None:
            return user
    return None


def _score_line(tenant_id: int, person: Person, kpi_name: str):
    return db.session.scalar(
        select(ScorecardLine)
        .join(
            Scorecard,
            (Scorecard.id == ScorecardLine.scorecard_id) & (Scorecard.tenant_id == tenant_id),
        )
        .join(Kpi, (Kpi.id == ScorecardLine.kpi_id) & (Kpi.tenant_id == tenant_id))
        .where(
            ScorecardLine.tenant_id == tenant_id,
            Scorecard.person_id == person.id,
            Kpi.name == kpi_name,
        )
    )


def add_appeals(tenant: Tenant, today: date) -> bool:
    """The demo's cases for ``tenant``; False when there is nothing to do."""
    tid = tenant.id
    with bound_tenant(tid):
        if db.session.scalar(select(func.count(AppealCase.id)).where(AppealCase.tenant_id == tid)):
            return False
        staff = db.session.execute(
            select(Person, User)
            .join(User, User.id == Person.user_id)
            .join(Scorecard, (Scorecard.person_id == Person.id) & (Scorecard.tenant_id == tid))
            .where(Person.tenant_id == tid, Scorecard.rating.is_not(None))
            .order_by(Person.employee_no)
        ).first()
        decider = _decider(tid)
        if staff is None or decider is None:
            return False
        person, user = staff
        _score_cases(tid, person, user, decider)
        _open_inquiry(tid, person, user, today)
        db.session.commit()
        return True


def _score_cases(tid: int, person: Person, user: User, decider: User) -> None:
    for (kpi, claimed, reason, answer), upheld in ((UPHELD, True), (REJECTED, False)):
        line = _score_line(tid, person, kpi)
        if line is None:
            continue
        period = db.session.get(Period, line.period_id)
        raised = period.end_date + timedelta(days=9)
        case = cases.raise_case(
            tid, user, person, CaseKind.SCORE, today=raised, reason=reason,
            line_id=line.id, claimed=claimed,
        )  # fmt: skip
        cases.reply(tid, case, decider, "已收到，正在核对原始记录。")
        try:
            if upheld:
                decisions.uphold(tid, case, decider, answer)
            else:
                decisions.reject(tid, case, decider, answer)
        except decisions.AppealError:
            continue  # no open quarter after it yet: the case stays open


def _open_inquiry(tid: int, person: Person, user: User, today: date) -> None:
    choices = cases.statement_choices(tid, person.id)
    if not choices:
        return
    line = choices[0].line
    cases.raise_case(
        tid, user, person, CaseKind.STATEMENT, today=today, line_id=line.id,
        reason="这一行比我按计划自己算的少，请帮忙核对计算用的业绩数据。",
    )  # fmt: skip
