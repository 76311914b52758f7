"""`make test`: the suite on SQLite, then on PostgreSQL when one answers.

PostgreSQL is used when ``JILI_TEST_DATABASE_URL`` is set (then it must work), or
when a server answers on 127.0.0.1:5432, database ``test``; otherwise that run is
skipped and the summary says so. Arguments are passed to both pytest runs. The exit
status is non-zero when any run fails, including a run that collects no tests
(pytest's exit code 5).
"""

from __future__ import annotations

import os
import subprocess
import sys

DEFAULT_PG = "postgresql+psycopg://127.0.0.1:5432/test"
NO_TESTS_COLLECTED = 5


def postgres_url() -> tuple[str | None, str]:
    """The URL to test on, or None and the reason there is none."""
    url = os.environ.get("JILI_TEST_DATABASE_URL")
    if url:
        return url, "JILI_TEST_DATABASE_URL"
    try:
        import psycopg

        with psycopg.connect("host=127.0.0.1 port=5432 dbname=test", connect_timeout=3):
            return DEFAULT_PG, "a server answers on 127.0.0.1:5432/test"
    except Exception as exc:  # no server, no database, no access, no driver
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return None, f"nothing answers on 127.0.0.1:5432/test ({type(exc).__name__}: {reason})"


def run(label: str, env: dict) -> int:
    print(f"\n=== test suite on {label} ===", flush=True)
    code = subprocess.call([sys.executable, "-m", "pytest", *sys.argv[1:]], env=env)
    if code == NO_TESTS_COLLECTED:
        print(f"{label}: no tests were collected; that counts as a failure.", flush=True)
    return code


def verdict(code: int) -> str:
    return "passed" if code == 0 else f"FAILED (pytest exit code {code})"


def main() -> int:
    env = {k: v for k, v in os.environ.items() if k != "JILI_TEST_DATABASE_URL"}
    sqlite = run("SQLite", env)
    url, why = postgres_url()
    postgres = None
    if url:
        print(f"\nPostgreSQL: {why}", flush=True)
        postgres = run("PostgreSQL", dict(env, JILI_TEST_DATABASE_URL=url))

    print("\n=== summary ===")
    print(f"SQLite:     {verdict(sqlite)}")
    if postgres is None:
        print(f"PostgreSQL run SKIPPED: {why}.")
        print("  (set JILI_TEST_DATABASE_URL=postgresql+psycopg://user@host:port/db to run it)")
    else:
        print(f"PostgreSQL: {verdict(postgres)}")
    failed = sqlite != 0 or (postgres is not None and postgres != 0)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
