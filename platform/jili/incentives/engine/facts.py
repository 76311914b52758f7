"""The set-based facts builder: a period's :class:`PeriodFacts` in a handful of
grouped queries, never one query per person.

Queries (only those some enabled plan needs run):

1. people (one row each), 2. teams, 3. credited sales grouped by person,
4. sales grouped by person × region × product line, 5. first deal date per
newcomer, 6. targets, 7. metric values, 8. profit, 9. one-off awards.

Sales are the credited shares (:class:`SalesCredit`) whose date falls in the
period, refunds included, so they may be negative — read pre-summed by month
from :class:`SalesFact` (the credits only for days of a month the period cuts). A manager's row also rolls
up the sales of everyone in the teams under the manager's team; team totals
are the members' own credited sales (no double counting).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal

from sqlalchemy import select

from jili.extensions import db
from jili.incentives.engine.ratings import final_ratings
from jili.incentives.engine.sales import Sales, first_deals, period_sales
from jili.inputs.models import (
    MetricValue,
    OneOffAwardGrant,
    ProfitEntry,
    SalesTarget,
)
from jili.inputs.services.facts import apply_pending
from jili.org.models import Level, Person, Team
from jili.periods.models import Period
from jili.schemes import (
    Fact,
    KpiResult,
    OneOffAward,
    PeriodFacts,
    PeriodInfo,
    PersonFacts,
    SalesSlice,
    TeamFacts,
    kpi_total_score,
)

ZERO = Decimal(0)
HUNDRED = Decimal(100)
COLLABORATION_METRIC = "collaboration"
ALL_FACTS = frozenset(Fact)


def period_info(period: Period) -> PeriodInfo:
    return PeriodInfo(period.label, str(period.kind.value), period.start_date, period.end_date)


def team_tree(parents: Mapping[int, int | None]) -> dict[int, list[int]]:
    """team id → its own id and every descendant's, from each team's parent
    (a cycle cannot loop: cycles are refused elsewhere, and skipped here)."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for tid, parent in parents.items():
        children[parent].append(tid)
    subtree: dict[int, list[int]] = {}
    for tid in parents:
        out, stack, seen = [], [tid], set()
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            out.append(node)
            stack.extend(children.get(node, ()))
        subtree[tid] = sorted(out)
    return subtree


def build_facts(
    tenant_id: int,
    period: Period,
    needed: frozenset[Fact] = ALL_FACTS,
    *,
    only: frozenset[int] | None = None,
) -> PeriodFacts:
    """Every fact the ``needed`` groups ask for, for ``period`` of ``tenant_id``
    (managers' rows with the roll-up; see :func:`build_facts_and_own`)."""
    return build_facts_and_own(tenant_id, period, needed, only=only)[0]


def build_facts_and_own(
    tenant_id: int,
    period: Period,
    needed: frozenset[Fact] = ALL_FACTS,
    *,
    only: frozenset[int] | None = None,
    basis: str = "baseline",
) -> tuple[PeriodFacts, dict[int, PersonFacts]]:
    """The period's facts, and for each manager whose row rolls up their teams'
    sales, the same row with their own sales only (for schemes that set
    ``manager_rollup = False``, such as the excess pool, whose individual
    excess must be a person's own).

    ``only`` restricts the people to these ids (the what-if simulator of a
    per-person scheme): their own sales only, no manager roll-up, and team
    totals that count only them — never use it for a run.

    ``basis`` is the target value plans measure against: ``baseline`` or
    ``challenge`` (see :attr:`jili.incentives.models.Plan.target_basis`).
    """
    apply_pending(db.session())  # credits written in this transaction count
    people_rows = _people_rows(tenant_id, only)
    teams = _teams(tenant_id)
    read = _Read()
    read.sales, read.slices = period_sales(tenant_id, period, needed, only)
    if Fact.FIRST_DEALS in needed:
        read.first_deals = first_deals(tenant_id, period, people_rows)
    if needed & {Fact.TARGETS, Fact.TEAMS}:
        read.person_targets, read.team_targets = _targets(tenant_id, period, basis, only)
    if needed & {Fact.KPI_SCORES, Fact.TEAMS}:
        read.kpi, read.collaboration = _metrics(tenant_id, period, only)
    profit = _profit(tenant_id, period) if Fact.PROFIT in needed else None
    awards = _awards(tenant_id, period, only) if Fact.ONE_OFF_AWARDS in needed else ()
    labels: tuple[str, ...] = ()
    if Fact.RATINGS in needed:
        labels, read.ratings = final_ratings(tenant_id, period)
    members = _members(people_rows, teams)
    people, unrolled = _people(people_rows, members, read, rollup=not only)
    team_facts = _team_facts(teams, members, read) if Fact.TEAMS in needed else []
    facts = PeriodFacts.build(
        period_info(period),
        people,
        team_facts,
        profit=profit,
        one_off_awards=awards,
        rating_labels=labels,
    )
    return facts, unrolled


