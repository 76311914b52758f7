"""`make test`: the suite on SQLite, then on PostgreSQL when one answers."""

from __future__ import annotations

import os
import subprocess
import sys

DEFAULT_PG = "postgresql+psycopg://127.0.0.1:5432/test"


def postgres_url() -> str | None:
    url = os.environ.get("JILI_TEST_DATABASE_URL")
    if url:
        return url
    try:
        import psycopg

        with psycopg.connect("host=127.0.0.1 port=5432 dbname=test", connect_timeout=3):
            return DEFAULT_PG
    except Exception as exc:  # no server, no database, no access
        print(f"PostgreSQL run SKIPPED: nothing answers on 127.0.0.1:5432/test ({exc.__class__.__name__})")
        return None


def run(label: str, env: dict) -> int:
    print(f"\n=== test suite on {label} ===", flush=True)
    return subprocess.call([sys.executable, "-m", "pytest", *sys.argv[1:]], env=env)


def main() -> int:
    env = {k: v for k, v in os.environ.items() if k != "JILI_TEST_DATABASE_URL"}
    code = run("SQLite", env)
    url = postgres_url()
    if url:
        pg_env = dict(env, JILI_TEST_DATABASE_URL=url)
        code = run("PostgreSQL", pg_env) or code
    else:
        print("PostgreSQL run SKIPPED (set JILI_TEST_DATABASE_URL to run it).")
    return code


if __name__ == "__main__":
    sys.exit(main())
