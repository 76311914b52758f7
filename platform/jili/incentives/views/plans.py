"""The plans: the list with each plan's status, a new plan from an enabled scheme,
and editing one (a new version). The schemes and budget page is
:mod:`jili.incentives.views.schemes`; a plan's own pages (versions, pilot, copy)
are :mod:`jili.incentives.views.plan_detail`.
"""

from __future__ import annotations

from datetime import date

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from jili.accounts.roles import can, require
from jili.extensions import db
from jili.incentives import form_fields
from jili.incentives import forms as sforms
from jili.incentives.models import ApprovalStatus, Plan, PlanVersion
from jili.incentives.services import plans as svc
from jili.incentives.services import schemes as scheme_svc
from jili.incentives.views._plan_helpers import (
    ERROR_STATUS,
    cadence_of,
    check_cadence,
    data_from_form,
    data_from_version,
    default_period_id,
    enabled_schemes,
    installed_or_409,
    normal_elig,
    options,
    read_period,
    read_priority,
    read_settings,
    render_form,
    scheme_label,
    status_label,
    tenant_periods,
)
from jili.periods.models import Period
from jili.tenancy import get_scoped_or_404
from jili.web import bp


@bp.record_once
def _setup(state) -> None:
    """Plugins' own settings partials, and the helpers the templates use."""
    app = state.app
    sforms.install_plugin_templates(app)
    app.jinja_env.globals["render_settings_form"] = sforms.render_settings_form
    app.jinja_env.globals["display_setting"] = sforms.display_value


# --- plans list ---------------------------------------------------------------------


@bp.route("/plans")
@require("plans.view")
def plans():
    tid = g.tenant.id
    enabled = scheme_svc.enabled_scheme_keys(tid)
    rows = list(
        db.session.scalars(
            select(Plan).where(Plan.tenant_id == tid).order_by(Plan.priority, Plan.name)
        )
    )
    versions = {}
    for v in db.session.scalars(
        select(PlanVersion)
        .where(PlanVersion.tenant_id == tid)
        .order_by(PlanVersion.plan_id, PlanVersion.number)
    ):
        entry = versions.setdefault(v.plan_id, {"latest": None, "pilots": 0, "pending": None})
        if v.is_pilot:
            entry["pilots"] += 1
        elif v.status == ApprovalStatus.PROPOSED:
            entry["pending"] = v
        elif v.in_force_candidate:
            entry["latest"] = v
    periods = {p.id: p for p in tenant_periods(tid, open_only=False)}
    items = []
    for plan in rows:
        status = scheme_svc.plan_status(plan.scheme_key, enabled)
        info = versions.get(plan.id, {"latest": None, "pilots": 0, "pending": None})
        latest = info["latest"]
        items.append(
            {
                "plan": plan,
                "scheme_label": scheme_label(plan.scheme_key),
                "status": status.value,
                "status_label": status_label(status),
                "latest": latest,
                "period": periods.get(latest.effective_period_id) if latest else None,
                "pilots": info["pilots"],
                "pending": info["pending"],
            }
        )
    return render_template(
        "incentives/plans/list.html",
        items=items,
        can_create=bool(enabled_schemes()) and can("plans.edit"),
        pending_count=sum(1 for i in items if i["pending"] is not None),
    )


# --- a new plan, a new version -------------------------------------------------------


@bp.route("/plans/new", methods=["GET", "POST"])
@require("plans.edit")
def plan_new():
    available = enabled_schemes()
    key = (request.values.get("scheme_key") or "").strip()
    scheme = available.get(key)
    periods = tenant_periods(g.tenant.id)
    if scheme is None:
        error = None
        if key or request.method == "POST":
            error = _("Choose one of the schemes enabled for your company.")
        return render_template(
            "incentives/plans/choose_scheme.html",
            available=available,
            error=error,
            has_periods=bool(periods),
        ), (ERROR_STATUS if error else 200)
    people, teams = options()
    if request.method == "GET":
        data = data_from_version(None, None)
        data["effective_period_id"] = default_period_id(periods)
        form = sforms.build_form(
            scheme,
            form_fields.form_values(scheme.settings_fields, scheme.default_settings()),
            people=people,
            teams=teams,
        )
        return render_form("create", scheme, None, data, {}, sforms.add_blank_rows(form))

    data = data_from_form()
    errors: dict[str, str] = {}
    cleaned, form, row_action = read_settings(scheme, people, teams)
    if row_action:
        return render_form("create", scheme, None, data, {}, form)
    priority = read_priority(data, errors)
    period = read_period(data, errors)
    eligibility, elig_errors = svc.clean_eligibility(
        g.tenant.id, data["elig_team_ids"], data["elig_levels"], data["elig_person_ids"]
    )
    errors.update(elig_errors)
    if not errors and cleaned is not None:
        try:
            plan, _v = svc.create_plan(
                g.tenant.id,
                name=data["name"],
                scheme_key=scheme.key,
                priority=priority,
                period=period,
                settings=cleaned,
                eligibility=eligibility,
                user_id=current_user.id,
                note=data["note"],
            )
        except svc.PlanError as exc:
            db.session.rollback()
            errors.update(exc.errors)
        else:
            db.session.commit()
            flash(
                _(
                    "Plan %(name)s created. Version 1 is proposed: it is calculated once an "
                    "owner or administrator other than you approves it.",
                    name=plan.name,
                ),
                "success",
            )
            return redirect(url_for("tenant.plan_detail", plan_id=plan.id))
    else:
        try:
            svc.check_name(g.tenant.id, data["name"])
        except svc.PlanError as exc:
            errors.update(exc.errors)
    return render_form(
        "create", scheme, None, data, errors, sforms.add_blank_rows(form), ERROR_STATUS
    )


