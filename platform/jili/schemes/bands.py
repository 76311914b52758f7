"""Bands: a value (attainment, score) picks one row of a table.

Boundaries are explicit: a band "from 120" covers ≥ 120 % up to, not
including, the next band's start. Comparisons against a target are made by
multiplication (``actual × 100 ≥ from × target``), never after a rounded
division, so a value exactly on a boundary always lands in the upper band.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from jili.schemes.lines import fmt_number, fmt_pct

HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class Band:
    """One row: ``from_pct`` (inclusive) up to ``until_pct`` (exclusive, None =
    no upper end), and the band's ``value`` (a rate in %, a coefficient…)."""

    index: int
    from_pct: Decimal
    until_pct: Decimal | None
    value: Decimal

    def describe(self, percent: bool = True) -> str:
        """``"≥ 120 %"`` or ``"0 % – < 120 %"``; ``percent=False`` for scores
        (``"80 – < 90"``)."""
        show = fmt_pct if percent else fmt_number
        if self.until_pct is None:
            return f"≥ {show(self.from_pct)}"
        return f"{show(self.from_pct)} – < {show(self.until_pct)}"


def make_bands(rows: Iterable[Mapping], value_name: str) -> tuple[Band, ...]:
    """Bands from validated settings rows (``BandsField``), lowest first."""
    rows = list(rows)
    starts = [Decimal(r["from_pct"]) for r in rows]
    return tuple(
        Band(
            index=i,
            from_pct=starts[i],
            until_pct=starts[i + 1] if i + 1 < len(rows) else None,
            value=Decimal(r[value_name]),
        )
        for i, r in enumerate(rows)
    )


def band_for_percent(bands: tuple[Band, ...], percent: Decimal) -> Band:
    """The band a value given in percent (a score of 93.2, 96 %…) falls in;
    below the first start (a negative value) counts as the first band."""
    chosen = bands[0]
    for band in bands:
        if percent >= band.from_pct:
            chosen = band
    return chosen


def band_for_ratio(bands: tuple[Band, ...], actual: Decimal, target: Decimal) -> Band:
    """The band of the attainment ``actual / target`` (``target`` > 0), exactly."""
    if target <= 0:
        raise ValueError("a band by attainment needs a positive target")
    chosen = bands[0]
    for band in bands:
        if actual * HUNDRED >= band.from_pct * target:
            chosen = band
    return chosen
