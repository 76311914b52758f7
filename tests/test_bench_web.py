"""The web benchmark (bench/web.py, part of ``make bench``) runs end to end on a tiny
company and writes its results file: every role's home page answered 200 with its
charts. Only that it works is checked here — its timings are for the results file,
never for a test."""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path

import pytest

from jili import ROOT

sys.path.insert(0, str(Path(ROOT) / "bench"))


@pytest.mark.skipif(
    bool(os.environ.get("JILI_TEST_DATABASE_URL")),
    reason="the benchmark makes its own SQLite database: run once, in the SQLite pass",
)
def test_the_web_benchmark_runs_and_reports_every_role(tmp_path):
    import web

    url = f"sqlite:///{tmp_path / 'bench.sqlite3'}"
    made = web.generate_with_logins(url, 120, 1500)
    data = web.measure(url, 1, warm_up=False, profile=False)
    text = web.report(data, made, "sqlite", 1)
    for words in ("staff: one salesperson", "manager of a group", "manager of a region", "owner"):
        assert f"| {words}" in text, words
    assert data["pages"]["manager"]["charts"] >= 4  # ranking, region, product line, budget
    assert data["pages"]["staff"]["bytes"] > 0 and made["seen"]["staff"] == 1
    assert "## Verdict" in text and "## Profile of the slowest page" in text
    assert web.measure.__kwdefaults__ == {"warm_up": True, "profile": True}  # make bench's


def test_the_benchmark_quarter_is_todays():
    from web import current_quarter

    assert current_quarter(date(2026, 12, 1)) == ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31))
    assert current_quarter(date(2027, 2, 28)) == ("2027-Q1", date(2027, 1, 1), date(2027, 3, 31))
    assert current_quarter(date(2027, 5, 2))[2] == date(2027, 6, 30)
