"""``make bench`` (web part): the home pages at 10,000 people, through the real app.

    python bench/web.py [--people 10000] [--transactions 200000]
                        [--database-url URL | --postgresql SERVER_URL] [--out bench/RESULTS-web.md]

Generates the benchmark's company (bench/generate.py) with its quarter moved to the
quarter of today, so the home pages have a current period to show, and adds logins:
a salesperson, the manager of one group (about 100 people), the manager of a region
(about 2,500 people: their team is the region, every group under it is theirs) and
the owner. Then, in a fresh process, each one logs in through the login form and
opens the home page (``/t/bench/``) once to warm up and ``--repeat`` times measured,
counting the SQL statements of a request. A cProfile of the slowest page is appended.

Target (DOMAIN: a home page people open every morning): the median answer within
``TARGET_SECONDS`` for every role. Timings are wall-clock on a shared machine; they
belong in this results file, never in a test.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import io
import json
import pstats
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import generate as company  # bench/generate.py, beside this script
from web_analysis import ANALYSIS  # bench/web_analysis.py, beside this script


def _bench_run():
    """bench/run.py, by its path: a bare ``import run`` may find tests/run.py first."""
    spec = importlib.util.spec_from_file_location(
        "jili_bench_run", Path(__file__).with_name("run.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_BENCH_RUN = _bench_run()
_pg_admin, machine = _BENCH_RUN._pg_admin, _BENCH_RUN.machine  # the same machine description

TARGET_SECONDS = 1.0
SIM_TARGET_SECONDS = 0.3
PASSWORD = "bench-home-pages-9"
ROLES = (
    # (key, words for the report, membership role)
    ("staff", "staff: one salesperson", "staff"),
    ("manager", "manager of a group", "manager"),
    ("region", "manager of a region", "manager"),
    ("owner", "owner: setup, due, cost", "owner"),
)


def current_quarter(today: date) -> tuple[str, date, date]:
    q = (today.month - 1) // 3
    start = date(today.year, 3 * q + 1, 1)
    end = date(today.year + (q == 3), 1 if q == 3 else 3 * q + 4, 1)
    return f"{today.year}-Q{q + 1}", start, date.fromordinal(end.toordinal() - 1)


# -- generate --------------------------------------------------------------------


def generate_with_logins(url: str, people: int, transactions: int) -> dict:
    company.QUARTER = current_quarter(datetime.now(ZoneInfo("Asia/Shanghai")).date())
    made = company.generate(url, people, transactions)
    made["quarter"] = company.QUARTER[0]
    _advance_sequences(url)
    _build_facts(url)  # the generator writes credits past the facts table's upkeep
    made["seen"] = _logins(url)
    return made


def _advance_sequences(url: str) -> None:
    """PostgreSQL: the generator inserts rows with their ids, past the sequences;
    move each to its table's highest id so the logins' rows get new ones."""
    if not url.startswith("postgresql"):
        return
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as conn:
        for table in ("person", "team", "period", "sales_transaction", "sales_credit"):
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
    engine.dispose()


def _build_facts(url: str) -> None:
    """Sum the generated credits into the facts table, as ``jili facts rebuild``
    does: the generator's bulk inserts bypass the session that keeps it."""
    from sqlalchemy import select

    from jili.accounts.models import Tenant
    from jili.extensions import db
    from jili.inputs.services import facts
    from jili.tenancy import bound_tenant

    with company.app_for(url).app_context():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "bench"))
        with bound_tenant(tenant.id):
            facts.rebuild(db.session(), tenant.id)
            db.session.commit()


