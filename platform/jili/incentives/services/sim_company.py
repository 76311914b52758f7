"""The simulator's facts for one plan and one person, and the curves drawn on them.

A person's curve is 21 points (0, 10 … 200 % of a target), plus the slider's own
value; each point asks what the person would earn with their sales moved there
and everyone else's as they are. Two ways to get the facts:

- **The company's** (:func:`company_part`): the company estimate's facts
  (:mod:`jili.incentives.services.estimates`, once per inputs stamp) narrowed to
  the plan's eligible people, and the scheme's
  :meth:`~jili.schemes.SchemeType.prepare_one_person` run on them — the rest of
  the company prepared **once per stamp and plan version**, kept in this worker's
  memory, so that each point then pays one changed person (a pool's other
  members' weights, the awards mentees bring their mentor) instead of
  recalculating 10,000 people.
- **The person's alone** (:func:`own_part`): a per-person scheme for someone
  who is not a manager when no plan of theirs needs the company, built in a few
  queries for that one person.

The curve itself (:func:`curve`) is kept per person, target, plan version and
facts (the stamp, or the person's own fingerprint), so moving the slider along
the 10 % steps calculates nothing, and a value off the steps one point per plan.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import Decimal

from jili.incentives.engine import load_subtree, narrow
from jili.incentives.engine.facts import build_facts_and_own, without_rollup
from jili.incentives.engine.natural import NaturalKeys
from jili.incentives.engine.storage import fingerprint
from jili.incentives.services.estimates import CompanyEstimate, basis_of
from jili.incentives.services.simulator import DEFAULT_STEPS, Point, simulate
from jili.schemes import CalculationContext, Fact, OnePersonPayout, PeriodFacts

PARTS_MAX = 32
CURVES_MAX = 256


@dataclass
class PlanPart:
    """One plan version's facts for the simulator: ``facts`` before the
    eligibility (a person's own row is read there), ``scoped`` the plan's
    eligible people, ``stamp`` what the facts are keyed by in the curve cache
    (the company's inputs stamp, or the fingerprint of one person's facts).
    Plain data, no database rows: it outlives the request."""

    scheme: type
    settings: dict
    plan_id: int
    version_id: int
    context: CalculationContext
    facts: PeriodFacts
    scoped: PeriodFacts
    stamp: tuple = ()
    _pay: OnePersonPayout | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def of(cls, entry, context, facts, scoped, stamp: tuple) -> PlanPart:
        version = entry.version
        return cls(
            entry.scheme,
            copy.deepcopy(version.settings),
            entry.plan.id,
            version.id,
            context,
            facts,
            scoped,
            stamp,
        )

    def payout(self) -> OnePersonPayout:
        """The scheme's one-person payout on ``scoped``, prepared on first use
        (a plugin refusing its inputs raises here, inside the caller's guard)."""
        with self._lock:
            if self._pay is None:
                self._pay = self.scheme.prepare_one_person(self.scoped, self.settings, self.context)
            return self._pay


_PARTS: OrderedDict[tuple, PlanPart] = OrderedDict()
_CURVES: OrderedDict[tuple, tuple[Point, ...]] = OrderedDict()
_LOCK = threading.Lock()


def _cached(store: OrderedDict, key, make, limit: int):
    with _LOCK:
        found = store.get(key)
        if found is not None:
            store.move_to_end(key)
            return found
    made = make()
    with _LOCK:
        found = store.setdefault(key, made)
        store.move_to_end(key)
        while len(store) > limit:
            store.popitem(last=False)
    return found


def company_part(
    tenant_id: int, company: CompanyEstimate, entry, context: CalculationContext
) -> PlanPart:
    """The plan on the company's facts (its target basis, its roll-up rule, its
    eligibility), once per inputs stamp, plan version and paid once-keys."""
    basis = basis_of(entry)
    stamp = (*company.key, basis)
    key = (stamp, entry.plan.id, entry.version.id, context)

    def make() -> PlanPart:
        facts, unrolled = company.facts_for(basis)
        if not entry.scheme.manager_rollup:
            facts = without_rollup(facts, unrolled)
        scoped = narrow(facts, entry.version.eligibility, load_subtree(tenant_id))
        _forget_older(company.key)
        return PlanPart.of(entry, context, facts, scoped, stamp)

    return _cached(_PARTS, key, make, PARTS_MAX)


def _forget_older(company_key: tuple) -> None:
    """Drop the parts of the same tenant, period and currency on another stamp:
    the inputs moved on, and their facts need not stay in memory."""
    where, stamp = company_key[:-1], company_key[-1]
    with _LOCK:
        for key in [k for k in _PARTS if k[0][: len(where)] == where and k[0][len(where)] != stamp]:
            del _PARTS[key]


def own_part(tenant_id: int, period, person_id: int, entry, context) -> PlanPart:
    """The plan on one person's facts alone (a per-person scheme, not a manager)."""
    scheme = entry.scheme
    needed = frozenset(scheme.facts_needed) | {Fact.SALES, Fact.TARGETS}
    facts, unrolled = build_facts_and_own(
        tenant_id, period, needed, only=frozenset({person_id}), basis=basis_of(entry)
    )
    if not scheme.manager_rollup:
        facts = without_rollup(facts, unrolled)
    scoped = narrow(facts, entry.version.eligibility, load_subtree(tenant_id))
    # one person's facts: the engine's fingerprint (ids serve as natural keys here)
    paid = {"paid_once": sorted(context.paid_once_keys)}
    stamp = ("own", fingerprint(scoped, [entry], paid, NaturalKeys({}, {})))
    return PlanPart.of(entry, context, facts, scoped, stamp)


def curve(
    tenant_id: int, part: PlanPart, person_id: int, target: Decimal, attainment: Decimal
) -> list[Point]:
    """The person's points at 0, 10 … 200 % and at ``attainment``, in order."""
    context, settings = part.context, part.settings
    key = (
        tenant_id,
        person_id,
        str(target),
        part.plan_id,
        part.version_id,
        part.stamp,
        tuple(sorted(context.paid_once_keys)),
    )

    def points(at) -> tuple[Point, ...]:
        return tuple(
            simulate(
                part.scheme, settings, part.scoped, person_id, target, at, context, part.payout()
            )
        )

    steps = _cached(_CURVES, key, lambda: points(DEFAULT_STEPS), CURVES_MAX)
    if attainment in DEFAULT_STEPS:
        return list(steps)
    extra = _cached(_CURVES, (*key, str(attainment)), lambda: points([attainment]), CURVES_MAX)
    return sorted([*steps, *extra], key=lambda p: p.attainment_pct)
