"""Scheme plugins per tenant, budget settings, and plans with their versions.

- ``/schemes``: every installed scheme with an htmx toggle (``schemes.edit``),
  the budget settings; read-only for other roles with ``config.view``.
- ``/plans``: plans with their status; create, edit (a new version), pilot,
  version history, and a consultant's copy to another company they serve.
"""

from __future__ import annotations

import json
from datetime import date

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import case, func, select

from jili.accounts.models import User
from jili.accounts.roles import can, require
from jili.accounts.services import user_tenants
from jili.extensions import db
from jili.incentives import forms as sforms
from jili.incentives.models import Plan, PlanVersion
from jili.incentives.services import plans as svc
from jili.org.models import Level, Person, Team
from jili.periods.models import Period, PeriodStatus
from jili.schemes import SettingsError
from jili.schemes import registry as scheme_registry
from jili.tenancy import bound_tenant, get_scoped_or_404
from jili.web import bp
from jili.web._helpers import saved

ERROR_STATUS = 400


@bp.record_once
def _setup(state) -> None:
    """Plugins' own settings partials, and the helpers the templates use."""
    app = state.app
    sforms.install_plugin_templates(app)
    app.jinja_env.globals["render_settings_form"] = sforms.render_settings_form
    app.jinja_env.globals["display_setting"] = sforms.display_value


def _registry():
    return scheme_registry.get_registry()


def _origin_label(key: str) -> str:
    origin = _registry().origin(key)
    if origin.kind == "built-in":
        return _("Built-in")
    if origin.kind == "entry point":
        return _("Third-party package %(dist)s", dist=origin.distribution or origin.plugin)
    return _("Registered by %(plugin)s", plugin=origin.plugin)


# --- schemes and budget -------------------------------------------------------------


def _scheme_items() -> list[dict]:
    tid = g.tenant.id
    rows = svc.tenant_schemes(tid)
    counts = dict(
        db.session.execute(
            select(Plan.scheme_key, func.count(Plan.id))
            .where(Plan.tenant_id == tid)
            .group_by(Plan.scheme_key)
        ).all()
    )
    items = []
    for key, scheme in _registry().all().items():
        row = rows.get(key)
        items.append(
            {
                "key": key,
                "scheme": scheme,
                "label": str(scheme.label),
                "description": str(scheme.description or scheme.__doc__ or ""),
                "origin": _origin_label(key),
                "installed": True,
                "enabled": bool(row and row.enabled),
                "plans": counts.get(key, 0),
            }
        )
    for key, row in sorted(rows.items()):
        if row.enabled and _registry().get(key) is None:
            items.append(
                {
                    "key": key,
                    "scheme": None,
                    "label": key,
                    "description": "",
                    "origin": "",
                    "installed": False,
                    "enabled": True,
                    "plans": counts.get(key, 0),
                }
            )
    items.sort(key=lambda i: (not i["installed"], i["label"].lower()))
    return items


def _budget_form(setting) -> dict[str, str]:
    def text(v):
        return "" if v is None else f"{v.normalize():f}" if hasattr(v, "normalize") else str(v)

    return {
        "budget_amount": text(setting.budget_amount),
        "budget_pct_of_revenue": text(setting.budget_pct_of_revenue),
        "budget_rule": getattr(setting.budget_rule, "value", setting.budget_rule) or "proportional",
        "release_from_attainment_pct": text(setting.release_from_attainment_pct),
        "release_pct": text(setting.release_pct) if setting.release_pct else "",
    }


def _schemes_page(budget=None, budget_errors=None, status: int = 200):
    setting = svc.incentive_setting(g.tenant.id)
    return render_template(
        "incentives/schemes.html",
        items=_scheme_items(),
        budget=budget if budget is not None else _budget_form(setting),
        budget_errors=budget_errors or {},
        budget_saved=setting.id is not None,
    ), status


@bp.route("/schemes")
@require("config.view")
def schemes():
    return _schemes_page()


