"""Taking and restoring backups. No request code here.

SQLite: :meth:`sqlite3.Connection.backup` copies the live database page by page, so a
backup taken while Jili runs is consistent; a restore copies the backup back the same
way (other connections see the restored database on their next transaction).

PostgreSQL: ``pg_dump --format=custom`` of the app's schema and ``pg_restore --clean
--if-exists --single-transaction`` (all or nothing), both connecting as the app's own
role with the connection given through libpq environment variables (``PGPASSWORD``
among them) — never on the command line, where ``ps`` would show it. Both run with
``jili.bypass`` on, the setting the row-level-security policies admit for
whole-database work, so a role subject to RLS dumps and restores every tenant's rows.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from jili.extensions import db
from jili.health.services import script_heads

SQLITE_SUFFIX = ".sqlite3"
PG_SUFFIX = ".pgdump"


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why and what to do."""


@dataclass(frozen=True)
class Backup:
    path: Path
    kind: str  # "sqlite" | "postgresql"
    revision: str | None
    size: int


@dataclass(frozen=True)
class Restored:
    backup: Backup
    target: str
    heads: set[str]

    @property
    def upgrade_needed(self) -> bool:
        return self.backup.revision is not None and {self.backup.revision} != self.heads


def _url():
    return make_url(db.engine.url.render_as_string(hide_password=False))


def _kind() -> str:
    name = db.engine.dialect.name
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"backups support SQLite and PostgreSQL, not {name}")
    return name


def target_description() -> str:
    """The database, as an operator would name it (no password)."""
    return db.engine.url.render_as_string(hide_password=True)


