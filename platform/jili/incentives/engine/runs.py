"""Calculation runs: a period's facts through every enabled plan, the budget
ceiling applied, the result stored as one immutable run in one transaction.

- A *final* run is what pays: the latest final run of a period is its result.
  Re-running makes a new run; :func:`diff_runs` shows what changed.
- A *pilot* run calculates a pilot version for its teams beside the version in
  force, for the same people, and stores both sides; it never pays.
- A published or closed period is locked: no new final run (pilots are still
  allowed on a published period; a closed one refuses every new row).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from jili.accounts.models import Tenant
from jili.audit import services as audit
from jili.extensions import db
from jili.incentives.engine.facts import build_facts_and_own, team_tree, without_rollup
from jili.incentives.models import (
    CalculationRun,
    IncentiveSetting,
    PayoutLineRecord,
    Plan,
    PlanVersion,
    RunKind,
    run_number_next,
)
from jili.incentives.services.schemes import PlanStatus, enabled_scheme_keys, plan_status
from jili.money import CURRENCIES
from jili.periods.models import Period, PeriodStatus
from jili.schemes import (
    BudgetPolicy,
    BudgetRule,
    CalculationContext,
    Fact,
    PayoutLine,
    PeriodFacts,
    SchemeType,
    apply_budget,
    get_registry,
)

ZERO = Decimal(0)


class PeriodLocked(Exception):
    """The period is published or closed: calculate it again only after reopening."""

    def __init__(self, period: Period):
        super().__init__(f"period {period.label} is {period.status.value}")
        self.period = period


class CalculationFailed(Exception):
    """A plan's calculation failed; nothing was stored."""

    def __init__(self, plan_name: str, error: Exception):
        super().__init__(f"{plan_name}: {error}")
        self.plan_name = plan_name
        self.error = error


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
    """The version in force for ``period``: the latest non-pilot version
    effective on or before its start *whose effective period is of the same
    kind* (``kinds``: period id → kind). The effective period sets the plan's
    cadence: a version effective from 2024-Q3 is quarterly and never runs in
    a month or a year."""
    kind = period.kind.value
    candidates = [
        v
        for v in versions
        if not v.is_pilot
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


# -- eligibility -----------------------------------------------------------------


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
        facts.period, people, teams, profit=facts.profit, one_off_awards=awards
    )


# -- fingerprint -----------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {k: _plain(getattr(value, k)) for k in value.__dataclass_fields__}
    return value


def fingerprint(facts: PeriodFacts, entries: list[PlanEntry], policy: dict) -> str:
    """sha256 over the facts, the plan versions with their settings and the budget.

    People and teams are hashed by their dataclass ``repr`` (values, dates and
    Decimals spelled out), which is deterministic and much cheaper than JSON
    for ten thousand rows.
    """
    payload = {
        "period": _plain(facts.period),
        "profit": _plain(facts.profit),
        "awards": [_plain(a) for a in facts.one_off_awards],
        "plans": [
            {
                **e.summary(),
                "settings": e.version.settings if e.version else None,
                "eligibility": e.version.eligibility if e.version else None,
            }
            for e in entries
        ],
        "budget": policy,
    }
    digest = hashlib.sha256(
        json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    )
    for person in facts.people_sorted():
        digest.update(repr(person).encode())
    for key in sorted(facts.teams):
        digest.update(repr(facts.teams[key]).encode())
    return digest.hexdigest()


# -- budget ----------------------------------------------------------------------


def budget_policy(tenant_id: int, entries: list[PlanEntry]) -> BudgetPolicy:
    setting = db.session.scalar(
        select(IncentiveSetting).where(IncentiveSetting.tenant_id == tenant_id)
    )
    priority = {e.plan_key: e.plan.priority for e in entries}
    if setting is None:
        return BudgetPolicy(plan_priority=priority)
    return BudgetPolicy(
        amount=setting.budget_amount,
        pct_of_revenue=(
            Decimal(setting.budget_pct_of_revenue)
            if setting.budget_pct_of_revenue is not None
            else None
        ),
        rule=BudgetRule(setting.budget_rule.value),
        plan_priority=priority,
        release_from_attainment_pct=(
            Decimal(setting.release_from_attainment_pct)
            if setting.release_from_attainment_pct is not None
            else None
        ),
        release_pct=Decimal(setting.release_pct or 0),
    )


