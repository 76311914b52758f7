"""The simulator part of the web benchmark, alone: ``python bench/web.py --only simulator``.

    python bench/web.py --only simulator [--database-url URL] [--repeat 5]
                        [--out bench/RESULTS-web.md] [--section "Simulator (h2 run)"]

With ``--database-url`` of a company bench/web.py generated before (``--step
generate``) it measures that one; otherwise it generates one in a temporary
SQLite file. Then, in a fresh process: the salesperson opens the home page once
(the company part of the estimate is calculated, once per inputs stamp) and
the simulator is measured, every plan stacked:

- the period's first simulator request (each plan's company part is prepared
  for the simulator: the facts narrowed to the plan, the scheme's
  ``prepare_one_person``), which also draws the salesperson's first curves;
- the slider on a 10 % step and off the steps;
- the manager of a group simulating members of their team, each one's first
  curve (the plans' company parts already prepared), and the slider on one;
- the inputs stamp alone, read the way every request reads it: the floor.

The figures replace the section ``--section`` of ``--out`` (appended when it is
not there), the rest of the file is kept. Timings are wall-clock on a shared
machine: they belong in this results file, never in a test.
"""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

TARGET = 0.3
MEMBERS = 5  # team members the manager simulates, each a first curve


def _member_ids(app) -> tuple[int, list[int]]:
    """The group manager's person id and the first members of their team."""
    from sqlalchemy import select

    from jili.accounts.models import Tenant, User
    from jili.extensions import db
    from jili.org.models import Person
    from jili.tenancy import bound_tenant

    with app.app_context():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "bench"))
        with bound_tenant(tenant.id):
            user = db.session.scalar(select(User).where(User.email == "manager@bench.example"))
            boss = db.session.scalar(select(Person).where(Person.user_id == user.id))
            members = db.session.scalars(
                select(Person.id)
                .where(Person.team_id == boss.team_id, Person.id != boss.id)
                .order_by(Person.employee_no)
                .limit(MEMBERS + 1)
            ).all()
    return boss.id, list(members)


def _stamp_seconds(app, runs: int) -> list[float]:
    """The inputs stamp alone, as each request reads it."""
    from sqlalchemy import select

    from jili.accounts.models import Tenant
    from jili.extensions import db
    from jili.incentives.engine.budget import budget_policy
    from jili.incentives.engine.runs import paid_once_keys
    from jili.incentives.engine.storage import policy_dict
    from jili.incentives.services.estimates import active_entries, inputs_stamp
    from jili.tenancy import bound_tenant

    out = []
    with app.app_context():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "bench"))
        with bound_tenant(tenant.id):
            period = _period(tenant.id)
            entries = active_entries(tenant.id, period)
            policy = policy_dict(budget_policy(tenant.id, entries, period.kind.value))
            for _ in range(runs):
                started = time.perf_counter()
                once = paid_once_keys(tenant.id, period.id)
                inputs_stamp(tenant.id, period, entries, policy, once)
                out.append(time.perf_counter() - started)
    return out


def _compute(app, person_id: int) -> list[dict]:
    """For each plan the person is in that is not per-person, in this process with
    the parts prepared: the 21 points through the fast path, against a few points by
    recalculating the whole company (the path before ``prepare_one_person``)."""
    from sqlalchemy import select

    from jili.accounts.models import Tenant
    from jili.extensions import db
    from jili.incentives.services.estimates import active_entries, company_estimate
    from jili.incentives.services.sim_company import PlanPart, company_part
    from jili.incentives.services.simulator import DEFAULT_STEPS, person_at
    from jili.schemes import CalculationContext, full_recalculation
    from jili.tenancy import bound_tenant

    out = []
    with app.app_context():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "bench"))
        with bound_tenant(tenant.id):
            period = _period(tenant.id)
            entries = active_entries(tenant.id, period)
            company = company_estimate(tenant.id, tenant.currency, period, entries)
            for entry in entries:
                if entry.scheme.per_person:
                    continue
                context = CalculationContext(f"plan-{entry.plan.id}", 2, tenant.currency)
                part = company_part(tenant.id, company, entry, context)
                part = PlanPart.of(entry, context, part.facts, part.scoped, ())  # prepared anew
                started = time.perf_counter()
                pay = part.payout()
                prepare = time.perf_counter() - started
                row = part.scoped.people[person_id]
                target = row.target or Decimal(500000)
                moved = [person_at(row, target, pct) for pct in DEFAULT_STEPS]
                started = time.perf_counter()
                fast = [pay(p) for p in moved]
                fast_s = time.perf_counter() - started
                full = full_recalculation(
                    entry.scheme, part.scoped, entry.version.settings, context
                )
                started = time.perf_counter()
                slow = [full(p) for p in moved[10:13]]  # 100, 110, 120 %
                per_point = (time.perf_counter() - started) / 3
                assert slow == fast[10:13], entry.plan.name  # the same fen either way
                out.append({"plan": entry.scheme.key, "prepare": prepare, "fast": fast_s,
                            "full_point": per_point})  # fmt: skip
    return out


