"""The alerts list and an alert with its improvement plan.

Whose alerts one sees follows the pay-visibility rule (jili.org.visibility):
oneself, one's team subtree and direct reports, or everyone for hr, admin, owner
and consultant. Another's alert out of sight, or another company's, is a 404.
"""

from __future__ import annotations

from datetime import date

from flask import abort, flash, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from jili.accounts.roles import can, require
from jili.alerts import services
from jili.alerts.models import Alert, AlertRule, ImprovementPlan
from jili.alerts.services.plans import STATUS_LABELS
from jili.alerts.services.rules import LEVEL_LABELS, MEASURE_LABELS, metric_label
from jili.evaluation.services import followups
from jili.evaluation.services.results import OUTCOMES, lowest_label
from jili.extensions import db
from jili.org import visibility
from jili.org.models import Person
from jili.periods.models import Period
from jili.plan_as_code.demo import tenant_today
from jili.tenancy import get_scoped_or_404
from jili.web import bp
from jili.web._helpers import saved


def _today() -> date:
    return tenant_today(g.tenant)


def _rows(late_only: bool) -> list[dict]:
    q = (
        select(Alert, Person, Period, AlertRule, ImprovementPlan)
        .join(Person, (Person.id == Alert.person_id) & (Person.tenant_id == Alert.tenant_id))
        .join(Period, (Period.id == Alert.period_id) & (Period.tenant_id == Alert.tenant_id))
        .join(AlertRule, (AlertRule.id == Alert.rule_id) & (AlertRule.tenant_id == Alert.tenant_id))
        .outerjoin(
            ImprovementPlan,
            (ImprovementPlan.alert_id == Alert.id) & (ImprovementPlan.tenant_id == Alert.tenant_id),
        )
        .where(Alert.tenant_id == g.tenant.id)
        .order_by(Period.start_date.desc(), Alert.level.desc(), Person.employee_no)
    )
    cond = visibility.person_condition(Alert.person_id)
    if cond is not None:
        q = q.where(cond)
    today = _today()
    rows = []
    for alert, person, period, rule, plan in db.session.execute(q).all():
        state = services.status(plan, today) if plan is not None else None
        if late_only and (state not in ("late", "submitted_late") or alert.is_withdrawn):
            continue
        rows.append(
            dict(alert=alert, person=person, period=period, rule=rule, plan=plan, state=state)
        )
    return rows


def _rating_plans(late_only: bool) -> list:
    """The improvement plans C ratings opened, along the same visibility rule."""
    rows = followups.rating_plans(
        g.tenant.id, _today(), condition=visibility.person_condition(ImprovementPlan.person_id)
    )
    if late_only:
        rows = [r for r in rows if r.state in ("late", "submitted_late")]
    return rows


def _context(late_only: bool = False) -> dict:
    return {
        "rows": _rows(late_only),
        "rating_plans": _rating_plans(late_only),
        "outcomes": OUTCOMES,
        "low_label": lowest_label(g.tenant.id),
        "late_only": late_only,
        "describe": services.describe,
        "level_label": lambda v: LEVEL_LABELS.get(v, v),
        "state_label": lambda v: STATUS_LABELS.get(v, v),
        "metric_label": metric_label,
    }


@bp.route("/alerts")
@require("alerts.view")
def alerts():
    return render_template("alerts/list.html", **_context(request.args.get("late") == "1"))


def _visible_alert(alert_id: int) -> tuple[Alert, Person]:
    alert = get_scoped_or_404(Alert, alert_id, g.tenant.id)
    if not visibility.may_see(alert.person_id):
        abort(404)
    person = get_scoped_or_404(Person, alert.person_id, g.tenant.id)
    return alert, person


def _may_write(person: Person) -> bool:
    me = visibility.viewer_person()
    if me is not None and me.id == person.id:
        return True
    return can("alerts.plan") and g.role.value != "staff" and visibility.may_see(person.id)


def _detail(alert: Alert, person: Person) -> dict:
    plan = db.session.scalar(
        select(ImprovementPlan).where(
            ImprovementPlan.tenant_id == g.tenant.id, ImprovementPlan.alert_id == alert.id
        )
    )
    return {
        "alert": alert,
        "person": person,
        "period": db.session.get(Period, alert.period_id),
        "rule": db.session.get(AlertRule, alert.rule_id),
        "plan": plan,
        "state": services.status(plan, _today()) if plan else None,
        "may_write": plan is not None and _may_write(person),
        "measure_labels": MEASURE_LABELS,
        "describe": services.describe,
        "level_label": lambda v: LEVEL_LABELS.get(v, v),
        "state_label": lambda v: STATUS_LABELS.get(v, v),
        "metric_label": metric_label,
    }


@bp.route("/alerts/<int:alert_id>")
@require("alerts.view")
def alert_detail(alert_id: int):
    alert, person = _visible_alert(alert_id)
    return render_template("alerts/detail.html", **_detail(alert, person))


@bp.route("/alerts/<int:alert_id>/plan", methods=["POST"])
@require("alerts.plan")
def alert_plan(alert_id: int):
    alert, person = _visible_alert(alert_id)
    ctx = _detail(alert, person)
    if ctx["plan"] is None:
        abort(404)
    if not ctx["may_write"]:
        abort(403)
    raw = request.form.get("follow_up_date", "")
    try:
        follow_up = date.fromisoformat(raw) if raw else None
    except ValueError:
        follow_up = None
        flash(_("Give the follow-up date as a date (YYYY-MM-DD)."), "error")
        return render_template("alerts/detail.html", **ctx, typed=request.form), 422
    try:
        services.submit(
            ctx["plan"], request.form.get("actions", ""), follow_up, _today(), current_user.email
        )
    except services.PlanError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return render_template(
            "alerts/detail.html", **_detail(alert, person), typed=request.form
        ), 422
    db.session.commit()
    flash(_("The improvement plan is saved."), "success")
    url = url_for("tenant.alert_detail", alert_id=alert.id)
    return saved(url, "alerts/detail.html", **_detail(alert, person))