def _policy_dict(policy: BudgetPolicy) -> dict:
    return {
        "amount": _plain(policy.amount),
        "pct_of_revenue": _plain(policy.pct_of_revenue),
        "rule": policy.rule.value,
        "release_from_attainment_pct": _plain(policy.release_from_attainment_pct),
        "release_pct": _plain(policy.release_pct),
    }


# -- the run ---------------------------------------------------------------------


@dataclass
class Calculated:
    """Lines before storing, per plan entry."""

    facts: PeriodFacts
    lines: list[tuple[PlanEntry, PayoutLine]] = field(default_factory=list)


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
    rows = db.session.execute(
        select(PayoutLineRecord.plan_id, PayoutLineRecord.once_key)
        .join(
            CalculationRun,
            (CalculationRun.id == PayoutLineRecord.run_id)
            & (CalculationRun.tenant_id == PayoutLineRecord.tenant_id),
        )
        .join(
            latest,
            (latest.c.period_id == CalculationRun.period_id)
            & (latest.c.n == CalculationRun.number),
        )
        .where(
            PayoutLineRecord.tenant_id == tenant_id,
            CalculationRun.kind == RunKind.FINAL,
            PayoutLineRecord.once_key.is_not(None),
        )
    ).all()
    out: dict[int, set[str]] = defaultdict(set)
    for plan_id, key in rows:
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
) -> list[tuple[PlanEntry, PlanVersion, PayoutLine]]:
    places = CURRENCIES.get(tenant.currency, 2)
    own_only = None  # the facts without managers' roll-up, built when first needed
    out = []
    for entry, version, eligibility in runs:
        base = facts
        if not entry.scheme.manager_rollup and unrolled:
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
        _phase(f"scheme {entry.plan.scheme_key}", started)
        out.extend((entry, version, line) for line in lines)
    return out


#: Seconds per phase of the last calculation in this process (for ``make bench``).
LAST_TIMINGS: dict[str, float] = {}


def _phase(name: str, started: float) -> float:
    now = time.perf_counter()
    LAST_TIMINGS[name] = LAST_TIMINGS.get(name, 0.0) + now - started
    return now


def _needed(entries: Iterable[PlanEntry]) -> frozenset[Fact]:
    needed: set[Fact] = set()
    for e in entries:
        needed |= set(e.scheme.facts_for(e.version.settings))
    return frozenset(needed)


def _line_rows(
    tenant_id: int,
    run_id: int,
    calculated: list[tuple[PlanEntry, PlanVersion, PayoutLine]],
    before_budget: list[Decimal] | None = None,
    side: str = "",
) -> list[dict]:
    """Line rows to insert; ``before_budget`` holds each line's amount before
    the budget ceiling cut it (by default its amount)."""
    rows = []
    for i, (entry, version, line) in enumerate(calculated):
        rows.append(
            {
                "tenant_id": tenant_id,
                "run_id": run_id,
                "person_id": line.person_id,
                "plan_id": entry.plan.id,
                "plan_version_id": version.id,
                "scheme_key": line.scheme_key,
                "component": line.component,
                "amount": line.amount,
                "amount_before_budget": line.amount if before_budget is None else before_budget[i],
                "once_key": line.once_key,
                "side": side,
                "explanation": line.explanation.to_dict(),
                "explanation_text": line.explanation.plain_text(),
            }
        )
    return rows


LINE_COLUMNS = (
    "tenant_id",
    "run_id",
    "person_id",
    "plan_id",
    "plan_version_id",
    "scheme_key",
    "component",
    "amount",
    "amount_before_budget",
    "once_key",
    "side",
    "explanation",
    "explanation_text",
)
_MONEY = frozenset({"amount", "amount_before_budget"})


