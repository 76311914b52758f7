"""The company part of a provisional estimate, calculated once per inputs stamp.

A pool (excess pool, profit sharing), a ranking or a mentor award pays one person
according to everyone else's facts, so what a person would earn on today's facts
needs the whole company calculated. Doing that on every home page and simulator
request costs a whole provisional calculation each time (seconds at 10,000
people). Here it is done **once per inputs stamp**: every active plan of the period
calculated over the company's facts, exactly as :func:`jili.incentives.services.
simulator.payout_for` would (before any budget ceiling, never stored as a run), and
kept with the facts so a page can read one person's amount, a team's sum, or vary
one person in the simulator.

**The stamp** (:func:`inputs_stamp`) is a cheap digest of everything the result
depends on: the period, the active plans with their versions, settings and
eligibility, the budget policy and the once-keys already paid (read anyway), and the
company's **inputs version** — one row (``inputs_version``) whose token the database
itself renews on every insert, update or delete of people, teams, periods,
transactions, credits, the facts table, targets, KPI values, profit, one-off awards,
scorecards and rating bands (triggers, :func:`jili.dbobjects.inputs_version_statements`;
raw SQL and bulk statements included). A write to any of them changes the stamp, so
a stale result is never served; the version is per company, so a write for another
period also starts a new calculation.

**Where it is kept**: in process, an LRU of :data:`CACHE_SIZE` entries keyed by
tenant, period, currency and stamp (and the app, as one process may serve several
databases in tests and tools). With several gunicorn workers each worker
calculates a stamp once (the stamp in the key keeps every worker right without any
invalidation message); a table shared by the workers would save the other workers'
first calculation but the simulator needs the facts themselves in memory, and
writing 10,000 people's facts to a table and reading them back costs about what the
facts' own grouped queries cost. See ``bench/RESULTS-web.md`` for the figures.
"""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from flask import current_app
from sqlalchemy import String, cast, event, func, literal, select
from sqlalchemy.orm import Session

from jili.extensions import db
from jili.incentives.engine import PlanStatus, load_subtree, narrow, plans_for_period
from jili.incentives.engine.budget import budget_policy, company_revenue_and_target
from jili.incentives.engine.facts import build_facts_and_own, without_rollup
from jili.incentives.engine.runs import paid_once_keys
from jili.incentives.engine.storage import policy_dict
from jili.incentives.engine.versions import PlanEntry
from jili.inputs.models import InputsVersion
from jili.money import CURRENCIES
from jili.periods.models import Period
from jili.schemes import CalculationContext, Fact, PeriodFacts, PersonFacts

ZERO = Decimal(0)
CACHE_SIZE = 8


@dataclass(frozen=True)
class PlanResult:
    """One plan calculated over the company: who is eligible and what each earns."""

    plan_id: int
    plan_name: str
    eligible: frozenset[int]
    amounts: dict[int, Decimal]  # person id → the sum of their lines
    problem: str = ""  # the plugin refused today's inputs (then no amounts)

    def amount(self, person_id: int) -> Decimal:
        return self.amounts.get(person_id, ZERO)

    def total(self, person_ids: Iterable[int]) -> Decimal:
        return sum((self.amounts.get(pid, ZERO) for pid in person_ids), ZERO)


@dataclass(frozen=True)
class CompanyEstimate:
    """Every active plan of a period calculated once on today's facts."""

    stamp: str
    facts: PeriodFacts  # managers' rows with their teams' roll-up
    unrolled: dict[int, PersonFacts]  # managers' rows with their own sales only
    plans: dict[int, PlanResult]  # plan id → its result, in the plans' order
    ceiling: Decimal | None  # the budget ceiling on today's facts (None: none)
    revenue: Decimal  # the company's credited revenue to date
    has_slices: bool = False  # the facts carry each person's region × product line sums
    key: tuple = ()  # its key in the cache: app, tenant, period, currency, stamp
    challenge: tuple | None = None  # (facts, unrolled) on challenge targets, when a plan asks

    def facts_for(self, basis: str | None) -> tuple[PeriodFacts, dict[int, PersonFacts]]:
        """The facts a plan measures against: its target basis (baseline or challenge)."""
        if basis == "challenge" and self.challenge is not None:
            return self.challenge
        return self.facts, self.unrolled

    def own(self, person_id: int) -> PersonFacts | None:
        """A person's facts with their own sales (no manager roll-up)."""
        person = self.facts.people.get(person_id)
        return self.unrolled.get(person_id, person) if person is not None else None


