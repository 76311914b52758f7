"""Calculation runs: a period's facts through every enabled plan, the budget ceiling
applied, the result stored as one immutable run in one transaction. A *final* run pays
(a period's latest final run is its result; :func:`diff_runs` shows what a re-run
changed); a *pilot* run calculates a pilot version for its teams beside the version in
force, for the same people, and stores both sides; it never pays. A published or closed
period refuses a new final run (pilots are allowed on a published period only)."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from jili.accounts.models import Tenant
from jili.extensions import db
from jili.incentives.engine import corrections
from jili.incentives.engine.budget import (
    Calculated,
    apply_policy,
    budget_facts,
    budget_policy,
    cuts_more_than_half,
    explain_cuts,
)
from jili.incentives.engine.facts import build_facts_and_own, team_tree, without_rollup
from jili.incentives.engine.natural import NaturalKeys
from jili.incentives.engine.storage import (
    PilotSide,
    fingerprint,
    policy_dict,
    store_final_run,
    store_pilot_run,
)
from jili.incentives.engine.timings import LAST_TIMINGS, gc_paused, phase, start_timings
from jili.incentives.engine.versions import PlanEntry, PlanStatus, narrow, plans_for_period
from jili.incentives.models import (
    ApprovalStatus,
    CalculationRun,
    PayoutLineRecord,
    PlanVersion,
    RunKind,
)
from jili.money import CURRENCIES
from jili.periods.models import Period, PeriodStatus
from jili.schemes import CalculationContext, Fact, PeriodFacts

__all__ = [
    "LAST_TIMINGS",
    "BudgetCutUnconfirmed",
    "CalculationFailed",
    "DiffRow",
    "PeriodLocked",
    "calculate_period",
    "diff_runs",
    "is_pilotable",
    "latest_run",
    "load_subtree",
    "paid_once_keys",
    "person_totals",
    "pilot_diff",
    "pilot_run",
    "previous_run",
    "run_lines",
]

ZERO = Decimal(0)

#: ``progress(phase, percent)``: told as a calculation moves through its phases
#: (facts, schemes, budget, storing, committing); a background job shows it.
Progress = Callable[[str, int], None]


def _silent(_phase: str, _percent: int) -> None:
    """No one is listening (the command line, tests)."""


class PeriodLocked(Exception):
    """The period is published or closed: calculate it again only after reopening."""

    def __init__(self, period: Period):
        super().__init__(f"period {period.label} is {period.status.value}")
        self.period = period


class BudgetCutUnconfirmed(Exception):
    """The budget ceiling would remove more than half of the calculated payouts
    and nobody confirmed it: nothing was stored. ``budget`` is what the run
    would have kept as its budget (ceiling, totals, revenue…); confirm by
    calculating again with ``confirm=fingerprint`` (the same inputs) or
    ``confirm=True``."""

    def __init__(self, period: Period, budget: dict, fingerprint: str):
        super().__init__(
            f"the budget ceiling of {period.label} cuts payouts from "
            f"{budget['total_before']} to {budget['total_after']}: confirm to store the run"
        )
        self.period = period
        self.budget = budget
        self.fingerprint = fingerprint


class CalculationFailed(Exception):
    """A plan's calculation failed; nothing was stored."""

    def __init__(self, plan_name: str, error: Exception):
        super().__init__(f"{plan_name}: {error}")
        self.plan_name = plan_name
        self.error = error


# -- the run ---------------------------------------------------------------------


def paid_once_keys(tenant_id: int, period_id: int) -> dict[int, frozenset[str]]:
    """plan id → once keys paid by the latest final run of every *other* period."""
    latest = (
        select(CalculationRun.period_id, func.max(CalculationRun.number).label("n"))
        .where(
            CalculationRun.tenant_id == tenant_id,
            CalculationRun.kind == RunKind.FINAL,
            CalculationRun.period_id != period_id,
        )
        .group_by(CalculationRun.period_id)
        .subquery()
    )
    # Those runs first, then only their lines (by the run index): the lines of
    # this period's own runs, however many, are never read.
    run_ids = db.session.scalars(
        select(CalculationRun.id)
        .join(
            latest,
            (latest.c.period_id == CalculationRun.period_id)
            & (latest.c.n == CalculationRun.number),
        )
        .where(CalculationRun.tenant_id == tenant_id, CalculationRun.kind == RunKind.FINAL)
    ).all()
    out: dict[int, set[str]] = defaultdict(set)
    for chunk in (run_ids[i : i + 500] for i in range(0, len(run_ids), 500)):
        for plan_id, key in db.session.execute(
            select(PayoutLineRecord.plan_id, PayoutLineRecord.once_key).where(
                PayoutLineRecord.tenant_id == tenant_id,
                PayoutLineRecord.run_id.in_(chunk),
                PayoutLineRecord.once_key.is_not(None),
            )
        ):
            out[plan_id].add(key)
    return {k: frozenset(v) for k, v in out.items()}


