"""``make bench``: one period for many people and transactions, all six schemes.

    python bench/run.py [--people 10000] [--transactions 1000000]
                         [--database-url URL] [--out bench/RESULTS.md]

Generates a tenant (bench/generate.py: teams, people with targets and KPI
values, newcomers with mentors, profit, one-off awards, six plans, one quarter
of sales with some split credits and refunds), then, in a fresh process,
measures:

- the bare SQL aggregate over those transactions: one GROUP BY person on the
  covering index, best and median of 5;
- the whole calculation (``jili.incentives.engine.calculate_period``: facts, six
  schemes, budget, storing the run and its lines), best and median of 3;
- the peak resident memory of that process (ru_maxrss), and the baseline
  before calculating.

Figures are compared as ratios within the one run (the machine is noisy) and
written with the machine's description to the results file; a cProfile of one
calculation is appended. Targets: calculation ≤ 3× the bare aggregate, peak
memory ≤ 500 MB.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from generate import QUARTER, app_for, generate  # bench/generate.py, beside this script

TARGET_RATIO = 3.0
MEMORY_LIMIT_MB = 500


# -- measure ---------------------------------------------------------------------


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _current_rss_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return _rss_mb()


def measure(url: str) -> dict:
    from sqlalchemy import select, text

    from jili.accounts.models import Tenant
    from jili.extensions import db
    from jili.incentives.engine import calculate_period, run_lines
    from jili.periods.models import Period
    from jili.tenancy import bound_tenant

    app = app_for(url)
    out: dict = {}
    with app.app_context():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "bench"))
        with bound_tenant(tenant.id):
            period = db.session.scalar(
                select(Period).where(Period.tenant_id == tenant.id, Period.label == QUARTER[0])
            )
            bare_sql = text(
                "SELECT person_id, SUM(amount) FROM sales_credit "
                "WHERE tenant_id = :t AND deal_date BETWEEN :s AND :e GROUP BY person_id"
            )
            params = {"t": tenant.id, "s": period.start_date, "e": period.end_date}
            out["load_before"] = os.getloadavg()
            bare, bare_cpu = [], []
            for _ in range(5):
                started, cpu = time.perf_counter(), time.process_time()
                rows = db.session.execute(bare_sql, params).all()
                bare.append(time.perf_counter() - started)
                bare_cpu.append(time.process_time() - cpu)
            out["bare_rows"] = len(rows)
            out["bare_plan"] = _query_plan(db, bare_sql, params)
            out["baseline_rss_mb"] = round(_current_rss_mb(), 1)
            calc, calc_cpu = [], []
            run = None
            for _ in range(3):
                db.session.expire_all()
                period = db.session.get(Period, period.id)
                started, cpu = time.perf_counter(), time.process_time()
                run = calculate_period(tenant, period, confirm=True)
                calc.append(time.perf_counter() - started)
                calc_cpu.append(time.process_time() - cpu)
            out["peak_rss_mb"] = round(_rss_mb(), 1)
            out["load_after"] = os.getloadavg()
            from jili.incentives.engine.timings import LAST_CPU, LAST_TIMINGS

            out["phases"] = dict(LAST_TIMINGS)
            out["phases_cpu"] = dict(LAST_CPU)
            out["lines"] = run.line_count
            out["run_total"] = str(run.total)
            out["budget"] = run.budget
            per_scheme: dict[str, int] = {}
            for line in run_lines(run):
                per_scheme[line.scheme_key] = per_scheme.get(line.scheme_key, 0) + 1
            out["lines_per_scheme"] = per_scheme
            profiler = cProfile.Profile()
            period = db.session.get(Period, period.id)
            profiler.enable()
            calculate_period(tenant, period, confirm=True)
            profiler.disable()
            buf = io.StringIO()
            pstats.Stats(profiler, stream=buf).sort_stats("cumulative").print_stats(25)
            out["profile"] = buf.getvalue()
    out["bare_best"], out["bare_median"] = min(bare), statistics.median(bare)
    out["calc_best"], out["calc_median"] = min(calc), statistics.median(calc)
    out["ratio_best"] = out["calc_best"] / out["bare_best"]
    out["ratio_median"] = out["calc_median"] / out["bare_median"]
    out["bare_cpu"], out["calc_cpu"] = statistics.median(bare_cpu), statistics.median(calc_cpu)
    out["ratio_cpu"] = out["calc_cpu"] / out["bare_cpu"] if out["bare_cpu"] else None
    return out


def build_facts(url: str) -> dict:
    """The generator writes credits with raw SQL, behind the session's facts
    upkeep: build the facts table once, as ``jili facts rebuild`` does."""
    from sqlalchemy import func, select

    from jili.accounts.models import Tenant
    from jili.extensions import db
    from jili.inputs.models import SalesFact
    from jili.inputs.services import facts
    from jili.tenancy import bound_tenant

    app = app_for(url)
    with app.app_context():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "bench"))
        with bound_tenant(tenant.id):
            started = time.perf_counter()
            facts.rebuild(db.session(), tenant.id)
            db.session.commit()
            seconds = time.perf_counter() - started
            rows = db.session.scalar(select(func.count()).select_from(SalesFact))
    return {"fact_rows": rows, "facts_seconds": round(seconds, 1)}


def _query_plan(db, sql, params) -> str:
    from sqlalchemy import text

    conn = db.session.connection()
    if conn.dialect.name == "sqlite":
        rows = conn.execute(text("EXPLAIN QUERY PLAN " + sql.text), params).all()
        return "; ".join(str(r[-1]) for r in rows)
    rows = conn.execute(text("EXPLAIN " + sql.text), params).all()
    return " / ".join(r[0].strip() for r in rows)


# -- report ----------------------------------------------------------------------


def machine() -> dict:
    import sqlite3

    info = {
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()} {platform.machine()}",
        "cpus": os.cpu_count(),
        "sqlite": sqlite3.sqlite_version,
    }
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            info["memory"] = f.readline().split(":", 1)[1].strip()
    except OSError:
        pass
    return info


def report(data: dict, generated: dict, url: str) -> str:
    ok_time = data["ratio_median"] <= TARGET_RATIO
    ok_mem = data["peak_rss_mb"] <= MEMORY_LIMIT_MB
    dialect = url.split(":", 1)[0].split(" ", 1)[0].split("+", 1)[0]
    lines = [
        "# Benchmark: one period, all six schemes",
        "",
        f"Run on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `make bench` (`python bench/run.py`).",
        "",
        "## Machine",
        "",
        *(f"- {k}: {v}" for k, v in machine().items()),
        f"- database: {dialect}",
        "",
        "## Data",
        "",
        f"- {generated['people']:,} people ({generated['newcomers']:,} newcomers with mentors), "
        f"{generated['teams']:,} teams",
        f"- {generated['transactions']:,} transactions in {QUARTER[0]} "
        f"({generated['credits']:,} credits: 5 % split between two people, 2 % refunds)",
        "- six plans, one per scheme, all enabled; budget ceiling 5 % of revenue",
        f"- generated in {generated['generate_seconds']} s; the facts table "
        f"(`sales_fact`, by month × person × region × product line × new customer) built "
        f"from the credits in {generated.get('facts_seconds', '?')} s: "
        f"{generated.get('fact_rows', 0):,} rows",
        "",
        "## Results",
        "",
        "| measure | best | median |",
        "| --- | ---: | ---: |",
        f"| bare aggregate (GROUP BY person, covering index) | {data['bare_best']:.3f} s | {data['bare_median']:.3f} s |",
        f"| whole calculation (facts, six schemes, budget, store run) | {data['calc_best']:.3f} s | {data['calc_median']:.3f} s |",
        f"| ratio calculation / aggregate | {data['ratio_best']:.2f}× | {data['ratio_median']:.2f}× |",
        "",
        _cpu_row(data, dialect),
        f"- peak memory (ru_maxrss of the measuring process): **{data['peak_rss_mb']:.0f} MB** "
        f"(baseline before calculating {data['baseline_rss_mb']:.0f} MB)",
        f"- lines per run: {data['lines']:,} ({json.dumps(data['lines_per_scheme'], ensure_ascii=False)})",
        f"- run total: {data['run_total']}; budget: ceiling {data['budget'].get('ceiling')}, "
        f"applied {data['budget'].get('applied')}",
        f"- bare aggregate's query plan: `{data['bare_plan']}`",
        "",
        "## Verdict",
        "",
        f"- time: target ≤ {TARGET_RATIO:.0f}× the bare aggregate — "
        + (
            f"**met** ({data['ratio_median']:.2f}×)"
            if ok_time
            else f"**missed** by {data['ratio_median'] / TARGET_RATIO:.2f}× "
            f"({data['ratio_median']:.2f}× against {TARGET_RATIO:.0f}×); see the profile below"
        ),
        f"- memory: target ≤ {MEMORY_LIMIT_MB} MB — "
        + (
            f"**met** ({data['peak_rss_mb']:.0f} MB)"
            if ok_mem
            else f"**missed** by {data['peak_rss_mb'] - MEMORY_LIMIT_MB:.0f} MB"
        ),
        "",
        "## Where the time goes (last measured calculation)",
        "",
        "| phase | seconds | × bare aggregate | CPU seconds of this process |",
        "| --- | ---: | ---: | ---: |",
        *(
            f"| {name} | {sec:.3f} | {sec / data['bare_median']:.2f}× | "
            f"{data.get('phases_cpu', {}).get(name, 0.0):.3f} |"
            for name, sec in data["phases"].items()
        ),
        "",
        _analysis(data),
        "",
        "## Profile of one calculation (cProfile, cumulative, top 25)",
        "",
        "```",
        data["profile"].strip(),
        "```",
        "",
    ]
    return "\n".join(lines)


def _load(values) -> str:
    return ", ".join(f"{v:.1f}" for v in values) if values else "?"


def _cpu_row(data: dict, dialect: str) -> str:
    """The same ratio in CPU time of the measuring process (median of 5 and of 3):
    steadier than wall clock on a shared machine. On SQLite the aggregate runs in
    this process and is counted; on PostgreSQL the server's work is not."""
    if not data.get("ratio_cpu"):
        return "- CPU time: not measured"
    note = (
        "the aggregate's work runs in this process and is counted"
        if dialect == "sqlite"
        else "the server's work is not counted — the aggregate's CPU here is only receiving "
        "its rows — so on PostgreSQL read the wall-clock ratio"
    )
    return (
        f"- in CPU time of this process (medians): bare aggregate {data['bare_cpu']:.3f} s, "
        f"calculation {data['calc_cpu']:.3f} s, ratio **{data['ratio_cpu']:.2f}×** ({note})\n"
        f"- load average (1, 5, 15 min) before measuring: {_load(data.get('load_before'))}; "
        f"after the calculations: {_load(data.get('load_after'))} ({os.cpu_count()} CPUs)"
    )


