"""Seconds per phase of the last calculation in this process (for the benchmark)."""

from __future__ import annotations

import time

#: Seconds per phase of the last calculation in this process (for ``make bench``).
LAST_TIMINGS: dict[str, float] = {}


def phase(name: str, started: float) -> float:
    """Add the time since ``started`` to phase ``name``; return the time now."""
    now = time.perf_counter()
    LAST_TIMINGS[name] = LAST_TIMINGS.get(name, 0.0) + now - started
    return now
