"""The results file of ``bench/load.py``."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import web
from load import TARGET_P95, TARGET_SHARE

ANALYSIS = """## Where the time goes (the profiles below, at the time of writing)

- **Run page**: one page lists every payout line of the run — about 60,000 for 10,000
  people, 5 MB of HTML. A single request takes about two minutes even alone: most of it
  is the template (390,000 rendering steps) and `i18n.format_money`, about 1 ms for
  each of its 61,000 amounts (a Babel number format per call). Under load four such
  requests hold the workers' threads. Levers: page the lines (per person, 50 a page)
  with the totals by plan and the budget at the top, and format money with a cached
  formatter per locale and currency.
- **Statement**: `statements._names()` reads all 10,000 names of the company to label
  one person's statement, and the page renders each line's explanation; about 1 s
  alone, 1.2 s p50 under load.
- **Staff and manager homes**: with the quarter calculated they are 0.3–0.7 s alone and
  0.5–1 s p95 under load; bench/RESULTS-web.md has the open-quarter case (an estimate of
  the whole company per view), which is far slower.
- `/healthz` is the floor of this setup: gunicorn gthread plus Flask plus the load
  generator on the same two cores, about 150 requests/s."""


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds >= 0.01 else f"{seconds * 1000:.1f} ms"


def _verdicts(outcomes, trivial) -> list[str]:
    lines = []
    for o in outcomes[1:]:
        p95 = o.quantile(0.95)
        share = o.throughput / trivial.throughput if trivial.throughput else 0.0
        parts = []
        if p95 <= TARGET_P95:
            parts.append(f"p95 {_ms(p95)}: **met**")
        else:
            parts.append(f"p95 {_ms(p95)}: **missed** by {_ms(p95 - TARGET_P95)} "
                         f"({p95 / TARGET_P95:,.0f}× the target)")  # fmt: skip
        if share >= TARGET_SHARE:
            parts.append(f"throughput {share:.1%} of trivial: **met**")
        else:
            need = TARGET_SHARE / share if share else float("inf")
            parts.append(f"throughput {share:.2%} of trivial: **missed** "
                         f"({need:,.0f}× short of {TARGET_SHARE:.0%})")  # fmt: skip
        parts.append("errors 0: **met**" if not o.errors
                     else f"errors {o.errors}: **missed** ({_statuses(o)})")  # fmt: skip
        lines.append(f"- {o.name}: " + "; ".join(parts))
    return lines


def _statuses(o) -> str:
    return ", ".join(f"{'no answer' if s == 0 else s} × {n}" for s, n in sorted(o.statuses.items()))


def report(outcomes, made: dict, args, profiles: dict | None = None) -> str:
    trivial = outcomes[0]
    rows = []
    for o in outcomes:
        share = o.throughput / trivial.throughput if trivial.throughput else 0.0
        p50_ratio = o.quantile(0.5) / trivial.quantile(0.5) if trivial.latencies else 0.0
        rows.append(
            f"| {o.name} | {o.requests:,} | {o.errors} | {_ms(o.quantile(0.5))} | "
            f"{_ms(o.quantile(0.95))} | {o.throughput:,.2f}/s | {share:.2%} | "
            f"{p50_ratio:,.0f}× | {o.bytes / 1024:,.0f} KB |"
        )
    small = made["small"]
    build = ("reused from the cache (built earlier in "
             f"{made['build_seconds']} s)" if made.get("cached")
             else f"built in {made['build_seconds']} s")  # fmt: skip
    gunicorn = (f"{os.environ.get('JILI_WORKERS', '2')} workers × "
                f"{os.environ.get('JILI_THREADS', '4')} threads (gthread)")  # fmt: skip
    return "\n".join(
        [
            "# Benchmark: the pages under load, 1,000 tenants, through gunicorn",
            "",
            f"Run on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `make bench` (`python bench/load.py`).",
            "",
            "## Machine",
            "",
            *(f"- {k}: {v}" for k, v in web.machine().items()),
            "- database: sqlite (one file, WAL)",
            *_load_average(made),
            f"- server: gunicorn -c deploy/gunicorn.conf.py, {gunicorn}, on 127.0.0.1:{args.port}",
            "- load: bench/loadgen.py on the same machine (closed loops over keep-alive "
            f"connections), {args.concurrency} connections, {args.duration:g} s per route, "
            "one warm-up request first",
            "",
            "## Data",
            "",
            f"- {small['tenants'] + 1:,} tenants: the largest with {made['people']:,} people and "
            f"{made['transactions']:,} transactions ({made['credits']:,} credits) in {made['quarter']}, "
            f"six plans, its quarter calculated (in {made['calc_seconds']} s); {small['tenants']:,} "
            f"small ones with {small['people']} people, {small['deals']} deals and six plans each",
            f"- database {build}; cached under {args.cache_dir} keyed by generator version, "
            "sizes and quarter",
            "",
            "## Results",
            "",
            "| route | requests | errors | p50 | p95 | throughput | of trivial | p50 vs trivial | size |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            *rows,
            "",
            "## Verdict",
            "",
            f"Targets: p95 under {_ms(TARGET_P95)}, at least {TARGET_SHARE:.0%} of the trivial "
            "route's throughput, no errors.",
            "",
            *_verdicts(outcomes, trivial),
            "",
            ANALYSIS,
            "",
            "## Reading it",
            "",
            "- The largest tenant's quarter is calculated here (bench/RESULTS-web.md measures "
            "the homes on an open quarter, where each view estimates the whole company's pay): "
            "these figures are for the pages people open once the month's run exists.",
            "- A route slower than `--duration` is measured on the few requests that fit; its "
            "throughput is requests ÷ the wall time until the last one answered.",
            "- Errors are any answer but 200 (a 4xx or 5xx, or no answer within 300 s).",
            "- Scaling out (docs/SCALING.md) multiplies throughput; it does not shorten a page.",
            "",
            *_profiles(profiles or {}),
        ]
    )


def _load_average(made: dict) -> list[str]:
    """The machine's load average (1, 5, 15 min) as the load began and as it ended:
    other work on the same cores shows here."""
    if "load_before" not in made:
        return []
    before, after = (" / ".join(f"{x:.2f}" for x in made[k]) for k in ("load_before", "load_after"))
    return [f"- load average (1 / 5 / 15 min): {before} before the load, {after} after it"]


def _profiles(profiles: dict) -> list[str]:
    out = []
    for name, text in profiles.items():
        out += [f"## Profile: {name} (one request after the load; cProfile, cumulative, Jili's code, top 22)",
                "", "```", text.strip(), "```", ""]  # fmt: skip
    return out
