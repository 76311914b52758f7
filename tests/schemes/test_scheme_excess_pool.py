"""Excess pool (超额奖金池): DOMAIN.md §3 example, to the cent."""

from __future__ import annotations

from decimal import Decimal

from scheme_kit import amounts, context, facts, person, settings_for

from jili.schemes import TeamFacts
from jili_excess_pool import ExcessPool

A = person(1, team_id=10, target=4_000_000, booked_revenue=4_600_000)
B = person(2, team_id=10, target=3_000_000, booked_revenue=3_500_000)
C = person(3, team_id=10, target=3_000_000, booked_revenue=2_900_000)
TEAM = TeamFacts(
    10,
    "华东一组",
    member_ids=(1, 2, 3),
    target=Decimal(10_000_000),
    booked_revenue=Decimal(11_000_000),
)


def pay(*people, teams=(TEAM,), **settings) -> dict[int, Decimal]:
    lines = ExcessPool.calculate(
        facts(*people, teams=list(teams)), settings_for(ExcessPool, **settings), context()
    )
    return amounts(lines)


def test_a_1m_excess_at_20_percent_splits_200k_by_individual_excess():
    assert pay(A, B, C) == {
        1: Decimal("109090.91"),
        2: Decimal("90909.09"),
        3: Decimal("0.00"),
    }


def test_the_explanation_names_the_team_the_pool_and_the_share():
    lines = ExcessPool.calculate(
        facts(A, B, C, teams=[TEAM]), ExcessPool.default_settings(), context()
    )
    a = lines[0].explanation
    assert a.inputs["pool"] == "200,000.00" and a.inputs["team"] == "华东一组"
    assert a.arithmetic == (
        "pool 1,000,000.00 × 20 % = 200,000.00",
        "200,000.00 × 600,000.00 / 1,100,000.00 = 109,090.91",
    )


def test_split_by_share_of_sales_adds_up_to_the_pool():
    paid = pay(A, B, C, split="sales")
    assert sum(paid.values()) == Decimal("200000.00")
    assert paid == {1: Decimal("83636.37"), 2: Decimal("63636.36"), 3: Decimal("52727.27")}


def test_composite_split_is_70_percent_team_and_30_percent_individual():
    paid = pay(A, B, C, split="composite")
    # C: 200,000 × 70 % / 3 = 46,666.67 from the team part only
    assert paid[3] == Decimal("46666.67")
    assert sum(paid.values()) == Decimal("200000.00")


def test_the_pool_cap_limits_the_pool():
    assert sum(pay(A, B, C, pool_cap="150000").values()) == Decimal("150000.00")


def test_top_collaboration_teams_get_five_percent_more_pool():
    best = TeamFacts(
        10,
        member_ids=(1, 2, 3),
        target=Decimal(10_000_000),
        booked_revenue=Decimal(11_000_000),
        collaboration_score=Decimal(95),
    )
    others = [TeamFacts(20 + i, collaboration_score=Decimal(60 + i)) for i in range(4)]
    paid = pay(A, B, C, teams=[best, *others], collaboration_top_pct="20")
    assert sum(paid.values()) == Decimal("210000.00")


def test_a_team_under_target_has_no_pool():
    short = TeamFacts(
        10, member_ids=(1, 2, 3), target=Decimal(12_000_000), booked_revenue=Decimal(11_000_000)
    )
    assert pay(A, B, C, teams=[short]) == {1: 0, 2: 0, 3: 0}


def test_without_individual_excess_the_pool_is_split_by_sales():
    low_a = person(1, team_id=10, target=5_000_000, booked_revenue=4_600_000)
    low_b = person(2, team_id=10, target=5_000_000, booked_revenue=3_500_000)
    team = TeamFacts(
        10, member_ids=(1, 2), target=Decimal(7_000_000), booked_revenue=Decimal(8_100_000)
    )
    paid = pay(low_a, low_b, teams=[team])
    assert sum(paid.values()) == Decimal("220000.00")
    assert paid[1] > paid[2] > 0


def test_only_teams_of_the_chosen_kind_pay():
    region = TeamFacts(
        10,
        kind="region",
        member_ids=(1, 2, 3),
        target=Decimal(10_000_000),
        booked_revenue=Decimal(11_000_000),
    )
    assert pay(A, B, C, teams=[region]) == {}
    assert sum(pay(A, B, C, teams=[region], team_kind="region").values()) == Decimal("200000.00")
