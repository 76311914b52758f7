"""A plan's own pages: the plan with its version history, one version, a pilot
version for one or two teams, and a consultant's copy to another company they serve."""

from __future__ import annotations

import json

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from jili.accounts.models import User
from jili.accounts.roles import can, require
from jili.accounts.services import user_tenants
from jili.audit import services as audit
from jili.extensions import db
from jili.incentives import form_fields
from jili.incentives import forms as sforms
from jili.incentives.models import ApprovalStatus, Plan, PlanVersion
from jili.incentives.services import approvals
from jili.incentives.services import plans as svc
from jili.incentives.services import schemes as scheme_svc
from jili.incentives.services.plan_copy import copy_plan
from jili.incentives.views._plan_helpers import (
    ERROR_STATUS,
    data_from_form,
    data_from_version,
    default_period_id,
    installed_or_409,
    normal_elig,
    options,
    origin_label,
    read_period,
    read_settings,
    registry,
    render_form,
    status_label,
    tenant_periods,
)
from jili.org.models import Person, Team
from jili.tenancy import bound_tenant, get_scoped_or_404
from jili.web import bp

# --- plan page and versions -----------------------------------------------------------


def _names(model, ids) -> dict[int, str]:
    ids = {i for i in ids if isinstance(i, int)}
    if not ids:
        return {}
    rows = db.session.scalars(
        select(model).where(model.tenant_id == g.tenant.id, model.id.in_(ids))
    )
    return {r.id: r.name for r in rows}


def _describe_eligibility(elig: dict | None) -> dict:
    elig = elig or {}
    teams = _names(Team, elig.get("team_ids") or [])
    people = _names(Person, elig.get("person_ids") or [])
    return {
        "everyone": not any(elig.get(k) for k in ("team_ids", "levels", "person_ids")),
        "teams": [teams.get(i, f"#{i}") for i in elig.get("team_ids") or []],
        "levels": list(elig.get("levels") or []),
        "people": [people.get(i, f"#{i}") for i in elig.get("person_ids") or []],
    }


def _version_rows(plan: Plan, versions: list[PlanVersion], scheme) -> list[dict]:
    user_ids = {v.created_by_id for v in versions} | {v.decided_by_id for v in versions}
    users = {
        u.id: u for u in db.session.scalars(select(User).where(User.id.in_(user_ids - {None})))
    }
    periods = {p.id: p for p in tenant_periods(g.tenant.id, open_only=False)}
    team_names = _names(Team, {t for v in versions for t in (v.pilot_team_ids or [])})
    rows, previous = [], None
    for v in versions:  # by number
        base = previous
        rows.append(
            {
                "version": v,
                "period": periods.get(v.effective_period_id),
                "user": users.get(v.created_by_id),
                "decider": users.get(v.decided_by_id),
                "self_approved": v.status == ApprovalStatus.APPROVED
                and v.decided_by_id is not None
                and v.decided_by_id == v.created_by_id,
                "base": base,
                "changes": sforms.settings_diff(scheme, base.settings if base else None, v.settings)
                if base
                else [],
                "eligibility_changed": base is not None
                and normal_elig(base.eligibility) != normal_elig(v.eligibility),
                "pilot_teams": [team_names.get(t, f"#{t}") for t in v.pilot_team_ids or []],
            }
        )
        if v.in_force_candidate:
            previous = v
    return rows


def _copy_targets() -> list[tuple]:
    """Other companies the user may edit plans in: ``[(tenant, role)]``."""
    return [
        (t, role)
        for t, role in user_tenants(current_user)
        if t.id != g.tenant.id and not t.is_suspended and can("plans.edit", role)
    ]


@bp.route("/plans/<int:plan_id>")
@require("plans.view")
def plan_detail(plan_id: int):
    return plan_page(get_scoped_or_404(Plan, plan_id, g.tenant.id))