def insert_lines(rows: list[dict]) -> None:
    """Write payout lines in one driver-level ``executemany`` (pipelined by
    psycopg on PostgreSQL), with the values converted once here: money to its
    integer minor units (as :class:`jili.money.Money` stores it), explanations
    to JSON text. Row-level security still applies: this is a plain INSERT."""
    if not rows:
        return
    money = PayoutLineRecord.__table__.c.amount.type
    connection = db.session.connection()
    dialect = connection.dialect.name
    mark = "?" if dialect == "sqlite" else "%s"
    values = [
        tuple(
            money.process_bind_param(row[c], dialect)
            if c in _MONEY
            else json.dumps(row[c], ensure_ascii=False, separators=(",", ":"))
            if c == "explanation"
            else row[c]
            for c in LINE_COLUMNS
        )
        for row in rows
    ]
    sql = (
        f"INSERT INTO payout_line ({', '.join(LINE_COLUMNS)}) "
        f"VALUES ({', '.join([mark] * len(LINE_COLUMNS))})"
    )
    connection.exec_driver_sql(sql, values)


def _actor(actor) -> tuple[int | None, str]:
    if actor is None or not getattr(actor, "is_authenticated", True):
        return None, "system"
    return actor.id, actor.email


def calculate_period(tenant: Tenant, period: Period, *, actor=None) -> CalculationRun:
    """Calculate ``period`` with every active plan and store a final run.

    One transaction: a failing plan raises :class:`CalculationFailed` and
    leaves nothing behind. The period moves from open to calculated.
    """
    if period.tenant_id != tenant.id:
        raise ValueError("period of another tenant")
    if period.status in (PeriodStatus.PUBLISHED, PeriodStatus.CLOSED):
        raise PeriodLocked(period)
    try:
        run = _store_final_run(tenant, period, actor)
        started = time.perf_counter()
        db.session.commit()
        _phase("commit", started)
    except Exception:
        db.session.rollback()
        raise
    return run


def company_revenue_and_target(
    facts: PeriodFacts, unrolled: dict
) -> tuple[Decimal, Decimal | None]:
    """The period's credited revenue (each credit once: managers' own sales,
    not their roll-up) and the sum of people's revenue targets, from the facts
    already read."""
    people = [unrolled.get(pid, p) for pid, p in facts.people.items()]
    revenue = sum((p.booked_revenue for p in people), ZERO)
    targets = [p.target for p in people if p.target is not None]
    return revenue, (sum(targets, ZERO) if targets else None)


def load_subtree(tenant_id: int) -> dict[int, list[int]]:
    from jili.org.models import Team

    rows = db.session.execute(
        select(Team.id, Team.parent_id).where(Team.tenant_id == tenant_id)
    ).all()
    return team_tree(dict(rows))


def _store_final_run(tenant: Tenant, period: Period, actor) -> CalculationRun:
    LAST_TIMINGS.clear()
    t = time.perf_counter()
    entries = plans_for_period(tenant.id, period)
    active = [e for e in entries if e.status == PlanStatus.ACTIVE]
    policy = budget_policy(tenant.id, active)
    needed = _needed(active)
    if policy.pct_of_revenue is not None or policy.release_from_attainment_pct is not None:
        needed |= {Fact.SALES, Fact.TARGETS}  # the ceiling reads revenue and attainment
    t = _phase("plans in force", t)
    facts, unrolled = build_facts_and_own(tenant.id, period, needed)
    t = _phase("facts (grouped queries)", t)
    subtree = load_subtree(tenant.id)
    once = paid_once_keys(tenant.id, period.id)
    t = _phase("once-only keys, team tree", t)
    calculated = _calculate(
        tenant,
        period,
        [(e, e.version, e.version.eligibility) for e in active],
        facts,
        subtree,
        once,
        unrolled,
    )
    t = time.perf_counter()
    places = CURRENCIES.get(tenant.currency, 2)
    ceiling = None
    if policy.amount is not None or policy.pct_of_revenue is not None:
        revenue, target = company_revenue_and_target(facts, unrolled)
        attainment = revenue / target if target and target > 0 else None
        ceiling = policy.ceiling(revenue, attainment, places)
    outcome = apply_budget(
        [line for _e, _v, line in calculated],
        ceiling,
        policy.rule,
        plan_priority=dict(policy.plan_priority),
        places=places,
    )
    # apply_budget keeps the order: outcome line i is calculated line i, cut or not.
    before = [line.amount for _e, _v, line in calculated]
    calculated = [(e, v, out) for (e, v, _old), out in zip(calculated, outcome.lines, strict=True)]
    t = _phase("budget ceiling", t)
    notes = [
        {"plan_id": e.plan.id, "plan_name": e.plan.name, "status": e.status}
        for e in entries
        if e.status != PlanStatus.ACTIVE
    ]
    actor_id, actor_label = _actor(actor)
    run = CalculationRun(
        tenant_id=tenant.id,
        period_id=period.id,
        number=run_number_next(tenant.id, period.id),
        kind=RunKind.FINAL,
        fingerprint=fingerprint(facts, entries, _policy_dict(policy)),
        plans=[e.summary() for e in entries],
        budget={
            **_policy_dict(policy),
            "ceiling": _plain(outcome.ceiling),
            "total_before": _plain(outcome.total_before),
            "total_after": _plain(outcome.total_after),
            "applied": outcome.applied,
        },
        notes=notes,
        total=outcome.total_after,
        line_count=len(calculated),
        created_by_id=actor_id,
        created_by_label=actor_label,
    )
    t = _phase("fingerprint", t)
    db.session.add(run)
    db.session.flush()
    rows = _line_rows(tenant.id, run.id, calculated, before)
    t = _phase("line rows (explanations to JSON)", t)
    insert_lines(rows)
    t = _phase("insert run and lines", t)
    if period.status == PeriodStatus.OPEN:
        period.status = PeriodStatus.CALCULATED
    audit.record(
        "run.calculate",
        run,
        tenant_id=tenant.id,
        actor=actor,
        after={
            "period": period.label,
            "number": run.number,
            "total": str(run.total),
            "lines": run.line_count,
            "fingerprint": run.fingerprint,
            "budget_applied": outcome.applied,
        },
    )
    return run


