"""Mainland China's public holidays and make-up working days (调休), per year.

2025 and 2026 follow the State Council General Office's notices (published in
November 2024 and November 2025). 2027's notice was not known when this was
written: its rows are the statutory holidays only (元旦, 春节 including 除夕,
清明, 劳动节, 端午, 中秋, 国庆 by the 2025 rules), without bridging days or
make-up working days — a company checks them against the notice once it is out.
"""

from __future__ import annotations

from datetime import date, timedelta

#: years whose rows come from the official notice
OFFICIAL = frozenset({2025, 2026})
#: years with statutory days only (no official notice yet)
PROVISIONAL = frozenset({2027})

# (first day, last day, holiday code) — holidays; make-up working days separately.
_HOLIDAYS: dict[int, list[tuple[str, str, str]]] = {
    2025: [
        ("2025-01-01", "2025-01-01", "new_year"),
        ("2025-01-28", "2025-02-04", "spring_festival"),
        ("2025-04-04", "2025-04-06", "qingming"),
        ("2025-05-01", "2025-05-05", "labour_day"),
        ("2025-05-31", "2025-06-02", "dragon_boat"),
        ("2025-10-01", "2025-10-08", "national_day"),
    ],
    2026: [
        ("2026-01-01", "2026-01-03", "new_year"),
        ("2026-02-15", "2026-02-23", "spring_festival"),
        ("2026-04-04", "2026-04-06", "qingming"),
        ("2026-05-01", "2026-05-05", "labour_day"),
        ("2026-06-19", "2026-06-21", "dragon_boat"),
        ("2026-09-25", "2026-09-27", "mid_autumn"),
        ("2026-10-01", "2026-10-07", "national_day"),
    ],
    2027: [
        ("2027-01-01", "2027-01-01", "new_year"),
        ("2027-02-05", "2027-02-08", "spring_festival"),
        ("2027-04-05", "2027-04-05", "qingming"),
        ("2027-05-01", "2027-05-02", "labour_day"),
        ("2027-06-09", "2027-06-09", "dragon_boat"),
        ("2027-09-15", "2027-09-15", "mid_autumn"),
        ("2027-10-01", "2027-10-03", "national_day"),
    ],
}
_MAKE_UP: dict[int, list[tuple[str, str]]] = {
    2025: [
        ("2025-01-26", "spring_festival"),
        ("2025-02-08", "spring_festival"),
        ("2025-04-27", "labour_day"),
        ("2025-09-28", "national_day"),
        ("2025-10-11", "national_day"),
    ],
    2026: [
        ("2026-01-04", "new_year"),
        ("2026-02-14", "spring_festival"),
        ("2026-02-28", "spring_festival"),
        ("2026-05-09", "labour_day"),
        ("2026-09-20", "national_day"),
        ("2026-10-10", "national_day"),
    ],
    2027: [],
}
YEARS = tuple(sorted(_HOLIDAYS))


def days(year: int) -> list[tuple[date, bool, str]]:
    """(day, working, holiday code) for ``year``, in date order; [] for an unknown year."""
    out: list[tuple[date, bool, str]] = []
    for first, last, code in _HOLIDAYS.get(year, []):
        d, end = date.fromisoformat(first), date.fromisoformat(last)
        while d <= end:
            out.append((d, False, code))
            d += timedelta(days=1)
    out.extend((date.fromisoformat(d), True, code) for d, code in _MAKE_UP.get(year, []))
    return sorted(out)