@bp.route("/schemes/toggle", methods=["POST"])
@require("schemes.edit")
def scheme_toggle():
    key = (request.form.get("scheme_key") or "").strip()
    known = {i["key"]: i for i in _scheme_items()}
    if key not in known:
        abort(400, description=_("Unknown scheme."))
    wanted = request.form.get("enabled")
    enable = (not known[key]["enabled"]) if wanted not in {"0", "1"} else wanted == "1"
    error = None
    try:
        svc.set_scheme_enabled(g.tenant.id, key, enable)
        db.session.commit()
    except svc.PlanError as exc:
        db.session.rollback()
        error = next(iter(exc.errors.values()))
    item = {i["key"]: i for i in _scheme_items()}.get(key)
    if not g.htmx:
        if error:
            flash(error, "error")
        elif item:
            flash(
                _("%(scheme)s enabled.", scheme=item["label"])
                if item["enabled"]
                else _("%(scheme)s disabled.", scheme=item["label"]),
                "success",
            )
        return redirect(url_for("tenant.schemes"))
    if item is None:  # a scheme not installed, now disabled: its row goes
        return ""
    return render_template("incentives/_scheme_row.html", item=item, error=error), (
        ERROR_STATUS if error else 200
    )


@bp.route("/budget", methods=["POST"])
@require("schemes.edit")
def budget_save():
    values, errors = svc.parse_budget(request.form)
    if errors:
        typed = {k: (request.form.get(k) or "").strip() for k in svc.BUDGET_FIELDS}
        return _schemes_page(budget=typed, budget_errors=errors, status=ERROR_STATUS)
    svc.save_budget(g.tenant.id, values)
    db.session.commit()
    flash(_("Budget settings saved."), "success")
    setting = svc.incentive_setting(g.tenant.id)
    return saved(
        url_for("tenant.schemes"),
        "incentives/schemes.html",
        items=_scheme_items(),
        budget=_budget_form(setting),
        budget_errors={},
        budget_saved=True,
    )


# --- shared lookups -------------------------------------------------------------------


def _periods(tenant_id: int, *, open_only: bool = True) -> list[Period]:
    kind_order = case({"year": 0, "quarter": 1, "month": 2, "week": 3}, value=Period.kind, else_=4)
    stmt = select(Period).where(Period.tenant_id == tenant_id)
    if open_only:
        stmt = stmt.where(Period.status != PeriodStatus.CLOSED)
    return list(db.session.scalars(stmt.order_by(Period.start_date, kind_order, Period.label)))


def _teams() -> list[Team]:
    return list(
        db.session.scalars(select(Team).where(Team.tenant_id == g.tenant.id).order_by(Team.name))
    )


def _people() -> list[Person]:
    return list(
        db.session.scalars(
            select(Person).where(Person.tenant_id == g.tenant.id).order_by(Person.employee_no)
        )
    )


def _options():
    people = [(p.id, f"{p.name} ({p.employee_no})") for p in _people()]
    teams = [(t.id, t.name) for t in _teams()]
    return people, teams


def _available() -> dict:
    return scheme_registry.available_schemes(svc.enabled_scheme_keys(g.tenant.id))


def _status_label(status: svc.PlanStatus) -> str:
    return {
        svc.PlanStatus.ACTIVE: _("Active"),
        svc.PlanStatus.DISABLED: _("Scheme disabled — not calculated"),
        svc.PlanStatus.UNAVAILABLE: _("Scheme not installed — unavailable"),
    }[status]


def _scheme_label(key: str) -> str:
    scheme = _registry().get(key)
    return str(scheme.label) if scheme is not None else key


# --- plans list ---------------------------------------------------------------------


@bp.route("/plans")
@require("plans.view")
def plans():
    tid = g.tenant.id
    enabled = svc.enabled_scheme_keys(tid)
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
        entry = versions.setdefault(v.plan_id, {"latest": None, "pilots": 0})
        if v.is_pilot:
            entry["pilots"] += 1
        else:
            entry["latest"] = v
    periods = {p.id: p for p in _periods(tid, open_only=False)}
    items = []
    for plan in rows:
        status = svc.plan_status(plan.scheme_key, enabled)
        info = versions.get(plan.id, {"latest": None, "pilots": 0})
        latest = info["latest"]
        items.append(
            {
                "plan": plan,
                "scheme_label": _scheme_label(plan.scheme_key),
                "status": status.value,
                "status_label": _status_label(status),
                "latest": latest,
                "period": periods.get(latest.effective_period_id) if latest else None,
                "pilots": info["pilots"],
            }
        )
    return render_template(
        "incentives/plans/list.html",
        items=items,
        can_create=bool(_available()) and can("plans.edit"),
    )


# --- the plan form (create, edit, pilot) ----------------------------------------------


def _data_from_version(plan: Plan | None, version: PlanVersion | None) -> dict:
    elig = (version.eligibility if version else None) or {}
    return {
        "name": plan.name if plan else "",
        "priority": str(plan.priority) if plan else "100",
        "effective_period_id": "",
        "elig_team_ids": [str(i) for i in elig.get("team_ids", [])],
        "elig_levels": list(elig.get("levels", [])),
        "elig_person_ids": [str(i) for i in elig.get("person_ids", [])],
        "pilot_team_ids": [],
        "note": "",
    }


