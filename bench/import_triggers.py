"""What the inputs-version triggers (migration 0023) cost an import.

Imports transactions through the import service (``import_transaction_rows``: the
rows, their credits, the facts table's upkeep and the audit entry, committed), in
rounds of ``--rows``: with the triggers, without them (dropped), and with them again,
in one database so the rounds compare within one run. SQLite fires the triggers per
row (it has no statement triggers), PostgreSQL once per statement.

    python bench/import_triggers.py [--rows 50000] [--postgresql URL]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "platform"), str(ROOT / "plugins"), str(ROOT / "bench")]

import generate  # noqa: E402


def _rows(round_no: int, n: int, people: int) -> list[dict[str, str]]:
    start = generate.QUARTER[1]
    return [
        {
            "external_id": f"R{round_no}-{i}",
            "deal_date": start.isoformat(),
            "employee_no": f"E{i % people:06d}",
            "amount": f"{100 + i % 900}.{i % 100:02d}",
            "region": generate.REGIONS[i % 4],
            "product_line": f"P{i % 5}",
        }
        for i in range(n)
    ]


def _triggers(on: bool) -> None:
    from jili import dbobjects
    from jili.extensions import db

    dialect = db.engine.dialect.name
    statements = (
        dbobjects.inputs_version_statements(dialect)
        if on
        else dbobjects.inputs_version_drop_statements(dialect)
    )
    with db.engine.begin() as conn:
        for stmt in statements:
            conn.exec_driver_sql(stmt)


def run(url: str, rows: int, people: int = 1000) -> list[tuple[str, float]]:
    from sqlalchemy import select

    from jili.accounts.models import Tenant
    from jili.extensions import db
    from jili.inputs.services.transactions import import_transaction_rows

    generate.generate(url, people, 0)
    app = generate.app_for(url)
    out = []
    with app.app_context(), app.test_request_context():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "bench"))
        for round_no, on in enumerate((True, False, True), start=1):
            _triggers(on)
            data = _rows(round_no, rows, people)
            started = time.perf_counter()
            outcome = import_transaction_rows(tenant, data)
            db.session.commit()
            seconds = time.perf_counter() - started
            assert outcome.ok and outcome.created == rows, outcome.errors[:3]
            out.append(("with triggers" if on else "without triggers", seconds))
            print(f"round {round_no} {out[-1][0]}: {seconds:.1f} s", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--postgresql", metavar="URL")
    args = parser.parse_args(argv)
    if args.postgresql:
        run(args.postgresql, args.rows)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{os.path.join(tmp, 'import.sqlite3')}", args.rows)
    print("load average:", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
