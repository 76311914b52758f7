"""Appeals on home pages ("To do"): hr sees every open case (overdue ones first),
a manager the open score appeals of their people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from jili.accounts.models import Role
from jili.appeals.models import AppealCase, CaseKind, CaseStatus
from jili.appeals.services.rules import ANSWERERS, manages
from jili.extensions import db
from jili.org.models import Person


@dataclass(frozen=True)
class Item:
    text: str
    url: str
    due: date | None
    overdue: bool


def home_items(tenant_id: int, me, role, today: date) -> list[Item]:
    if role not in ANSWERERS and role != Role.MANAGER:
        return []
    rows = db.session.execute(
        select(AppealCase, Person)
        .join(Person, (Person.id == AppealCase.person_id) & (Person.tenant_id == tenant_id))
        .where(AppealCase.tenant_id == tenant_id, AppealCase.status == CaseStatus.OPEN)
        .order_by(AppealCase.due_on, AppealCase.id)
    ).all()
    items = []
    for case, person in rows:
        if me is not None and me.id == case.person_id:
            continue
        if role not in ANSWERERS and not (
            case.kind == CaseKind.SCORE and manages(tenant_id, me, case.person_id)
        ):
            continue
        text = (
            _("Answer appeal #%(case)s of %(person)s", case=case.id, person=person.name)
            if role in ANSWERERS
            else _("Look at the score appeal #%(case)s of %(person)s", case=case.id,
                   person=person.name)
        )  # fmt: skip
        items.append(
            Item(text, url_for("tenant.appeal", case_id=case.id), case.due_on, case.due_on < today)
        )
    return items
