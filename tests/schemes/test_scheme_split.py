"""Largest-remainder split: the parts always add up to the pool."""

from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jili.schemes import exact_shares, split_largest_remainder


def test_excess_pool_example_splits_200k_by_600k_to_500k():
    parts = split_largest_remainder(Decimal("200000.00"), {"A": 600_000, "B": 500_000, "C": 0})
    assert parts == {"A": Decimal("109090.91"), "B": Decimal("90909.09"), "C": Decimal("0.00")}


def test_profit_sharing_example_splits_400k_three_two_one():
    parts = split_largest_remainder(Decimal("400000"), {1: 3, 2: 2, 3: 1})
    assert list(parts.values()) == [Decimal("200000.00"), Decimal("133333.33"), Decimal("66666.67")]


def test_one_cent_among_three_goes_to_one_person_by_key_order():
    assert split_largest_remainder(Decimal("0.01"), {3: 1, 1: 1, 2: 1}) == {
        1: Decimal("0.01"),
        2: Decimal("0.00"),
        3: Decimal("0.00"),
    }


def test_a_claw_back_is_split_the_same_way():
    parts = split_largest_remainder(Decimal("-100.00"), {1: 1, 2: 1, 3: 1})
    assert sum(parts.values()) == Decimal("-100.00")
    assert sorted(parts.values()) == [Decimal("-33.34"), Decimal("-33.33"), Decimal("-33.33")]


def test_yen_have_no_minor_unit():
    parts = split_largest_remainder(Decimal("100"), {1: 1, 2: 2}, places=0)
    assert parts == {1: Decimal("33"), 2: Decimal("67")}


@pytest.mark.parametrize(
    "pool, weights",
    [(Decimal("1.005"), {1: 1}), (Decimal("10"), {1: 0, 2: 0}), (Decimal("10"), {1: -1, 2: 2})],
)
def test_unsplittable_pools_are_refused(pool, weights):
    with pytest.raises(ValueError):
        split_largest_remainder(pool, weights)


pools = st.integers(min_value=-(10**12), max_value=10**12).map(
    lambda cents: Decimal(cents).scaleb(-2)
)
weight_values = st.one_of(
    st.integers(min_value=0, max_value=10**9),
    st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False),
)
weight_maps = st.dictionaries(
    st.integers(min_value=1, max_value=10_000), weight_values, min_size=1, max_size=40
).filter(lambda w: any(v > 0 for v in w.values()))


@given(pools, weight_maps)
def test_a_split_always_sums_exactly_to_its_pool(pool, weights):
    assert sum(split_largest_remainder(pool, weights).values()) == pool


@given(pools, weight_maps)
def test_each_part_is_within_one_cent_of_its_exact_share(pool, weights):
    parts = split_largest_remainder(pool, weights)
    exact = exact_shares(pool, weights)
    for key, part in parts.items():
        assert abs(Fraction(part) - exact[key]) < Fraction(1, 100)


@given(pools, weight_maps, st.randoms())
def test_shuffling_people_changes_nothing(pool, weights, rnd: random.Random):
    items = list(weights.items())
    rnd.shuffle(items)
    assert split_largest_remainder(pool, dict(items)) == split_largest_remainder(pool, weights)


@given(pools, weight_maps)
def test_the_same_inputs_give_the_same_split(pool, weights):
    assert split_largest_remainder(pool, weights) == split_largest_remainder(pool, dict(weights))


@given(pools, weight_maps)
def test_a_zero_weight_never_receives_anything(pool, weights):
    parts = split_largest_remainder(pool, weights)
    assert all(parts[k] == 0 for k, w in weights.items() if w == 0)
