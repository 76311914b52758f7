"""Improvement plans: their state on a day, writing one, and the late ones."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from jili.accounts.models import Tenant
from jili.alerts.models import Alert, ImprovementPlan
from jili.alerts.services.evaluation import hr_user_ids, link
from jili.audit import services as audit
from jili.dbtypes import utcnow
from jili.extensions import db
from jili.notifications.services import notify
from jili.org.models import Person

MAX_ACTIONS = 5000
STATUS_LABELS = {
    "due": _l("Due"),
    "late": _l("Late"),
    "submitted": _l("Submitted"),
    "submitted_late": _l("Submitted late"),
}


class PlanError(ValueError):
    pass


def plan_link(plan: ImprovementPlan) -> str:
    """The plan's page: its alert's for a red alert's plan, its own for a rating's."""
    if plan.alert_id is not None:
        return link(db.session.get(Alert, plan.alert_id))
    slug = db.session.scalar(select(Tenant.slug).where(Tenant.id == plan.tenant_id))
    return f"/t/{slug}/improvement-plans/{plan.id}"


def status(plan: ImprovementPlan, today: date) -> str:
    if plan.submitted_on is not None:
        return "submitted_late" if plan.submitted_on > plan.due_date else "submitted"
    return "late" if today > plan.due_date else "due"


def submit(
    plan: ImprovementPlan, actions: str, follow_up: date | None, today: date, actor_label: str
) -> None:
    """Record (or change) the plan's actions and follow-up date."""
    actions = (actions or "").strip()
    if not actions:
        raise PlanError(_("Write the actions the plan takes."))
    if len(actions) > MAX_ACTIONS:
        raise PlanError(_("The actions are longer than %(n)d characters.", n=MAX_ACTIONS))
    if follow_up is None:
        raise PlanError(_("Give a follow-up date."))
    if follow_up < today:
        raise PlanError(_("The follow-up date cannot be in the past."))
    first = plan.submitted_on is None
    before = audit.snapshot(plan, ["actions", "follow_up_date"])
    plan.actions, plan.follow_up_date = actions, follow_up
    if first:
        plan.submitted_at, plan.submitted_on, plan.submitted_by = utcnow(), today, actor_label
    db.session.flush()
    audit.record(
        "improvement_plan.submit" if first else "improvement_plan.update",
        plan,
        object_type="ImprovementPlan",
        before=None if first else before,
        after={
            **audit.snapshot(plan, ["actions", "follow_up_date"]),
            "late": plan.submitted_on > plan.due_date,
        },
    )


def notify_late(tenant_id: int, today: date) -> list[ImprovementPlan]:
    """Tell the manager and hr (once) about each plan past its due date (not
    the plans of withdrawn alerts)."""
    withdrawn = select(Alert.id).where(
        Alert.tenant_id == tenant_id, Alert.withdrawn_at.is_not(None)
    )
    plans = db.session.scalars(
        select(ImprovementPlan).where(
            ImprovementPlan.tenant_id == tenant_id,
            ImprovementPlan.submitted_on.is_(None),
            ImprovementPlan.due_date < today,
            ImprovementPlan.late_notified.is_(False),
            # a withdrawn alert's plan is no longer asked for
            ImprovementPlan.alert_id.is_(None) | ImprovementPlan.alert_id.not_in(withdrawn),
        )
    ).all()
    for plan in plans:
        person = db.session.get(Person, plan.person_id)
        params = {"person": person.name, "due": plan.due_date.isoformat()}
        if person.manager_id:
            notify(tenant_id, person_id=person.manager_id, kind="improvement_plan_late",
                   params=params, link=plan_link(plan))  # fmt: skip
        for uid in hr_user_ids(tenant_id):
            notify(tenant_id, user_id=uid, kind="improvement_plan_late", params=params,
                   link=plan_link(plan))  # fmt: skip
        plan.late_notified = True
        audit.record("improvement_plan.late", plan, object_type="ImprovementPlan",
                     after={"person_id": plan.person_id, "due": plan.due_date})  # fmt: skip
    db.session.flush()
    return list(plans)