def plan_page(plan: Plan, error: str | None = None, status_code: int = 200):
    """The plan page; ``error`` (a refused decision) shown on top with ``status_code``."""
    scheme = registry().get(plan.scheme_key)
    status = scheme_svc.plan_status(plan.scheme_key, scheme_svc.enabled_scheme_keys(g.tenant.id))
    versions = list(
        db.session.scalars(
            select(PlanVersion)
            .where(PlanVersion.tenant_id == g.tenant.id, PlanVersion.plan_id == plan.id)
            .order_by(PlanVersion.number)
        )
    )
    rows = _version_rows(plan, versions, scheme)
    latest = next((r for r in reversed(rows) if r["version"].in_force_candidate), None)
    pending = next((r for r in rows if r["version"].status == ApprovalStatus.PROPOSED), None)
    shown = latest or pending  # a new plan: its first proposal's settings
    return render_template(
        "incentives/plans/detail.html",
        plan=plan,
        scheme=scheme,
        origin=origin_label(plan.scheme_key) if scheme is not None else "",
        status=status.value,
        status_label=status_label(status),
        rows=list(reversed(rows)),
        latest=latest,
        shown=shown,
        eligibility=_describe_eligibility(shown["version"].eligibility if shown else None),
        settings_form=_readonly_form(scheme, shown["version"]) if shown and scheme else None,
        can_copy=can("plans.edit") and bool(_copy_targets()) and scheme is not None,
        pending=pending,
        approval_refusal=(
            approvals.refusal(pending["version"], current_user, g.role, g.tenant)
            if pending
            else None
        ),
        error=error,
    ), status_code


@bp.route("/plans/<int:plan_id>/target-basis", methods=["POST"])
@require("plans.edit")
def plan_target_basis(plan_id: int):
    """Which value of each target the plan measures against (audit-logged)."""
    plan = get_scoped_or_404(Plan, plan_id, g.tenant.id)
    basis = request.form.get("target_basis", "")
    if basis not in ("baseline", "challenge"):
        abort(400)
    if basis != plan.target_basis:
        audit.record(
            "plan.update",
            plan,
            before={"target_basis": plan.target_basis},
            after={"target_basis": basis},
        )
        plan.target_basis = basis
        db.session.commit()
        flash(_("Saved."), "success")
    return redirect(url_for("tenant.plan_detail", plan_id=plan.id))


def _readonly_form(scheme, version: PlanVersion):
    """The stored settings for reading; id lists show names (only those named are loaded)."""
    wanted: dict[str, set] = {"person": set(), "team": set()}
    for f in scheme.settings_fields:
        target = form_fields.id_list_target(f)
        value = (version.settings or {}).get(f.name)
        if form_fields.widget_kind(f) == "id_list" and target and isinstance(value, list):
            wanted[target].update(v for v in value if isinstance(v, int))
    people = _names(Person, wanted["person"])
    teams = _names(Team, wanted["team"])
    return sforms.build_form(
        scheme,
        form_fields.form_values(scheme.settings_fields, version.settings),
        people=sorted(people.items()),
        teams=sorted(teams.items()),
        read_only=True,
    )


@bp.route("/plans/<int:plan_id>/versions/<int:version_id>")
@require("plans.view")
def plan_version(plan_id: int, version_id: int):
    plan = get_scoped_or_404(Plan, plan_id, g.tenant.id)
    version = get_scoped_or_404(PlanVersion, version_id, g.tenant.id)
    if version.plan_id != plan.id:
        abort(404)
    scheme = registry().get(plan.scheme_key)
    base = svc.previous_version(version)
    row = _version_rows(plan, [b for b in (base, version) if b is not None], scheme)[-1]
    return render_template(
        "incentives/plans/version.html",
        plan=plan,
        scheme=scheme,
        row=row,
        version=version,
        eligibility=_describe_eligibility(version.eligibility),
        settings_form=_readonly_form(scheme, version) if scheme else None,
        raw_settings=json.dumps(version.settings, ensure_ascii=False, indent=2, sort_keys=True),
    )


# --- a pilot version ------------------------------------------------------------------


