"""Who may see, answer and download what, and when a case is due.

- **see**: the person the case is about; hr, admin, owner and consultants (who
  see every person's pay); for a *score* appeal, also the managers whose team
  subtree holds the person or to whom the person reports. Managers do not see
  their people's pay inquiries. Anyone else: the case does not exist (404).
- **reply** on the thread: the person, hr/admin/owner, and for a score appeal
  the person's manager chain — while the case is open.
- **decide** (uphold or reject): hr, admin or owner, never on their own case.
- **download evidence**: the person, hr/admin/owner, and for a score appeal the
  manager chain.
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from jili.accounts.models import Role
from jili.appeals.models import DEFAULT_ANSWER_DAYS, AppealCase, AppealSetting, CaseKind
from jili.audit import services as audit
from jili.extensions import db
from jili.org.models import Person
from jili.org.visibility import team_subtree
from jili.workdays import services as workdays

ANSWERERS = (Role.OWNER, Role.ADMIN, Role.HR)
READ_ALL = (*ANSWERERS, Role.CONSULTANT)
MAX_ANSWER_DAYS = 60


class AppealError(ValueError):
    """A refused step; the message is for the user."""


def answer_days(tenant_id: int) -> int:
    setting = db.session.scalar(select(AppealSetting).where(AppealSetting.tenant_id == tenant_id))
    return setting.answer_days if setting is not None else DEFAULT_ANSWER_DAYS


def set_answer_days(tenant_id: int, days: int, actor=None) -> AppealSetting:
    if not 1 <= days <= MAX_ANSWER_DAYS:
        raise AppealError(
            _("Enter a whole number of working days from 1 to %(n)d.", n=MAX_ANSWER_DAYS)
        )
    setting = db.session.scalar(select(AppealSetting).where(AppealSetting.tenant_id == tenant_id))
    before = answer_days(tenant_id)
    if setting is None:
        setting = AppealSetting(tenant_id=tenant_id)
        db.session.add(setting)
    setting.answer_days = days
    db.session.flush()
    audit.record(
        "appeal.settings", setting, tenant_id=tenant_id, actor=actor,
        before={"answer_days": before}, after={"answer_days": days},
    )  # fmt: skip
    return setting


def due_date(tenant_id: int, raised_on: date) -> date:
    """The answer is due ``answer_days`` working days after the day it was raised."""
    return workdays.add_working_days(tenant_id, raised_on, answer_days(tenant_id))


def manages(tenant_id: int, me: Person | None, person_id: int) -> bool:
    """``me`` is in ``person``'s manager chain: they report to ``me``, or ``me``
    leads a team whose subtree holds them."""
    if me is None or me.id == person_id:
        return False
    person = db.session.scalar(
        select(Person).where(Person.tenant_id == tenant_id, Person.id == person_id)
    )
    if person is None:
        return False
    if person.manager_id == me.id:
        return True
    return person.team_id is not None and person.team_id in team_subtree(tenant_id, me.team_id)


def _is_person(me: Person | None, case: AppealCase) -> bool:
    return me is not None and me.id == case.person_id


def may_see(tenant_id: int, role: Role, me: Person | None, case: AppealCase) -> bool:
    if role in READ_ALL or _is_person(me, case):
        return True
    return case.kind == CaseKind.SCORE and manages(tenant_id, me, case.person_id)


def may_reply(tenant_id: int, role: Role, me: Person | None, case: AppealCase) -> bool:
    if not case.is_open:
        return False
    if role in ANSWERERS or _is_person(me, case):
        return True
    return case.kind == CaseKind.SCORE and manages(tenant_id, me, case.person_id)


def may_decide(role: Role, user_id: int, me: Person | None, case: AppealCase) -> bool:
    return (
        case.is_open
        and role in ANSWERERS
        and not _is_person(me, case)
        and case.raised_by_id != user_id
    )


def may_download(tenant_id: int, role: Role, me: Person | None, case: AppealCase) -> bool:
    if role in ANSWERERS or _is_person(me, case):
        return True
    return case.kind == CaseKind.SCORE and manages(tenant_id, me, case.person_id)


def visible_cases_query(tenant_id: int, role: Role, me: Person | None):
    """The cases a viewer may list (the same rule as :func:`may_see`)."""
    query = select(AppealCase).where(AppealCase.tenant_id == tenant_id)
    if role in READ_ALL:
        return query
    mine = AppealCase.person_id == (me.id if me is not None else -1)
    team: list[int] = []
    if me is not None and role == Role.MANAGER:
        subtree = team_subtree(tenant_id, me.team_id)
        team = list(
            db.session.scalars(
                select(Person.id).where(
                    Person.tenant_id == tenant_id,
                    Person.id != me.id,
                    (Person.manager_id == me.id) | Person.team_id.in_(subtree or [-1]),
                )
            )
        )
    if not team:
        return query.where(mine)
    return query.where(
        mine | ((AppealCase.kind == CaseKind.SCORE) & AppealCase.person_id.in_(team))
    )
