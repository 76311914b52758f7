"""Plan versions in force for a period, and who a version is for.

- :func:`plans_for_period`: every plan of the period's cadence with the
  version in force (:func:`pick_version`) and whether it runs.
- :func:`narrow`: a period's facts with only the people a version's
  eligibility selects.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select

from jili.extensions import db
from jili.incentives.models import Plan, PlanVersion
from jili.incentives.services.schemes import PlanStatus, enabled_scheme_keys, plan_status
from jili.periods.models import Period
from jili.schemes import PeriodFacts, SchemeType, get_registry

__all__ = [
    "PlanEntry",
    "PlanStatus",
    "narrow",
    "period_kinds",
    "pick_version",
    "plans_for_period",
]


@dataclass
class PlanEntry:
    plan: Plan
    version: PlanVersion | None
    scheme: type[SchemeType] | None
    status: str

    @property
    def plan_key(self) -> str:
        return f"plan-{self.plan.id}"

    def summary(self) -> dict[str, Any]:
        return {
            "plan_id": self.plan.id,
            "plan_name": self.plan.name,
            "scheme_key": self.plan.scheme_key,
            "version_id": self.version.id if self.version else None,
            "version": self.version.number if self.version else None,
            "priority": self.plan.priority,
            "status": self.status,
        }


def pick_version(
    versions: Iterable[PlanVersion], period: Period, kinds: dict[int, str]
) -> PlanVersion | None:
    """The version in force for ``period``: the latest approved non-pilot version
    effective on or before its start *whose effective period is of the same
    kind* (``kinds``: period id → kind). The effective period sets the plan's
    cadence: a version effective from 2024-Q3 is quarterly and never runs in
    a month or a year."""
    kind = period.kind.value
    candidates = [
        v
        for v in versions
        if v.in_force_candidate
        and v.effective_from <= period.start_date
        and kinds.get(v.effective_period_id) == kind
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda v: (v.effective_from, v.number))


def period_kinds(tenant_id: int) -> dict[int, str]:
    return {
        pid: kind.value
        for pid, kind in db.session.execute(
            select(Period.id, Period.kind).where(Period.tenant_id == tenant_id)
        )
    }


def plans_for_period(tenant_id: int, period: Period) -> list[PlanEntry]:
    """Every plan of the tenant's cadence for ``period``, with the version in
    force and whether it runs (a few queries, whatever the number of plans)."""
    registry = get_registry()
    enabled = enabled_scheme_keys(tenant_id)
    plans = db.session.scalars(
        select(Plan).where(Plan.tenant_id == tenant_id).order_by(Plan.priority, Plan.id)
    ).all()
    versions: dict[int, list[PlanVersion]] = defaultdict(list)
    for v in db.session.scalars(select(PlanVersion).where(PlanVersion.tenant_id == tenant_id)):
        versions[v.plan_id].append(v)
    kinds = period_kinds(tenant_id)
    out = []
    for plan in plans:
        if versions[plan.id] and not any(
            kinds.get(v.effective_period_id) == period.kind.value for v in versions[plan.id]
        ):
            continue  # a plan of another cadence (e.g. yearly profit sharing in a quarter)
        version = pick_version(versions[plan.id], period, kinds)
        scheme = registry.get(plan.scheme_key)
        status = plan_status(plan.scheme_key, enabled)
        if status == PlanStatus.ACTIVE and version is None:
            status = PlanStatus.NOT_IN_FORCE
        out.append(PlanEntry(plan, version, scheme, status))
    return out


def narrow(
    facts: PeriodFacts, eligibility: dict | None, subtree: dict[int, list[int]]
) -> PeriodFacts:
    """``facts`` with only the eligible people (teams keep their totals; their
    member lists are narrowed to eligible people).

    Rule: everyone when nothing is set; otherwise a person is eligible if listed
    in ``person_ids``, or if they match every non-empty filter among
    ``team_ids`` (a team includes its sub-teams) and ``levels``.
    """
    eligibility = eligibility or {}
    team_ids = eligibility.get("team_ids") or []
    levels = set(eligibility.get("levels") or [])
    person_ids = set(eligibility.get("person_ids") or [])
    if not (team_ids or levels or person_ids):
        return facts
    in_teams = {t for tid in team_ids for t in subtree.get(tid, ())}

    def eligible(p) -> bool:
        if p.person_id in person_ids:
            return True
        if not (team_ids or levels):
            return False
        if team_ids and p.team_id not in in_teams:
            return False
        return not (levels and p.level not in levels)

    people = [p for p in facts.people.values() if eligible(p)]
    keep = {p.person_id for p in people}
    teams = [
        replace(t, member_ids=tuple(m for m in t.member_ids if m in keep))
        for t in facts.teams.values()
    ]
    awards = tuple(a for a in facts.one_off_awards if a.person_id in keep)
    return PeriodFacts.build(
        facts.period,
        people,
        teams,
        profit=facts.profit,
        one_off_awards=awards,
        rating_labels=facts.rating_labels,
    )