def _calculate(
    tenant: Tenant,
    period: Period,
    runs: list[tuple[PlanEntry, PlanVersion, dict | None]],
    facts: PeriodFacts,
    subtree: dict[int, list[int]],
    once: dict[int, frozenset[str]],
    unrolled: dict | None = None,
    progress: Progress = _silent,
) -> list[Calculated]:
    places = CURRENCIES.get(tenant.currency, 2)
    own_only = None  # the facts without managers' roll-up, built when first needed
    challenge: tuple | None = None  # the facts on challenge targets, when a plan asks
    out = []
    for done, (entry, version, eligibility) in enumerate(runs):
        progress("schemes", 30 + 40 * done // max(1, len(runs)))
        base, base_unrolled = facts, unrolled
        if getattr(entry.plan, "target_basis", "baseline") == "challenge":
            if challenge is None:
                needed = _needed([e for e, _v, _el in runs])
                challenge = build_facts_and_own(tenant.id, period, needed, basis="challenge")
            base, base_unrolled = challenge
            if not entry.scheme.manager_rollup and base_unrolled:
                base = without_rollup(base, base_unrolled)
        elif not entry.scheme.manager_rollup and unrolled:
            if own_only is None:
                own_only = without_rollup(facts, unrolled)
            base = own_only
        scoped = narrow(base, eligibility, subtree)
        context = CalculationContext(
            plan_key=entry.plan_key,
            places=places,
            currency=tenant.currency,
            paid_once_keys=once.get(entry.plan.id, frozenset()),
        )
        started = time.perf_counter()
        try:
            lines = entry.scheme.calculate(scoped, version.settings, context)
        except Exception as exc:  # any plan failing fails the run, loudly
            raise CalculationFailed(entry.plan.name, exc) from exc
        phase(f"scheme {entry.plan.scheme_key}", started)
        out.extend((entry, version, line) for line in lines)
    return out


def _needed(entries: Iterable[PlanEntry]) -> frozenset[Fact]:
    return frozenset(f for e in entries for f in e.scheme.facts_for(e.version.settings))


def load_subtree(tenant_id: int) -> dict[int, list[int]]:
    from jili.org.models import Team

    rows = db.session.execute(
        select(Team.id, Team.parent_id).where(Team.tenant_id == tenant_id)
    ).all()
    return team_tree(dict(rows))


def calculate_period(
    tenant: Tenant,
    period: Period,
    *,
    actor=None,
    confirm: bool | str = False,
    progress: Progress = _silent,
) -> CalculationRun:
    """Calculate ``period`` with every active plan and store a final run.

    One transaction: a failing plan raises :class:`CalculationFailed` and
    leaves nothing behind. The period moves from open to calculated. When the
    budget ceiling removes more than half of the payouts, nothing is stored
    and :class:`BudgetCutUnconfirmed` is raised unless ``confirm`` is True or
    the inputs fingerprint the person saw when asked (so a confirmation never
    covers inputs that changed since). ``progress`` hears the phases.
    """
    if period.tenant_id != tenant.id:
        raise ValueError("period of another tenant")
    if period.status in (PeriodStatus.PUBLISHED, PeriodStatus.CLOSED):
        raise PeriodLocked(period)
    try:
        with gc_paused():
            run = _store_final_run(tenant, period, actor, confirm, progress)
            progress("committing", 95)
            started = time.perf_counter()
            db.session.commit()
            phase("commit", started)
    except Exception:
        db.session.rollback()
        raise
    return run


def _store_final_run(
    tenant: Tenant, period: Period, actor, confirm: bool | str = False, progress=_silent
) -> CalculationRun:
    start_timings()
    progress("facts", 5)
    t = time.perf_counter()
    entries = plans_for_period(tenant.id, period)
    active = [e for e in entries if e.status == PlanStatus.ACTIVE]
    policy = budget_policy(tenant.id, active, period.kind.value)
    needed = _needed(active) | budget_facts(policy)
    t = phase("plans in force", t)
    facts, unrolled = build_facts_and_own(tenant.id, period, needed)
    t = phase("facts (grouped queries)", t)
    subtree = load_subtree(tenant.id)
    once = paid_once_keys(tenant.id, period.id)
    t = phase("once-only keys, team tree", t)
    progress("schemes", 30)
    calculated = _calculate(
        tenant,
        period,
        [(e, e.version, e.version.eligibility) for e in active],
        facts,
        subtree,
        once,
        unrolled,
        progress,
    )
    progress("budget", 70)
    t = time.perf_counter()
    places = CURRENCIES.get(tenant.currency, 2)
    calculated, before, outcome, detail = apply_policy(policy, calculated, facts, unrolled, places)
    detail["period_kind"] = period.kind.value
    fp = None  # hashed once: here when a cut needs confirming, else when stored
    if cuts_more_than_half(outcome):
        t = phase("budget ceiling", t)
        fp = fingerprint(facts, entries, policy_dict(policy), NaturalKeys.of_tenant(tenant.id))
        t = phase("fingerprint", t)
        if confirm is not True and confirm != fp:
            budget = {
                **policy_dict(policy),
                **detail,
                "ceiling": str(outcome.ceiling),
                "total_before": str(outcome.total_before),
                "total_after": str(outcome.total_after),
                "applied": True,
            }
            raise BudgetCutUnconfirmed(period, budget, fp)
        detail["confirmed"] = True
    t = phase("budget ceiling", t)
    calculated, before, outcome = corrections.include(
        tenant.id, period.id, calculated, before, outcome
    )
    progress("storing", 80)
    return store_final_run(
        tenant, period, entries, policy, facts, calculated, before, outcome, actor, t, detail, fp
    )


def pilot_run(
    tenant: Tenant, period: Period, pilot: PlanVersion, *, actor=None, progress=_silent
) -> CalculationRun:
    """Calculate ``pilot`` beside the version in force of the same plan, for the
    same people; store both sides in a pilot run that never pays and leaves the
    period's status alone. ``pilot`` is a pilot version (run for its teams) or a
    proposal awaiting approval (run for everyone either version covers)."""
    if not is_pilotable(pilot) or pilot.tenant_id != tenant.id or period.tenant_id != tenant.id:
        raise ValueError("not a pilot version or proposal of this tenant")
    try:
        with gc_paused():
            run = _store_pilot_run(tenant, period, pilot, actor, progress)
        progress("committing", 95)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return run


def is_pilotable(version: PlanVersion) -> bool:
    """A pilot version, or a proposal awaiting approval (maker-checker's trial)."""
    return version.is_pilot or version.status == ApprovalStatus.PROPOSED


def _store_pilot_run(
    tenant: Tenant, period: Period, pilot: PlanVersion, actor, progress: Progress = _silent
) -> CalculationRun:
    progress("facts", 5)
    entries = {e.plan.id: e for e in plans_for_period(tenant.id, period)}
    entry = entries.get(pilot.plan_id)
    if entry is None or entry.scheme is None:
        raise CalculationFailed(entry.plan.name if entry else "?", LookupError("unavailable"))
    facts, unrolled = build_facts_and_own(
        tenant.id,
        period,
        frozenset(entry.scheme.facts_for(pilot.settings))
        | (
            frozenset(entry.scheme.facts_for(entry.version.settings))
            if entry.version
            else frozenset()
        ),
    )
    if not entry.scheme.manager_rollup:
        facts = without_rollup(facts, unrolled)
    progress("schemes", 30)
    sides = _pilot_sides(tenant, period, entry, pilot, facts)
    progress("storing", 80)
    return store_pilot_run(tenant, period, entry, pilot, facts, sides, actor)


def _pilot_sides(
    tenant: Tenant, period: Period, entry: PlanEntry, pilot: PlanVersion, facts: PeriodFacts
) -> list[PilotSide]:
    """The version in force and the pilot, each calculated for its eligible
    people (of the pilot's teams, for a pilot version)."""
    subtree = load_subtree(tenant.id)
    scope: dict = {}  # a proposal: everyone
    if pilot.is_pilot:
        in_teams = {t for tid in (pilot.pilot_team_ids or []) for t in subtree.get(tid, ())}
        pilot_people = [p.person_id for p in facts.people.values() if p.team_id in in_teams]
        scope = {"person_ids": pilot_people} if pilot_people else {"person_ids": [-1]}

    def restrict(eligibility: dict | None) -> PeriodFacts:
        return narrow(narrow(facts, eligibility, subtree), scope, subtree)

    once = paid_once_keys(tenant.id, period.id).get(pilot.plan_id, frozenset())
    places = CURRENCIES.get(tenant.currency, 2)
    sides = []
    for side, version in (("in_force", entry.version), ("pilot", pilot)):
        if version is None:
            continue
        context = CalculationContext(entry.plan_key, places, tenant.currency, once)
        try:
            lines = entry.scheme.calculate(restrict(version.eligibility), version.settings, context)
        except Exception as exc:
            raise CalculationFailed(entry.plan.name, exc) from exc
        sides.append((side, version, lines))
    return sides


# -- reading runs ------------------------------------------------------------------


def latest_run(
    tenant_id: int, period_id: int, kind: RunKind = RunKind.FINAL
) -> CalculationRun | None:
    return db.session.scalar(
        select(CalculationRun)
        .where(
            CalculationRun.tenant_id == tenant_id,
            CalculationRun.period_id == period_id,
            CalculationRun.kind == kind,
        )
        .order_by(CalculationRun.number.desc())
        .limit(1)
    )


def previous_run(run: CalculationRun) -> CalculationRun | None:
    """The final run of the same period just before ``run``."""
    return db.session.scalar(
        select(CalculationRun)
        .where(
            CalculationRun.tenant_id == run.tenant_id,
            CalculationRun.period_id == run.period_id,
            CalculationRun.kind == RunKind.FINAL,
            CalculationRun.number < run.number,
        )
        .order_by(CalculationRun.number.desc())
        .limit(1)
    )


def run_lines(
    run: CalculationRun, person_ids: Iterable[int] | None = None
) -> list[PayoutLineRecord]:
    query = select(PayoutLineRecord).where(
        PayoutLineRecord.tenant_id == run.tenant_id, PayoutLineRecord.run_id == run.id
    )
    if person_ids is not None:
        query = query.where(PayoutLineRecord.person_id.in_(list(person_ids)))
    lines = list(
        db.session.scalars(
            query.order_by(
                PayoutLineRecord.person_id, PayoutLineRecord.plan_id, PayoutLineRecord.id
            )
        )
    )
    explain_cuts(run.budget, lines)  # the budget ceiling's step, said when read
    return lines


@dataclass(frozen=True)
class DiffRow:
    """One person × plan whose total changed between two runs (or two sides)."""

    person_id: int
    plan_id: int
    before: Decimal
    after: Decimal

    @property
    def change(self) -> Decimal:
        return self.after - self.before

    @property
    def kind(self) -> str:
        if self.before == 0 and self.after != 0:
            return "added"
        if self.after == 0 and self.before != 0:
            return "removed"
        return "changed"


def _totals(tenant_id: int, run_id: int, side: str | None = None) -> dict[tuple[int, int], Decimal]:
    query = (
        select(
            PayoutLineRecord.person_id, PayoutLineRecord.plan_id, func.sum(PayoutLineRecord.amount)
        )
        .where(PayoutLineRecord.tenant_id == tenant_id, PayoutLineRecord.run_id == run_id)
        .group_by(PayoutLineRecord.person_id, PayoutLineRecord.plan_id)
    )
    if side is not None:
        query = query.where(PayoutLineRecord.side == side)
    return {(r[0], r[1]): r[2] for r in db.session.execute(query)}


def _diff(old: dict, new: dict) -> list[DiffRow]:
    rows = []
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key, ZERO), new.get(key, ZERO)
        if before != after:
            rows.append(DiffRow(key[0], key[1], before, after))
    return rows


def diff_runs(new: CalculationRun, old: CalculationRun | None) -> list[DiffRow]:
    """Per person and plan, what changed from ``old`` to ``new`` (everything is
    "added" when there is no previous run)."""
    old_totals = _totals(old.tenant_id, old.id) if old is not None else {}
    return _diff(old_totals, _totals(new.tenant_id, new.id))


def pilot_diff(run: CalculationRun) -> list[DiffRow]:
    """Per person: pilot side against the plan in force, in a pilot run."""
    return _diff(
        _totals(run.tenant_id, run.id, "in_force"), _totals(run.tenant_id, run.id, "pilot")
    )


def person_totals(run: CalculationRun) -> dict[int, Decimal]:
    out: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for (person_id, _plan), amount in _totals(run.tenant_id, run.id).items():
        out[person_id] += amount
    return dict(out)
