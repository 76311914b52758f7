"""The home page of a company, by role: staff see their own numbers, managers their
team's, owners / admins / hr the setup and what is due."""

from __future__ import annotations

from flask import g, render_template
from sqlalchemy import func, select

from jili.accounts.models import Membership
from jili.accounts.roles import can, require
from jili.extensions import db
from jili.home.services import links
from jili.org.models import Person, Team
from jili.periods.models import Period, PeriodStatus
from jili.web import bp


def _counts(tid: int) -> dict:
    return {
        "people": db.session.scalar(select(func.count(Person.id)).where(Person.tenant_id == tid)),
        "teams": db.session.scalar(select(func.count(Team.id)).where(Team.tenant_id == tid)),
        "members": db.session.scalar(
            select(func.count(Membership.id)).where(Membership.tenant_id == tid)
        ),
        "open_periods": db.session.scalar(
            select(func.count(Period.id)).where(
                Period.tenant_id == tid, Period.status == PeriodStatus.OPEN
            )
        ),
    }


@bp.route("/")
@require("tenant.view")
def home():
    tid = g.tenant.id
    me = links.person_of_user(tid, g.membership.user_id)
    context: dict = {"me": me, "counts": {}, "unlinked": []}
    if g.role != "staff":
        context["counts"] = _counts(tid)
    if can("people.link") or can("members.view"):
        context["unlinked"] = links.unlinked_members(tid)
    return render_template("home/home.html", **context)