@bp.route("/plans/<int:plan_id>/pilot", methods=["GET", "POST"])
@require("plans.edit")
def plan_pilot(plan_id: int):
    plan = get_scoped_or_404(Plan, plan_id, g.tenant.id)
    scheme = installed_or_409(plan)
    base = svc.latest_version(g.tenant.id, plan.id)
    people, teams = options()
    periods = tenant_periods(g.tenant.id)
    if request.method == "GET":
        data = data_from_version(plan, base)
        data["effective_period_id"] = default_period_id(periods)
        form = sforms.build_form(
            scheme,
            form_fields.form_values(scheme.settings_fields, base.settings if base else {}),
            people=people,
            teams=teams,
        )
        return render_form("pilot", scheme, plan, data, {}, sforms.add_blank_rows(form), base=base)

    data = data_from_form()
    errors: dict[str, str] = {}
    cleaned, form, row_action = read_settings(scheme, people, teams)
    if row_action:
        return render_form("pilot", scheme, plan, data, {}, form, base=base)
    period = read_period(data, errors)
    team_ids, team_errors = svc.clean_eligibility(g.tenant.id, data["pilot_team_ids"], [], [])
    if team_errors:
        errors["pilot_team_ids"] = team_errors["elig_team_ids"]
    if not errors and cleaned is not None:
        try:
            version = svc.add_version(
                plan,
                period=period,
                settings=cleaned,
                eligibility=base.eligibility if base else {},
                user_id=current_user.id,
                note=data["note"],
                is_pilot=True,
                pilot_team_ids=team_ids["team_ids"],
            )
        except svc.PlanError as exc:
            db.session.rollback()
            errors.update(exc.errors)
        else:
            db.session.commit()
            flash(
                _(
                    "Pilot version %(n)s of %(name)s saved. It is never paid; it runs beside "
                    "the plan for the chosen teams.",
                    n=version.number,
                    name=plan.name,
                ),
                "success",
            )
            return redirect(url_for("tenant.plan_detail", plan_id=plan.id))
    elif not data["pilot_team_ids"] and "pilot_team_ids" not in errors:
        errors["pilot_team_ids"] = _("Choose one or two teams to pilot with.")
    return render_form(
        "pilot", scheme, plan, data, errors, sforms.add_blank_rows(form), ERROR_STATUS, base=base
    )


# --- copy to another company ----------------------------------------------------------


def _target_periods(tenant_id: int) -> list[dict]:
    with bound_tenant(tenant_id):
        return [
            {"id": p.id, "label": p.label, "kind": p.kind.value, "start_date": p.start_date}
            for p in tenant_periods(tenant_id)
        ]


@bp.route("/plans/<int:plan_id>/copy", methods=["GET", "POST"])
@require("plans.edit")
def plan_copy(plan_id: int):
    plan = get_scoped_or_404(Plan, plan_id, g.tenant.id)
    installed_or_409(plan)
    version = svc.latest_version(g.tenant.id, plan.id)
    if version is None:
        abort(404)
    targets = _copy_targets()
    by_id = {t.id: (t, role) for t, role in targets}
    raw_target = (request.values.get("target_tenant_id") or "").strip()
    errors: dict[str, str] = {}
    target = None
    if raw_target:
        if not raw_target.isdigit() or int(raw_target) not in by_id:
            _refuse_target(raw_target)
        target = by_id[int(raw_target)][0]
    elif targets:
        target = targets[0][0]
    data = {
        "name": (request.values.get("name") or plan.name).strip(),
        "target_period_id": (request.form.get("target_period_id") or "").strip(),
    }
    periods = _target_periods(target.id) if target else []
    elig = version.eligibility or {}
    drops = any(elig.get(k) for k in ("team_ids", "levels", "person_ids"))
    if request.method == "POST" and target is not None:
        if not data["target_period_id"].isdigit():
            errors["target_period_id"] = _("Choose a period of that company.")
        else:
            try:
                result = copy_plan(
                    plan,
                    version,
                    target_tenant_id=target.id,
                    target_period_id=int(data["target_period_id"]),
                    name=data["name"],
                    user_id=current_user.id,
                )
            except svc.PlanError as exc:
                db.session.rollback()
                for k, v in exc.errors.items():
                    errors[{"effective_period_id": "target_period_id"}.get(k, k)] = v
            else:
                db.session.commit()
                message = _(
                    "Copied to %(company)s as %(name)s (version 1).",
                    company=target.name,
                    name=result.plan_name,
                )
                if result.eligibility_dropped:
                    message += " " + _(
                        "Eligibility was not copied (teams and people differ between "
                        "companies): everyone there is eligible until you narrow it."
                    )
                copy_url = url_for("tenant.plan_detail", slug=target.slug, plan_id=result.plan_id)
                link = Markup('<a href="{}" id="open-copy">{}</a>').format(
                    copy_url, _("Open the copy")
                )
                flash(Markup("{} {}").format(message, link), "success")
                return redirect(url_for("tenant.plan_detail", plan_id=plan.id))
    elif request.method == "POST" and target is None:
        errors["target_tenant_id"] = _("Choose a company.")
    status = ERROR_STATUS if errors else 200
    return render_template(
        "incentives/plans/copy.html",
        plan=plan,
        version=version,
        targets=targets,
        target=target,
        periods=periods,
        data=data,
        errors=errors,
        drops_eligibility=drops,
    ), status


def _refuse_target(raw: str):
    """Another company: 404 unless the user is a member there (then 403)."""
    member_of = {t.id for t, _role in user_tenants(current_user)}
    if raw.isdigit() and int(raw) in member_of and int(raw) != g.tenant.id:
        abort(403)
    abort(404)
