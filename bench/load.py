"""``make bench`` (load part): the pages under load, through gunicorn, with 1,000 tenants.

    python bench/load.py [--tenants 1000] [--people 10000] [--transactions 200000]
                         [--duration 60] [--concurrency 4] [--out bench/RESULTS-load.md]

Builds (or reuses, see ``--cache-dir``) a SQLite database: the benchmark's company
("bench", bench/generate.py, with its quarter moved to today's and logins as in
bench/web.py) as the largest tenant, its quarter calculated (so it has a run page and
statements), and ``--tenants - 1`` small companies of ``--small-people`` people each,
bulk-inserted with the same generator. Then starts gunicorn with deploy/gunicorn.conf.py
on a loopback port and drives load (bench/loadgen.py: closed loops, ``--concurrency``
connections, ``--duration`` seconds per route) against ``/healthz`` (the trivial route
of the same app) and, as the logged-in members of the largest tenant, the staff home,
a statement, the manager home and the run page. Writes p50 / p95 / throughput / errors
and the ratios to the trivial route to ``--out``. Never a timed test.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import generate as company  # bench/generate.py, beside this script
import loadgen
import web

ROOT = Path(__file__).resolve().parents[1]
# Change when what build() makes or the schema changes: the cache key holds it.
GENERATOR_VERSION = 3
TARGET_P95 = 0.050
TARGET_SHARE = 0.30


def cache_path(args) -> Path:
    quarter = web.current_quarter(datetime.now(ZoneInfo("Asia/Shanghai")).date())[0]
    key = f"v{GENERATOR_VERSION}-{args.tenants}t-{args.people}p-{args.transactions}x-{quarter}"
    return Path(args.cache_dir) / f"load-{key}.sqlite3"


# -- build -------------------------------------------------------------------------


def build(path: Path, args) -> dict:
    """The database at ``path`` (made in a side file, renamed when complete)."""
    started = time.perf_counter()
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    url = f"sqlite:///{partial}"
    made = web.generate_with_logins(url, args.people, args.transactions)
    made.update(_calculate(url))
    made["small"] = _small_tenants(url, args.tenants - 1, args.small_people, args.small_deals)
    made["build_seconds"] = round(time.perf_counter() - started, 1)
    path.with_suffix(".json").write_text(json.dumps(made), encoding="utf-8")
    # One self-contained file (its WAL folded in), written under its final name last.
    src, dst = sqlite3.connect(partial), sqlite3.connect(path.with_name(path.name + ".copy"))
    src.backup(dst)
    dst.execute("PRAGMA journal_mode=DELETE")
    dst.close()
    src.close()
    os.replace(path.with_name(path.name + ".copy"), path)
    for leftover in partial.parent.glob(partial.name + "*"):
        leftover.unlink()
    return made


def _calculate(url: str) -> dict:
    """Calculate the largest tenant's quarter: a run page and statements to open."""
    from sqlalchemy import select

    from jili.accounts.models import Tenant
    from jili.extensions import db
    from jili.incentives.engine.runs import calculate_period
    from jili.org.models import Person
    from jili.periods.models import Period
    from jili.tenancy import bound_tenant

    app = company.app_for(url)
    with app.app_context():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "bench"))
        with bound_tenant(tenant.id):
            period = db.session.scalar(select(Period).where(Period.tenant_id == tenant.id))
            started = time.perf_counter()
            run = calculate_period(tenant, period, confirm=True)
            seconds = time.perf_counter() - started
            staff = db.session.scalar(
                select(Person).where(Person.tenant_id == tenant.id, Person.user_id.is_not(None))
                .where(Person.level == "core")
            )  # fmt: skip
            return {"period_id": period.id, "run_id": run.id, "staff_person_id": staff.id,
                    "calc_seconds": round(seconds, 1)}  # fmt: skip


def _small_tenants(url: str, count: int, people: int, deals: int) -> dict:
    """``count`` small companies, each with its quarter, teams, people, targets, sales
    and one plan per scheme — bench/generate.py's bulk inserts, a commit per 50."""
    from jili.accounts.models import Tenant
    from jili.extensions import db
    from jili.tenancy import bound_tenant

    app = company.app_for(url)
    rnd = random.Random(11)
    now = datetime.now(UTC)
    with app.app_context():
        for n in range(count):
            tenant = Tenant(slug=f"small-{n + 1:04d}", name=f"小公司{n + 1}")
            db.session.add(tenant)
            db.session.flush()
            t = tenant.id
            with bound_tenant(t):
                period, groups = company._period_and_teams(t, people)
                conn = db.session.connection()
                ids, region_of, _new = company._people(conn, t, people, groups)
                company._targets_and_metrics(conn, t, period.id, ids, groups, rnd)
                company._sales(conn, t, ids, region_of, deals, rnd, now)
                company._plans_and_budget(t, period.id)
                db.session.flush()
            if n % 50 == 49:
                db.session.commit()
        db.session.commit()
        with db.engine.connect() as c:
            c.exec_driver_sql("ANALYZE")
            c.commit()
    return {"tenants": count, "people": people, "deals": deals}