def default_path(backups_dir: Path, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    suffix = SQLITE_SUFFIX if _kind() == "sqlite" else PG_SUFFIX
    path, n = backups_dir / f"jili-{stamp}{suffix}", 1
    while path.exists():  # two backups in one second
        n += 1
        path = backups_dir / f"jili-{stamp}-{n}{suffix}"
    return path


# --- SQLite ---------------------------------------------------------------------------


def _sqlite_file() -> Path:
    database = _url().database
    if not database or database == ":memory:":
        raise BackupError("this SQLite database lives in memory: there is nothing to back up")
    return Path(database)


def _sqlite_revision(path: Path) -> str | None:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        try:
            rows = conn.execute("select version_num from alembic_version").fetchall()
        except sqlite3.DatabaseError as exc:
            if "no such table" in str(exc):
                return None
            raise BackupError(f"{path} is not a Jili SQLite backup ({exc})") from None
    finally:
        conn.close()
    return rows[0][0] if rows else None


def _sqlite_copy(source: Path, target: Path, journal_mode: str = "delete") -> None:
    """Copy ``source`` into ``target`` page by page; ``target`` ends in ``journal_mode``
    (a backup file stands alone, without -wal and -shm files beside it)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute(f"PRAGMA journal_mode={journal_mode}")
    finally:
        dst.close()
        src.close()


# --- PostgreSQL -------------------------------------------------------------------------


def _connect_options() -> str:
    """``-c …`` options the app connects with (URL query or engine connect_args)."""
    from flask import current_app

    url = _url()
    parts = [url.query.get("options", "")]
    engine_options = current_app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}
    parts.append((engine_options.get("connect_args") or {}).get("options", ""))
    return " ".join(p for p in parts if p)


def _pg_env() -> dict[str, str]:
    url = _url()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    pairs = {
        "PGHOST": url.host,
        "PGPORT": str(url.port) if url.port else None,
        "PGUSER": url.username,
        "PGPASSWORD": url.password,
        "PGDATABASE": url.database,
        "PGSSLMODE": url.query.get("sslmode"),
    }
    env.update({k: v for k, v in pairs.items() if v})
    env["PGOPTIONS"] = f"{_connect_options()} -c jili.bypass=on".strip()
    return env


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return found


def _run(args: list[str]) -> str:
    done = subprocess.run(args, env=_pg_env(), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {done.stderr.strip()}")
    return done.stdout


def _pg_schema() -> str:
    with db.engine.connect() as conn:
        return conn.exec_driver_sql("select current_schema()").scalar_one()


def _pg_revision(path: Path) -> str | None:
    out = _run(
        [_pg_tool("pg_restore"), "--data-only", "--table=alembic_version", "-f", "-", str(path)]
    )
    lines = out.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line:
            value = lines[i + 1] if i + 1 < len(lines) else "\\."
            return None if value == "\\." else value.strip()
    return None


def _pg_restore(path: Path) -> None:
    """Everything in the archive but the schema itself (it is the app's, and exists)."""
    listing = _run([_pg_tool("pg_restore"), "--list", str(path)])
    keep = [line for line in listing.splitlines() if " SCHEMA - " not in line]
    with tempfile.NamedTemporaryFile("w", suffix=".list", delete=False) as fh:
        fh.write("\n".join(keep) + "\n")  # beside nothing: the backup may be read-only
    list_file = Path(fh.name)
    try:
        _run(
            [
                _pg_tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--single-transaction",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                f"--use-list={list_file}",
                "-d",
                _pg_env()["PGDATABASE"],
                str(path),
            ]
        )
    finally:
        list_file.unlink(missing_ok=True)


# --- both -----------------------------------------------------------------------------


def read_backup(path: Path) -> Backup:
    """What a backup file holds: its kind and migration revision."""
    if not path.is_file():
        raise BackupError(f"no backup file {path}")
    with path.open("rb") as fh:
        magic = fh.read(16)
    if magic.startswith(b"SQLite format 3"):
        return Backup(path, "sqlite", _sqlite_revision(path), path.stat().st_size)
    if magic.startswith(b"PGDMP"):
        return Backup(path, "postgresql", _pg_revision(path), path.stat().st_size)
    raise BackupError(f"{path} is neither a SQLite database nor a pg_dump custom-format archive")


def take_backup(path: Path) -> Backup:
    """Write a backup of the app's database to ``path`` (which must not exist)."""
    kind = _kind()
    if path.exists():
        raise BackupError(f"{path} exists already: choose another file")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    try:
        if kind == "sqlite":
            _sqlite_copy(_sqlite_file(), partial)
        else:
            _run(
                [
                    _pg_tool("pg_dump"),
                    "--format=custom",
                    f"--schema={_pg_schema()}",
                    "--enable-row-security",
                    "-f",
                    str(partial),
                ]
            )
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return read_backup(path)


def check_restorable(backup: Backup) -> set[str]:
    """The code's heads; refuses a backup of the other kind or from newer code."""
    kind = _kind()
    if backup.kind != kind:
        raise BackupError(f"{backup.path} is a {backup.kind} backup; this database is {kind}")
    heads = script_heads()
    if backup.revision is not None and backup.revision not in _known_revisions():
        raise BackupError(
            f"{backup.path} was taken at migration {backup.revision}, which this code does not "
            f"know (its head is {', '.join(sorted(heads))}): restore it with the version of "
            "Jili that took it"
        )
    return heads


def _known_revisions() -> set[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from jili.health.services import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return {rev.revision for rev in ScriptDirectory.from_config(cfg).walk_revisions()}


def restore_backup(backup: Backup) -> Restored:
    """Replace the app's database with ``backup`` (all or nothing on PostgreSQL)."""
    heads = check_restorable(backup)
    db.session.remove()
    db.engine.dispose()
    if backup.kind == "sqlite":
        live = _sqlite_file()
        with sqlite3.connect(live) as conn:
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        _sqlite_copy(backup.path, live, mode)
    else:
        _pg_restore(backup.path)
    db.engine.dispose()
    return Restored(backup, target_description(), heads)


def prune(backups_dir: Path, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest ``jili-*`` backups in ``backups_dir``."""
    files = sorted(
        (p for p in backups_dir.glob("jili-*") if p.suffix in (SQLITE_SUFFIX, PG_SUFFIX)),
        key=lambda p: (p.stat().st_mtime_ns, p.name),
        reverse=True,
    )
    gone = files[keep:] if keep > 0 else []
    for old in gone:
        old.unlink()
    return gone
