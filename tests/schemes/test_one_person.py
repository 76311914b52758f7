"""``SchemeType.prepare_one_person``, the simulator's fast path, pays one changed
person exactly what recalculating the whole company with that person changed
pays them — for each of the six built-in schemes, pools with ties at the
largest-remainder split and managers included."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scheme_kit import Q3_2024, context, facts, person, settings_for

from jili.schemes import (
    OneOffAward,
    PeriodFacts,
    SchemeType,
    TeamFacts,
    full_recalculation,
    get_registry,
    paid_to,
)
from jili_excess_pool import ExcessPool
from jili_mentor_award import MentorAward
from jili_profit_sharing import ProfitSharing

D = Decimal
money = st.integers(min_value=-(10**5), max_value=10**8).map(lambda c: D(c).scaleb(-2))
small = st.sampled_from([D(0), D(100), D(200), D(300), D("100.01")])  # ties are likely
targets = st.one_of(st.none(), st.sampled_from([D(0), D(100), D(200), D(1000)]), money)
scores = st.one_of(st.none(), st.integers(0, 100).map(D))
hired = st.sampled_from([None, date(2023, 1, 1), date(2024, 5, 10), date(2024, 7, 20)])
first = st.sampled_from([None, date(2022, 3, 1), date(2024, 7, 25), date(2024, 9, 30)])
amount = st.one_of(money, small)


def full(scheme, period: PeriodFacts, s, ctx, changed) -> Decimal:
    """The whole company calculated again with ``changed`` in place."""
    return paid_to(scheme.calculate(period.with_person(changed), s, ctx), changed.person_id)


@st.composite
def company(draw):
    """Two groups under a region, a manager in each group (their row may carry the
    group's roll-up), mentors and mentees, profit, one-off awards, ratings."""
    count = draw(st.integers(min_value=2, max_value=9))
    people = []
    for i in range(1, count + 1):
        group = 10 if i % 2 else 11
        level = "manager" if i <= 2 else draw(st.sampled_from(["newcomer", "core"]))
        people.append(
            person(
                i,
                employee_no=draw(st.sampled_from(["E1", "E2", f"E{i:02d}"])),  # equal keys
                name=f"P{i}",
                level=level,
                team_id=group,
                hire_date=draw(hired),
                mentor_id=draw(st.sampled_from([None, 1, 2, i])),
                base_salary=draw(st.sampled_from([D(0), D(10000)])),
                booked_revenue=draw(amount),
                collected_cash=draw(amount),
                margin=draw(amount),
                target=draw(targets),
                margin_target=draw(st.one_of(st.none(), small)),
                kpi_score=draw(scores),
                first_deal_date=draw(first),
                rating=draw(st.sampled_from([None, "A", "B", "C"])),
            )
        )
    teams = []
    for team_id, kind, members in (
        (10, "group", [p for p in people if p.team_id == 10]),
        (11, "group", [p for p in people if p.team_id == 11]),
        (12, "region", people),
    ):
        teams.append(
            TeamFacts(
                team_id,
                name=f"T{team_id}",
                kind=kind,
                member_ids=tuple(p.person_id for p in members),
                target=draw(targets),
                booked_revenue=sum((p.booked_revenue for p in members), D(0)),
                collected_cash=sum((p.collected_cash for p in members), D(0)),
                margin=sum((p.margin for p in members), D(0)),
                collaboration_score=draw(scores),
            )
        )
    if draw(st.booleans()):  # the managers' rows carry their group's roll-up
        sums = {t.team_id: t for t in teams}
        people = [
            replace(p, booked_revenue=sums[p.team_id].booked_revenue) if p.level == "manager" else p
            for p in people
        ]
    kinds = st.sampled_from(["strategic_client"] * 5 + ["unknown"])  # unknown: refused
    awards = tuple(
        OneOffAward(pid, draw(kinds), D(5000), "signed")
        for pid in draw(st.lists(st.integers(1, count), max_size=3))
    )
    profit = draw(st.one_of(st.none(), st.sampled_from([D(-5), D("1000.01")]), money))
    return facts(
        *people,
        teams=teams,
        profit=profit,
        one_off_awards=awards,
        rating_labels=("A", "B", "C"),
    )


@st.composite
def changed_person(draw, period: PeriodFacts):
    """Someone of ``period`` with new sales, target and score (what the simulator moves)."""
    pid = draw(st.sampled_from(sorted(period.people)))
    return replace(
        period.people[pid],
        booked_revenue=draw(amount),
        collected_cash=draw(amount),
        margin=draw(amount),
        target=draw(targets),
        kpi_score=draw(scores),
        slices=(),
    )


VARIANTS = [
    (ExcessPool, {"split": split, "team_kind": kind, "pool_cap": cap, "collaboration_top_pct": top})
    for split in ("excess", "sales", "composite")
    for kind, cap, top in (("group", None, None), ("any", "33.33", "50"), ("region", None, "100"))
] + [
    (ProfitSharing, {"weights": w, "levels": levels, "min_tenure_months": months})
    for w in ("grade", "score", "equal")
    for levels, months in (([], 0), (["core", "manager"], 12))
]


def all_schemes():
    """Every built-in scheme at its defaults, and the pools in their variants."""
    out = [(scheme, scheme.default_settings()) for scheme in get_registry().all().values()]
    return out + [(scheme, settings_for(scheme, **kw)) for scheme, kw in VARIANTS]


CASES = all_schemes()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_fast_path_pays_what_the_whole_company_pays(data):
    period = data.draw(company())
    scheme, s = data.draw(st.sampled_from(CASES))
    paid_once = data.draw(st.sampled_from([frozenset(), frozenset({"bole:3", "icebreaker:4"})]))
    ctx = context(places=data.draw(st.sampled_from([2, 0])), paid_once_keys=paid_once)
    try:
        pay = scheme.prepare_one_person(period, s, ctx)
    except Exception as exc:  # a refusal must be the full calculation's refusal
        with pytest.raises(type(exc)):
            scheme.calculate(period, s, ctx)
        return
    for _ in range(3):
        changed = data.draw(changed_person(period))
        assert pay(changed) == full(scheme, period, s, ctx, changed), (scheme.key, s, changed)
    for pid, row in period.people.items():  # nobody changed: today's amounts
        assert pay(row) == paid_to(scheme.calculate(period, s, ctx), pid)


def test_every_built_in_scheme_is_covered():
    assert {scheme.key for scheme, _ in CASES} == set(get_registry().all())
    overridden = {
        key
        for key, scheme in get_registry().all().items()
        if scheme.prepare_one_person.__func__ is not SchemeType.prepare_one_person.__func__
    }
    assert overridden == {"excess_pool", "profit_sharing", "mentor_award"}


def three_tied():
    """A pool of 100.00 over three equal excesses: 33.33 each and one fen left,
    which goes by natural key (E1 before E2 before E3)."""
    people = [
        person(i, employee_no=f"E{i}", team_id=1, target=100, booked_revenue=200) for i in (3, 1, 2)
    ]
    team = TeamFacts(1, member_ids=(1, 2, 3), target=D(100), booked_revenue=D(600))
    return facts(*people, teams=[team])


@pytest.mark.parametrize("pid", [1, 2, 3])
@pytest.mark.parametrize(
    "sales", [D(200), D(250), D("200.01"), D(150), D(100), D(0), D("-50")], ids=str
)
def test_a_tie_at_the_largest_remainder_is_broken_as_the_company_breaks_it(pid, sales):
    period = three_tied()
    s = settings_for(ExcessPool, pool_rate_pct="20")  # 500 × 20 % = 100.00 today
    changed = replace(period.people[pid], booked_revenue=sales)
    ctx = context()
    assert ExcessPool.prepare_one_person(period, s, ctx)(changed) == full(
        ExcessPool, period, s, ctx, changed
    )
    if sales == 200:  # unchanged: 33.34 to E1, 33.33 to the others
        assert ExcessPool.prepare_one_person(period, s, ctx)(changed) == (
            D("33.34") if pid == 1 else D("33.33")
        )


@pytest.mark.parametrize("pid", [1, 2, 3])
def test_a_profit_pool_tie_is_broken_by_natural_key(pid):
    people = [person(i, employee_no=f"E{i}", level="core") for i in (1, 2, 3)]
    period = facts(*people, profit=D(5000))  # 2 % = 100.00 over three equal weights
    s = ProfitSharing.default_settings()
    ctx = context()
    pay = ProfitSharing.prepare_one_person(period, s, ctx)
    for level in ("core", "manager", "newcomer"):
        changed = replace(period.people[pid], level=level)
        assert pay(changed) == full(ProfitSharing, period, s, ctx, changed)
    assert pay(period.people[pid]) == (D("33.34") if pid == 1 else D("33.33"))


def test_a_manager_of_a_mentee_gets_the_mentees_award_whatever_they_sell():
    mentor = person(1, level="manager", team_id=5, hire_date=date(2020, 1, 1))
    mentee = person(
        2,
        level="newcomer",
        team_id=5,
        mentor_id=1,
        hire_date=date(2024, 7, 1),
        first_deal_date=date(2024, 7, 5),
        target=100,
        booked_revenue=150,
    )
    period = facts(mentor, mentee, period=Q3_2024)
    s, ctx = MentorAward.default_settings(), context()
    pay = MentorAward.prepare_one_person(period, s, ctx)
    for sales in (D(0), D(100), D(10**6)):
        changed = replace(mentor, booked_revenue=sales, target=D(100))
        assert pay(changed) == full(MentorAward, period, s, ctx, changed) == D(3000)
    changed = replace(mentee, booked_revenue=D(50))  # below target: no training fund
    assert pay(changed) == full(MentorAward, period, s, ctx, changed) == D(1000)


class Counting(SchemeType):
    """A third-party scheme that pays by team rank and overrides nothing."""

    key = "counting_rank"
    label = "Rank"

    @classmethod
    def calculate(cls, facts, settings, context):
        ranked = sorted(facts.people.values(), key=lambda p: (-p.booked_revenue, p.natural_key))
        return [
            cls.line(context, p.person_id, D(len(ranked) - i), None) for i, p in enumerate(ranked)
        ]


def test_a_scheme_without_the_hook_falls_back_to_the_full_calculation():
    period = facts(*(person(i, booked_revenue=i * 10) for i in (1, 2, 3)))
    pay = Counting.prepare_one_person(period, {}, context())
    changed = replace(period.people[1], booked_revenue=D(100))
    assert pay(changed) == D(3) == full(Counting, period, {}, context(), changed)
    assert full_recalculation(Counting, period, {}, context())(period.people[1]) == D(1)
    with pytest.raises(KeyError):
        pay(person(99))
