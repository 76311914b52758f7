"""Importing a tenant file, second part: the schemes enabled, the budget, and
the plans with every version — effective period, pilot teams, eligibility, and
settings translated from natural keys to ids, then checked by the scheme's own
``validate_settings``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from flask_babel import gettext as _

from jili.extensions import db
from jili.incentives.models import (
    CEILING_KINDS,
    ApprovalStatus,
    BudgetRuleChoice,
    IncentiveSetting,
    Plan,
    PlanVersion,
    TenantScheme,
    ceiling_fields,
)
from jili.org.models import Level
from jili.plan_as_code.reader import FileReader
from jili.plan_as_code.schema import id_field_refers_to, ordered
from jili.schemes import SettingsError, get_registry
from jili.schemes.base import KEY_PATTERN


def make_schemes(r: FileReader) -> None:
    spec = r.data.get("schemes", {})
    where = "[schemes]"
    if not isinstance(spec, Mapping):
        r.err(where, _("Must be a table."))
        return
    r.known(where, spec, ("enabled", "disabled"))
    registry = get_registry()
    seen = set()
    for key, enabled in (("enabled", True), ("disabled", False)):
        names = r.name_list(where, spec.get(key), key) or []
        for scheme_key in names:
            if scheme_key in seen:
                r.err(where, _("Scheme %(key)s is listed twice.", key=scheme_key))
                continue
            seen.add(scheme_key)
            if not KEY_PATTERN.match(scheme_key):
                r.err(where, _("%(key)s is not a scheme key.", key=scheme_key))
                continue
            if enabled and registry.get(scheme_key) is None:
                r.err(
                    where,
                    _(
                        "Scheme %(key)s is not installed here (see jili plugins list).",
                        key=scheme_key,
                    ),
                )
                continue
            db.session.add(
                TenantScheme(tenant_id=r.tenant.id, scheme_key=scheme_key, enabled=enabled)
            )
    r.counts["schemes"] = len(seen)


def make_budget(r: FileReader) -> None:
    """``[budget]``: each period kind's ceiling as ``month = { amount = "…",
    pct_of_revenue = "…" }`` (likewise quarter, year, week), the rule and the
    released extra. A file from before ceilings were per kind has ``amount`` /
    ``pct_of_revenue`` directly under ``[budget]``: that ceiling applied to every
    period, so it becomes every kind's (as migration 0007 did to the database)."""
    spec = r.data.get("budget")
    if spec is None:
        return
    where = "[budget]"
    if not isinstance(spec, Mapping):
        r.err(where, _("Must be a table."))
        return
    r.known(
        where,
        spec,
        (
            *CEILING_KINDS,
            "rule",
            "release_from_attainment_pct",
            "release_pct",
            "amount",
            "pct_of_revenue",
        ),
    )
    rule = spec.get("rule", BudgetRuleChoice.PROPORTIONAL.value)
    if rule not in {choice.value for choice in BudgetRuleChoice}:
        r.err(where, _("rule must be proportional or priority."))
        return
    values = {
        key: r.decimal(where, spec, key, required=False, minimum=0)
        for key in ("release_from_attainment_pct", "release_pct")
    }
    db.session.add(
        IncentiveSetting(
            tenant_id=r.tenant.id,
            **_ceilings(r, spec),
            budget_rule=BudgetRuleChoice(rule),
            release_from_attainment_pct=values["release_from_attainment_pct"],
            release_pct=values["release_pct"] or Decimal(0),
        )
    )


def _ceiling(r: FileReader, where: str, spec: Mapping) -> tuple[Decimal | None, Decimal | None]:
    amount = r.decimal(where, spec, "amount", required=False, minimum=0, money=True)
    pct = r.decimal(where, spec, "pct_of_revenue", required=False, minimum=0)
    if pct is not None and pct > 100:
        r.err(where, _("%(key)s must be at most %(n)s.", key="pct_of_revenue", n=100))
    return amount, pct


