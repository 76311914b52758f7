"""The load benchmark (bench/load.py, part of ``make bench``) runs end to end at a tiny
size: it builds its many-tenant database, serves it with gunicorn and the deploy
config, logs in, drives every route and writes its results file; a second run reuses
the cached database. Only that it works is checked — timings belong in the results
file, never in a test."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest

from jili import ROOT

sys.path.insert(0, str(Path(ROOT) / "bench"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(
    bool(os.environ.get("JILI_TEST_DATABASE_URL")),
    reason="the benchmark makes its own SQLite database: run once, in the SQLite pass",
)
def test_the_load_benchmark_runs_at_a_tiny_size(tmp_path, monkeypatch):
    import load

    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([str(ROOT / "platform"), str(ROOT / "plugins")])
    )
    out = tmp_path / "RESULTS-load.md"
    args = ["--tenants", "3", "--people", "30", "--transactions", "300", "--duration", "0.3",
            "--concurrency", "2", "--port", str(_free_port()), "--cache-dir", str(tmp_path / "cache"),
            "--out", str(out)]  # fmt: skip
    assert load.main(args) == 0
    text = out.read_text(encoding="utf-8")
    routes = ("trivial: /healthz", "staff home", "statement", "manager home", "run page",
              "a small logged-in page")  # fmt: skip
    for route in routes:
        assert f"| {route}" in text, route
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert len(rows) == 6
    assert "load average (1 / 5 / 15 min)" in text
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert int(cells[1].replace(",", "")) >= 1, row  # requests answered
        assert cells[2] == "0", row  # errors
    assert "3 tenants" in text and "## Verdict" in text and "built in" in text
    assert load.main(args) == 0  # the cached database is reused
    assert "reused from the cache" in out.read_text(encoding="utf-8")