def _period(tenant_id: int):
    from jili.incentives.services.simulator import default_period

    return default_period(tenant_id, None, datetime.now(UTC).date())


def measure(web, url: str, repeat: int) -> dict:
    from sqlalchemy import event

    from jili.extensions import db
    from jili.incentives.services import estimates

    app = web.company.app_for(url)
    statements, in_stamp = [0], [0.0]
    stamp = estimates.inputs_stamp

    def timed_stamp(*args, **kw):  # how much of each request the inputs stamp takes
        started = time.perf_counter()
        try:
            return stamp(*args, **kw)
        finally:
            in_stamp[0] += time.perf_counter() - started

    estimates.inputs_stamp = timed_stamp
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a: web._count(statements))
    boss_id, members = _member_ids(app)
    staff = app.test_client()
    web._login(staff, "staff@bench.example")
    started = time.perf_counter()
    staff.get("/t/bench/")  # the company part of the estimate, once per inputs stamp
    out: dict = {"home_first": time.perf_counter() - started, "rows": {}}

    def get(client, key: str, query: str, runs: int = 1) -> None:
        times, rest = [], []
        for _ in range(runs):
            statements[0], in_stamp[0] = 0, 0.0
            started = time.perf_counter()
            resp = client.get(f"/t/bench/simulator{query}", headers={"Accept-Language": "zh-CN"})
            times.append(time.perf_counter() - started)
            rest.append(times[-1] - in_stamp[0])
            if resp.status_code != 200 or "sim-chart" not in resp.get_data(as_text=True):
                raise SystemExit(f"{key}: simulator answered {resp.status_code} without a chart")
        row = out["rows"].setdefault(key, {"times": [], "rest": [], "statements": statements[0]})
        row["times"] += times
        row["rest"] += rest
        row["bytes"] = len(resp.data)
        row["charts"] = resp.get_data(as_text=True).count("<svg")

    get(staff, "first_of_period", "")
    get(staff, "step", "?attainment=120", repeat)
    get(staff, "off", "?attainment=87")
    manager = app.test_client()
    web._login(manager, "manager@bench.example")
    for pid in members[:MEMBERS]:
        get(manager, "member_first", f"?person_id={pid}")
    get(manager, "member_step", f"?person_id={members[0]}&attainment=130", repeat)
    get(manager, "member_off", f"?person_id={members[0]}&attainment=63")
    get(manager, "manager_self", f"?person_id={boss_id}")
    out["stamp"] = _stamp_seconds(app, repeat)
    out["compute"] = _compute(app, members[0])
    profiler = cProfile.Profile()
    profiler.enable()
    manager.get(f"/t/bench/simulator?person_id={members[MEMBERS]}")  # one more first curve
    profiler.disable()
    buf = io.StringIO()
    pstats.Stats(profiler, stream=buf).sort_stats("cumulative").print_stats("jili|templates", 22)
    out["profile"] = "\n".join(line for line in buf.getvalue().splitlines() if line.strip())
    return out


ROWS = (
    ("first_of_period", "the period's first simulator request (prepares each plan; "
     "the salesperson's first curves)"),
    ("step", "salesperson: slider on a 10 % step"),
    ("off", "salesperson: slider off the steps, first time"),
    ("member_first", f"manager → a team member's first curves ({MEMBERS} members)"),
    ("member_step", "manager → a member: slider on a 10 % step"),
    ("member_off", "manager → a member: slider off the steps, first time"),
    ("manager_self", "manager → their own first curves (rolled-up row)"),
)  # fmt: skip


