"""Performance bonus (绩效奖金) and KPI scores: DOMAIN.md §2–3 examples."""

from __future__ import annotations

from decimal import Decimal

import pytest
from scheme_kit import amounts, context, facts, person, settings_for, why_zero

from jili.schemes import KpiResult, kpi_score, kpi_total_score
from jili_mentor_award import MentorAward
from jili_performance_bonus import PerformanceBonus

D = Decimal

ZHANG = person(1, level="core", kpi_score="93.2", target=500_000, booked_revenue=480_000)


def pay(*people, **settings) -> dict[int, Decimal]:
    lines = PerformanceBonus.calculate(
        facts(*people), settings_for(PerformanceBonus, **settings), context()
    )
    return amounts(lines)


def test_core_seller_scoring_93_2_at_96_percent_earns_9216():
    assert pay(ZHANG) == {1: Decimal("9216.00")}


def test_newcomer_scoring_85_6_at_90_percent_earns_4500_and_5500_with_the_first_deal_award():
    from datetime import date

    newcomer = person(
        2,
        level="newcomer",
        kpi_score="85.6",
        target=500_000,
        booked_revenue=450_000,
        hire_date=date(2024, 5, 6),
        first_deal_date=date(2024, 8, 2),
    )
    assert pay(newcomer) == {2: Decimal("4500.00")}
    period = facts(newcomer)
    all_lines = PerformanceBonus.calculate(
        period, PerformanceBonus.default_settings(), context("bonus")
    ) + MentorAward.calculate(period, MentorAward.default_settings(), context("mentor"))
    assert amounts(all_lines) == {2: Decimal("5500.00")}


@pytest.mark.parametrize(
    "score, coefficient",
    [
        ("95", "1.2"),
        ("90", "1.2"),
        ("89.99", "1.0"),
        ("80", "1.0"),
        ("79.5", "0.8"),
        ("70", "0.8"),
        ("69.99", "0"),
    ],
)
def test_score_bands_state_their_boundaries(score, coefficient):
    seller = person(1, level="core", kpi_score=score, target=100, booked_revenue=100)
    assert pay(seller) == {1: Decimal(8000) * Decimal(coefficient)}


def test_attainment_is_capped_at_150_percent():
    seller = person(1, level="core", kpi_score="92", target=100_000, booked_revenue=300_000)
    assert pay(seller) == {1: Decimal("14400.00")}  # 8,000 × 1.2 × 150 %
    assert pay(seller, attainment_cap_pct=None) == {1: Decimal("28800.00")}


def test_a_level_without_a_base_gets_no_line_and_no_score_or_target_a_zero_that_says_so():
    lines = PerformanceBonus.calculate(
        facts(
            person(1, level="manager", kpi_score="99", target=1, booked_revenue=1),
            person(2, level="core", target=1, booked_revenue=1),
            person(3, level="core", kpi_score="99"),
        ),
        settings_for(PerformanceBonus),
        context(),
    )
    assert amounts(lines) == {2: Decimal("0.00"), 3: Decimal("0.00")}
    why = why_zero(lines)
    assert "no evaluation score" in why[2] and "no revenue target" in why[3]


def test_kpi_scores_of_seed_template_one_total_96_56():
    revenue = KpiResult(Decimal(50), actual=Decimal(480_000), target=Decimal(500_000))
    collection = KpiResult(Decimal(20), actual=Decimal(88), target=Decimal(90))
    visits = KpiResult(Decimal(15), actual=Decimal(28), target=Decimal(30))
    timeliness = KpiResult(Decimal(15), actual=Decimal(100), target=Decimal(95))
    assert revenue.score == 96
    assert collection.score.quantize(Decimal("0.01")) == Decimal("97.78")
    assert visits.score.quantize(Decimal("0.01")) == Decimal("93.33")
    assert timeliness.score == 100  # capped
    assert kpi_total_score([revenue, collection, visits, timeliness]) == Decimal("96.56")


def test_lower_is_better_kpis_score_target_over_actual():
    assert kpi_score(Decimal(4), Decimal(2), higher_is_better=False) == 50
    assert kpi_score(Decimal(1), Decimal(2), higher_is_better=False) == 100
    assert kpi_score(Decimal(0), Decimal(2), higher_is_better=False) == 100
    assert kpi_score(Decimal(150), Decimal(100), cap=Decimal(120)) == 120


# -- minimum rating (issue 14 item 6: ratings feed award eligibility) -------------


def _rated(minimum: str, *people):
    period = facts(*people, rating_labels=("S", "A", "B", "C"))
    lines = PerformanceBonus.calculate(
        period, settings_for(PerformanceBonus, minimum_rating=minimum), context()
    )
    return amounts(lines), why_zero(lines)


def test_a_minimum_rating_pays_those_at_or_above_it_and_explains_the_zero_below_it():
    rated_a = person(1, level="core", kpi_score="93.2", target=500_000, booked_revenue=480_000,
                     rating="A")  # fmt: skip
    rated_b = person(2, level="core", kpi_score="93.2", target=500_000, booked_revenue=480_000,
                     rating="B")  # fmt: skip
    rated_c = person(3, level="core", kpi_score="93.2", target=500_000, booked_revenue=480_000,
                     rating="C")  # fmt: skip
    unrated = person(4, level="core", kpi_score="93.2", target=500_000, booked_revenue=480_000)
    paid_out, why = _rated("B", rated_a, rated_b, rated_c, unrated)
    assert paid_out == {1: D("9216.00"), 2: D("9216.00"), 3: D("0.00"), 4: D("0.00")}
    assert set(why) == {3, 4}
    assert "rating C is below the plan's minimum rating B" in why[3]
    assert "0.00" in why[3]
    assert "no rating for the period" in why[4]


def test_without_a_minimum_rating_ratings_do_not_matter():
    rated_c = person(3, level="core", kpi_score="93.2", target=500_000, booked_revenue=480_000,
                     rating="C")  # fmt: skip
    assert _rated("", rated_c)[0] == {3: D("9216.00")}


def test_a_minimum_the_company_does_not_use_pays_no_one_and_says_why():
    rated_s = person(1, level="core", kpi_score="99", target=100, booked_revenue=100, rating="S")
    paid_out, why = _rated("A+", rated_s)
    assert paid_out == {1: D("0.00")}
    assert "minimum rating A+" in why[1]