NO_SALES: Sales = (ZERO, ZERO, ZERO, 0)


@dataclass
class _Read:
    """What the grouped queries read, per person or team (empty when not needed)."""

    sales: dict[int, Sales] = field(default_factory=dict)
    slices: dict[int, list[SalesSlice]] = field(default_factory=dict)
    first_deals: dict[int, object] = field(default_factory=dict)
    person_targets: dict[int, tuple] = field(default_factory=dict)
    team_targets: dict[int, Decimal | None] = field(default_factory=dict)
    kpi: dict[int, Decimal] = field(default_factory=dict)
    collaboration: dict[int, Decimal] = field(default_factory=dict)
    ratings: dict[int, str] = field(default_factory=dict)

    def own(self, pid: int) -> Sales:
        return self.sales.get(pid, NO_SALES)


def _people_rows(tenant_id: int, only: frozenset[int] | None) -> list:
    return db.session.execute(
        select(
            Person.id,
            Person.employee_no,
            Person.name,
            Person.level,
            Person.team_id,
            Person.hire_date,
            Person.mentor_id,
            Person.base_salary,
        )
        .where(Person.tenant_id == tenant_id, *([Person.id.in_(only)] if only else []))
        .order_by(Person.id)
    ).all()


def _teams(tenant_id: int) -> dict[int, tuple[str, str, int | None]]:
    """team id → (name, kind, parent id)."""
    team_rows = db.session.execute(
        select(Team.id, Team.name, Team.kind, Team.parent_id).where(Team.tenant_id == tenant_id)
    ).all()
    return {t.id: (t.name, str(t.kind.value), t.parent_id) for t in team_rows}


#: The targets the schemes read, in the order of a person's target tuple.
TARGET_METRICS = ("revenue", "collected", "margin")


def _targets(
    tenant_id: int, period: Period, basis: str = "baseline", only: frozenset[int] | None = None
) -> tuple[dict[int, tuple], dict[int, Decimal | None]]:
    """person id → (revenue, collected, margin) targets; team id → revenue target.

    ``basis`` is ``baseline`` or ``challenge``: which value of each target the
    plan measures against (a target without a challenge value falls back to its
    baseline)."""
    person: dict[int, list] = {}
    team_targets: dict[int, Decimal | None] = {}
    rows = db.session.execute(
        select(
            SalesTarget.person_id,
            SalesTarget.team_id,
            SalesTarget.metric,
            SalesTarget.baseline,
            SalesTarget.challenge,
        ).where(
            SalesTarget.tenant_id == tenant_id,
            SalesTarget.period_id == period.id,
            SalesTarget.metric.in_(TARGET_METRICS),
            *([_only(SalesTarget.person_id, only)] if only else []),
        )
    ).all()
    for r in rows:
        value = r.challenge if basis == "challenge" and r.challenge is not None else r.baseline
        if r.person_id is not None:
            person.setdefault(r.person_id, [None, None, None])[TARGET_METRICS.index(r.metric)] = (
                value
            )
        elif r.team_id is not None and r.metric == "revenue":
            team_targets[r.team_id] = value
    return {pid: tuple(v) for pid, v in person.items()}, team_targets


def _only(person_id, only: frozenset[int]):
    """These people's rows and the teams' (no person): what ``only`` reads."""
    return person_id.in_(only) | person_id.is_(None)


def _metrics(
    tenant_id: int, period: Period, only: frozenset[int] | None = None
) -> tuple[dict[int, Decimal], dict[int, Decimal]]:
    """person id → KPI total score; team id → collaboration score."""
    collaboration: dict[int, Decimal] = {}
    rows = db.session.execute(
        select(
            MetricValue.person_id,
            MetricValue.team_id,
            MetricValue.metric,
            MetricValue.weight,
            MetricValue.actual,
            MetricValue.target,
            MetricValue.higher_is_better,
            MetricValue.cap,
        )
        .where(
            MetricValue.tenant_id == tenant_id,
            MetricValue.period_id == period.id,
            *([_only(MetricValue.person_id, only)] if only else []),
        )
        .order_by(MetricValue.person_id, MetricValue.metric)
    ).all()
    results: dict[int, list[KpiResult]] = defaultdict(list)
    for r in rows:
        if r.person_id is None and r.team_id is not None:
            if r.metric == COLLABORATION_METRIC:
                collaboration[r.team_id] = Decimal(r.actual)
            continue
        if r.person_id is None or not r.weight or r.target is None or r.target <= 0:
            continue
        results[r.person_id].append(
            KpiResult(
                Decimal(r.weight),
                Decimal(r.actual),
                Decimal(r.target),
                r.higher_is_better,
                Decimal(r.cap) if r.cap is not None else HUNDRED,
            )
        )
    return {pid: kpi_total_score(res) for pid, res in results.items()}, collaboration


