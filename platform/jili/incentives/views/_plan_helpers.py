"""What the scheme and plan pages share: lookups (the tenant's periods, people and
teams, the schemes it may use, a plan's status in words) and the plan form that
creating, editing and piloting a plan fill in and read back."""

from __future__ import annotations

from datetime import date

from flask import abort, g, render_template, request
from flask_babel import gettext as _
from sqlalchemy import case, select

from jili.extensions import db
from jili.incentives import form_fields
from jili.incentives import forms as sforms
from jili.incentives.models import Plan, PlanVersion
from jili.incentives.services import schemes as scheme_svc
from jili.org.models import Level, Person, Team
from jili.periods.models import Period, PeriodStatus
from jili.schemes import SettingsError
from jili.schemes import registry as scheme_registry

ERROR_STATUS = 400


def registry():
    return scheme_registry.get_registry()


def origin_label(key: str) -> str:
    origin = registry().origin(key)
    if origin.kind == "built-in":
        return _("Built-in")
    if origin.kind == "entry point":
        return _("Third-party package %(dist)s", dist=origin.distribution or origin.plugin)
    return _("Registered by %(plugin)s", plugin=origin.plugin)


def tenant_periods(tenant_id: int, *, open_only: bool = True) -> list[Period]:
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


def options():
    people = [(p.id, f"{p.name} ({p.employee_no})") for p in _people()]
    teams = [(t.id, t.name) for t in _teams()]
    return people, teams


def enabled_schemes() -> dict:
    return scheme_registry.available_schemes(scheme_svc.enabled_scheme_keys(g.tenant.id))


def status_label(status: scheme_svc.PlanStatus) -> str:
    return {
        scheme_svc.PlanStatus.ACTIVE: _("Active"),
        scheme_svc.PlanStatus.DISABLED: _("Scheme disabled — not calculated"),
        scheme_svc.PlanStatus.UNAVAILABLE: _("Scheme not installed — unavailable"),
    }[status]


def scheme_label(key: str) -> str:
    scheme = registry().get(key)
    return str(scheme.label) if scheme is not None else key


def normal_elig(elig: dict | None) -> dict:
    elig = elig or {}
    return {
        "team_ids": sorted(elig.get("team_ids") or []),
        "levels": sorted(elig.get("levels") or []),
        "person_ids": sorted(elig.get("person_ids") or []),
    }


def installed_or_409(plan: Plan):
    scheme = registry().get(plan.scheme_key)
    if scheme is None:
        abort(
            409,
            description=_(
                "The scheme %(key)s of this plan is not installed: it cannot be edited.",
                key=plan.scheme_key,
            ),
        )
    return scheme


# --- the plan form (create, edit, pilot) ----------------------------------------------


def data_from_version(plan: Plan | None, version: PlanVersion | None) -> dict:
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


def data_from_form() -> dict:
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


def default_period_id(
    periods: list[Period], after: date | None = None, kind: str | None = None
) -> str:
    """The first open month (else period) that starts on or after ``after``
    (the first of this month by default); of ``kind`` when given — an edit keeps
    the plan's cadence, which the effective period's kind sets."""
    if kind is not None:
        periods = [p for p in periods if p.kind.value == kind]
    if not periods:
        return ""
    cutoff = after or date.today().replace(day=1)
    later = [p for p in periods if p.start_date >= cutoff] or periods
    return str(min(later, key=lambda p: (p.start_date, p.kind.value != "month")).id)


def read_period(data: dict, errors: dict) -> Period | None:
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


def read_priority(data: dict, errors: dict) -> int:
    raw = data["priority"]
    if not raw.lstrip("-").isdigit():
        errors["priority"] = _("Enter a whole number.")
        return 100
    value = int(raw)
    if not 0 <= value <= 9999:
        errors["priority"] = _("Between 0 and 9999.")
    return value


def read_settings(scheme, people, teams):
    """Settings from the POSTed form: ``(cleaned or None, SettingsForm, row_action)``."""
    fields = scheme.settings_fields
    values = form_fields.parse_form(fields, request.form)
    if form_fields.apply_row_action(fields, values, request.form.get("_row", "")):
        return None, sforms.build_form(scheme, values, people=people, teams=teams), True
    raw, errors = form_fields.to_raw(fields, values)
    cleaned = None
    try:
        cleaned = scheme.validate_settings(raw)
    except SettingsError as exc:
        errors = {**exc.errors, **errors}
    # Ids in id lists must be this tenant's people or teams.
    known = {"person": {i for i, _l in people}, "team": {i for i, _l in teams}}
    for f in fields:
        target = form_fields.id_list_target(f)
        if form_fields.widget_kind(f) == "id_list" and target and cleaned is not None:
            if set(cleaned[f.name]) - known[target]:
                errors[f.name] = _("Choose from the list.")
    form = sforms.build_form(scheme, values, errors, people=people, teams=teams)
    return (None if errors else cleaned), form, False


def cadence_of(version) -> str | None:
    """A plan's cadence: the kind of period its latest version took effect in."""
    if version is None:
        return None
    period = db.session.get(Period, version.effective_period_id)
    return period.kind.value if period is not None else None


def check_cadence(period: Period | None, cadence: str | None, errors: dict) -> None:
    """An edit keeps the plan's cadence: a quarterly plan changes from a quarter."""
    from jili.i18n import KIND_LABELS

    if period is not None and cadence and period.kind.value != cadence:
        errors["effective_period_id"] = _(
            "This plan is calculated per %(kind)s: choose a period of that kind.",
            kind=str(KIND_LABELS[cadence]).lower(),
        )


def render_form(mode, scheme, plan, data, errors, settings_form, status=200, **extra):
    people, teams = options()
    cadence = extra.pop("cadence", None)
    periods = tenant_periods(g.tenant.id)
    if cadence:
        periods = [p for p in periods if p.kind.value == cadence]
    return render_template(
        "incentives/plans/form.html",
        mode=mode,
        scheme=scheme,
        plan=plan,
        data=data,
        errors=errors,
        settings_form=settings_form,
        periods=periods,
        cadence=cadence,
        people=people,
        teams=teams,
        levels=[lv.value for lv in Level],
        **extra,
    ), status
