"""`jili backup` / `jili restore`: back up, change rows in many tables (the audit log
and anonymous feedback among them), restore, and find every table as it was. On SQLite
always; on PostgreSQL when JILI_TEST_DATABASE_URL is set, as a login role that is
subject to row-level security and owns its schema (as deploy/POSTGRESQL.md sets up)."""

from __future__ import annotations

import contextlib
import os
import secrets
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from jili import ROOT, create_app, dbobjects
from jili.audit import services as audit
from jili.cli import init_app  # noqa: F401  (the commands are on app.cli)
from jili.extensions import db
from jili.feedback.models import Category, FeedbackMessage, FeedbackThread
from jili.health.services import script_heads
from jili.models import Person, Tenant
from jili.plan_as_code.importer import import_tenant, read_toml
from jili.tenancy import bind_tenant, bound_tenant

PG_URL = os.environ.get("JILI_TEST_DATABASE_URL")
APP_ROLE = "jili_backup_app"
APP_PASSWORD = "backup-pw-" + "x" * 8


def _stamp_head(app) -> None:
    """As ``flask db stamp head`` (without migrations/env.py, which reconfigures logging)."""
    [head] = script_heads()
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
        conn.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": head})


def _make_app(uri: str, instance: Path, engine_options: dict | None = None):
    config = {"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": uri}
    if engine_options:
        config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options
    app = create_app(config)
    app.instance_path = str(instance)
    with app.app_context():
        dbobjects.install(db.metadata)
        db.create_all()
    _stamp_head(app)
    return app


@contextlib.contextmanager
def _sqlite_app(tmp_path):
    app = _make_app(f"sqlite:///{tmp_path / 'live.sqlite3'}", tmp_path)
    yield app
    with app.app_context():
        db.engine.dispose()