_CACHE: OrderedDict[tuple, CompanyEstimate] = OrderedDict()
_LOCK = threading.Lock()
_KEY_LOCKS: dict[tuple, threading.Lock] = {}


def active_entries(tenant_id: int, period: Period) -> list[PlanEntry]:
    return [e for e in plans_for_period(tenant_id, period) if e.status == PlanStatus.ACTIVE]


def company_estimate(
    tenant_id: int, currency: str, period: Period, entries: list[PlanEntry] | None = None
) -> CompanyEstimate | None:
    """The period's active plans calculated over the company on today's facts —
    from the cache when the inputs stamp is unchanged. None without active plans.

    Within one database session (a request) the answer is remembered until the
    session writes anything, so a page asking twice reads the stamp once."""
    memo = db.session.info.setdefault(_MEMO, {})
    mkey = (tenant_id, period.id, currency)
    if mkey in memo:
        return memo[mkey]
    entries = active_entries(tenant_id, period) if entries is None else entries
    found = _company_estimate(tenant_id, currency, period, entries) if entries else None
    memo[mkey] = found
    return found


def _company_estimate(tenant_id, currency, period, entries) -> CompanyEstimate:
    policy = budget_policy(tenant_id, entries, period.kind.value)
    once = paid_once_keys(tenant_id, period.id)
    stamp = inputs_stamp(tenant_id, period, entries, policy_dict(policy), once)
    # The app in the key: one process may serve several databases (tests, tools).
    key = (current_app.extensions.setdefault(_APP_KEY, uuid.uuid4().hex), tenant_id, period.id)
    key += (currency, stamp)
    with _LOCK:
        found = _CACHE.get(key)
        if found is not None:
            _CACHE.move_to_end(key)
            return found
        key_lock = _KEY_LOCKS.setdefault(key, threading.Lock())
    with key_lock:  # one calculation per stamp, even when requests arrive together
        with _LOCK:
            found = _CACHE.get(key)
        if found is None and stamp.endswith(":own"):  # this transaction wrote inputs
            found = _calculate(tenant_id, currency, period, entries, policy, once, key)
        elif found is None:
            found = _calculate(tenant_id, currency, period, entries, policy, once, key)
            with _LOCK:
                _CACHE[key] = found
                while len(_CACHE) > CACHE_SIZE:
                    _CACHE.popitem(last=False)
    with _LOCK:
        _KEY_LOCKS.pop(key, None)
    return found


_MEMO = "jili.estimates.memo"
_APP_KEY = "jili.estimates"


def _forget(session, *_args) -> None:
    session.info.pop(_MEMO, None)


def _forget_on_write(state) -> None:
    if not state.is_select:
        _forget(state.session)


for _name in ("after_flush", "after_commit", "after_soft_rollback"):
    event.listen(Session, _name, _forget)
event.listen(Session, "do_orm_execute", _forget_on_write)


def clear_cache() -> None:
    with _LOCK:
        _CACHE.clear()
    _forget(db.session)


