"""Budget ceiling (成本可控): scale proportionally or by plan priority."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from jili.schemes import BudgetPolicy, BudgetRule, Explanation, PayoutLine, apply_budget


def line(person_id: int, amount, plan: str = "commission") -> PayoutLine:
    return PayoutLine(person_id, Decimal(amount), "s", plan, Explanation("x"))


LINES = [
    line(1, "6000.00", "commission"),
    line(2, "3000.00", "commission"),
    line(1, "1000.00", "bonus"),
    line(3, "2000.00", "bonus"),
]


def test_a_ceiling_as_sum_or_percent_of_revenue_takes_the_lower():
    policy = BudgetPolicy(amount=Decimal(10_000), pct_of_revenue=Decimal(2))
    assert policy.ceiling(Decimal(400_000)) == Decimal("8000.00")
    assert policy.ceiling(Decimal(1_000_000)) == Decimal("10000.00")
    assert BudgetPolicy().ceiling(Decimal(1_000_000)) is None


def test_above_150_percent_of_target_ten_percent_more_budget_is_released():
    policy = BudgetPolicy(
        amount=Decimal(10_000), release_from_attainment_pct=Decimal(150), release_pct=Decimal(10)
    )
    assert policy.ceiling(Decimal(0), attainment=Decimal("1.49")) == Decimal("10000.00")
    assert policy.ceiling(Decimal(0), attainment=Decimal("1.5")) == Decimal("11000.00")


def test_under_the_ceiling_nothing_changes():
    outcome = apply_budget(LINES, Decimal(12_000))
    assert not outcome.applied and outcome.lines == LINES


def test_proportional_scaling_adds_up_exactly_to_the_ceiling():
    outcome = apply_budget(LINES, Decimal("10000.00"), BudgetRule.PROPORTIONAL)
    assert outcome.applied and outcome.total_before == Decimal("12000.00")
    assert [x.amount for x in outcome.lines] == [
        Decimal("5000.00"),
        Decimal("2500.00"),
        Decimal("833.33"),
        Decimal("1666.67"),
    ]
    assert outcome.total_after == Decimal("10000.00")
    assert "budget ceiling" in outcome.lines[0].explanation.arithmetic[-1]


def test_by_priority_the_first_plan_is_paid_in_full_and_the_next_one_cut():
    outcome = apply_budget(
        LINES, Decimal(10_000), BudgetRule.PRIORITY, plan_priority={"commission": 1, "bonus": 2}
    )
    assert [x.amount for x in outcome.lines] == [
        Decimal("6000.00"),
        Decimal("3000.00"),
        Decimal("333.33"),
        Decimal("666.67"),
    ]
    outcome = apply_budget(
        LINES, Decimal(2_000), BudgetRule.PRIORITY, plan_priority={"bonus": 1, "commission": 2}
    )
    assert [x.amount for x in outcome.lines] == [
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("666.67"),
        Decimal("1333.33"),
    ]


def test_claw_backs_are_not_scaled_and_make_room():
    lines = [line(1, "1000.00"), line(2, "-200.00")]
    outcome = apply_budget(lines, Decimal(500))
    assert [x.amount for x in outcome.lines] == [Decimal("700.00"), Decimal("-200.00")]


cents = st.integers(min_value=1, max_value=10**9).map(lambda c: Decimal(c).scaleb(-2))


@given(
    st.lists(st.tuples(cents, st.sampled_from(["a", "b", "c"])), min_size=1, max_size=30),
    cents,
    st.sampled_from(list(BudgetRule)),
)
def test_a_cut_budget_always_lands_exactly_on_the_ceiling_and_never_raises_a_line(
    rows, ceiling, rule
):
    lines = [line(i, amount, plan) for i, (amount, plan) in enumerate(rows)]
    outcome = apply_budget(lines, ceiling, rule, plan_priority={"a": 1, "b": 2})
    if outcome.applied:
        assert outcome.total_after == ceiling
    else:
        assert outcome.total_after <= ceiling
    assert all(new.amount <= old.amount for new, old in zip(outcome.lines, lines, strict=True))
