"""Splitting a pool among people so the parts add up exactly to the pool.

Largest-remainder (Hamilton) method, in the currency's minor units: everyone
first gets the whole minor units of their exact share, then the units left
over go one each to the largest fractional remainders. Each part is within
one minor unit of its exact share and the parts sum to the pool, always.
Shares are computed with ``Fraction``, so no rounding happens before the end.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from decimal import Decimal
from fractions import Fraction
from math import floor
from typing import TypeVar

from .lines import quantize

K = TypeVar("K", bound=Hashable)
Weight = Decimal | Fraction | int


def split_largest_remainder(
    pool: Decimal, weights: Mapping[K, Weight], places: int = 2
) -> dict[K, Decimal]:
    """Split ``pool`` in proportion to ``weights``.

    ``pool`` must already be in whole minor units (round it first); it may be
    negative (a claw-back is split the same way). Weights are ≥ 0 and not all
    zero. Ties between equal remainders go to the larger weight, then to the
    smaller key, so the result never depends on the order of ``weights``.
    Returns a dict in key order.
    """
    if pool != quantize(pool, places):
        raise ValueError(f"pool {pool} is not in whole minor units of {places} places")
    shares = {k: Fraction(w) for k, w in weights.items()}
    if any(w < 0 for w in shares.values()):
        raise ValueError("weights must not be negative")
    total = sum(shares.values(), Fraction(0))
    if total == 0:
        raise ValueError("nothing to split by: all weights are zero")

    units = int(pool.scaleb(places))
    sign, units = (-1 if units < 0 else 1), abs(units)
    exact = {k: units * w / total for k, w in shares.items()}
    parts = {k: floor(e) for k, e in exact.items()}
    left = units - sum(parts.values())
    by_remainder = sorted(parts, key=lambda k: (-(exact[k] - parts[k]), -shares[k], k))
    for k in by_remainder[:left]:
        parts[k] += 1
    return {k: quantize(Decimal(sign * parts[k]).scaleb(-places), places) for k in sorted(parts)}


def exact_shares(pool: Decimal, weights: Mapping[K, Weight]) -> dict[K, Fraction]:
    """The unrounded share of each key (for explanations and tests)."""
    total = sum((Fraction(w) for w in weights.values()), Fraction(0))
    return {k: Fraction(pool) * Fraction(w) / total for k, w in weights.items()}