def _edit_source(plan: Plan, base: PlanVersion | None) -> PlanVersion | None:
    """The version the edit form starts from: ``?from=<id>`` (adopting a pilot or an
    older version) when it is one of this plan's, else the latest."""
    from_id = request.args.get("from", "")
    if not from_id.isdigit():
        return base
    return (
        db.session.scalar(
            select(PlanVersion).where(
                PlanVersion.tenant_id == g.tenant.id,
                PlanVersion.plan_id == plan.id,
                PlanVersion.id == int(from_id),
            )
        )
        or base
    )


def _edit_form(scheme, plan: Plan, base: PlanVersion | None, source: PlanVersion | None):
    """The edit form filled from ``source``, in force from the next period of the
    plan's cadence that is not before the latest version."""
    people, teams = options()
    data = data_from_version(plan, source)
    base_period = db.session.get(Period, base.effective_period_id) if base else None
    data["effective_period_id"] = default_period_id(
        tenant_periods(g.tenant.id),
        max(base.effective_from, date.today().replace(day=1)) if base else None,
        kind=base_period.kind.value if base_period else None,
    )
    form = sforms.build_form(
        scheme,
        form_fields.form_values(scheme.settings_fields, source.settings if source else {}),
        people=people,
        teams=teams,
    )
    return render_form(
        "edit",
        scheme,
        plan,
        data,
        {},
        sforms.add_blank_rows(form),
        base=base,
        source=source,
        cadence=cadence_of(base),
    )


def _save_edit(plan: Plan, base, data: dict, period, priority: int, cleaned, eligibility) -> str:
    """Store an edit and say what was saved. Name and priority live on the plan; a
    new version is made only when what is calculated changes. Raises ``PlanError``."""
    renamed = svc.update_plan(plan, name=data["name"], priority=priority)
    unchanged = base is not None and (
        cleaned == base.settings and eligibility == normal_elig(base.eligibility)
    )
    if unchanged:
        if renamed:
            return _("Plan %(name)s saved.", name=plan.name)
        return _("Nothing changed: no new version was made.")
    version = svc.add_version(
        plan,
        period=period,
        settings=cleaned,
        eligibility=eligibility,
        user_id=current_user.id,
        note=data["note"],
    )
    return _(
        "Version %(n)s of %(name)s proposed, in force from %(period)s once an owner or "
        "administrator other than you approves it.",
        n=version.number,
        name=plan.name,
        period=period.label,
    )


@bp.route("/plans/<int:plan_id>/edit", methods=["GET", "POST"])
@require("plans.edit")
def plan_edit(plan_id: int):
    plan = get_scoped_or_404(Plan, plan_id, g.tenant.id)
    scheme = installed_or_409(plan)
    base = svc.latest_version(g.tenant.id, plan.id)
    source = _edit_source(plan, base)
    if request.method == "GET":
        return _edit_form(scheme, plan, base, source)

    people, teams = options()
    data = data_from_form()
    errors: dict[str, str] = {}
    cleaned, form, row_action = read_settings(scheme, people, teams)
    cadence = cadence_of(base)
    if row_action:
        return render_form(
            "edit", scheme, plan, data, {}, form, base=base, source=source, cadence=cadence
        )
    priority = read_priority(data, errors)
    period = read_period(data, errors)
    check_cadence(period, cadence, errors)
    eligibility, elig_errors = svc.clean_eligibility(
        g.tenant.id, data["elig_team_ids"], data["elig_levels"], data["elig_person_ids"]
    )
    errors.update(elig_errors)
    try:
        svc.check_name(g.tenant.id, data["name"], plan.id)
    except svc.PlanError as exc:
        errors.update(exc.errors)
    if not errors and cleaned is not None:
        try:
            message = _save_edit(plan, base, data, period, priority, cleaned, eligibility)
        except svc.PlanError as exc:
            db.session.rollback()
            errors.update(exc.errors)
        else:
            db.session.commit()
            flash(message, "success")
            return redirect(url_for("tenant.plan_detail", plan_id=plan.id))
    return render_form(
        "edit",
        scheme,
        plan,
        data,
        errors,
        sforms.add_blank_rows(form),
        ERROR_STATUS,
        base=base,
        source=source,
        cadence=cadence,
    )
