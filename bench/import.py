"""``make bench-import``: a 1,000,000-row transactions CSV through the real import
path against raw ``executemany`` of the same rows.

    python bench/import.py [--rows 1000000] [--people 10000]
                           [--postgresql URL] [--out bench/RESULTS-import.md]

Generates a tenant of ``--people`` people (bench/generate.py, no sales) and a
CSV of ``--rows`` deals on disk (5 % split between two people, 2 % refunds),
then measures, each in a fresh child process (so one's peak memory does not
pollute the other's; ``ru_maxrss`` of that child):

- **floor**: read the CSV with :mod:`csv`, map employee numbers to ids, and
  ``executemany`` the rows into ``sales_transaction`` and ``sales_credit`` in
  batches of 5,000, one transaction (no checks, no facts, no job);
- **real**: a logged-in owner posts the file to ``/t/bench/transactions/import``
  (werkzeug spools it to disk, the handler copies it to the job's folder and
  queues the job), and the job runs in the same process — huey's immediate
  mode, as the tests drive jobs, so the time is the upload handler and the
  worker function (:func:`jili.jobs.services.runners.run`) end to end.

Between the two the tenant's sales and facts are deleted (not timed). Targets:
real ≤ 2× the floor, peak memory ≤ 500 MB. A cProfile of the job on a smaller
file (``--profile-rows``) is appended.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import json
import pstats
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from generate import QUARTER, REGIONS, app_for, generate  # bench/generate.py

TARGET_RATIO = 2.0
MEMORY_LIMIT_MB = 500
HEADER = (
    "external_id,deal_date,employee_no,customer,product_line,region,amount,"
    "collected_amount,margin,new_customer,strategic,credits\n"
)
PASSWORD = "bench-import-password-1"


def write_csv(path: Path, rows: int, people: int, seed: int = 11) -> int:
    """The deals file; returns its size in bytes."""
    rnd = random.Random(seed)
    _label, start, end = QUARTER
    days = (end - start).days + 1
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(HEADER)
        for n in range(rows):
            who = rnd.randrange(people)
            day = start + timedelta(days=rnd.randrange(days))
            cents = rnd.randint(100_000, 5_000_000)
            if n % 50 == 0:
                cents = -cents // 4
            amount = Decimal(cents).scaleb(-2)
            collected = Decimal(cents * 9 // 10).scaleb(-2)
            margin = Decimal(cents // 4).scaleb(-2)
            split = ""
            if n % 20 == 0 and people > 1:
                split = f"E{who:06d}:50;E{(who + 1) % people:06d}:50"
            f.write(
                f"I{n:08d},{day.isoformat()},E{who:06d},客户{n % 5000},"
                f"{('设备', '耗材', '服务')[n % 3]},{REGIONS[who % 4]},{amount},{collected},"
                f"{margin},{'yes' if n % 7 == 0 else 'no'},no,{split}\n"
            )
    return path.stat().st_size


# -- the two measurements (each in its own child process) ------------------------------


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _floor_sql(mark: str) -> tuple[str, str]:
    return (
        "INSERT INTO sales_transaction (tenant_id, id, external_id, deal_date, "
        "person_id, customer, product_line, region, amount, collected_amount, margin, "
        f"new_customer, strategic, row_hash, imported_at) VALUES ({', '.join([mark] * 15)})",
        "INSERT INTO sales_credit (tenant_id, transaction_id, person_id, share_bp, "
        "deal_date, region, product_line, amount, collected_amount, margin) VALUES "
        f"({', '.join([mark] * 10)})",
    )


def floor(url: str, path: Path) -> dict:
    """Raw executemany of the file's rows, one transaction."""
    from sqlalchemy import select, text

    from jili.accounts.models import Tenant
    from jili.extensions import db
    from jili.org.models import Person
    from jili.tenancy import bound_tenant

    app = app_for(url)
    with app.app_context():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "bench"))
        t = tenant.id
        with bound_tenant(t):
            started = time.perf_counter()
            conn = db.session.connection()
            pg = conn.dialect.name == "postgresql"
            mark = "%s" if pg else "?"
            people = dict(
                db.session.execute(
                    select(Person.employee_no, Person.id).where(Person.tenant_id == t)
                ).all()
            )
            next_id = conn.execute(text("SELECT coalesce(max(id), 0) FROM sales_transaction"))
            next_id = next_id.scalar() + 1
            txn_sql, credit_sql = _floor_sql(mark)
            now = "2026-01-01 00:00:00.000000"
            txns, shares, rows = [], [], 0
            with open(path, encoding="utf-8", newline="") as f:
                reader = csv.reader(f)
                next(reader)
                for (
                    ext,
                    day,
                    seller,
                    cust,
                    product,
                    region,
                    amt,
                    coll,
                    mar,
                    new,
                    strat,
                    cr,
                ) in reader:
                    d = date.fromisoformat(day) if pg else day
                    a, c, m = (int(Decimal(v).scaleb(2)) for v in (amt, coll, mar))
                    pid = people[seller]
                    txns.append(
                        (t, next_id, ext, d, pid, cust, product, region, a, c, m)
                        + (new == "yes", strat == "yes", "", now)
                    )
                    if cr:
                        (n1, _s1), (n2, _s2) = (part.split(":") for part in cr.split(";"))
                        half = a // 2
                        shares.append(
                            (t, next_id, people[n1], 5000, d, region, product, a - half, 0, 0)
                        )
                        shares.append(
                            (t, next_id, people[n2], 5000, d, region, product, half, 0, 0)
                        )
                    else:
                        shares.append((t, next_id, pid, 10000, d, region, product, a, c, m))
                    next_id += 1
                    rows += 1
                    if len(txns) >= 5000:
                        conn.exec_driver_sql(txn_sql, txns)
                        conn.exec_driver_sql(credit_sql, shares)
                        txns, shares = [], []
            if txns:
                conn.exec_driver_sql(txn_sql, txns)
                conn.exec_driver_sql(credit_sql, shares)
            db.session.commit()
            seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": rows, "peak_rss_mb": round(_peak_mb(), 1)}


