"""Splitting a pool among people so the parts add up exactly to the pool.

Largest-remainder (Hamilton) method, in the currency's minor units: everyone
first gets the whole minor units of their exact share, then the units left
over go one each to the largest fractional remainders. Each part is within
one minor unit of its exact share and the parts sum to the pool, always.
Shares are computed with ``Fraction``, so no rounding happens before the end.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from decimal import Decimal
from fractions import Fraction
from math import gcd
from typing import Any, TypeVar

from jili.schemes.lines import quantize

K = TypeVar("K", bound=Hashable)
Weight = Decimal | Fraction | int


def split_largest_remainder(
    pool: Decimal,
    weights: Mapping[K, Weight],
    places: int = 2,
    *,
    tie_key: Callable[[K], Any] | None = None,
) -> dict[K, Decimal]:
    """Split ``pool`` in proportion to ``weights``.

    ``pool`` must already be in whole minor units (round it first); it may be
    negative (a claw-back is split the same way). Weights are ≥ 0 and not all
    zero. Ties between equal remainders go to the larger weight, then to the
    smaller ``tie_key(key)`` (by default the key itself), so the result never
    depends on the order of ``weights``. Keys that are database ids depend on
    creation order: pass a natural key (``PeriodFacts.person_key`` — employee
    number, then name) so an export → import moves no cent.
    Returns a dict in key order.
    """
    if pool != quantize(pool, places):
        raise ValueError(f"pool {pool} is not in whole minor units of {places} places")
    keys, ints, total = _integer_weights(weights)
    if total == 0:
        raise ValueError("nothing to split by: all weights are zero")

    units = int(pool.scaleb(places))
    sign, units = (-1 if units < 0 else 1), abs(units)
    # Exact share of k = units × w_k / total; integer floor and remainder, no Fractions.
    parts: dict = {}
    remainders: dict = {}
    for k, w in zip(keys, ints, strict=True):
        parts[k], remainders[k] = divmod(units * w, total)
    left = units - sum(parts.values())
    if left:
        weight_of = dict(zip(keys, ints, strict=True))
        tie = tie_key if tie_key is not None else _itself
        by_remainder = sorted(parts, key=lambda k: (-remainders[k], -weight_of[k], tie(k)))
        for k in by_remainder[:left]:
            parts[k] += 1
    step = Decimal(1).scaleb(-places)
    return {k: (Decimal(sign * parts[k]) * step) for k in sorted(parts)}


def _itself(key):
    return key


def _integer_weights(weights: Mapping[K, Weight]) -> tuple[list, list[int], int]:
    """The weights scaled to integers with one common factor (exact)."""
    keys = list(weights)
    values = list(weights.values())
    if any(isinstance(w, Fraction) for w in values):
        fractions = [Fraction(w) for w in values]
        denominator = 1
        for f in fractions:
            denominator = denominator * f.denominator // gcd(denominator, f.denominator)
        ints = [int(f * denominator) for f in fractions]
    else:
        decimals = [w if isinstance(w, Decimal) else Decimal(w) for w in values]
        for d in decimals:
            if not d.is_finite():
                raise ValueError("weights must be finite")
        scale = max((-d.as_tuple().exponent for d in decimals), default=0)
        scale = max(scale, 0)
        ints = [int(d.scaleb(scale)) for d in decimals]
    if any(w < 0 for w in ints):
        raise ValueError("weights must not be negative")
    return keys, ints, sum(ints)


def exact_shares(pool: Decimal, weights: Mapping[K, Weight]) -> dict[K, Fraction]:
    """The unrounded share of each key (for explanations and tests)."""
    total = sum((Fraction(w) for w in weights.values()), Fraction(0))
    return {k: Fraction(pool) * Fraction(w) / total for k, w in weights.items()}
