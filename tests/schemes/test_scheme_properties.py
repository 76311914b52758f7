"""Properties every scheme keeps: monotone where it should be, order-free, repeatable."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from scheme_kit import amounts, context, facts, person, settings_for

from jili.schemes import PeriodFacts, TeamFacts, get_registry
from jili_excess_pool import ExcessPool
from jili_performance_bonus import PerformanceBonus
from jili_special_awards import SpecialAwards
from jili_tiered_commission import TieredCommission

money = st.integers(min_value=0, max_value=10**10).map(lambda c: Decimal(c).scaleb(-2))
targets = st.integers(min_value=1, max_value=10**8).map(Decimal)
pcts = st.integers(min_value=1, max_value=300).map(Decimal)
rates = st.decimals(min_value=0, max_value=10, places=2)


@st.composite
def rising_bands(draw, value_key="rate_pct"):
    starts = sorted(draw(st.sets(pcts, max_size=4)))
    values = sorted(draw(st.lists(rates, min_size=len(starts) + 1, max_size=len(starts) + 1)))
    return [
        {"from_pct": str(start), value_key: str(value)}
        for start, value in zip([Decimal(0), *starts], values, strict=True)
    ]


def paid(scheme, settings, *people) -> Decimal:
    return sum(amounts(scheme.calculate(facts(*people), settings, context())).values(), Decimal(0))


@given(
    targets,
    money,
    money,
    rising_bands(),
    st.sampled_from(["whole", "marginal"]),
    st.one_of(st.none(), pcts.map(str)),
)
def test_more_sales_never_pay_less_tiered_commission(target, a, b, bands, mode, cap):
    low, high = sorted((a, b))
    s = settings_for(TieredCommission, mode=mode, bands=bands, attainment_cap_pct=cap)
    assert paid(TieredCommission, s, person(1, target=target, booked_revenue=low)) <= paid(
        TieredCommission, s, person(1, target=target, booked_revenue=high)
    )


@given(
    targets,
    money,
    money,
    st.decimals(min_value=0, max_value=100, places=1),
    st.sampled_from(["newcomer", "core"]),
)
def test_more_attainment_never_pays_less_performance_bonus(target, a, b, score, level):
    low, high = sorted((a, b))
    s = PerformanceBonus.default_settings()

    def bonus(sales):
        return paid(
            PerformanceBonus,
            s,
            person(1, level=level, kpi_score=score, target=target, booked_revenue=sales),
        )

    assert bonus(low) <= bonus(high)


@given(targets, money, money, st.integers(0, 50).map(str), st.integers(0, 10).map(str))
def test_more_attainment_never_pays_less_over_target_bonus(target, a, b, threshold, rate):
    low, high = sorted((a, b))
    s = settings_for(
        SpecialAwards,
        attainment_award_enabled=False,
        over_target_threshold_pct=threshold,
        over_target_rate_pct=rate,
    )
    assert paid(SpecialAwards, s, person(1, target=target, booked_revenue=low)) <= paid(
        SpecialAwards, s, person(1, target=target, booked_revenue=high)
    )


@st.composite
def teams_of_people(draw):
    count = draw(st.integers(min_value=1, max_value=12))
    people = [
        person(
            i + 1,
            level=draw(st.sampled_from(["newcomer", "core", "manager"])),
            team_id=7,
            target=draw(targets),
            booked_revenue=draw(money),
            base_salary=draw(money),
            kpi_score=Decimal(draw(st.integers(0, 100))),
            hire_date=date(2023, 1, 1),
        )
        for i in range(count)
    ]
    total = sum((p.booked_revenue for p in people), Decimal(0))
    team = TeamFacts(
        7, member_ids=tuple(p.person_id for p in people), target=draw(targets), booked_revenue=total
    )
    return people, team


def all_lines(period: PeriodFacts):
    out = []
    for key, scheme in get_registry().all().items():
        out.extend(scheme.calculate(period, scheme.default_settings(), context(key)))
    return out


@settings(max_examples=50)
@given(teams_of_people(), st.randoms())
def test_shuffling_people_changes_no_line_of_any_scheme(people_and_team, rnd: random.Random):
    people, team = people_and_team
    shuffled = list(people)
    rnd.shuffle(shuffled)
    first = facts(*people, teams=[team], profit=Decimal(1_000_000))
    second = facts(*shuffled, teams=[team], profit=Decimal(1_000_000))
    assert all_lines(first) == all_lines(second)


@settings(max_examples=50)
@given(teams_of_people())
def test_the_same_inputs_give_the_same_lines_and_pools_add_up(people_and_team):
    people, team = people_and_team
    period = facts(*people, teams=[team], profit=Decimal(1_000_000))
    lines = all_lines(period)
    assert lines == all_lines(period)
    pool_lines = [x for x in lines if x.scheme_key == "excess_pool"]
    if pool_lines and team.booked_revenue > team.target:
        pool = pool_lines[0].explanation.inputs["pool"].replace(",", "")
        assert sum(x.amount for x in pool_lines) == Decimal(pool)
    for x in lines:
        assert x.amount == x.amount.quantize(Decimal("0.01"))
        assert x.explanation.text()


def test_excess_pool_lines_come_out_in_person_order():
    team = TeamFacts(1, member_ids=(3, 1, 2), target=Decimal(1), booked_revenue=Decimal(4))
    people = [person(i, booked_revenue=1, target=0) for i in (3, 1, 2)]
    lines = ExcessPool.calculate(
        facts(*people, teams=[team]), ExcessPool.default_settings(), context()
    )
    assert [x.person_id for x in lines] == [1, 2, 3]


@settings(max_examples=40)
@given(teams_of_people())
def test_a_per_person_scheme_pays_each_person_the_same_alone_as_in_company(people_and_team):
    """``per_person = True`` is a promise the simulator relies on: a person's lines
    are the same whether the scheme sees the whole company or that person alone."""
    people, team = people_and_team
    for key, scheme in get_registry().all().items():
        if not scheme.per_person:
            continue
        everyone = scheme.calculate(
            facts(*people, teams=[team]), scheme.default_settings(), context(key)
        )
        for p in people:
            alone = scheme.calculate(
                facts(p, teams=[team]), scheme.default_settings(), context(key)
            )
            assert alone == [x for x in everyone if x.person_id == p.person_id], key
