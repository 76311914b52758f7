"""The demo companies' appeals. While the finished evaluation cycle's
publication window is open (demo_cycle calls :func:`add_cycle_appeals`), a
salesperson's score appeal is upheld — its correction paid in the next open
quarter — and another of theirs rejected with a reason; then the cycle is
finalised. The upheld one changes their pay: their manager counted only the
customer visits with a sign-in (:func:`manager_count`, 40 % of the target fewer,
a performance-bonus band lower); the appeal shows the CRM records and restores
the self-assessed count, so the correction line is worth something. :func:`add_appeals` adds one pay inquiry still open, on their latest
published statement. Done once: a company that has such cases already is left
alone. Cases are operational data: they are not part of what ``jili tenant
export`` writes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from jili.accounts.models import Membership, Role, Tenant, User
from jili.appeals.models import AppealCase, CaseKind
from jili.appeals.services import cases, decisions
from jili.evaluation.models import Kpi, LineAssessment, Scorecard, ScorecardLine
from jili.extensions import db
from jili.org.models import Person
from jili.periods.models import Period
from jili.tenancy import bound_tenant

UPHELD = (  # the KPI, how much more the person claims, their reason, hr's answer
    "客户拜访",
    Decimal(8),
    "CRM 里有 %s 次拜访只缺客户签到，附拜访记录和照片。",
    "核对 CRM 拜访记录与照片，这些拜访属实，按自评数计。",
)
SIGN_IN_SHARE = Decimal("0.4")  # of the target: the visits the manager does not count
CENT = Decimal("0.01")
REJECTED = (
    "培训学时",
    Decimal("3.4"),
    "线下培训 3.4 学时没有计入。",
    "培训系统的签到学时已全部计入；线下课没有签到记录，不能计入。",
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


def _score_line(tenant_id: int, person: Person, kpi_name: str, period_id: int):
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
            Scorecard.period_id == period_id,
            Kpi.name == kpi_name,
        )
    )


def _has(tid: int, kind: CaseKind) -> bool:
    return bool(
        db.session.scalar(
            select(func.count(AppealCase.id)).where(
                AppealCase.tenant_id == tid, AppealCase.kind == kind
            )
        )
    )


def _staff(tid: int):
    """The first salesperson (by employee number) with a login and a rating."""
    return db.session.execute(_staff_query(tid)).first()


def _staff_query(tid: int):
    return (
        select(Person, User)
        .join(User, User.id == Person.user_id)
        .join(Scorecard, (Scorecard.person_id == Person.id) & (Scorecard.tenant_id == tid))
        .where(Person.tenant_id == tid, Scorecard.rating.is_not(None))
        .order_by(Person.employee_no)
    )


def appellant(tid: int, period_id: int) -> tuple[Person, User, ScorecardLine] | None:
    """Who appeals in the demo: the first salesperson (by employee number) with a
    login and a scorecard of the period whose KPI set has the appealed KPI; with
    that KPI's line."""
    query = (
        select(Person, User)
        .join(User, User.id == Person.user_id)
        .join(Scorecard, (Scorecard.person_id == Person.id) & (Scorecard.tenant_id == tid))
        .where(Person.tenant_id == tid, Scorecard.period_id == period_id)
        .order_by(Person.employee_no)
    )
    for person, user in db.session.execute(query):
        line = _score_line(tid, person, UPHELD[0], period_id)
        if line is not None:
            return person, user, line
    return None


def manager_count(line: ScorecardLine, claimed: Decimal) -> Decimal:
    """What the appellant's manager counts of the appealed KPI: only the visits
    with a customer's sign-in, 40 % of the target fewer than claimed (at most the
    target, never below 0). On a KPI weighted 30 % that is 12 points off the
    total: a band lower in the performance bonus's coefficients (bands 10 wide
    below 90), which the upheld appeal gives back."""
    target = Decimal(line.target or 0)
    counted = min(Decimal(claimed), target) - target * SIGN_IN_SHARE
    return max(counted, Decimal(0)).quantize(CENT)


def _self_actual(tid: int, line: ScorecardLine) -> Decimal | None:
    return db.session.scalar(
        select(LineAssessment.self_actual).where(
            LineAssessment.tenant_id == tid, LineAssessment.line_id == line.id
        )
    )


def _claim(tid: int, line: ScorecardLine, more: Decimal, reason: str, upheld: bool):
    """(the actual claimed, the reason): the upheld appeal claims the person's
    self-assessed value back when the manager counted less, else ``more``."""
    current = cases.current_actual(tid, line) or Decimal(0)
    own = _self_actual(tid, line) if upheld else None
    claimed = own if own is not None and own > current else current + more
    if "%s" in reason:
        reason = reason % format((claimed - current).normalize(), "f")
    return claimed, reason


def add_cycle_appeals(tenant: Tenant, period: Period, raised: date) -> None:
    """An upheld and a rejected score appeal on ``period``, raised on ``raised``
    (inside its publication window) and decided; the caller finalises the cycle."""
    tid = tenant.id
    found = appellant(tid, period.id)
    staff = found[:2] if found is not None else None
    decider = _decider(tid)
    if _has(tid, CaseKind.SCORE) or staff is None or decider is None:
        return
    person, user = staff
    for (kpi, more, reason, answer), upheld in ((UPHELD, True), (REJECTED, False)):
        line = _score_line(tid, person, kpi, period.id)
        if line is None:
            continue
        claimed, reason = _claim(tid, line, more, reason, upheld)
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
    db.session.flush()


def add_appeals(tenant: Tenant, today: date) -> bool:
    """The demo's open pay inquiry for ``tenant``; False when there is nothing to do."""
    tid = tenant.id
    with bound_tenant(tid):
        staff, decider = _staff(tid), _decider(tid)
        if _has(tid, CaseKind.STATEMENT) or staff is None or decider is None:
            return False
        person, user = staff
        _open_inquiry(tid, person, user, today)
        db.session.commit()
        return True


def _open_inquiry(tid: int, person: Person, user: User, today: date) -> None:
    choices = cases.statement_choices(tid, person.id)
    if not choices:
        return
    line = choices[0].line
    cases.raise_case(
        tid, user, person, CaseKind.STATEMENT, today=today, line_id=line.id,
        reason="这一行比我按计划自己算的少，请帮忙核对计算用的业绩数据。",
    )  # fmt: skip