def _profit(tenant_id: int, period: Period) -> Decimal | None:
    return db.session.scalar(
        select(ProfitEntry.amount).where(
            ProfitEntry.tenant_id == tenant_id, ProfitEntry.period_id == period.id
        )
    )


def _awards(tenant_id: int, period: Period, only: frozenset[int] | None) -> tuple[OneOffAward, ...]:
    rows = db.session.execute(
        select(OneOffAwardGrant)
        .where(
            OneOffAwardGrant.tenant_id == tenant_id,
            OneOffAwardGrant.period_id == period.id,
            *([OneOffAwardGrant.person_id.in_(only)] if only else []),
        )
        .order_by(OneOffAwardGrant.person_id, OneOffAwardGrant.id)
    ).scalars()
    return tuple(
        OneOffAward(a.person_id, a.kind, a.amount, a.reason, a.approved_by_label) for a in rows
    )


def _members(people_rows: list, teams: dict[int, tuple]) -> dict[int, list[int]]:
    """Members per team subtree, from the people rows (no extra query)."""
    subtree = team_tree({tid: parent for tid, (_n, _k, parent) in teams.items()})
    own_members: dict[int | None, list[int]] = defaultdict(list)
    for p in people_rows:
        own_members[p.team_id].append(p.id)
    return {tid: sorted(m for t in subtree[tid] for m in own_members.get(t, ())) for tid in teams}


def _people(
    people_rows: list, members: dict[int, list[int]], read: _Read, *, rollup: bool
) -> tuple[list[PersonFacts], dict[int, PersonFacts]]:
    """Each person's facts (a manager's sales roll up their team's when
    ``rollup``), and the managers' rows with their own sales only."""
    people: list[PersonFacts] = []
    unrolled: dict[int, PersonFacts] = {}
    for p in people_rows:
        booked, collected, margin, deals = read.own(p.id)
        rolled = p.level == Level.MANAGER and p.team_id in members and rollup
        if rolled:
            for other in members[p.team_id]:
                if other != p.id:
                    b, c, m, d = read.own(other)
                    booked, collected, margin, deals = (
                        booked + b,
                        collected + c,
                        margin + m,
                        deals + d,
                    )
        revenue_t, collected_t, margin_t = read.person_targets.get(p.id, (None, None, None))
        people.append(
            PersonFacts(
                person_id=p.id,
                level=str(p.level.value),
                team_id=p.team_id,
                hire_date=p.hire_date,
                mentor_id=p.mentor_id,
                base_salary=p.base_salary or ZERO,
                booked_revenue=booked,
                collected_cash=collected,
                margin=margin,
                deal_count=deals,
                first_deal_date=read.first_deals.get(p.id),
                target=revenue_t,
                collected_target=collected_t,
                margin_target=margin_t,
                kpi_score=read.kpi.get(p.id),
                slices=tuple(read.slices.get(p.id, ())),
                employee_no=p.employee_no,
                name=p.name,
                rating=read.ratings.get(p.id),
            )
        )
        if rolled:
            b, c, m, d = read.own(p.id)
            unrolled[p.id] = replace(
                people[-1], booked_revenue=b, collected_cash=c, margin=m, deal_count=d
            )
    return people, unrolled


def _team_facts(
    teams: dict[int, tuple], members: dict[int, list[int]], read: _Read
) -> list[TeamFacts]:
    """Each team's totals: its members' own credited sales (no double count)."""
    team_facts: list[TeamFacts] = []
    for tid in sorted(teams):
        name, kind, _parent = teams[tid]
        ids = members[tid]
        booked = sum((read.own(m)[0] for m in ids), ZERO)
        collected = sum((read.own(m)[1] for m in ids), ZERO)
        margin = sum((read.own(m)[2] for m in ids), ZERO)
        target = read.team_targets.get(tid)
        if target is None:
            # Without a team target, the members' own targets add up to it.
            parts = [read.person_targets.get(m, (None,))[0] for m in ids]
            if parts and all(t is not None for t in parts):
                target = sum(parts, ZERO)
        team_facts.append(
            TeamFacts(
                team_id=tid,
                name=name,
                kind=kind,
                member_ids=tuple(ids),
                target=target,
                booked_revenue=booked,
                collected_cash=collected,
                margin=margin,
                collaboration_score=read.collaboration.get(tid),
            )
        )
    return team_facts


def without_rollup(facts: PeriodFacts, unrolled: dict[int, PersonFacts]) -> PeriodFacts:
    """``facts`` with managers' own sales instead of their teams' roll-up."""
    if not unrolled:
        return facts
    return PeriodFacts.build(
        facts.period,
        [unrolled.get(pid, p) for pid, p in facts.people.items()],
        list(facts.teams.values()),
        profit=facts.profit,
        one_off_awards=facts.one_off_awards,
        rating_labels=facts.rating_labels,
    )


def _chunks(items: list[int], size: int):
    for i in range(0, len(items), size):
        yield items[i : i + size]