def _logins(url: str) -> dict[str, int]:
    """A login per role, linked to its person; returns how many people each sees."""
    from sqlalchemy import func, select

    from jili.accounts.models import Membership, Role, Tenant, User
    from jili.accounts.passwords import hash_password
    from jili.extensions import db
    from jili.org import visibility
    from jili.org.models import Level, Person, Team
    from jili.tenancy import bound_tenant

    app = company.app_for(url)
    pw = hash_password(PASSWORD)
    seen = {}

    def people_count(tenant_id: int) -> int:
        return db.session.scalar(select(func.count(Person.id)).where(Person.tenant_id == tenant_id))

    with app.app_context():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "bench"))
        with bound_tenant(tenant.id):
            region = db.session.scalar(
                select(Team).where(Team.tenant_id == tenant.id, Team.parent_id.is_(None))
            )
            boss = Person(
                tenant_id=tenant.id,
                employee_no="R0001",
                name="大区经理",
                level=Level.MANAGER,
                team_id=region.id,
            )
            db.session.add(boss)
            db.session.flush()
            group_manager = db.session.scalar(
                select(Person).where(Person.tenant_id == tenant.id, Person.level == Level.MANAGER)
                .order_by(Person.employee_no)
            )  # fmt: skip
            salesperson = db.session.scalar(
                select(Person).where(Person.tenant_id == tenant.id, Person.level == Level.CORE)
                .order_by(Person.employee_no).offset(people_count(tenant.id) // 20)
            )  # fmt: skip
            people = {"staff": salesperson, "manager": group_manager, "region": boss, "owner": None}
            for key, _words, role in ROLES:
                user = User(email=f"{key}@bench.example", name=key, password_hash=pw)
                db.session.add(user)
                db.session.flush()
                db.session.add(Membership(tenant_id=tenant.id, user_id=user.id, role=Role(role)))
                person = people[key]
                if key == "staff":
                    person.user_id, seen[key] = user.id, 1
                elif person is not None:
                    person.user_id = user.id
                    seen[key] = len(visibility.team_people(person)) + 1
                else:
                    seen[key] = people_count(tenant.id)
            db.session.commit()
    return seen


# -- measure ---------------------------------------------------------------------


def _login(client, email: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    resp = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    if resp.status_code != 302:
        raise SystemExit(f"login of {email} failed: {resp.status_code}")


def measure(url: str, repeat: int, *, warm_up: bool = True, profile: bool = True) -> dict:
    from sqlalchemy import event

    from jili.extensions import db

    app = company.app_for(url)
    out: dict = {"pages": {}}
    statements = [0]
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a: _count(statements))
    slowest = (0.0, None)
    for key, _words, _role in ROLES:
        client = app.test_client()
        _login(client, f"{key}@bench.example")
        first = None
        if warm_up:  # the first request: a new inputs stamp calculates the company part
            started = time.perf_counter()
            client.get("/t/bench/")
            first = time.perf_counter() - started
        times, size = [], 0
        for _ in range(repeat):
            statements[0] = 0
            started = time.perf_counter()
            resp = client.get("/t/bench/", headers={"Accept-Language": "zh-CN"})
            times.append(time.perf_counter() - started)
            if resp.status_code != 200:
                raise SystemExit(f"{key}: home answered {resp.status_code}")
            size = len(resp.data)
        out["pages"][key] = {
            "best": min(times),
            "median": statistics.median(times),
            "statements": statements[0],
            "bytes": size,
            "charts": resp.get_data(as_text=True).count("<svg"),
            "first": first,
        }
        if statistics.median(times) > slowest[0]:
            slowest = (statistics.median(times), (key, client))
    out["simulator"] = _simulator(app, repeat, statements)
    out["alert_list"] = _alert_list(app, repeat, statements)
    key, client = slowest[1]
    out["profile_of"], out["profile"] = key, "(not profiled)"
    if not profile:
        return out
    profiler = cProfile.Profile()
    profiler.enable()
    client.get("/t/bench/", headers={"Accept-Language": "zh-CN"})
    profiler.disable()
    buf = io.StringIO()
    # our own frames only: the framework's wrappers would fill the top 25
    pstats.Stats(profiler, stream=buf).sort_stats("cumulative").print_stats("jili|templates", 25)
    out["profile"] = "\n".join(line for line in buf.getvalue().splitlines() if line.strip())
    return out


#: The simulator requests measured: (key, words, query). The salesperson's own
#: simulator (every plan of theirs stacked), after the home pages have calculated
#: the company part of the period: the first request draws this person's curves;
#: then the slider moves along the 10 % steps (curves cached per inputs stamp);
#: then to a value off the steps (one more point per plan, once).
SIMULATOR = (
    ("sim_first", "simulator: a person's first request", ""),
    ("sim_step", "simulator: slider on a 10 % step", "?attainment=120"),
    ("sim_off", "simulator: slider off the steps, first time", "?attainment=87"),
)


def _simulator(app, repeat: int, statements: list[int]) -> dict:
    client = app.test_client()
    _login(client, "staff@bench.example")
    out = {}
    for key, _words, query in SIMULATOR:
        runs = 1 if key != "sim_step" else repeat
        times = []
        for _ in range(runs):
            statements[0] = 0
            started = time.perf_counter()
            resp = client.get(f"/t/bench/simulator{query}", headers={"Accept-Language": "zh-CN"})
            times.append(time.perf_counter() - started)
            if resp.status_code != 200:
                raise SystemExit(f"{key}: simulator answered {resp.status_code}")
        out[key] = {
            "best": min(times),
            "median": statistics.median(times),
            "statements": statements[0],
            "bytes": len(resp.data),
            "charts": resp.get_data(as_text=True).count("<svg"),
        }
    return out


def _alert_list(app, repeat: int, statements: list[int]) -> dict | None:
    """The region manager's whole under-70 % list, page 1 (50 names): the home page
    shows the 20 lowest and links to it. None when the home shows no such link."""
    client = app.test_client()
    _login(client, "region@bench.example")
    home = client.get("/t/bench/").get_data(as_text=True)
    found = re.search(r"/t/bench/home/team/\d+/under-70", home)
    if found is None:
        return None
    times = []
    for _ in range(repeat):
        statements[0] = 0
        started = time.perf_counter()
        resp = client.get(found.group(0), headers={"Accept-Language": "zh-CN"})
        times.append(time.perf_counter() - started)
        if resp.status_code != 200:
            raise SystemExit(f"alert list answered {resp.status_code}")
    return {
        "best": min(times),
        "median": statistics.median(times),
        "statements": statements[0],
        "bytes": len(resp.data),
        "charts": 0,
    }


def _count(box: list[int]) -> None:
    box[0] += 1


# -- report ----------------------------------------------------------------------


def _row(words: str, seen: int, p: dict, owner: float, target: float, first=None):
    """One table row and its verdict line."""
    ok = p["median"] <= target
    first_text = f"{first:.3f} s" if first is not None else "–"
    row = (
        f"| {words} | {seen:,} | {first_text} | {p['best']:.3f} s | {p['median']:.3f} s "
        f"| {p['median'] / owner:.1f}× | {p['statements']} | {p['charts']} "
        f"| {p['bytes'] / 1024:.0f} KB |"
    )
    against = "" if target == TARGET_SECONDS else f" against {target} s"
    verdict = (
        f"- {words}: "
        + ("**met**" if ok else "**missed**")
        + f"{against} ({p['median']:.3f} s"
        + ("" if ok else f", {p['median'] / target:.1f}× the target")
        + ")"
    )
    return row, verdict


def _rows_and_verdicts(data: dict, made: dict) -> tuple[list[str], list[str]]:
    owner = data["pages"]["owner"]["median"]
    out = [
        _row(words, made["seen"][key], data["pages"][key], owner, TARGET_SECONDS,
             data["pages"][key].get("first"))
        for key, words, _role in ROLES
    ]  # fmt: skip
    if data.get("alert_list") is not None:
        words = "manager of a region: the whole under-70 % list, page 1"
        out.append(_row(words, made["seen"]["region"], data["alert_list"], owner, TARGET_SECONDS))
    for key, words, _query in SIMULATOR:
        p = data.get("simulator", {}).get(key)
        if p is not None:
            out.append(_row(words, 1, p, owner, SIM_TARGET_SECONDS))
    return [r for r, _v in out], [v for _r, v in out]


def report(data: dict, made: dict, dialect: str, repeat: int) -> str:
    rows, verdicts = _rows_and_verdicts(data, made)
    return "\n".join(
        [
            "# Benchmark: the home pages and the simulator at 10,000 people",
            "",
            f"Run on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `make bench` (`python bench/web.py`).",
            "",
            "## Machine",
            "",
            *(f"- {k}: {v}" for k, v in machine().items()),
            f"- database: {dialect}",
            f"- load average when measured: {_load()}",
            "",
            "## Data",
            "",
            f"- {made['people']:,} people, {made['teams']:,} teams; {made['transactions']:,} "
            f"transactions ({made['credits']:,} credits) in {made['quarter']}, the current "
            "quarter, so each home page shows it",
            "- six plans, one per scheme, all enabled; budget ceiling 5 % of revenue",
            f"- generated in {made['generate_seconds']} s",
            "",
            "## Results",
            "",
            "Each home page once first (**first**: a new inputs stamp, so the company part of "
            f"the estimate is calculated), then {repeat} times; the Flask test client in one "
            "process (no network, no gunicorn), as the logged-in member. **× owner** is the "
            "median over the owner home's median in the same run. The simulator rows are the "
            "salesperson's own simulator (every plan stacked) after the home pages ran.",
            "",
            "| request | people seen | first | best | median | × owner | SQL statements "
            "| charts | size |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            *rows,
            "",
            "## Verdict",
            "",
            f"Target: the median answer within {TARGET_SECONDS:.1f} s (home pages) and "
            f"{SIM_TARGET_SECONDS} s (simulator, after the first request of a period); the web "
            "benchmark's p95 < 50 ms is the direction.",
            "",
            *verdicts,
            "",
            ANALYSIS,
            "",
            f"## Profile of the slowest page ({data['profile_of']}; cProfile, cumulative, top 25 of Jili's own frames)",
            "",
            "```",
            data["profile"].strip(),
            "```",
            "",
        ]
    )


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/web.py", description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--transactions", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file")
    parser.add_argument("--out", default="bench/RESULTS-web.md")
    parser.add_argument("--postgresql", metavar="URL", help="as bench/run.py --postgresql")
    parser.add_argument("--only", choices=("simulator",), help="the simulator alone (web_sim.py)")
    parser.add_argument("--section", default="Simulator (h2 run)", help="with --only simulator")
    parser.add_argument(
        "--step", choices=("generate", "measure", "simulator"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.only == "simulator" or args.step == "simulator":
        import web_sim  # bench/web_sim.py, beside this script

        return web_sim.main(sys.modules[__name__], args)
    if args.step == "generate":
        made = generate_with_logins(args.database_url, args.people, args.transactions)
        print(json.dumps(made))
        return 0
    if args.step == "measure":
        print(json.dumps(measure(args.database_url, args.repeat)))
        return 0
    if args.postgresql:
        name = f"jili_bench_web_{int(time.time())}"
        url = args.postgresql.rsplit("/", 1)[0] + "/" + name
        try:
            _pg_admin(args.postgresql, f"CREATE DATABASE {name}")
        except Exception as exc:  # no server: say so and stop
            print(f"PostgreSQL web bench SKIPPED: {exc}")
            return 0
        try:
            data, made = _run(url, args)
        finally:
            _pg_admin(args.postgresql, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        dialect = "postgresql"
    else:
        with tempfile.TemporaryDirectory(prefix="jili-bench-web-") as tmp:
            url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
            data, made = _run(url, args)
        dialect = url.split(":", 1)[0].split("+", 1)[0]
    text = report(data, made, dialect, args.repeat)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    import web_sim  # the simulator's own section (--only simulator) is kept

    out.write_text(text + web_sim.kept_section(out, args.section), encoding="utf-8")
    print(text.split("## Profile")[0])
    print(f"written to {out}")
    return 0


def _run(url: str, args) -> tuple[dict, dict]:
    common = [sys.executable, str(Path(__file__).resolve()), "--database-url", url]
    print(f"generating {args.people:,} people and {args.transactions:,} transactions …", flush=True)
    gen = subprocess.run(
        [*common, "--step", "generate", "--people", str(args.people),
         "--transactions", str(args.transactions)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    made = json.loads(gen.stdout.strip().splitlines()[-1])
    print(f"generated in {made['generate_seconds']} s; measuring in a fresh process …", flush=True)
    meas = subprocess.run(
        [*common, "--step", "measure", "--repeat", str(args.repeat)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(meas.stdout.strip().splitlines()[-1]), made


if __name__ == "__main__":
    sys.exit(main())