def _client(app):
    """A test client logged in as the tenant's owner (CSRF off for the bench)."""
    from sqlalchemy import select

    from jili.accounts.models import Membership, Role, Tenant, User
    from jili.accounts.passwords import hash_password
    from jili.extensions import db
    from jili.tenancy import bound_tenant

    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "bench"))
    user = db.session.scalar(select(User).where(User.email == "owner@bench.example"))
    if user is None:
        user = User(email="owner@bench.example", name="基准", password_hash=hash_password(PASSWORD))
        db.session.add(user)
        db.session.commit()
        with bound_tenant(tenant.id):
            db.session.add(Membership(tenant_id=tenant.id, user_id=user.id, role=Role.OWNER))
            db.session.commit()
    client = app.test_client()
    resp = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert resp.status_code == 302, resp.text
    return client


def real(url: str, path: Path, profile: bool = False) -> dict:
    """The upload handler, the job and its worker function, in this process."""
    from sqlalchemy import select

    from jili.extensions import db
    from jili.jobs.models import Job
    from jili.tenancy import all_tenants

    app = app_for(url)
    files_dir = tempfile.mkdtemp(prefix="jili-bench-jobs-")
    app.config.update(WTF_CSRF_ENABLED=False, HUEY_IMMEDIATE=True, JOB_FILES_DIR=files_dir)
    app.config["JOB_IMPORT_MIN_ROWS"] = 1  # (a small --rows goes through the job too)
    from jili.jobs import queue

    queue.configure(app)
    with app.app_context():
        client = _client(app)
        profiler = cProfile.Profile() if profile else None
        started = time.perf_counter()
        with open(path, "rb") as f:
            if profiler:
                profiler.enable()
            resp = client.post(
                "/t/bench/transactions/import",
                data={"file": (f, "deals.csv")},
                headers={"Accept-Language": "en"},
            )
            if profiler:
                profiler.disable()
        seconds = time.perf_counter() - started
        assert resp.status_code == 303, resp.text[:2000]
        db.session.remove()
        with all_tenants():
            job = db.session.scalar(select(Job).order_by(Job.id.desc()))
        out = {
            "seconds": seconds,
            "status": job.status.value,
            "result": job.result,
            "peak_rss_mb": round(_peak_mb(), 1),
        }
    if profiler:
        buf = io.StringIO()
        stats = pstats.Stats(profiler, stream=buf)
        stats.sort_stats("cumulative").print_stats(r"jili|sqlite3|psycopg", 30)
        stats.sort_stats("tottime").print_stats(20)
        out["profile"] = buf.getvalue()
    return out