def pilot_run(tenant: Tenant, period: Period, pilot: PlanVersion, *, actor=None) -> CalculationRun:
    """Calculate ``pilot`` (a pilot version) for its teams beside the version in
    force of the same plan, for the same people; store both sides in a pilot run
    that never pays and leaves the period's status alone."""
    if not pilot.is_pilot or pilot.tenant_id != tenant.id or period.tenant_id != tenant.id:
        raise ValueError("not a pilot version of this tenant")
    try:
        run = _store_pilot_run(tenant, period, pilot, actor)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return run


def _store_pilot_run(tenant: Tenant, period: Period, pilot: PlanVersion, actor) -> CalculationRun:
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
    subtree = load_subtree(tenant.id)
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
    actor_id, actor_label = _actor(actor)
    total = {side: sum((line.amount for line in lines), ZERO) for side, _v, lines in sides}
    run = CalculationRun(
        tenant_id=tenant.id,
        period_id=period.id,
        number=run_number_next(tenant.id, period.id),
        kind=RunKind.PILOT,
        fingerprint=fingerprint(facts, [entry], {"pilot_version": pilot.id}),
        plans=[
            {
                **entry.summary(),
                "pilot_version_id": pilot.id,
                "pilot_version": pilot.number,
                "pilot_team_ids": list(pilot.pilot_team_ids or []),
            }
        ],
        budget={
            "pilot": True,
            "total_in_force": _plain(total.get("in_force", ZERO)),
            "total_pilot": _plain(total.get("pilot", ZERO)),
        },
        notes=[],
        total=total.get("pilot", ZERO),
        line_count=sum(len(lines) for _s, _v, lines in sides),
        created_by_id=actor_id,
        created_by_label=actor_label,
    )
    db.session.add(run)
    db.session.flush()
    rows = []
    for side, version, lines in sides:
        rows += _line_rows(tenant.id, run.id, [(entry, version, line) for line in lines], side=side)
    insert_lines(rows)
    audit.record(
        "run.pilot",
        run,
        tenant_id=tenant.id,
        actor=actor,
        after={
            "period": period.label,
            "plan": entry.plan.name,
            "pilot_version": pilot.number,
            "total_in_force": str(total.get("in_force", ZERO)),
            "total_pilot": str(run.total),
        },
    )
    return run


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
    return list(
        db.session.scalars(
            query.order_by(
                PayoutLineRecord.person_id, PayoutLineRecord.plan_id, PayoutLineRecord.id
            )
        )
    )


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
