"""Who calculated a run, as a reader knows them: the person linked to the login,
else the login's name; a run started by Jili itself (the demo loader, ``jili
calc``) as "The system" in the reader's language. Runs stored before names
were recorded hold an e-mail address: it is shown as that login's name too."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import select

from jili.accounts.models import User
from jili.extensions import db
from jili.incentives.models import CalculationRun
from jili.org.models import Person

SYSTEM_LABELS = frozenset({"", "system"})


def run_authors(tenant_id: int, runs: Iterable[CalculationRun]) -> dict[int, str]:
    """``{run id: who calculated it}`` for ``runs`` (two queries, whatever their number)."""
    runs = list(runs)
    ids = {r.created_by_id for r in runs if r.created_by_id is not None}
    emails = {r.created_by_label for r in runs if "@" in (r.created_by_label or "")}
    users: dict[int, User] = {}
    if ids or emails:
        found = db.session.scalars(
            select(User).where(User.id.in_(ids) | User.email.in_(emails))
        ).all()
        users = {u.id: u for u in found}
    by_email = {u.email: u for u in users.values()}
    people = {}
    if users:
        people = dict(
            db.session.execute(
                select(Person.user_id, Person.name).where(
                    Person.tenant_id == tenant_id, Person.user_id.in_(users)
                )
            ).all()
        )

    def name(run: CalculationRun) -> str:
        user = users.get(run.created_by_id) or by_email.get(run.created_by_label)
        if user is not None:
            return people.get(user.id) or user.name or user.email
        if (run.created_by_label or "").strip().lower() in SYSTEM_LABELS:
            return _("The system")
        return run.created_by_label

    return {r.id: name(r) for r in runs}


def run_author(run: CalculationRun) -> str:
    return run_authors(run.tenant_id, [run])[run.id]