def reset(url: str) -> None:
    """Delete the tenant's sales and facts (between measurements, not timed)."""
    from sqlalchemy import text

    from jili.extensions import db

    app = app_for(url)
    with app.app_context():
        with db.engine.connect() as c:
            for table in ("sales_fact", "sales_credit", "sales_transaction"):
                c.execute(text(f"DELETE FROM {table}"))
            c.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM" if c.dialect.name == "sqlite" else "VACUUM ANALYZE")


# -- driving ---------------------------------------------------------------------


def _child(url: str, step: str, *extra: str) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--database-url", url, "--step", step]
    done = subprocess.run([*cmd, *extra], capture_output=True, text=True)
    if done.returncode:
        sys.stderr.write(done.stderr[-5000:])
        done.check_returncode()
    return json.loads(done.stdout.strip().splitlines()[-1])


def _step(args) -> int:
    url = args.database_url
    if args.step == "generate":
        out = generate(url, args.people, 0)
    elif args.step == "floor":
        out = floor(url, Path(args.file))
    elif args.step == "real":
        out = real(url, Path(args.file), profile=args.profile)
    else:
        reset(url)
        out = {}
    print(json.dumps(out, default=str))
    return 0


def measure(url: str, args, work: Path) -> dict:
    print(f"generating {args.people:,} people …", flush=True)
    data: dict = {"generated": _child(url, "generate", "--people", str(args.people))}
    path = work / "deals.csv"
    data["file_mb"] = round(write_csv(path, args.rows, args.people) / 2**20, 1)
    print(f"{args.rows:,} rows, {data['file_mb']} MB; the floor …", flush=True)
    data["floor"] = _child(url, "floor", "--file", str(path))
    _child(url, "reset")
    print(f"floor {data['floor']['seconds']:.1f} s; the real path …", flush=True)
    data["real"] = _child(url, "real", "--file", str(path))
    _child(url, "reset")
    print(f"real {data['real']['seconds']:.1f} s; a profile on a smaller file …", flush=True)
    small = work / "small.csv"
    write_csv(small, args.profile_rows, args.people, seed=12)
    data["profile_rows"] = args.profile_rows
    data["profile"] = _child(url, "real", "--file", str(small), "--profile")
    _child(url, "reset")
    data["ratio"] = data["real"]["seconds"] / data["floor"]["seconds"]
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/import.py", description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--profile-rows", type=int, default=100_000)
    parser.add_argument("--out", default="bench/RESULTS-import.md")
    parser.add_argument(
        "--postgresql",
        metavar="URL",
        help="run on this PostgreSQL database, in a schema of its own (jili_bench_import, "
        "dropped before and after)",
    )
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--profile", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.step:
        return _step(args)
    with tempfile.TemporaryDirectory(prefix="jili-bench-import-") as tmp:
        work = Path(tmp)
        if args.postgresql:
            schema = "jili_bench_import"
            _pg(args.postgresql, f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")
            sep = "&" if "?" in args.postgresql else "?"
            url = f"{args.postgresql}{sep}options=-csearch_path%3D{schema}"
            try:
                data = measure(url, args, work)
            finally:
                _pg(args.postgresql, f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            where = f"PostgreSQL (schema {schema} of the given database, dropped afterwards)"
        else:
            url = f"sqlite:///{work / 'bench.sqlite3'}"
            data = measure(url, args, work)
            where = "SQLite (a new file)"
    from report_import import report  # bench/report_import.py

    text_out = report(data, args, where)
    out = Path(args.out)
    out.write_text(text_out, encoding="utf-8")
    print(text_out.split("## Profile")[0])
    print(f"written to {out}")
    return 0


def _pg(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(
        url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
    ) as c:
        c.execute(sql)


if __name__ == "__main__":
    sys.exit(main())