def _calculate(tenant_id, currency, period, entries, policy, once, key) -> CompanyEstimate:
    needed = frozenset().union(*(e.scheme.facts_needed for e in entries))
    facts, unrolled = build_facts_and_own(tenant_id, period, needed | {Fact.SALES, Fact.TARGETS})
    subtree = load_subtree(tenant_id)
    places = CURRENCIES.get(currency, 2)
    plans: dict[int, PlanResult] = {}
    challenge = None  # built once, only when a plan measures against challenge targets
    if any(basis_of(e) == "challenge" for e in entries):
        challenge = build_facts_and_own(
            tenant_id, period, needed | {Fact.SALES, Fact.TARGETS}, basis="challenge"
        )
    for entry in entries:
        plan_facts, plan_unrolled = (
            challenge if basis_of(entry) == "challenge" and challenge else (facts, unrolled)
        )
        base = (
            plan_facts if entry.scheme.manager_rollup else without_rollup(plan_facts, plan_unrolled)
        )
        scoped = narrow(base, entry.version.eligibility, subtree)
        eligible = frozenset(scoped.people)
        context = CalculationContext(
            plan_key=entry.plan_key,
            places=places,
            currency=currency,
            paid_once_keys=once.get(entry.plan.id, frozenset()),
        )
        try:
            lines = entry.scheme.calculate(scoped, entry.version.settings, context)
        except Exception as exc:  # noqa: BLE001  a plugin refusing today's inputs: say so
            plans[entry.plan.id] = PlanResult(
                entry.plan.id, entry.plan.name, eligible, {}, str(exc)
            )
            continue
        amounts: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for line in lines:
            amounts[line.person_id] += line.amount
        plans[entry.plan.id] = PlanResult(entry.plan.id, entry.plan.name, eligible, dict(amounts))
    revenue, target = company_revenue_and_target(facts, unrolled)
    attainment = revenue / target if target and target > 0 else None
    ceiling = policy.ceiling(revenue, attainment, places)
    has_slices = Fact.SALES_SLICES in needed
    return CompanyEstimate(
        key[-1], facts, unrolled, plans, ceiling, revenue, has_slices, key, challenge
    )


def basis_of(entry: PlanEntry) -> str:
    """The target value a plan measures against (baseline unless it says challenge)."""
    return getattr(entry.plan, "target_basis", None) or "baseline"


# -- the stamp ---------------------------------------------------------------------


def inputs_stamp(
    tenant_id: int,
    period: Period,
    entries: list[PlanEntry],
    policy: dict,
    once: dict[int, frozenset[str]],
) -> str:
    """A digest of every input an estimate of ``period`` reads (see the module)."""
    digest = hashlib.sha256()
    head = [
        ("period", period.id, period.start_date, period.end_date, period.kind.value),
        ("plans", [_plan_part(e) for e in entries]),
        ("policy", policy),
        ("once", sorted((k, sorted(v)) for k, v in once.items())),
    ]
    digest.update(json.dumps(head, default=str, sort_keys=True, ensure_ascii=False).encode())
    version = inputs_version(tenant_id)
    digest.update(b"\x1e" + version.encode())
    return digest.hexdigest() + (":own" if ":own-" in version else "")


def inputs_version(tenant_id: int) -> str:
    """The company's inputs version: one row the database renews on every write to
    an input table (:class:`jili.inputs.models.InputsVersion`); "none" before the
    first write.

    On PostgreSQL a transaction renews the token once, at its commit, so inside a
    transaction that has written inputs (its first write set
    ``jili.inputs_pending_<tenant>`` to its id) the token does not yet move with its
    writes: there the version is unique to this read, and what is calculated on it
    is never shared with another request."""
    current = select(InputsVersion.token, InputsVersion.changes).where(
        InputsVersion.tenant_id == tenant_id
    )
    mine = literal(False)
    if db.session.get_bind().dialect.name == "postgresql":
        pending = func.current_setting(f"jili.inputs_pending_{int(tenant_id)}", True)
        writing = cast(func.txid_current_if_assigned(), String)
        mine = func.coalesce(pending == writing, False)
    token, changes, own = db.session.execute(
        select(
            current.with_only_columns(InputsVersion.token).scalar_subquery(),
            current.with_only_columns(InputsVersion.changes).scalar_subquery(),
            mine,
        )
    ).one()
    version = "none" if token is None else f"{changes}:{token}"
    return version + (f":own-{uuid.uuid4().hex}" if own else "")


def _plan_part(entry: PlanEntry) -> list:
    version = entry.version
    return [
        entry.plan.id,
        entry.plan.name,
        entry.plan.priority,
        entry.plan.scheme_key,
        getattr(entry.plan, "target_basis", None),
        version.id,
        version.settings,
        version.eligibility,
    ]
