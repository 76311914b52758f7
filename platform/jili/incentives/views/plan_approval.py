"""Deciding on a proposed plan version (maker-checker): approve, reject with a
reason, or withdraw one's own proposal; and the company's rule of who may
approve. The rules are :mod:`jili.incentives.services.approvals`; a refused
decision shows the plan page with the reason (403: not yours to take, 409: the
version's state does not allow it)."""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from jili.accounts.roles import require
from jili.extensions import db
from jili.incentives.models import Plan, PlanVersion
from jili.incentives.services import approvals
from jili.incentives.views.plan_detail import plan_page
from jili.tenancy import get_scoped_or_404
from jili.web import bp


def _version(plan_id: int, version_id: int) -> tuple[Plan, PlanVersion]:
    plan = get_scoped_or_404(Plan, plan_id, g.tenant.id)
    version = get_scoped_or_404(PlanVersion, version_id, g.tenant.id)
    if version.plan_id != plan.id:
        abort(404)
    return plan, version


def _decide(plan: Plan, action, success: str):
    try:
        action()
    except approvals.ApprovalRefused as exc:
        db.session.rollback()
        return plan_page(plan, error=exc.message, status_code=exc.status)
    db.session.commit()
    flash(success, "success")
    return redirect(url_for("tenant.plan_detail", plan_id=plan.id))


@bp.route("/plans/<int:plan_id>/versions/<int:version_id>/approve", methods=["POST"])
@require("plans.edit")
def plan_approve(plan_id: int, version_id: int):
    plan, version = _version(plan_id, version_id)
    return _decide(
        plan,
        lambda: approvals.approve(version, user=current_user, role=g.role, tenant=g.tenant),
        _(
            "Version %(n)s of %(name)s approved: it is in force from %(date)s.",
            n=version.number,
            name=plan.name,
            date=version.effective_from.isoformat(),
        ),
    )


@bp.route("/plans/<int:plan_id>/versions/<int:version_id>/reject", methods=["POST"])
@require("plans.edit")
def plan_reject(plan_id: int, version_id: int):
    plan, version = _version(plan_id, version_id)
    reason = request.form.get("reason", "")
    return _decide(
        plan,
        lambda: approvals.reject(
            version, user=current_user, role=g.role, tenant=g.tenant, reason=reason
        ),
        _("Version %(n)s of %(name)s rejected.", n=version.number, name=plan.name),
    )


@bp.route("/plans/<int:plan_id>/versions/<int:version_id>/withdraw", methods=["POST"])
@require("plans.edit")
def plan_withdraw(plan_id: int, version_id: int):
    plan, version = _version(plan_id, version_id)
    return _decide(
        plan,
        lambda: approvals.withdraw(version, user=current_user),
        _("Version %(n)s of %(name)s withdrawn.", n=version.number, name=plan.name),
    )


@bp.route("/plans/approval-rule", methods=["POST"])
@require("settings.edit")
def plan_approval_rule():
    allowed = request.form.get("plan_self_approval") in ("1", "on", "true")
    if approvals.set_self_approval(g.tenant, allowed):
        db.session.commit()
        flash(
            _("One person may now propose and approve plan changes.")
            if allowed
            else _("Plan changes now need a second person's approval."),
            "success",
        )
    return redirect(url_for("tenant.plans"))
