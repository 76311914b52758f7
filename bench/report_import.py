"""The results file of bench/import.py (the figures of one run, as measured)."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from run import machine  # bench/run.py

TARGET_RATIO = 2.0
MEMORY_LIMIT_MB = 500


def _verdict(value: float, limit: float, unit: str) -> str:
    if value <= limit:
        return f"met ({value:.2f}{unit} ≤ {limit:g}{unit})"
    return f"MISSED by {value - limit:.2f}{unit} ({value / limit - 1:.0%} over {limit:g}{unit})"


def report(data: dict, args, where: str) -> str:
    floor, real = data["floor"], data["real"]
    load = os.getloadavg()
    outcome = (real.get("result") or {}).get("outcome") or {}
    lines = [
        f"# Import benchmark — {where}",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `bench/import.py`; "
        f"load average at the end {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} "
        "(2 cores shared with other work: compare the ratio, not the seconds).",
        "",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in machine().items()),
        "",
        f"**{args.rows:,} rows** ({data['file_mb']} MB CSV, 5 % split credits, 2 % refunds) "
        f"for a tenant of {args.people:,} people.",
        "",
        "| | seconds | peak RSS (MB) |",
        "|---|---:|---:|",
        f"| floor: csv + raw `executemany` into sales_transaction / sales_credit "
        f"| {floor['seconds']:.1f} | {floor['peak_rss_mb']} |",
        f"| real: upload handler → job → worker function (checks, credits, facts, audit) "
        f"| {real['seconds']:.1f} | {real['peak_rss_mb']} |",
        "",
        f"- job status: {real['status']}; created {outcome.get('created')}, "
        f"credits {outcome.get('credits')}",
        f"- **ratio real / floor: {data['ratio']:.2f}×** — target ≤ {TARGET_RATIO:g}×: "
        + _verdict(data["ratio"], TARGET_RATIO, "×"),
        f"- **peak memory of the real path: {real['peak_rss_mb']} MB** — target ≤ "
        f"{MEMORY_LIMIT_MB} MB: " + _verdict(real["peak_rss_mb"], MEMORY_LIMIT_MB, " MB"),
        "",
        "The job ran in the measuring process through huey's immediate mode (as the "
        "tests drive jobs): the time is the POST of the file (werkzeug spools it to "
        "disk; the handler copies it to the job's folder) plus "
        "`jili.jobs.services.runners.run`, commit included. Each figure is one child "
        "process; peak RSS is its `ru_maxrss`.",
        "",
        f"## Profile (the job on {data['profile_rows']:,} rows, "
        f"{data['profile']['seconds']:.1f} s, by own time)",
        "",
        "```",
        data["profile"].get("profile", "").strip(),
        "```",
        "",
    ]
    return "\n".join(lines)
