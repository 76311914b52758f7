"""Tiered commission (阶梯提成): DOMAIN.md §3 examples, to the cent."""

from __future__ import annotations

from decimal import Decimal

from scheme_kit import amounts, context, facts, person, settings_for, why_zero

from jili.schemes import SalesSlice
from jili_tiered_commission import TieredCommission

SELLER = person(1, target=500_000, booked_revenue=650_000, collected_cash=400_000, margin=130_000)


def pay(*people, **settings) -> dict[int, Decimal]:
    lines = TieredCommission.calculate(
        facts(*people), settings_for(TieredCommission, **settings), context()
    )
    return amounts(lines)


def test_whole_amount_tiers_pay_11700_on_650k_against_500k():
    assert pay(SELLER, mode="whole") == {1: Decimal("11700.00")}


def test_marginal_tiers_pay_8100_on_650k_against_500k():
    assert pay(SELLER, mode="marginal") == {1: Decimal("8100.00")}


def test_the_explanation_shows_each_slice_of_the_marginal_arithmetic():
    (line,) = TieredCommission.calculate(
        facts(SELLER), settings_for(TieredCommission, mode="marginal"), context("plan-7")
    )
    assert line.plan_key == "plan-7" and line.scheme_key == "tiered_commission"
    assert line.explanation.arithmetic[-1] == "600,000.00 × 1.2 % + 50,000.00 × 1.8 % = 8,100.00"
    assert line.explanation.inputs["attainment"] == "130 %"
    assert "130 %" in line.explanation.text()


def test_exactly_120_percent_is_in_the_upper_band():
    at_120 = person(1, target=500_000, booked_revenue=600_000)
    assert pay(at_120, mode="whole") == {1: Decimal("10800.00")}  # 600,000 × 1.8 %
    assert pay(at_120, mode="marginal") == {1: Decimal("7200.00")}  # all in the 1.2 % slice


def test_collected_cash_basis_is_measured_against_the_revenue_target_by_default():
    assert pay(SELLER, basis="collected") == {1: Decimal("4800.00")}  # 80 % → 400,000 × 1.2 %


def test_margin_basis_uses_the_margin_target():
    seller = person(1, booked_revenue=650_000, margin=130_000, margin_target=100_000)
    assert pay(seller, basis="margin") == {1: Decimal("2340.00")}  # 130 % → 130,000 × 1.8 %


def test_attainment_cap_stops_the_basis_counting():
    assert pay(SELLER, mode="whole", attainment_cap_pct="110") == {1: Decimal("6600.00")}


def test_region_and_product_coefficients_scale_the_payout_by_sales_mix():
    seller = person(
        1,
        target=500_000,
        booked_revenue=650_000,
        slices=(
            SalesSlice("华东", "star", booked_revenue=Decimal(400_000)),
            SalesSlice("西北", "long-tail", booked_revenue=Decimal(250_000)),
        ),
    )
    paid = pay(
        seller,
        mode="whole",
        region_coefficients={"西北": "1.2"},
        product_coefficients={"star": "1.1"},
    )
    # 1.8 % × (400,000 × 1.1 + 250,000 × 1.2) = 1.8 % × 740,000
    assert paid == {1: Decimal("13320.00")}


def test_refunds_above_sales_claw_back_at_the_first_rate():
    refunder = person(1, target=500_000, booked_revenue=-10_000)
    assert pay(refunder, mode="marginal") == {1: Decimal("-120.00")}
    assert pay(refunder, mode="whole") == {1: Decimal("-120.00")}


def test_people_without_target_or_sales_get_a_zero_that_says_so():
    lines = TieredCommission.calculate(
        facts(person(1), person(2, booked_revenue=1000)),
        settings_for(TieredCommission),
        context(),
    )
    assert amounts(lines) == {1: Decimal("0.00"), 2: Decimal("12.00")}
    assert why_zero(lines)[1].startswith("No target and no sales")


def test_attainment_below_the_first_paying_band_is_named():
    bands = [{"from_pct": "0", "rate_pct": "0"}, {"from_pct": "80", "rate_pct": "2"}]
    for mode in ("whole", "marginal"):
        lines = TieredCommission.calculate(
            facts(person(1, target=100_000, booked_revenue=78_000)),
            settings_for(TieredCommission, mode=mode, bands=bands),
            context(),
        )
        assert amounts(lines) == {1: Decimal("0.00")}
        assert "Attainment 78 %" in why_zero(lines)[1]
        assert "below the first paying band, 80 %" in why_zero(lines)[1]


def test_each_line_is_rounded_half_up_at_the_end():
    assert pay(person(1, target=1000, booked_revenue="0.42")) == {1: Decimal("0.01")}  # 0.00504
    assert pay(person(1, target=1000, booked_revenue="1.25")) == {1: Decimal("0.02")}  # 0.015
