"""An improvement plan asked for by a C rating (a red alert's plan lives on its
alert's page): the actions and follow-up date, then the second evaluation.

Who sees it follows the pay-visibility rule (jili.org.visibility); another's plan
out of sight, or another company's, is a 404. The person or a manager/hr who sees
them writes the plan; the second evaluation is someone else's than the person's.
"""

from __future__ import annotations

from datetime import date

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from jili.accounts.roles import can, require
from jili.alerts import services
from jili.alerts.models import ImprovementPlan
from jili.alerts.services.plans import STATUS_LABELS
from jili.evaluation.models import Scorecard
from jili.evaluation.services import results
from jili.evaluation.services.ratings import bands
from jili.extensions import db
from jili.org import visibility
from jili.org.models import Person
from jili.periods.models import Period
from jili.plan_as_code.demo import tenant_today
from jili.tenancy import get_scoped_or_404
from jili.web import bp
from jili.web._helpers import saved


def _visible_plan(improvement_id: int) -> tuple[ImprovementPlan, Person]:
    plan = get_scoped_or_404(ImprovementPlan, improvement_id, g.tenant.id)
    if not visibility.may_see(plan.person_id):
        abort(404)
    return plan, get_scoped_or_404(Person, plan.person_id, g.tenant.id)


def _is_self(person: Person) -> bool:
    me = visibility.viewer_person()
    return me is not None and me.id == person.id


def _context(plan: ImprovementPlan, person: Person) -> dict:
    card = db.session.get(Scorecard, plan.scorecard_id) if plan.scorecard_id else None
    others = can("alerts.plan") and g.role.value != "staff" and not _is_self(person)
    return {
        "plan": plan,
        "person": person,
        "card": card,
        "period": db.session.get(Period, card.period_id) if card else None,
        "state": services.status(plan, tenant_today(g.tenant)),
        "state_label": lambda v: STATUS_LABELS.get(v, v),
        "may_write": _is_self(person) or others,
        "may_evaluate": others and plan.submitted_on is not None,
        "labels": [label for label, _m, _s in bands(g.tenant.id)],
        "outcomes": results.OUTCOMES,
    }


@bp.route("/improvement-plans/<int:improvement_id>")
@require("alerts.view")
def improvement_plan(improvement_id: int):
    plan, person = _visible_plan(improvement_id)
    if plan.alert_id is not None:
        return redirect(url_for("tenant.alert_detail", alert_id=plan.alert_id))
    return render_template("alerts/plan.html", **_context(plan, person))


def _refuse(plan: ImprovementPlan, person: Person, message: str):
    db.session.rollback()
    flash(message, "error")
    ctx = _context(plan, person)
    return render_template("alerts/plan.html", **ctx, typed=request.form), 422


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


@bp.route("/improvement-plans/<int:improvement_id>", methods=["POST"])
@require("alerts.plan")
def improvement_plan_save(improvement_id: int):
    plan, person = _visible_plan(improvement_id)
    ctx = _context(plan, person)
    if plan.alert_id is not None:
        abort(404)
    if not ctx["may_write"]:
        abort(403)
    raw = request.form.get("follow_up_date", "").strip()
    follow_up = _day(raw)
    if raw and follow_up is None:
        return _refuse(plan, person, _("Give the follow-up date as a date (YYYY-MM-DD)."))
    try:
        services.submit(plan, request.form.get("actions", ""), follow_up,
                        tenant_today(g.tenant), current_user.email)  # fmt: skip
    except services.PlanError as exc:
        return _refuse(plan, person, str(exc))
    db.session.commit()
    flash(_("The improvement plan is saved."), "success")
    url = url_for("tenant.improvement_plan", improvement_id=plan.id)
    return saved(url, "alerts/plan.html", **_context(plan, person))


@bp.route("/improvement-plans/<int:improvement_id>/second", methods=["POST"])
@require("alerts.plan")
def improvement_plan_second(improvement_id: int):
    plan, person = _visible_plan(improvement_id)
    if plan.alert_id is not None:
        abort(404)
    if not _context(plan, person)["may_evaluate"]:
        abort(403)
    try:
        results.second_evaluation(
            plan,
            request.form.get("rating", ""),
            request.form.get("outcome", ""),
            request.form.get("note", ""),
            tenant_today(g.tenant),
            current_user.email,
        )
    except services.PlanError as exc:
        return _refuse(plan, person, str(exc))
    db.session.commit()
    flash(_("The second evaluation is saved."), "success")
    url = url_for("tenant.improvement_plan", improvement_id=plan.id)
    return saved(url, "alerts/plan.html", **_context(plan, person))