@contextlib.contextmanager
def _pg_app(tmp_path):
    admin = create_engine(PG_URL, poolclass=NullPool)
    schema = f"jili_test_{secrets.token_hex(4)}"
    with admin.begin() as conn:
        conn.exec_driver_sql(
            f"DO $$ BEGIN CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS; "
            "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        )
        conn.exec_driver_sql(f"ALTER ROLE {APP_ROLE} PASSWORD '{APP_PASSWORD}'")
        conn.exec_driver_sql(f"CREATE SCHEMA {schema} AUTHORIZATION {APP_ROLE}")
    url = make_url(PG_URL).set(username=APP_ROLE, password=APP_PASSWORD)
    app = None
    try:
        app = _make_app(
            url.render_as_string(hide_password=False),
            tmp_path,
            {"connect_args": {"options": f"-c search_path={schema}"}},
        )
        yield app
    finally:
        if app is not None:
            with app.app_context():
                db.engine.dispose()
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def live(request, tmp_path):
    if request.param == "postgresql" and not PG_URL:
        pytest.skip("PostgreSQL only: set JILI_TEST_DATABASE_URL")
    maker = _sqlite_app if request.param == "sqlite" else _pg_app
    with maker(tmp_path) as app:
        yield app


def _snapshot(app) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order (as a role subject to RLS, with
    the whole-database setting on)."""
    out = {}
    with app.app_context(), db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("select set_config('jili.bypass', 'on', false)"))
        for table in db.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.c)
            out[table.name] = [tuple(r) for r in conn.execute(select(table).order_by(*order))]
    return out


def _seed(app) -> None:
    with app.app_context():
        import_tenant(read_toml((ROOT / "tenants" / "shili.toml").read_bytes()))
        tenant = db.session.scalar(select(Tenant))
        with bound_tenant(tenant.id):
            thread = FeedbackThread(
                tenant_id=tenant.id,
                category=Category.OTHER if hasattr(Category, "OTHER") else list(Category)[0],
                day=date(2026, 1, 5),
                waiting_since=date(2026, 1, 5),
                lookup_id="look-1",
                code_hash="hash-1",
            )
            db.session.add(thread)
            db.session.flush()
            db.session.add(
                FeedbackMessage(
                    tenant_id=tenant.id,
                    thread_id=thread.id,
                    seq=1,
                    day=date(2026, 1, 5),
                    body="食堂太吵",
                )
            )
            db.session.commit()
        bind_tenant(None)


def _change(app) -> None:
    """Rows added, changed and deleted in several tables after the backup."""
    with app.app_context():
        tenant = db.session.scalar(select(Tenant))
        with bound_tenant(tenant.id):
            person = db.session.scalar(select(Person).order_by(Person.id))
            person.name = "改过的名字"
            audit.record("person.update", person, tenant_id=tenant.id, after={"name": "x"})
            thread = db.session.scalar(select(FeedbackThread))
            db.session.add(
                FeedbackMessage(
                    tenant_id=tenant.id,
                    thread_id=thread.id,
                    seq=2,
                    day=date(2026, 1, 6),
                    body="回复",
                    from_staff=True,
                )
            )
            db.session.delete(
                db.session.scalar(select(FeedbackMessage).where(FeedbackMessage.seq == 1))
            )
            db.session.commit()
        tenant.name = "换了名字"
        db.session.commit()
        bind_tenant(None)


def test_backup_change_restore_finds_every_table_as_it_was(live, tmp_path):
    _seed(live)
    before = _snapshot(live)
    filled = sorted(name for name, rows in before.items() if rows)
    assert {"audit_log", "feedback_thread", "feedback_message", "person", "tenant"} <= set(filled)
    assert len(filled) >= 10, filled

    runner = live.test_cli_runner()
    target = tmp_path / "backups" / "one.backup"
    out = runner.invoke(args=["backup", "--to", str(target)])
    assert out.exit_code == 0, out.output
    assert "backed up" in out.output and str(target) in out.output
    assert APP_PASSWORD not in out.output

    _change(live)
    changed = _snapshot(live)
    assert changed != before
    for name in ("audit_log", "feedback_message", "person", "tenant"):
        assert changed[name] != before[name], name

    refused = runner.invoke(args=["restore", str(target)])
    assert refused.exit_code != 0 and "--yes" in refused.output
    assert _snapshot(live) == changed  # nothing was changed

    done = runner.invoke(args=["restore", str(target), "--yes"])
    assert done.exit_code == 0, done.output
    assert "restored" in done.output
    after = _snapshot(live)
    for name in before:
        assert after[name] == before[name], f"{name} differs after restore"
    _assert_guards_hold(live)


def _assert_guards_hold(app) -> None:
    """Row-level security and the append-only trigger are back with the tables."""
    with app.app_context(), db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            names = set(conn.scalars(text("select name from sqlite_master where type='trigger'")))
            assert "audit_log_no_update" in names
            return
        policies = conn.scalar(
            text(
                "select count(*) from pg_policies where schemaname = current_schema() "
                "and policyname = 'tenant_isolation'"
            )
        )
        assert policies == len(dbobjects.tenant_tables(db.metadata))
        # No tenant bound, no bypass: the app role sees no person at all.
        assert conn.scalar(text("select count(*) from person")) == 0
        conn.execute(text("select set_config('jili.bypass', 'on', false)"))
        assert conn.scalar(text("select count(*) from person")) > 0


def test_backup_defaults_to_instance_backups_and_keeps_the_newest(live, tmp_path):
    runner = live.test_cli_runner()
    for _ in range(3):
        assert runner.invoke(args=["backup", "--keep", "2"]).exit_code == 0
    files = sorted((tmp_path / "backups").iterdir())
    assert len(files) == 2, files
    assert all(f.name.startswith("jili-") for f in files)


def test_restore_refuses_a_backup_from_newer_code_and_a_missing_file(live, tmp_path):
    runner = live.test_cli_runner()
    target = tmp_path / "b.backup"
    assert runner.invoke(args=["backup", "--to", str(target)]).exit_code == 0
    missing = runner.invoke(args=["restore", str(tmp_path / "nope"), "--yes"])
    assert missing.exit_code != 0 and "no backup file" in missing.output
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"hello")
    bad = runner.invoke(args=["restore", str(junk), "--yes"])
    assert bad.exit_code != 0 and "neither" in bad.output

    with live.app_context(), db.engine.begin() as conn:
        conn.execute(text("update alembic_version set version_num = '9999'"))
    newer = tmp_path / "newer.backup"
    assert runner.invoke(args=["backup", "--to", str(newer)]).exit_code == 0
    out = runner.invoke(args=["restore", str(newer), "--yes"])
    assert out.exit_code != 0
    assert "9999" in out.output and "does not know" in out.output


def test_restore_of_an_older_backup_says_to_upgrade(live, tmp_path):
    runner = live.test_cli_runner()
    with live.app_context(), db.engine.begin() as conn:
        conn.execute(text("update alembic_version set version_num = '0001'"))
    older = tmp_path / "older.backup"
    assert runner.invoke(args=["backup", "--to", str(older)]).exit_code == 0
    out = runner.invoke(args=["restore", str(older), "--yes"])
    assert out.exit_code == 0, out.output
    assert "db upgrade" in out.output and "0001" in out.output
