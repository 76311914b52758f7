"""Special awards (专项奖励): over-target bonus, one-off awards, attainment award."""

from __future__ import annotations

from decimal import Decimal

import pytest
from scheme_kit import amounts, context, facts, paid, person, settings_for, why_zero

from jili.schemes import OneOffAward, SchemeInputError
from jili_special_awards import SpecialAwards

NO_ATTAINMENT_AWARD = {"attainment_award_enabled": False}


def pay(*people, awards=(), **settings) -> dict[int, Decimal]:
    lines = SpecialAwards.calculate(
        facts(*people, one_off_awards=tuple(awards)),
        settings_for(SpecialAwards, **settings),
        context(),
    )
    return amounts(lines)


def test_fifteen_percent_over_a_1m_target_pays_3000():
    assert pay(person(1, target=1_000_000, booked_revenue=1_150_000), **NO_ATTAINMENT_AWARD) == {
        1: Decimal("3000.00")
    }


def lines_of(*people, **settings):
    return SpecialAwards.calculate(
        facts(*people), settings_for(SpecialAwards, **settings), context()
    )


def test_eight_percent_over_pays_nothing_and_says_why():
    lines = lines_of(person(1, target=1_000_000, booked_revenue=1_080_000), **NO_ATTAINMENT_AWARD)
    assert amounts(lines) == {1: Decimal("0.00")}
    assert why_zero(lines)[1].startswith("Attainment 108 % (sales 1,080,000.00 against target")
    assert "> 110 %" in why_zero(lines)[1]


def test_exactly_ten_percent_over_is_not_more_than_ten_percent():
    lines = lines_of(person(1, target=1_000_000, booked_revenue=1_100_000), **NO_ATTAINMENT_AWARD)
    assert not paid(lines) and "110 %" in why_zero(lines)[1]


def test_a_strategic_client_award_within_range_is_paid_with_its_reason():
    award = OneOffAward(
        1, "strategic_client", Decimal(12_000), "Signed 华为 framework deal", "王总"
    )
    lines = SpecialAwards.calculate(
        facts(person(1), one_off_awards=(award,)), SpecialAwards.default_settings(), context()
    )
    (line,) = lines
    assert (line.amount, line.component) == (Decimal("12000.00"), "one_off:strategic_client")
    assert "Signed 华为 framework deal" in line.explanation.text()


@pytest.mark.parametrize(
    "award, field",
    [
        (OneOffAward(1, "strategic_client", Decimal(4_999), "too small"), "amount"),
        (OneOffAward(1, "strategic_client", Decimal(20_001), "too big"), "amount"),
        (OneOffAward(1, "strategic_client", Decimal(6_000), "  "), "reason"),
        (OneOffAward(1, "golden_handshake", Decimal(6_000), "unknown kind"), "kind"),
    ],
)
def test_a_one_off_award_outside_its_rules_fails_the_run_loudly(award, field):
    assert field in SpecialAwards.one_off_errors(award, SpecialAwards.default_settings())
    with pytest.raises(SchemeInputError):
        pay(person(1), awards=[award])


def test_eighty_percent_attainment_earns_ten_percent_of_monthly_salary():
    assert pay(
        person(1, target=100, booked_revenue=80, base_salary=12_000), over_target_enabled=False
    ) == {1: Decimal("1200.00")}
    lines = lines_of(person(1, target=100, booked_revenue="79.99", base_salary=12_000))
    assert not paid(lines) and "≥ 80 %" in why_zero(lines)[1]


def test_a_minimum_rating_withholds_the_awards_below_it_and_says_why_but_not_one_offs():
    """Issue 14 item 6: ratings feed award eligibility where the plan says so."""
    rated = {
        1: person(1, target=1_000_000, booked_revenue=1_150_000, rating="A"),
        2: person(2, target=1_000_000, booked_revenue=1_150_000, rating="C"),
        3: person(3, target=1_000_000, booked_revenue=1_150_000),
    }
    award = OneOffAward(2, "strategic_client", Decimal("5000"), "大单")
    period = facts(*rated.values(), one_off_awards=(award,), rating_labels=("S", "A", "B", "C"))
    settings = settings_for(SpecialAwards, minimum_rating="B", **NO_ATTAINMENT_AWARD)
    lines = SpecialAwards.calculate(period, settings, context())
    assert amounts(lines) == {1: Decimal("3000.00"), 2: Decimal("5000.00"), 3: Decimal("0.00")}
    assert "there is no rating for the period" in why_zero(lines)[3]
    alone = SpecialAwards.calculate(
        facts(rated[2], rating_labels=("S", "A", "B", "C")), settings, context()
    )
    assert why_zero(alone)[2].startswith("Rating C is below the plan's minimum rating B")