def _ceilings(r: FileReader, spec: Mapping) -> dict[str, Decimal | None]:
    """The ceiling columns from ``[budget]``, per kind or (an older file) one for all."""
    out: dict[str, Decimal | None] = {}
    legacy = "amount" in spec or "pct_of_revenue" in spec
    if legacy and any(kind in spec for kind in CEILING_KINDS):
        r.err(
            "[budget]",
            _(
                "Give the ceiling either per period kind (%(kinds)s) or once with amount and "
                "pct_of_revenue, not both.",
                kinds=", ".join(CEILING_KINDS),
            ),
        )
    shared = _ceiling(r, "[budget]", spec) if legacy else (None, None)
    for kind in CEILING_KINDS:
        amount_field, pct_field = ceiling_fields(kind)
        ceiling = spec.get(kind)
        if ceiling is None:
            out[amount_field], out[pct_field] = shared
            continue
        where = f"[budget] {kind}"
        if not isinstance(ceiling, Mapping):
            r.err(where, _("Must be a table."))
            continue
        r.known(where, ceiling, ("amount", "pct_of_revenue"))
        out[amount_field], out[pct_field] = _ceiling(r, where, ceiling)
    return out


def make_plans(r: FileReader) -> None:
    registry = get_registry()
    names: set[str] = set()
    plans = versions = 0
    for where, row in r.entries("plans"):
        name = r.text(where, row, "name", limit=120)
        if name is None:
            continue
        where = f"{where} ({name})"
        r.known(where, row, ("name", "scheme", "priority", "target_basis", "versions"))
        if name in names:
            r.err(where, _("Plan %(name)s appears twice.", name=name))
            continue
        names.add(name)
        key = row.get("scheme")
        scheme = registry.get(key) if isinstance(key, str) else None
        if scheme is None:
            r.err(
                where,
                _(
                    "Scheme %(key)s is not installed here (see jili plugins list).",
                    key=key,
                ),
            )
            continue
        priority = row.get("priority", 100)
        if isinstance(priority, bool) or not isinstance(priority, int):
            r.err(where, _("priority must be a whole number."))
            continue
        basis = row.get("target_basis", "baseline")
        if basis not in ("baseline", "challenge"):
            r.err(where, _("target_basis must be baseline or challenge."))
            basis = "baseline"
        plan = Plan(
            tenant_id=r.tenant.id,
            name=name,
            scheme_key=key,
            priority=priority,
            target_basis=basis,
        )
        db.session.add(plan)
        db.session.flush()
        plans += 1
        raw_versions = row.get("versions", [])
        if not isinstance(raw_versions, list):
            r.err(where, _("versions must be an array of tables ([[plans.versions]])."))
            continue
        numbers: set[int] = set()
        for v in raw_versions:
            if _make_version(r, where, plan, scheme, v, numbers):
                versions += 1
    r.counts["plans"] = plans
    r.counts["plan_versions"] = versions


def _make_version(r: FileReader, plan_where, plan: Plan, scheme, v, numbers: set[int]) -> bool:
    if not isinstance(v, Mapping):
        r.err(plan_where, _("Each version must be a table."))
        return False
    number = v.get("number")
    where = f"{plan_where} version {number}"
    r.known(
        where,
        v,
        (
            "number",
            "effective",
            "pilot",
            "pilot_teams",
            "note",
            "approval",
            "reason",
            "eligibility",
            "settings",
        ),
    )
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        r.err(where, _("number must be a whole number from 1."))
        return False
    if number in numbers:
        r.err(where, _("Version %(n)d appears twice.", n=number))
        return False
    numbers.add(number)
    period = r.period(where, v, "effective")
    pilot = r.boolean(where, v, "pilot", False)
    note = r.text(where, v, "note", required=False, limit=500)
    pilot_names = r.name_list(where, v.get("pilot_teams"), "pilot_teams")
    pilot_teams = [r.team(where, n) for n in pilot_names or []]
    if pilot and not pilot_names:
        r.err(where, _("A pilot version needs the teams it runs on (pilot_teams)."))
    if pilot_names and not pilot:
        r.err(where, _("pilot_teams are only for a pilot version (pilot = true)."))
    status = _status(r, plan_where, where, v, pilot)
    reason = r.text(where, v, "reason", required=False, limit=500)
    eligibility = _eligibility(r, where, v.get("eligibility", {}))
    settings = _settings(r, where, scheme, v.get("settings", {}))
    if None in pilot_teams or eligibility is None or settings is None or period is None:
        return False
    if note is None or status is None or reason is None:
        return False
    db.session.add(
        PlanVersion(
            tenant_id=r.tenant.id,
            plan_id=plan.id,
            number=number,
            effective_period_id=period.id,
            effective_from=period.start_date,
            settings=settings,
            eligibility=eligibility,
            is_pilot=pilot,
            pilot_team_ids=sorted(t.id for t in pilot_teams),
            note=note,
            created_by_id=getattr(r.actor, "id", None),
            status=status,
            decision_reason=reason,
        )
    )
    return True


