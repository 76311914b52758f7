"""Profit sharing (利润分红): DOMAIN.md §3 example, to the cent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from scheme_kit import amounts, context, facts, paid, person, settings_for, why_zero

from jili_profit_sharing import ProfitSharing

MANAGER = person(1, level="manager", hire_date=date(2018, 3, 1), kpi_score="95")
CORE = person(2, level="core", hire_date=date(2021, 5, 1), kpi_score="88")
NEWCOMER = person(3, level="newcomer", hire_date=date(2024, 5, 1), kpi_score="70")


def pay(*people, profit=Decimal(20_000_000), **settings) -> dict[int, Decimal]:
    lines = ProfitSharing.calculate(
        facts(*people, profit=profit), settings_for(ProfitSharing, **settings), context()
    )
    return amounts(lines)


def test_two_percent_of_20m_split_three_two_one_pays_200k_133333_33_66666_67():
    assert pay(MANAGER, CORE, NEWCOMER) == {
        1: Decimal("200000.00"),
        2: Decimal("133333.33"),
        3: Decimal("66666.67"),
    }


def test_only_designated_people_share():
    assert pay(MANAGER, CORE, NEWCOMER, people=[1, 2]) == {
        1: Decimal("240000.00"),
        2: Decimal("160000.00"),
    }


def test_levels_and_minimum_tenure_limit_who_shares():
    assert set(pay(MANAGER, CORE, NEWCOMER, levels=["core", "manager"])) == {1, 2}
    # Q3 2024 ends 30 September; 12 months back is 30 September 2023.
    assert set(pay(MANAGER, CORE, NEWCOMER, min_tenure_months=12)) == {1, 2}


def test_split_by_score_or_equally():
    assert pay(MANAGER, CORE, weights="score") == {
        1: Decimal("207650.27"),
        2: Decimal("192349.73"),
    }  # 95 : 88
    assert pay(MANAGER, CORE, NEWCOMER, weights="equal") == {
        1: Decimal("133333.34"),
        2: Decimal("133333.33"),
        3: Decimal("133333.33"),
    }


def test_no_profit_entered_or_a_loss_pays_nothing_and_says_why():
    for profit, why in ((None, "No profit entered for 2024-Q3"), (Decimal(-5), "Profit -5.00")):
        lines = ProfitSharing.calculate(
            facts(MANAGER, profit=profit), settings_for(ProfitSharing), context()
        )
        assert amounts(lines) == {1: Decimal("0.00")} and not paid(lines)
        assert why in why_zero(lines)[1] and "no pool" in why_zero(lines)[1]
