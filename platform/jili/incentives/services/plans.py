"""Schemes a tenant enabled, its budget settings, and plans with their versions.

No request code here: the views in :mod:`jili.incentives.views.plans` and the calculation
engine both use these functions. Nothing commits; the caller does.

A plan's settings live in its versions, which are never edited: a change is a
new version, in force from a period on. For a period, the version in force is
the latest non-pilot version whose ``effective_from`` is on or before the
period's start (by ``effective_from``, then ``number``) and whose effective
period is of the same kind (:func:`jili.incentives.engine.plans_for_period`): a version effective from 2024-Q3 makes a
quarterly plan, from 2024-07 a monthly one, from 2024 a yearly one. A pilot version is
never in force; the engine runs it beside the plan for its pilot teams only.

Eligibility (``PlanVersion.eligibility``) is
``{"team_ids": [...], "levels": [...], "person_ids": [...]}``:

- all empty: everyone is eligible;
- otherwise a person is eligible when listed in ``person_ids``, or — when teams
  or levels are chosen — when they match every chosen filter: their team is
  one of ``team_ids`` or under one of them (a team includes its sub-teams),
  and their level is one of ``levels``.

So people named by name are always in, whatever the filters; with no team and
no level chosen, only the named people are. The rule is applied in one place,
:func:`jili.incentives.engine.narrow`, for runs, pilots, the simulator and these pages.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from jili.audit import services as audit
from jili.dbtypes import utcnow
from jili.extensions import db
from jili.incentives.models import (
    BudgetRuleChoice,
    IncentiveSetting,
    Plan,
    PlanVersion,
    TenantScheme,
)
from jili.money import MONEY_LIMIT, NumberError, numeric_limit, parse_decimal
from jili.org.models import Level, Person, Team
from jili.periods.models import Period
from jili.schemes import registry as scheme_registry
from jili.tenancy import bound_tenant

HUNDRED = Decimal(100)
MAX_PILOT_TEAMS = 2


class PlanError(ValueError):
    """A plan change refused; ``errors`` maps form field → message."""

    def __init__(self, errors: Mapping[str, Any]):
        self.errors = {k: str(v) for k, v in errors.items()}
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


# --- schemes a tenant enabled -----------------------------------------------------


def enabled_scheme_keys(tenant_id: int) -> set[str]:
    """The scheme keys ``tenant_id`` enabled (installed or not: filter with
    :func:`jili.schemes.available_schemes` for the usable ones)."""
    return set(
        db.session.scalars(
            select(TenantScheme.scheme_key).where(
                TenantScheme.tenant_id == tenant_id, TenantScheme.enabled.is_(True)
            )
        )
    )


def tenant_schemes(tenant_id: int) -> dict[str, TenantScheme]:
    """Every scheme row of the tenant (enabled or disabled again), by key."""
    rows = db.session.scalars(select(TenantScheme).where(TenantScheme.tenant_id == tenant_id))
    return {r.scheme_key: r for r in rows}


def set_scheme_enabled(tenant_id: int, scheme_key: str, enabled: bool) -> TenantScheme:
    """Enable or disable ``scheme_key`` for the tenant (upsert), audited.

    Enabling needs the scheme installed; disabling works for a scheme that is
    not installed any more. Raises :class:`PlanError` otherwise."""
    row = tenant_schemes(tenant_id).get(scheme_key)
    if enabled and scheme_registry.get_registry().get(scheme_key) is None:
        raise PlanError({"scheme_key": _("This scheme is not installed.")})
    if row is None:
        if not enabled:
            raise PlanError({"scheme_key": _("This scheme is not enabled.")})
        row = TenantScheme(tenant_id=tenant_id, scheme_key=scheme_key, enabled=True)
        db.session.add(row)
    elif row.enabled == enabled:
        return row
    else:
        row.enabled = enabled
        row.changed_at = utcnow()
    db.session.flush()
    audit.record(
        "scheme.enable" if enabled else "scheme.disable",
        row,
        after={"scheme_key": scheme_key, "enabled": enabled},
    )
    return row


class PlanStatus(enum.StrEnum):
    ACTIVE = "active"  # calculated
    DISABLED = "disabled"  # scheme disabled for the tenant: not calculated
    UNAVAILABLE = "unavailable"  # scheme not installed: cannot be calculated or edited
    NOT_IN_FORCE = "not_in_force"  # (for a period) no version effective for it yet


def plan_status(scheme_key: str, enabled_keys: Iterable[str]) -> PlanStatus:
    if scheme_registry.get_registry().get(scheme_key) is None:
        return PlanStatus.UNAVAILABLE
    if scheme_key not in set(enabled_keys):
        return PlanStatus.DISABLED
    return PlanStatus.ACTIVE


# --- budget -----------------------------------------------------------------------

BUDGET_FIELDS = [
    "budget_amount",
    "budget_pct_of_revenue",
    "budget_rule",
    "release_from_attainment_pct",
    "release_pct",
]


def incentive_setting(tenant_id: int) -> IncentiveSetting:
    """The tenant's budget settings; a new, unsaved default when none are saved."""
    row = db.session.scalar(select(IncentiveSetting).where(IncentiveSetting.tenant_id == tenant_id))
    if row is None:
        row = IncentiveSetting(
            tenant_id=tenant_id,
            budget_amount=None,
            budget_pct_of_revenue=None,
            budget_rule=BudgetRuleChoice.PROPORTIONAL,
            release_from_attainment_pct=None,
            release_pct=Decimal(0),
        )
    return row