# -- serve and measure -------------------------------------------------------------


def serve(db_path: Path, port: int, log: Path) -> subprocess.Popen:
    env = dict(os.environ)
    env.update(
        JILI_SQLALCHEMY_DATABASE_URI=f"sqlite:///{db_path}",
        JILI_SECRET_KEY="bench-load",
        JILI_BIND=f"127.0.0.1:{port}",
        PYTHONPATH=os.pathsep.join([str(ROOT / "platform"), str(ROOT / "plugins")]),
    )
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    proc = subprocess.Popen(
        [gunicorn, "-c", str(ROOT / "deploy" / "gunicorn.conf.py")],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).read()
            return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"gunicorn stopped: see {log}") from None
            time.sleep(0.5)
    stop(proc)
    raise SystemExit(f"gunicorn did not answer on port {port} within 120 s: see {log}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def routes(made: dict) -> list[tuple[str, str, str | None]]:
    """(what, path, login) — the trivial route first."""
    return [
        ("trivial: /healthz", "/healthz", None),
        ("staff home", "/t/bench/", "staff"),
        ("statement (a salesperson's, opened by the owner)",
         f"/t/bench/periods/{made['period_id']}/statements/{made['staff_person_id']}", "owner"),
        ("manager home (a group of about 100)", "/t/bench/", "manager"),
        ("run page (owner)", f"/t/bench/runs/{made['run_id']}", "owner"),
        ("a small logged-in page (feedback settings, owner)", "/t/bench/feedback/settings", "owner"),
    ]  # fmt: skip


def measure(port: int, made: dict, concurrency: int, duration: float) -> list[loadgen.Outcome]:
    base = f"http://127.0.0.1:{port}"
    cookies = {}
    outcomes = []
    for name, path, who in routes(made):
        if who and who not in cookies:
            cookies[who] = loadgen.login(base, f"{who}@bench.example", web.PASSWORD)
        cookie = cookies.get(who)
        loadgen.drive("127.0.0.1", port, name, path, cookie, concurrency=1, duration=0)  # warm
        print(f"  {name}: {concurrency} connections for {duration:g} s …", flush=True)
        outcomes.append(
            loadgen.drive("127.0.0.1", port, name, path, cookie,
                          concurrency=concurrency, duration=duration)
        )  # fmt: skip
    return outcomes


def profile(db_path: Path, made: dict, outcomes: list[loadgen.Outcome], top: int = 2) -> dict:
    """cProfile of one request to each of the ``top`` slowest routes (by p50), in this
    process through the Flask test client on the same database, after the load and
    after one unprofiled request (templates compiled, caches warm, as in a worker)."""
    import cProfile
    import io
    import pstats

    app = company.app_for(f"sqlite:///{db_path}")
    who = {name: login for name, _path, login in routes(made)}
    out = {}
    slowest = sorted(outcomes[1:], key=lambda o: o.quantile(0.5), reverse=True)[:top]
    for o in slowest:
        client = app.test_client()
        web._login(client, f"{who[o.name]}@bench.example")
        client.get(o.path, headers={"Accept-Language": "zh-CN"})  # warm: templates compiled
        profiler = cProfile.Profile()
        profiler.enable()
        client.get(o.path, headers={"Accept-Language": "zh-CN"})
        profiler.disable()
        buf = io.StringIO()
        stats = pstats.Stats(profiler, stream=buf).sort_stats("cumulative")
        stats.print_stats(r"/jili/|/jili_|templates/", 22)  # Jili's own code and templates
        text = buf.getvalue().replace(f"{ROOT}/", "")
        out[o.name] = "\n".join(line for line in text.splitlines() if line.strip())
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/load.py", description=__doc__.split("\n")[0])
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--transactions", type=int, default=200_000)
    parser.add_argument("--small-people", type=int, default=12)
    parser.add_argument("--small-deals", type=int, default=60)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--port", type=int, default=int(os.environ.get("JILI_BENCH_PORT", 5150)))
    parser.add_argument("--cache-dir", default="/tmp/jili-bench-load")
    parser.add_argument("--profile", type=int, default=2, help="profile the N slowest routes")
    parser.add_argument("--out", default=str(ROOT / "bench" / "RESULTS-load.md"))
    args = parser.parse_args(argv)

    import load_report

    path = cache_path(args)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        made = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        made["cached"] = True
        print(f"reusing {path}", flush=True)
    else:
        print(f"building {path} (1 large + {args.tenants - 1} small tenants) …", flush=True)
        made = build(path, args)
        made["cached"] = False
    proc = serve(path, args.port, path.with_suffix(".gunicorn.log"))
    made["load_before"] = os.getloadavg()
    try:
        outcomes = measure(args.port, made, args.concurrency, args.duration)
    finally:
        stop(proc)
    made["load_after"] = os.getloadavg()
    profiles = profile(path, made, outcomes, args.profile) if args.profile else {}
    text = load_report.report(outcomes, made, args, profiles)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(text)
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