def _analysis(data: dict) -> str:
    phases = data["phases"]
    facts = phases.get("facts (grouped queries)", 0.0)
    schemes = sum(v for k, v in phases.items() if k.startswith("scheme "))
    store = sum(
        phases.get(k, 0.0)
        for k in (
            "line rows (money to units, explanations to JSON)",
            "insert run and lines",
            "commit",
        )
    )
    budget = phases.get("budget ceiling", 0.0)
    fingerprint = phases.get("fingerprint", 0.0)
    bare = data["bare_median"]
    return (
        f"Reading: the facts take {facts / bare:.1f}× the bare aggregate — the sales come "
        "pre-summed from the facts table (one row per month × person × region × product "
        "line × new-customer flag instead of one per credit), then people, targets, KPI "
        "values, profit and awards, each sum an exact Decimal; the six schemes in Python "
        f"take {schemes:.2f} s for {data['lines']:,} lines, each with its explanation; the "
        f"budget ceiling {budget:.2f} s (the cut amounts only: a cut line keeps its "
        "explanation as calculated and its amount before the cut, and the cut's step is "
        f"added when the line is read); the inputs' fingerprint {fingerprint:.2f} s (hashed "
        "once, when the cut asks for confirmation); storing the run "
        f"{store:.2f} s (one bulk statement for the lines: executemany on SQLite, COPY on "
        "PostgreSQL). The cycle collector is paused during a calculation. What is left is "
        "Python per line — scheme arithmetic and explanations, their JSON — and building the "
        "facts' Python objects, spread thinly over many functions (the profile below): the "
        "lever beyond this is fewer, larger lines or a compiled scheme kernel, not SQL."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file")
    parser.add_argument("--out", default="bench/RESULTS.md")
    parser.add_argument(
        "--postgresql",
        metavar="URL",
        help="run on PostgreSQL: a new database is created through this server URL "
        "(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres) and dropped afterwards",
    )
    parser.add_argument(
        "--reuse",
        metavar="JSON",
        help="measure a database generated before (with --database-url); JSON is what "
        "its generate step printed",
    )
    parser.add_argument("--step", choices=("generate", "measure"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.step == "generate":
        generated = generate(args.database_url, args.people, args.transactions)
        generated.update(build_facts(args.database_url))
        print(json.dumps(generated))
        return 0
    if args.step == "measure":
        print(json.dumps(measure(args.database_url), default=str))
        return 0

    if args.postgresql:
        admin = args.postgresql
        name = f"jili_bench_{os.getpid()}"
        url = admin.rsplit("/", 1)[0] + "/" + name
        try:
            _pg_admin(admin, f"CREATE DATABASE {name}")
        except Exception as exc:  # no server: say so and stop
            print(f"PostgreSQL bench SKIPPED: {exc}")
            return 0
        try:
            data, generated = _run(url, args)
        finally:
            _pg_admin(admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        url = "postgresql (a new database, dropped afterwards)"
    else:
        with tempfile.TemporaryDirectory(prefix="jili-bench-") as tmp:
            url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
            data, generated = _run(url, args)
    text_out = report(data, generated, url)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text_out, encoding="utf-8")
    print(text_out.split("## Profile")[0])
    print(f"written to {out}")
    return 0


def _pg_admin(url: str, sql: str) -> None:
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True, connect_timeout=3) as conn:
        conn.execute(sql)


def _run(url: str, args) -> tuple[dict, dict]:
    common = [sys.executable, str(Path(__file__).resolve()), "--database-url", url]
    if args.reuse:
        generated = json.loads(Path(args.reuse).read_text().strip().splitlines()[-1])
        return _measure(common), generated
    print(f"generating {args.people:,} people and {args.transactions:,} transactions …", flush=True)
    gen = subprocess.run(
        [*common, "--step", "generate", "--people", str(args.people),
         "--transactions", str(args.transactions)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    generated = json.loads(gen.stdout.strip().splitlines()[-1])
    print(
        f"generated in {generated['generate_seconds']} s; measuring in a fresh process …",
        flush=True,
    )
    return _measure(common), generated


def _measure(common: list[str]) -> dict:
    meas = subprocess.run([*common, "--step", "measure"], capture_output=True, text=True)
    if meas.returncode:
        sys.stderr.write(meas.stderr)
        meas.check_returncode()
    return json.loads(meas.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    sys.exit(main())