def _data_from_form() -> dict:
    f = request.form
    return {
        "name": (f.get("name") or "").strip(),
        "priority": (f.get("priority") or "").strip(),
        "effective_period_id": (f.get("effective_period_id") or "").strip(),
        "elig_team_ids": f.getlist("elig_team_ids"),
        "elig_levels": f.getlist("elig_levels"),
        "elig_person_ids": f.getlist("elig_person_ids"),
        "pilot_team_ids": f.getlist("pilot_team_ids"),
        "note": (f.get("note") or "").strip(),
    }


def _default_period_id(
    periods: list[Period], after: date | None = None, kind: str | None = None
) -> str:
    """The first open month (else period) that starts on or after ``after``
    (the first of this month by default); of ``kind`` when given — an edit keeps
    the plan's cadence, which the effective period's kind sets."""
    if kind is not None:
        periods = [p for p in periods if p.kind.value == kind] or periods
    if not periods:
        return ""
    cutoff = after or date.today().replace(day=1)
    later = [p for p in periods if p.start_date >= cutoff] or periods
    return str(min(later, key=lambda p: (p.start_date, p.kind.value != "month")).id)


def _read_period(data: dict, errors: dict) -> Period | None:
    raw = data["effective_period_id"]
    if not raw.isdigit():
        errors["effective_period_id"] = _("Choose a period.")
        return None
    period = db.session.scalar(
        select(Period).where(Period.tenant_id == g.tenant.id, Period.id == int(raw))
    )
    if period is None:
        errors["effective_period_id"] = _("Choose a period.")
    elif period.is_closed:
        errors["effective_period_id"] = _(
            "Period %(label)s is closed: a plan cannot change in it.", label=period.label
        )
    return period


def _read_priority(data: dict, errors: dict) -> int:
    raw = data["priority"]
    if not raw.lstrip("-").isdigit():
        errors["priority"] = _("Enter a whole number.")
        return 100
    value = int(raw)
    if not 0 <= value <= 9999:
        errors["priority"] = _("Between 0 and 9999.")
    return value


def _read_settings(scheme, people, teams):
    """Settings from the POSTed form: ``(cleaned or None, SettingsForm, row_action)``."""
    fields = scheme.settings_fields
    values = sforms.parse_form(fields, request.form)
    if sforms.apply_row_action(fields, values, request.form.get("_row", "")):
        return None, sforms.build_form(scheme, values, people=people, teams=teams), True
    raw, errors = sforms.to_raw(fields, values)
    cleaned = None
    try:
        cleaned = scheme.validate_settings(raw)
    except SettingsError as exc:
        errors = {**exc.errors, **errors}
    # Ids in id lists must be this tenant's people or teams.
    known = {"person": {i for i, _l in people}, "team": {i for i, _l in teams}}
    for f in fields:
        target = sforms.id_list_target(f)
        if sforms.widget_kind(f) == "id_list" and target and cleaned is not None:
            if set(cleaned[f.name]) - known[target]:
                errors[f.name] = _("Choose from the list.")
    form = sforms.build_form(scheme, values, errors, people=people, teams=teams)
    return (None if errors else cleaned), form, False


def _render_form(mode, scheme, plan, data, errors, settings_form, status=200, **extra):
    people, teams = _options()
    return render_template(
        "incentives/plans/form.html",
        mode=mode,
        scheme=scheme,
        plan=plan,
        data=data,
        errors=errors,
        settings_form=settings_form,
        periods=_periods(g.tenant.id),
        people=people,
        teams=teams,
        levels=[lv.value for lv in Level],
        **extra,
    ), status


@bp.route("/plans/new", methods=["GET", "POST"])
@require("plans.edit")
def plan_new():
    available = _available()
    key = (request.values.get("scheme_key") or "").strip()
    scheme = available.get(key)
    periods = _periods(g.tenant.id)
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
    people, teams = _options()
    if request.method == "GET":
        data = _data_from_version(None, None)
        data["effective_period_id"] = _default_period_id(periods)
        form = sforms.build_form(
            scheme,
            sforms.form_values(scheme.settings_fields, scheme.default_settings()),
            people=people,
            teams=teams,
        )
        return _render_form("create", scheme, None, data, {}, sforms.add_blank_rows(form))

    data = _data_from_form()
    errors: dict[str, str] = {}
    cleaned, form, row_action = _read_settings(scheme, people, teams)
    if row_action:
        return _render_form("create", scheme, None, data, {}, form)
    priority = _read_priority(data, errors)
    period = _read_period(data, errors)
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
            flash(_("Plan %(name)s created (version 1).", name=plan.name), "success")
            return redirect(url_for("tenant.plan_detail", plan_id=plan.id))
    else:
        try:
            svc.check_name(g.tenant.id, data["name"])
        except svc.PlanError as exc:
            errors.update(exc.errors)
    return _render_form(
        "create", scheme, None, data, errors, sforms.add_blank_rows(form), ERROR_STATUS
    )


