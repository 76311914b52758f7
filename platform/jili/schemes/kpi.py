"""KPI scores (DOMAIN.md §2): one score per KPI, a weighted total per person.

Score = min(cap, actual / target × 100) when higher is better,
min(cap, target / actual × 100) when lower is better; cap 100 by default.
Total = Σ weight × score / Σ weight, rounded half-up to two decimals at the
end (the per-KPI scores are not rounded first).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from jili.schemes.lines import quantize

HUNDRED = Decimal(100)


def kpi_score(
    actual: Decimal, target: Decimal, *, higher_is_better: bool = True, cap: Decimal = HUNDRED
) -> Decimal:
    """One KPI's score, unrounded. A lower-is-better KPI at 0 (no complaints)
    scores the cap; a target must be positive."""
    if target <= 0:
        raise ValueError("a KPI target must be positive")
    if actual < 0:
        raise ValueError("a KPI actual value must not be negative")
    if higher_is_better:
        score = actual / target * HUNDRED
    elif actual == 0:
        score = cap
    else:
        score = target / actual * HUNDRED
    return min(cap, score)


@dataclass(frozen=True, slots=True)
class KpiResult:
    """One KPI of one person: its weight and the values it is scored on."""

    weight: Decimal
    actual: Decimal
    target: Decimal
    higher_is_better: bool = True
    cap: Decimal = HUNDRED

    @property
    def score(self) -> Decimal:
        return kpi_score(
            self.actual, self.target, higher_is_better=self.higher_is_better, cap=self.cap
        )


def kpi_total_score(results: Iterable[KpiResult], places: int = 2) -> Decimal:
    """Σ weight × score / Σ weight, rounded half-up to ``places``."""
    results = list(results)
    total_weight = sum((r.weight for r in results), Decimal(0))
    if total_weight <= 0:
        raise ValueError("KPI weights must add up to more than 0")
    weighted = sum((r.weight * r.score for r in results), Decimal(0))
    return quantize(weighted / total_weight, places)


#: The default rating bands (DOMAIN.md §2): label and the lowest total it takes.
DEFAULT_RATING_BANDS: tuple[tuple[str, Decimal], ...] = (
    ("S", Decimal(95)),
    ("A", Decimal(90)),
    ("B", Decimal(80)),
    ("C", Decimal(0)),
)


def rating_for(
    total: Decimal, bands: Iterable[tuple[str, Decimal]] = DEFAULT_RATING_BANDS
) -> str | None:
    """The label of the highest band whose minimum ``total`` reaches (a total on a
    band's edge takes that band); None when it is below every band."""
    for label, minimum in sorted(bands, key=lambda b: b[1], reverse=True):
        if total >= minimum:
            return label
    return None