def parse_budget(form: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Budget settings from form input: ``(values, errors by field)``."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}

    def number(name: str, *, maximum: Decimal | None = None, places: int = 4) -> Decimal | None:
        text = (form.get(name) or "").strip()
        if not text:
            return None
        # The columns: the amount is Money, the percentages Numeric(9, 4).
        limit = MONEY_LIMIT if places == 2 else numeric_limit(9, 4)
        try:
            return parse_decimal(
                text, places=places, limit=limit, minimum=Decimal(0), maximum=maximum
            )
        except NumberError as exc:
            reason, errors[name] = exc.reason, str(exc)
        if reason == "number":
            errors[name] = _("Enter a number.")
        elif reason == "small":
            errors[name] = _("Must be at least %(n)s.", n=0)
        elif reason == "places":
            errors[name] = _("At most %(n)s decimals.", n=places)
        elif reason == "max":
            errors[name] = _("Must be at most %(n)s.", n=maximum)
        return None

    values["budget_amount"] = number("budget_amount", places=2)
    values["budget_pct_of_revenue"] = number("budget_pct_of_revenue", maximum=HUNDRED)
    rule = (form.get("budget_rule") or "").strip()
    if rule not in {r.value for r in BudgetRuleChoice}:
        errors["budget_rule"] = _("Not one of the choices.")
    else:
        values["budget_rule"] = BudgetRuleChoice(rule)
    values["release_from_attainment_pct"] = number("release_from_attainment_pct")
    values["release_pct"] = number("release_pct", maximum=HUNDRED * 10)
    if values["release_from_attainment_pct"] is None and values["release_pct"]:
        if "release_from_attainment_pct" not in errors:
            errors["release_from_attainment_pct"] = _(
                "Say from which attainment the extra budget is released."
            )
    if values["release_from_attainment_pct"] is not None and not values["release_pct"]:
        if "release_pct" not in errors:
            errors["release_pct"] = _("Enter the extra budget released (%), more than 0.")
    values["release_pct"] = values["release_pct"] or Decimal(0)
    return values, errors


def save_budget(tenant_id: int, values: Mapping[str, Any]) -> IncentiveSetting:
    """Store parsed budget settings (audited ``budget.update``)."""
    row = incentive_setting(tenant_id)
    is_new = row.id is None
    before = None if is_new else audit.snapshot(row, BUDGET_FIELDS)
    for name in BUDGET_FIELDS:
        setattr(row, name, values[name])
    if is_new:
        db.session.add(row)
    db.session.flush()
    audit.record("budget.update", row, before=before, after=audit.snapshot(row, BUDGET_FIELDS))
    return row


# --- versions ---------------------------------------------------------------------


def latest_version(tenant_id: int, plan_id: int, *, pilots: bool = False) -> PlanVersion | None:
    """The highest-numbered version (non-pilot unless ``pilots``)."""
    stmt = select(PlanVersion).where(
        PlanVersion.tenant_id == tenant_id, PlanVersion.plan_id == plan_id
    )
    if not pilots:
        stmt = stmt.where(PlanVersion.is_pilot.is_(False))
    return db.session.scalar(stmt.order_by(PlanVersion.number.desc()).limit(1))


def previous_version(version: PlanVersion) -> PlanVersion | None:
    """The non-pilot version before ``version`` (what it changed)."""
    return db.session.scalar(
        select(PlanVersion)
        .where(
            PlanVersion.tenant_id == version.tenant_id,
            PlanVersion.plan_id == version.plan_id,
            PlanVersion.is_pilot.is_(False),
            PlanVersion.number < version.number,
        )
        .order_by(PlanVersion.number.desc())
        .limit(1)
    )


# --- eligibility ------------------------------------------------------------------


def clean_eligibility(
    tenant_id: int,
    team_ids: Iterable[Any],
    levels: Iterable[str],
    person_ids: Iterable[Any],
) -> tuple[dict[str, list], dict[str, str]]:
    """Eligibility from form input, every id checked to be the tenant's:
    ``(eligibility, errors by form field)``."""
    errors: dict[str, str] = {}

    def ids(values, model, field_name) -> list[int]:
        try:
            wanted = {int(v) for v in values if str(v).strip()}
        except (TypeError, ValueError):
            errors[field_name] = _("Choose from the list.")
            return []
        if wanted:
            known = set(
                db.session.scalars(
                    select(model.id).where(model.tenant_id == tenant_id, model.id.in_(wanted))
                )
            )
            if wanted - known:
                errors[field_name] = _("Choose from the list.")
        return sorted(wanted)

    chosen_levels = sorted({str(v) for v in levels if str(v).strip()})
    if any(v not in {lv.value for lv in Level} for v in chosen_levels):
        errors["elig_levels"] = _("Not one of the choices.")
    eligibility = {
        "team_ids": ids(team_ids, Team, "elig_team_ids"),
        "levels": chosen_levels,
        "person_ids": ids(person_ids, Person, "elig_person_ids"),
    }
    return eligibility, errors


# --- creating plans and versions --------------------------------------------------

PLAN_FIELDS = ["name", "scheme_key", "priority"]


def _version_snapshot(v: PlanVersion) -> dict[str, Any]:
    return {
        "number": v.number,
        "effective_from": v.effective_from,
        "settings": v.settings,
        "eligibility": v.eligibility,
        "is_pilot": v.is_pilot,
        "pilot_team_ids": v.pilot_team_ids,
        "note": v.note,
    }


def _check_period(period: Period | None) -> None:
    if period is None:
        raise PlanError({"effective_period_id": _("Choose a period.")})
    if period.is_closed:
        raise PlanError(
            {
                "effective_period_id": _(
                    "Period %(label)s is closed: a plan cannot change in it.", label=period.label
                )
            }
        )


def check_name(tenant_id: int, name: str, plan_id: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise PlanError({"name": _("Give the plan a name.")})
    if len(name) > 120:
        raise PlanError({"name": _("At most %(n)s characters.", n=120)})
    clash = db.session.scalar(
        select(Plan.id).where(Plan.tenant_id == tenant_id, func.lower(Plan.name) == name.lower())
    )
    if clash is not None and clash != plan_id:
        raise PlanError({"name": _("A plan with this name exists already.")})
    return name


def create_plan(
    tenant_id: int,
    *,
    name: str,
    scheme_key: str,
    priority: int,
    period: Period,
    settings: dict,
    eligibility: dict,
    user_id: int | None,
    note: str = "",
    audit_extra: Mapping[str, Any] | None = None,
) -> tuple[Plan, PlanVersion]:
    """A new plan with its version 1 (settings already validated), audited
    ``plan.create``. Raises :class:`PlanError` for a taken name or a closed period."""
    name = check_name(tenant_id, name)
    _check_period(period)
    plan = Plan(tenant_id=tenant_id, name=name, scheme_key=scheme_key, priority=priority)
    db.session.add(plan)
    db.session.flush()
    version = PlanVersion(
        tenant_id=tenant_id,
        plan_id=plan.id,
        number=1,
        effective_period_id=period.id,
        effective_from=period.start_date,
        settings=settings,
        eligibility=eligibility,
        is_pilot=False,
        pilot_team_ids=[],
        note=note[:500],
        created_by_id=user_id,
    )
    db.session.add(version)
    db.session.flush()
    audit.record(
        "plan.create",
        plan,
        tenant_id=tenant_id,
        after={
            **audit.snapshot(plan, PLAN_FIELDS),
            "effective_period": period.label,
            **_version_snapshot(version),
            **(audit_extra or {}),
        },
    )
    return plan, version


def add_version(
    plan: Plan,
    *,
    period: Period,
    settings: dict,
    eligibility: dict,
    user_id: int | None,
    note: str = "",
    is_pilot: bool = False,
    pilot_team_ids: Iterable[int] = (),
) -> PlanVersion:
    """A new version of ``plan`` (number = highest + 1), never touching the
    old ones; audited ``plan.version`` (or ``plan.pilot``) with the settings
    before (the latest non-pilot version) and after.

    Refused (:class:`PlanError`): a closed period; a non-pilot version that
    would take effect before the latest one; a pilot without 1–2 teams."""
    _check_period(period)
    base = latest_version(plan.tenant_id, plan.id)
    pilot_team_ids = sorted(set(pilot_team_ids))
    if is_pilot and not 1 <= len(pilot_team_ids) <= MAX_PILOT_TEAMS:
        raise PlanError({"pilot_team_ids": _("Choose one or two teams to pilot with.")})
    if not is_pilot and base is not None and period.start_date < base.effective_from:
        raise PlanError(
            {
                "effective_period_id": _(
                    "Version %(n)s is in force from %(date)s; a new version takes effect "
                    "from then or later.",
                    n=base.number,
                    date=base.effective_from.isoformat(),
                )
            }
        )
    number = (
        db.session.scalar(
            select(func.max(PlanVersion.number)).where(
                PlanVersion.tenant_id == plan.tenant_id, PlanVersion.plan_id == plan.id
            )
        )
        or 0
    ) + 1
    version = PlanVersion(
        tenant_id=plan.tenant_id,
        plan_id=plan.id,
        number=number,
        effective_period_id=period.id,
        effective_from=period.start_date,
        settings=settings,
        eligibility=eligibility,
        is_pilot=is_pilot,
        pilot_team_ids=pilot_team_ids if is_pilot else [],
        note=(note or "")[:500],
        created_by_id=user_id,
    )
    db.session.add(version)
    db.session.flush()
    audit.record(
        "plan.pilot" if is_pilot else "plan.version",
        version,
        before=_version_snapshot(base) if base is not None else None,
        after=_version_snapshot(version),
    )
    return version


def update_plan(plan: Plan, *, name: str, priority: int) -> bool:
    """Rename a plan or change its priority (audited ``plan.update``)."""
    name = check_name(plan.tenant_id, name, plan.id)
    before = audit.snapshot(plan, PLAN_FIELDS)
    plan.name, plan.priority = name, priority
    after = audit.snapshot(plan, PLAN_FIELDS)
    if before == after:
        return False
    db.session.flush()
    audit.record("plan.update", plan, before=before, after=after)
    return True


# --- copying a plan to another tenant ---------------------------------------------


@dataclass(frozen=True)
class CopyResult:
    plan_id: int
    plan_name: str
    eligibility_dropped: bool


def copy_plan(
    source: Plan,
    version: PlanVersion,
    *,
    target_tenant_id: int,
    target_period_id: int,
    name: str,
    user_id: int | None,
) -> CopyResult:
    """Copy ``version``'s settings into a new plan (version 1) of another tenant.

    The caller has checked that the user may edit plans there. The target must
    have the scheme installed and enabled. Eligibility naming teams, people or
    levels does not carry over (ids differ between tenants): the copy starts
    with everyone eligible. Writes run with the target tenant bound; both
    tenants get an audit entry (``plan.create`` there, ``plan.copy`` here),
    neither naming the other company. Raises :class:`PlanError`."""
    scheme = scheme_registry.get_registry().get(source.scheme_key)
    if scheme is None:
        raise PlanError({"target_tenant_id": _("This plan's scheme is not installed.")})
    from jili.schemes import SettingsError

    try:
        settings = scheme.validate_settings(version.settings)
    except SettingsError:
        raise PlanError(
            {"__all__": _("This version's settings are not valid any more; edit the plan first.")}
        ) from None
    elig = version.eligibility or {}
    dropped = any(elig.get(k) for k in ("team_ids", "levels", "person_ids"))
    with bound_tenant(target_tenant_id):
        if source.scheme_key not in enabled_scheme_keys(target_tenant_id):
            raise PlanError(
                {
                    "target_tenant_id": _(
                        "The scheme %(scheme)s is not enabled in that company: an admin "
                        "there must enable it first.",
                        scheme=str(scheme.label),
                    )
                }
            )
        period = db.session.scalar(
            select(Period).where(
                Period.tenant_id == target_tenant_id, Period.id == target_period_id
            )
        )
        if period is None:
            raise PlanError({"target_period_id": _("Choose a period of that company.")})
        plan, _v = create_plan(
            target_tenant_id,
            name=name,
            scheme_key=source.scheme_key,
            priority=source.priority,
            period=period,
            settings=settings,
            eligibility={"team_ids": [], "levels": [], "person_ids": []},
            user_id=user_id,
            note=_("Copied from another company's plan."),
            audit_extra={"copied": True},
        )
        db.session.flush()
        result = CopyResult(plan.id, plan.name, dropped)
    audit.record(
        "plan.copy",
        source,
        tenant_id=source.tenant_id,
        after={"version": version.number, "copy_name": result.plan_name},
    )
    return result