def _installed_or_409(plan: Plan):
    scheme = _registry().get(plan.scheme_key)
    if scheme is None:
        abort(
            409,
            description=_(
                "The scheme %(key)s of this plan is not installed: it cannot be edited.",
                key=plan.scheme_key,
            ),
        )
    return scheme


@bp.route("/plans/<int:plan_id>/edit", methods=["GET", "POST"])
@require("plans.edit")
def plan_edit(plan_id: int):
    plan = get_scoped_or_404(Plan, plan_id, g.tenant.id)
    scheme = _installed_or_409(plan)
    base = svc.latest_version(g.tenant.id, plan.id)
    source = base
    from_id = request.args.get("from", "")
    if from_id.isdigit():
        source = (
            db.session.scalar(
                select(PlanVersion).where(
                    PlanVersion.tenant_id == g.tenant.id,
                    PlanVersion.plan_id == plan.id,
                    PlanVersion.id == int(from_id),
                )
            )
            or base
        )
    people, teams = _options()
    periods = _periods(g.tenant.id)
    if request.method == "GET":
        data = _data_from_version(plan, source)
        base_period = db.session.get(Period, base.effective_period_id) if base else None
        data["effective_period_id"] = _default_period_id(
            periods,
            max(base.effective_from, date.today().replace(day=1)) if base else None,
            kind=base_period.kind.value if base_period else None,
        )
        form = sforms.build_form(
            scheme,
            sforms.form_values(scheme.settings_fields, source.settings if source else {}),
            people=people,
            teams=teams,
        )
        return _render_form(
            "edit", scheme, plan, data, {}, sforms.add_blank_rows(form), base=base, source=source
        )

    data = _data_from_form()
    errors: dict[str, str] = {}
    cleaned, form, row_action = _read_settings(scheme, people, teams)
    if row_action:
        return _render_form("edit", scheme, plan, data, {}, form, base=base, source=source)
    priority = _read_priority(data, errors)
    period = _read_period(data, errors)
    eligibility, elig_errors = svc.clean_eligibility(
        g.tenant.id, data["elig_team_ids"], data["elig_levels"], data["elig_person_ids"]
    )
    errors.update(elig_errors)
    try:
        svc.check_name(g.tenant.id, data["name"], plan.id)
    except svc.PlanError as exc:
        errors.update(exc.errors)
    if not errors and cleaned is not None:
        # A new version when what is calculated changes; name and priority live on the plan.
        new_version = base is None or (
            cleaned != base.settings or eligibility != _normal_elig(base.eligibility)
        )
        try:
            renamed = svc.update_plan(plan, name=data["name"], priority=priority)
            version = None
            if new_version:
                version = svc.add_version(
                    plan,
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
            if version is not None:
                flash(
                    _(
                        "Version %(n)s of %(name)s saved, in force from %(period)s.",
                        n=version.number,
                        name=plan.name,
                        period=period.label,
                    ),
                    "success",
                )
            elif renamed:
                flash(_("Plan %(name)s saved.", name=plan.name), "success")
            else:
                flash(_("Nothing changed: no new version was made."), "success")
            return redirect(url_for("tenant.plan_detail", plan_id=plan.id))
    return _render_form(
        "edit",
        scheme,
        plan,
        data,
        errors,
        sforms.add_blank_rows(form),
        ERROR_STATUS,
        base=base,
        source=source,
    )


def _normal_elig(elig: dict | None) -> dict:
    elig = elig or {}
    return {
        "team_ids": sorted(elig.get("team_ids") or []),
        "levels": sorted(elig.get("levels") or []),
        "person_ids": sorted(elig.get("person_ids") or []),
    }


@bp.route("/plans/<int:plan_id>/pilot", methods=["GET", "POST"])
@require("plans.edit")
def plan_pilot(plan_id: int):
    plan = get_scoped_or_404(Plan, plan_id, g.tenant.id)
    scheme = _installed_or_409(plan)
    base = svc.latest_version(g.tenant.id, plan.id)
    people, teams = _options()
    periods = _periods(g.tenant.id)
    if request.method == "GET":
        data = _data_from_version(plan, base)
        data["effective_period_id"] = _default_period_id(periods)
        form = sforms.build_form(
            scheme,
            sforms.form_values(scheme.settings_fields, base.settings if base else {}),
            people=people,
            teams=teams,
        )
        return _render_form("pilot", scheme, plan, data, {}, sforms.add_blank_rows(form), base=base)

    data = _data_from_form()
    errors: dict[str, str] = {}
    cleaned, form, row_action = _read_settings(scheme, people, teams)
    if row_action:
        return _render_form("pilot", scheme, plan, data, {}, form, base=base)
    period = _read_period(data, errors)
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
    return _render_form(
        "pilot", scheme, plan, data, errors, sforms.add_blank_rows(form), ERROR_STATUS, base=base
    )


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
    users = {
        u.id: u
        for u in db.session.scalars(
            select(User).where(User.id.in_({v.created_by_id for v in versions if v.created_by_id}))
        )
    }
    periods = {p.id: p for p in _periods(g.tenant.id, open_only=False)}
    team_names = _names(Team, {t for v in versions for t in (v.pilot_team_ids or [])})
    rows, previous = [], None
    for v in versions:  # by number
        base = previous
        rows.append(
            {
                "version": v,
                "period": periods.get(v.effective_period_id),
                "user": users.get(v.created_by_id),
                "base": base,
                "changes": sforms.settings_diff(scheme, base.settings if base else None, v.settings)
                if base
                else [],
                "eligibility_changed": base is not None
                and _normal_elig(base.eligibility) != _normal_elig(v.eligibility),
                "pilot_teams": [team_names.get(t, f"#{t}") for t in v.pilot_team_ids or []],
            }
        )
        if not v.is_pilot:
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
    plan = get_scoped_or_404(Plan, plan_id, g.tenant.id)
    scheme = _registry().get(plan.scheme_key)
    status = svc.plan_status(plan.scheme_key, svc.enabled_scheme_keys(g.tenant.id))
    versions = list(
        db.session.scalars(
            select(PlanVersion)
            .where(PlanVersion.tenant_id == g.tenant.id, PlanVersion.plan_id == plan.id)
            .order_by(PlanVersion.number)
        )
    )
    rows = _version_rows(plan, versions, scheme)
    latest = next((r for r in reversed(rows) if not r["version"].is_pilot), None)
    return render_template(
        "incentives/plans/detail.html",
        plan=plan,
        scheme=scheme,
        origin=_origin_label(plan.scheme_key) if scheme is not None else "",
        status=status.value,
        status_label=_status_label(status),
        rows=list(reversed(rows)),
        latest=latest,
        eligibility=_describe_eligibility(latest["version"].eligibility if latest else None),
        settings_form=_readonly_form(scheme, latest["version"]) if latest and scheme else None,
        can_copy=can("plans.edit") and bool(_copy_targets()) and scheme is not None,
    )


def _readonly_form(scheme, version: PlanVersion):
    """The stored settings for reading; id lists show names (only those named are loaded)."""
    wanted: dict[str, set] = {"person": set(), "team": set()}
    for f in scheme.settings_fields:
        target = sforms.id_list_target(f)
        value = (version.settings or {}).get(f.name)
        if sforms.widget_kind(f) == "id_list" and target and isinstance(value, list):
            wanted[target].update(v for v in value if isinstance(v, int))
    people = _names(Person, wanted["person"])
    teams = _names(Team, wanted["team"])
    return sforms.build_form(
        scheme,
        sforms.form_values(scheme.settings_fields, version.settings),
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
    scheme = _registry().get(plan.scheme_key)
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


# --- copy to another company ----------------------------------------------------------


def _target_periods(tenant_id: int) -> list[dict]:
    with bound_tenant(tenant_id):
        return [
            {"id": p.id, "label": p.label, "kind": p.kind.value, "start_date": p.start_date}
            for p in _periods(tenant_id)
        ]


@bp.route("/plans/<int:plan_id>/copy", methods=["GET", "POST"])
@require("plans.edit")
def plan_copy(plan_id: int):
    plan = get_scoped_or_404(Plan, plan_id, g.tenant.id)
    _installed_or_409(plan)
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
                result = svc.copy_plan(
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
                flash(message, "success")
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
