"""The web benchmark (bench/web.py, part of ``make bench``) runs end to end on a tiny
company and writes its results file: every role's home page answered 200 with its
charts. Only that it works is checked here — its timings are for the results file,
never for a test."""

from __future__ import annotations

import os
import subprocess
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
    out = tmp_path / "RESULTS-web.md"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    subprocess.run(
        [sys.executable, str(Path(ROOT) / "bench" / "web.py"), "--people", "120",
         "--transactions", "1500", "--repeat", "1", "--out", str(out),
         "--database-url", f"sqlite:///{tmp_path / 'bench.sqlite3'}"],
        check=True, capture_output=True, text=True, env=env, cwd=ROOT,
    )  # fmt: skip
    text = out.read_text(encoding="utf-8")
    for words in ("staff: one salesperson", "manager of a group", "manager of a region", "owner"):
        assert f"| {words}" in text, words
    rows = [line for line in text.splitlines() if line.startswith("| manager of a group")]
    assert rows and int(rows[0].split("|")[6]) >= 4  # ranking, region, product line, budget
    assert "## Verdict" in text and "## Profile of the slowest page" in text


def test_the_benchmark_quarter_is_todays():
    from web import current_quarter

    assert current_quarter(date(2026, 12, 1)) == ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31))
    assert current_quarter(date(2027, 2, 28)) == ("2027-Q1", date(2027, 1, 1), date(2027, 3, 31))
    assert current_quarter(date(2027, 5, 2))[2] == date(2027, 6, 30)
