"""The demo companies' responsibility letters and target adjustments: the current
quarter's targets published (its letters issued), the manager's letter signed,
the sales login's letter waiting, one adjustment approved and one waiting for
hr's data review. Done once: a company that has letters already is left alone."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from jili.accounts.models import Membership, Role, Tenant, User
from jili.adjustments import services as adjustments
from jili.extensions import db
from jili.letters import services as letters
from jili.letters.models import ResponsibilityLetter
from jili.org.models import Level, Person
from jili.periods.models import Period, PeriodKind, PeriodStatus
from jili.targets import services as targets
from jili.targets.services.core import subject_targets
from jili.targets.services.publication import publish
from jili.tenancy import bound_tenant

CENT = Decimal("0.01")


def _user(tenant_id: int, role: Role) -> User | None:
    return db.session.scalar(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.tenant_id == tenant_id, Membership.role == role)
        .order_by(User.id)
    )


def _logged_in(tenant_id: int, level_manager: bool) -> Person | None:
    query = select(Person).where(Person.tenant_id == tenant_id, Person.user_id.is_not(None))
    query = query.where(
        Person.level == Level.MANAGER if level_manager else Person.level != Level.MANAGER
    )
    return db.session.scalar(query.order_by(Person.employee_no))


def add_letters(tenant: Tenant, today: date) -> bool:
    """Letters and adjustments for ``tenant``'s current quarter; False when there
    is nothing to do (letters exist, no open quarter, no targets or no logins)."""
    tid = tenant.id
    with bound_tenant(tid):
        if db.session.scalar(
            select(func.count(ResponsibilityLetter.id)).where(ResponsibilityLetter.tenant_id == tid)
        ):
            return False
        quarter = db.session.scalar(
            select(Period).where(
                Period.tenant_id == tid, Period.kind == PeriodKind.QUARTER,
                Period.start_date <= today, Period.end_date >= today,
                Period.status == PeriodStatus.OPEN,
            )
        )  # fmt: skip
        hr, owner = _user(tid, Role.HR), _user(tid, Role.OWNER)
        manager, staff = _logged_in(tid, True), _logged_in(tid, False)
        if quarter is None or None in (hr, owner, manager, staff):
            return False
        if not targets.is_published(tid, quarter.id):
            if not subject_targets(tid, quarter.id, person_id=staff.id):
                return False
            publish(tid, hr.id, quarter, accept_reason="演示数据：部分团队目标尚未拆分完毕")
        letters.issue_letters(tid, quarter.id, hr.id)
        _adjust(tid, quarter, staff, manager, hr, owner)
        _sign(tid, quarter, manager)  # after the approved change: the current letter is signed
        db.session.commit()
    return True


def _sign(tid: int, quarter: Period, person: Person) -> None:
    letter = letters.current_letter(tid, quarter.id, person.id)
    user = db.session.get(User, person.user_id)
    if letter is not None and user is not None:
        letters.acknowledge(tid, letter, user)


def _adjust(tid, quarter, staff, manager, hr, owner) -> None:
    """The manager's target lowered by 5 % (approved); the staff member asks for
    −8 % (waiting for the data review)."""
    for person, pct, asker, reason in (
        (manager, Decimal("-5"), db.session.get(User, manager.user_id), "大客户项目延期至下季度"),
        (staff, Decimal("-8"), db.session.get(User, staff.user_id), "重点客户预算冻结，申请下调"),
    ):  # fmt: skip
        old = adjustments.current_value(tid, quarter.id, person.id, "revenue")
        if old is None or asker is None:
            continue
        new = (old * (100 + pct) / 100).quantize(CENT)
        req = adjustments.request_adjustment(
            tid, asker, period=quarter, person=person, metric="revenue", new_value=new,
            reason=reason,
        )  # fmt: skip
        if person is manager:
            adjustments.review(tid, req, hr, passed=True, note="与CRM数据核对无误")
            adjustments.decide(tid, req, owner, approved=True, note="同意")