def section(web, data: dict, name: str, dialect: str, load: str) -> str:
    stamp = statistics.median(data["stamp"])
    lines = [
        f"## {name}",
        "",
        f"Run on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `python bench/web.py --only "
        f"simulator`; {dialect}; load average when measured: {load} (2 cores, shared). "
        f"The salesperson's home page first calculated the company part of the estimate "
        f"({data['home_first']:.1f} s). Every plan the person is in is stacked (six plans, "
        "21 points each, plus the slider's). Flask test client, one process.",
        "",
        "**without the stamp**: the median of each request less the time it spent reading "
        "the inputs stamp (the floor every request pays, which another change makes a row "
        "read): what the simulator itself costs.",
        "",
        "| request | n | best | median | against 0.3 s | without the stamp | against 0.3 s "
        "| SQL statements | size |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key, words in ROWS:
        row = data["rows"][key]
        median, rest = statistics.median(row["times"]), statistics.median(row["rest"])
        lines.append(
            f"| {words} | {len(row['times'])} | {min(row['times']):.3f} s | {median:.3f} s "
            f"| {_verdict(median)} | {rest:.3f} s | {_verdict(rest)} | {row['statements']} "
            f"| {row['bytes'] / 1024:.0f} KB |"
        )
    lines += [
        f"| the inputs stamp alone (every request reads it) | {len(data['stamp'])} "
        f"| {min(data['stamp']):.3f} s | {stamp:.3f} s | {stamp / TARGET:.0%} of the target "
        "| – | – | – | – |",
        "",
        "The curves' arithmetic alone, in the same process (a team member; the plans that "
        "are not per-person): preparing the rest of the company once, the 21 points through "
        "`prepare_one_person`, and one point by recalculating the whole company — the path "
        "before this change, 21 times per plan for a person's first curve (both give the same "
        "amounts; the benchmark checks three points):",
        "",
        "| plan | prepare, once per stamp | 21 points, fast path | one point, full recalculation "
        "| 21 points, full (× 21) | ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        *(
            f"| {c['plan']} | {c['prepare']:.3f} s | {c['fast']:.4f} s | {c['full_point']:.3f} s "
            f"| {21 * c['full_point']:.1f} s | {21 * c['full_point'] / max(c['fast'], 1e-6):,.0f}× |"
            for c in data["compute"]
        ),
        "",
        "Profile of one more team member's first curves (cProfile, cumulative, Jili's own frames):",
        "",
        "```",
        data["profile"].strip(),
        "```",
        "",
    ]
    return "\n".join(lines)


def _verdict(seconds: float) -> str:
    if seconds <= TARGET:
        return f"met, {TARGET - seconds:.3f} s to spare"
    return f"missed by {seconds - TARGET:.3f} s ({seconds / TARGET:.1f}×)"


def kept_section(path: Path, name: str) -> str:
    """The section ``## name`` of ``path`` with what follows it, or "" (what a
    full run of bench/web.py keeps when it rewrites the file)."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    head = f"## {name}\n"
    return "\n" + old[old.index(head) :] if head in old else ""


def write_section(path: Path, name: str, text: str) -> None:
    """Replace the section ``## name`` of ``path`` (up to the next ``## ``), or append it."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    head = f"## {name}\n"
    if head in old:
        start = old.index(head)
        rest = old[start + len(head) :]
        end = rest.find("\n## ")
        tail = "" if end < 0 else rest[end + 1 :]
        new = old[:start] + text.rstrip("\n") + "\n" + ("\n" + tail if tail else "")
    else:
        new = old.rstrip("\n") + "\n\n" + text
    path.write_text(new, encoding="utf-8")


def main(web, args) -> int:
    if args.step == "simulator":
        print(json.dumps(measure(web, args.database_url, args.repeat)))
        return 0
    with tempfile.TemporaryDirectory(prefix="jili-bench-sim-") as tmp:
        url = args.database_url
        common = [sys.executable, str(Path(web.__file__).resolve())]
        if url is None:
            url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
            print(f"generating {args.people:,} people …", flush=True)
            subprocess.run(
                [*common, "--database-url", url, "--step", "generate", "--people",
                 str(args.people), "--transactions", str(args.transactions)],
                check=True, capture_output=True, text=True,
            )  # fmt: skip
        print("measuring the simulator in a fresh process …", flush=True)
        meas = subprocess.run(
            [*common, "--database-url", url, "--step", "simulator", "--repeat", str(args.repeat)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
    data = json.loads(meas.stdout.strip().splitlines()[-1])
    dialect = url.split(":", 1)[0].split("+", 1)[0]
    text = section(web, data, args.section, dialect, web._load())
    write_section(Path(args.out), args.section, text)
    print(text.split("Profile of")[0])
    print(f"written to {args.out}, section {args.section!r}")
    return 0
