"""What the health checks look at. No request code here."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from jili.extensions import db

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def script_heads() -> set[str]:
    """The head revision(s) of the migrations shipped with this code."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return set(ScriptDirectory.from_config(cfg).get_heads())


def database_revisions() -> set[str] | None:
    """The revision(s) the database is at; ``None`` when it was never migrated
    (no ``alembic_version`` table, as in a database made by ``create_all``)."""
    with db.engine.connect() as conn:
        if "alembic_version" not in inspect(conn).get_table_names():
            return None
        return set(MigrationContext.configure(conn).get_current_heads())


def check_database() -> Check:
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001  (any failure means "not ready")
        return Check("database", False, type(exc).__name__)
    return Check("database", True, "answers")


def check_migrations() -> Check:
    try:
        current, heads = database_revisions(), script_heads()
    except Exception as exc:  # noqa: BLE001
        return Check("migrations", False, type(exc).__name__)
    if current is None:
        return Check("migrations", False, "database not under migrations")
    if current != heads:
        return Check(
            "migrations",
            False,
            f"at {', '.join(sorted(current)) or 'none'}, head is {', '.join(sorted(heads))}",
        )
    return Check("migrations", True, "at head")


def check_queue() -> Check:
    """The job queue's storage answers (SQLite file, or Redis when configured)."""
    from jili.jobs.queue import reachable

    try:
        ok = bool(reachable())
    except Exception as exc:  # noqa: BLE001
        return Check("queue", False, type(exc).__name__)
    return Check("queue", ok, "reachable" if ok else "not reachable")


def readiness() -> list[Check]:
    return [check_database(), check_migrations(), check_queue()]


class SchemaGate:
    """Is a migration under way? True while the database is under migrations but not
    at this code's head. Once at head it stays so for the process (the schema does not
    go back); until then it is asked again at most every ``every`` seconds."""

    def __init__(self, every: float = 2.0):
        self.every = every
        self._lock = threading.Lock()
        self._at_head = False
        self._asked_at = 0.0
        self._migrating = False

    def migrating(self) -> bool:
        if self._at_head:
            return False
        now = time.monotonic()
        with self._lock:
            if now - self._asked_at >= self.every:
                self._asked_at = now
                try:
                    current = database_revisions()
                except Exception:  # noqa: BLE001  (a busy database is not a migration)
                    return self._migrating
                self._migrating = current is not None and current != script_heads()
                self._at_head = current is not None and not self._migrating
            return self._migrating
