"""Plans with their versions and eligibility (the schemes a tenant enabled and its
budget: :mod:`jili.incentives.services.schemes`; copying a plan to another company:
:mod:`jili.incentives.services.plan_copy`).

No request code here: the plan pages and the calculation engine both use these
functions. Nothing commits; the caller does.

A plan's settings live in its versions, which are never edited: a change is a
new version, *proposed* here and in force from a period on once someone else
approves it (maker-checker: :mod:`jili.incentives.services.approvals`). A plan
has at most one proposal awaiting a decision. For a period, the version in force
is the latest approved non-pilot version whose ``effective_from`` is on or before the
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

from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from jili.audit import services as audit
from jili.extensions import db
from jili.incentives.models import ApprovalStatus, Plan, PlanVersion
from jili.org.models import Level, Person, Team
from jili.periods.models import Period

MAX_PILOT_TEAMS = 2


class PlanError(ValueError):
    """A plan change refused; ``errors`` maps form field → message."""

    def __init__(self, errors: Mapping[str, Any]):
        self.errors = {k: str(v) for k, v in errors.items()}
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


# --- versions ---------------------------------------------------------------------


def latest_version(tenant_id: int, plan_id: int, *, pilots: bool = False) -> PlanVersion | None:
    """The highest-numbered approved version (non-pilot unless ``pilots``):
    proposals, rejected and withdrawn versions are not part of the plan yet."""
    stmt = select(PlanVersion).where(
        PlanVersion.tenant_id == tenant_id,
        PlanVersion.plan_id == plan_id,
        PlanVersion.status == ApprovalStatus.APPROVED,
    )
    if not pilots:
        stmt = stmt.where(PlanVersion.is_pilot.is_(False))
    return db.session.scalar(stmt.order_by(PlanVersion.number.desc()).limit(1))


def previous_version(version: PlanVersion) -> PlanVersion | None:
    """The approved non-pilot version before ``version`` (what it changed)."""
    return db.session.scalar(
        select(PlanVersion)
        .where(
            PlanVersion.tenant_id == version.tenant_id,
            PlanVersion.plan_id == version.plan_id,
            PlanVersion.is_pilot.is_(False),
            PlanVersion.status == ApprovalStatus.APPROVED,
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
    """A new plan with its version 1 (settings already validated) *proposed*:
    it is in force once approved. Audited ``plan.create``. Raises :class:`PlanError` for a taken name or a closed period."""
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
        status=ApprovalStatus.PROPOSED,
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
    before (the latest approved non-pilot version) and after. A non-pilot
    version is *proposed* (in force once approved); a pilot is never in force
    and needs no approval.

    Refused (:class:`PlanError`): a closed period; a non-pilot version that
    would take effect before the latest one, or while another proposal of the
    plan awaits a decision; a pilot without 1–2 teams."""
    _check_period(period)
    if not is_pilot:
        _check_no_pending(plan)
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
        status=ApprovalStatus.APPROVED if is_pilot else ApprovalStatus.PROPOSED,
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


def _check_no_pending(plan: Plan) -> None:
    pending = db.session.scalar(
        select(PlanVersion.number).where(
            PlanVersion.tenant_id == plan.tenant_id,
            PlanVersion.plan_id == plan.id,
            PlanVersion.status == ApprovalStatus.PROPOSED,
        )
    )
    if pending is not None:
        raise PlanError(
            {
                "__all__": _(
                    "Version %(n)s of this plan awaits approval: it must be approved, "
                    "rejected or withdrawn before another change is proposed.",
                    n=pending,
                )
            }
        )


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