def _status(r: FileReader, plan_where, where, v, pilot: bool) -> ApprovalStatus | None:
    """A version's approval state: approved (in force) unless the file says
    ``approval = "proposed"`` (awaiting approval), ``"rejected"`` or ``"withdrawn"``."""
    raw = v.get("approval", ApprovalStatus.APPROVED.value)
    if raw not in {s.value for s in ApprovalStatus}:
        r.err(
            where,
            _(
                "approval must be one of %(allowed)s.",
                allowed=", ".join(s.value for s in ApprovalStatus),
            ),
        )
        return None
    if pilot and raw != ApprovalStatus.APPROVED.value:
        r.err(where, _("A pilot version is never in force: it needs no approval."))
        return None
    if raw == ApprovalStatus.PROPOSED.value:
        proposals = r.__dict__.setdefault("proposals", set())
        if plan_where in proposals:
            r.err(where, _("A plan has at most one version awaiting approval."))
            return None
        proposals.add(plan_where)
    return ApprovalStatus(raw)


def _eligibility(r: FileReader, where, spec) -> dict | None:
    if not isinstance(spec, Mapping):
        r.err(where, _("eligibility must be a table."))
        return None
    r.known(where, spec, ("teams", "levels", "people"))
    teams = r.name_list(where, spec.get("teams"), "eligibility.teams")
    levels = r.name_list(where, spec.get("levels"), "eligibility.levels")
    people = r.name_list(where, spec.get("people"), "eligibility.people")
    if teams is None or levels is None or people is None:
        return None
    ok = True
    for level in levels:
        if level not in {lv.value for lv in Level}:
            r.err(where, _("eligibility: %(v)s is not a level.", v=level))
            ok = False
    team_objs = [r.team(where, n) for n in teams]
    people_objs = [r.person(where, n) for n in people]
    if not ok or None in team_objs or None in people_objs:
        return None
    return {
        "team_ids": sorted({t.id for t in team_objs}),
        "levels": sorted(set(levels)),
        "person_ids": sorted({p.id for p in people_objs}),
    }


def _settings(r: FileReader, where, scheme, raw) -> dict | None:
    if not isinstance(raw, Mapping):
        r.err(where, _("settings must be a table."))
        return None
    failed = False

    def ids(field, names):
        nonlocal failed
        if not all(isinstance(n, str) for n in names):
            return names  # the field reports it
        refers = id_field_refers_to(field)
        found = [(r.team(where, n) if refers == "team" else r.person(where, n)) for n in names]
        if None in found:
            failed = True
            return []
        return [obj.id for obj in found]

    translated = ordered(scheme.settings_fields, raw, out=lambda v: v, ids=ids)
    if failed:
        return None
    try:
        return scheme.validate_settings(translated)
    except SettingsError as exc:
        for path, message in exc.errors.items():
            r.err(where, _("setting %(path)s: %(message)s", path=path, message=message))
        return None
