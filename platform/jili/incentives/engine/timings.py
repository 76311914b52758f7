"""Seconds per phase of the last calculation in this process (for the benchmark)."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager

#: Seconds per phase of the last calculation in this process (for ``make bench``).
LAST_TIMINGS: dict[str, float] = {}
#: CPU seconds of this process per phase, since the phase before it ended: on a
#: busy machine wall-clock phases swing with the neighbours, CPU time much less.
LAST_CPU: dict[str, float] = {}
_CPU_MARK = [0.0]


def start_timings() -> None:
    """A new calculation: forget the last one's phases."""
    LAST_TIMINGS.clear()
    LAST_CPU.clear()
    _CPU_MARK[0] = time.process_time()


def phase(name: str, started: float) -> float:
    """Add the time since ``started`` to phase ``name``; return the time now."""
    now = time.perf_counter()
    LAST_TIMINGS[name] = LAST_TIMINGS.get(name, 0.0) + now - started
    cpu = time.process_time()
    LAST_CPU[name] = LAST_CPU.get(name, 0.0) + cpu - _CPU_MARK[0]
    _CPU_MARK[0] = cpu
    return now


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cycle collector for one calculation.

    A calculation allocates millions of small acyclic objects (facts, lines,
    explanations, row tuples) while holding them all: each allocation burst
    triggers collections that walk every live object again, a third or more
    of the CPU at 10,000 people. Reference counting still frees everything
    acyclic at once; the few cycles made meanwhile are collected when the
    collector resumes. Nested use keeps it paused until the outermost exit;
    a collector that was already off stays off."""
    global _PAUSES
    was_enabled = gc.isenabled() if _PAUSES == 0 else _WAS_ENABLED[0]
    if _PAUSES == 0:
        _WAS_ENABLED[0] = was_enabled
    _PAUSES += 1
    gc.disable()
    try:
        yield
    finally:
        _PAUSES -= 1
        if _PAUSES == 0 and _WAS_ENABLED[0]:
            gc.enable()


_PAUSES = 0
_WAS_ENABLED = [True]
