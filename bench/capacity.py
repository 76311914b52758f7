"""A capacity model for Jili, calibrated on the benchmark results in bench/RESULTS*.md.

    python bench/capacity.py --tenants 1000 --people 200000 --transactions-per-month 2000000

Inputs: tenants, people (all tenants together), transactions per month (all tenants),
and optionally the largest tenant's people and the months kept online. Outputs: the
database size, the month-end calculation time (largest tenant, and all tenants
together), and the nodes — web (gunicorn), job workers (huey), database (one
PostgreSQL primary, or Citus workers past a size) — with every assumption printed.
The calibration figures are read from the results files when they are there (the
numbers measured on this machine by ``make bench``); the defaults below are those files'
figures at the time of writing. A model, not a promise: re-run ``make bench`` after a
change that matters and read the results again.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent

# Defaults = bench/RESULTS.md, RESULTS-load.md (2026-12-01, 2 cores) and the size of
# bench/load.py's database (150 MB: 1,000 tenants, 210,000 transactions with their
# credits, 22,000 people, one calculated run of 60,000 lines, indexes included).
DEFAULTS = {
    "calc_seconds_per_million": 5.1,  # whole calculation, 1,000,000 transactions, SQLite
    "calc_peak_mb": 427,  # peak memory of that calculation
    "page_throughput_2cores": 5.07,  # slowest home page under load, requests/s on 2 cores
    "trivial_throughput_2cores": 129.0,  # /healthz in the same run
    "bytes_per_transaction": 700,  # transaction + its credit(s) + indexes + its share of the rest
}


def calibrate() -> tuple[dict, list[str]]:
    """The figures, from the results files where they can be read."""
    figures, sources = dict(DEFAULTS), []

    def read(name: str) -> str:
        path = BENCH / name
        return path.read_text(encoding="utf-8") if path.exists() else ""

    calc = read("RESULTS.md")
    if m := re.search(r"\| whole calculation[^|]*\| [\d.]+ s \| ([\d.]+) s \|", calc):
        n = re.search(r"([\d,]+) transactions", calc)
        million = int(n.group(1).replace(",", "")) / 1e6 if n else 1.0
        figures["calc_seconds_per_million"] = float(m.group(1)) / million
        sources.append("calculation time: bench/RESULTS.md")
    if m := re.search(r"peak memory[^*]*\*\*(\d+) MB", calc):
        figures["calc_peak_mb"] = int(m.group(1))
    load = read("RESULTS-load.md")
    rows = re.findall(
        r"^\| ([^|]+) \| [\d,]+ \| (\d+) \| [^|]+\| [^|]+\| ([\d,.]+)/s \|", load, re.M
    )
    pages = [float(t.replace(",", "")) for name, errors, t in rows
             if "home" in name and errors == "0"]  # fmt: skip
    trivial = [float(t.replace(",", "")) for name, _e, t in rows if "trivial" in name]
    if pages and trivial:
        figures["page_throughput_2cores"] = min(pages)
        figures["trivial_throughput_2cores"] = trivial[0]
        sources.append("page throughput: bench/RESULTS-load.md (slowest home page)")
    return figures, sources or ["defaults in bench/capacity.py (no results file read)"]


def model(args, f: dict) -> dict:
    months = args.months_kept
    largest = args.largest_people or max(1, args.people // max(1, args.tenants) * 10)
    largest = min(largest, args.people)
    txn_total = args.transactions_per_month * months
    db_bytes = txn_total * f["bytes_per_transaction"] + args.people * months * 6 * 250
    # Calculation: linear in the credits it reads (measured at 1,000,000).
    per_person_month = args.transactions_per_month / max(1, args.people)
    largest_quarter_txn = largest * per_person_month * 3
    calc_largest = max(0.5, f["calc_seconds_per_million"] * largest_quarter_txn / 1e6)
    calc_all_month = (
        f["calc_seconds_per_million"] * args.transactions_per_month / 1e6 + 0.5 * args.tenants
    )
    peak_mb = f["calc_peak_mb"] * max(0.2, largest_quarter_txn / 1e6)
    # Web: a share of people open the home page in the busiest hour, a few pages each.
    peak_rps = args.people * args.peak_share * args.pages_per_visit / 3600
    per_core = f["page_throughput_2cores"] / 2
    web_cores = peak_rps / (per_core * 0.7)  # 70 % utilisation at the peak
    web_nodes = max(2, math.ceil(web_cores / args.cores_per_node))  # two for failover
    worker_nodes = max(
        1, math.ceil(calc_all_month / (args.close_window_hours * 3600) / args.cores_per_node)
    )
    citus_workers = math.ceil(db_bytes / (args.gb_per_db_node * 1e9))
    return {
        "largest tenant (people)": f"{largest:,}",
        "database size": f"{db_bytes / 1e9:,.1f} GB ({months} months of transactions online)",
        "calculation, largest tenant, one quarter": f"{calc_largest:,.1f} s, peak memory ~{peak_mb:,.0f} MB",
        "calculation, every tenant's month": f"{calc_all_month / 60:,.1f} min of one core",
        "busiest-hour page requests": f"{peak_rps:,.1f}/s",
        "web nodes (gunicorn, stateless)": f"{web_nodes} × {args.cores_per_node} cores ({web_cores:,.1f} cores busy)",
        "job-worker nodes (huey)": f"{worker_nodes} × {args.cores_per_node} cores (month-end within {args.close_window_hours} h)",
        "database": (
            "one PostgreSQL primary (+ a read replica for reports)"
            if citus_workers <= 1
            else f"Citus: coordinator + {citus_workers} workers by tenant_id "
            f"(≤ {args.gb_per_db_node} GB each)"
        ),  # fmt: skip
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench/capacity.py", description=__doc__.split("\n")[0])
    p.add_argument("--tenants", type=int, default=1000)
    p.add_argument("--people", type=int, default=200_000, help="all tenants together")
    p.add_argument("--transactions-per-month", type=int, default=2_000_000)
    p.add_argument("--largest-people", type=int, default=None, help="default: 10× the mean")
    p.add_argument("--months-kept", type=int, default=36)
    p.add_argument(
        "--peak-share", type=float, default=0.5, help="people opening Jili in the busiest hour"
    )
    p.add_argument("--pages-per-visit", type=float, default=4)
    p.add_argument("--cores-per-node", type=int, default=4)
    p.add_argument("--close-window-hours", type=float, default=1.0)
    p.add_argument("--gb-per-db-node", type=int, default=500)
    args = p.parse_args(argv)
    figures, sources = calibrate()
    print("Assumptions")
    for key, value in figures.items():
        print(f"  {key}: {value:,.2f}" if isinstance(value, float) else f"  {key}: {value}")
    for s in sources:
        print(f"  source: {s}")
    print(f"  inputs: {vars(args)}")
    print(
        "  payout lines: 6 per person and month, 250 bytes each; web at 70 % of measured throughput"
    )
    print("\nEstimate")
    for key, value in model(args, figures).items():
        print(f"  {key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
