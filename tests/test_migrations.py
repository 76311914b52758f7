"""Migrations: an empty database upgrades to head and matches the models; an existing
database upgrades with its data intact. On SQLite always, on PostgreSQL when one is
configured. Nothing here names the head revision: later revisions are picked up."""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text

from jili import ROOT, create_app, dbobjects
from jili.accounts.models import TenantStatus
from jili.extensions import db
from jili.models import AuditLog, Membership, Person, Role, Team, Tenant, User
from jili.org.models import Level, TeamKind
from jili.tenancy import bound_tenant

FIRST = "0001"  # the oldest revision: data created there must survive every later one


@contextlib.contextmanager
def _logging_kept():
    """migrations/env.py calls logging.config.fileConfig, which disables every logger
    that exists; put them back so later tests (and caplog) still see their logs."""
    root = logging.getLogger()
    saved_root = (root.level, list(root.handlers))
    saved = {
        name: (lg.disabled, lg.level, list(lg.handlers), lg.propagate)
        for name, lg in logging.Logger.manager.loggerDict.items()
        if isinstance(lg, logging.Logger)
    }
    try:
        yield
    finally:
        root.setLevel(saved_root[0])
        root.handlers[:] = saved_root[1]
        for name, lg in logging.Logger.manager.loggerDict.items():
            if not isinstance(lg, logging.Logger):
                continue
            if name in saved:
                lg.disabled, level, handlers, lg.propagate = saved[name]
                lg.setLevel(level)
                lg.handlers[:] = handlers
            else:
                lg.disabled = False


def _app(uri: str, engine_options: dict | None = None):
    config = {"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": uri}
    if engine_options:
        config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options
    return create_app(config)


def _alembic_config(app):
    return app.extensions["migrate"].migrate.get_config()


def _run(app, fn, *args) -> None:
    with app.app_context(), _logging_kept():
        fn(_alembic_config(app), *args)


def _heads(app) -> set[str]:
    with app.app_context():
        return set(ScriptDirectory.from_config(_alembic_config(app)).get_heads())


def _current(app) -> set[str]:
    with app.app_context(), db.engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def test_a_single_head():
    app = _app("sqlite://")
    assert len(_heads(app)) == 1, "two migration heads: merge them (flask db merge heads)"


def test_flask_db_upgrade_on_an_empty_sqlite_file_reaches_head_and_matches_the_models(tmp_path):
    """As a new user runs it: ``flask db upgrade`` then ``flask db check``."""
    dbfile = tmp_path / "fresh.sqlite3"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("JILI_") and k not in ("FLASK_APP", "FLASK_DEBUG")
    }
    env.update(
        FLASK_APP="jili.wsgi:app",
        JILI_SQLALCHEMY_DATABASE_URI=f"sqlite:///{dbfile}",
        JILI_SECRET_KEY="test",
    )

    def flask(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "flask", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    up = flask("db", "upgrade")
    assert up.returncode == 0, up.stderr
    app = _app(f"sqlite:///{dbfile}")
    assert _current(app) == _heads(app)
    check = flask("db", "check")
    assert check.returncode == 0, f"models and migrations differ:\n{check.stdout}\n{check.stderr}"
    assert "No new upgrade operations detected" in check.stdout + check.stderr
    _assert_database_objects(app)


def _inputs_triggers() -> set[str]:
    """The triggers renewing the inputs version (migration 0023): three per input table."""
    return {f"{t}_inputs_{op}" for t in dbobjects.INPUT_TABLES for op in ("ins", "upd", "del")}


def _assert_database_objects(app) -> None:
    """The triggers (and on PostgreSQL the policies) the migrations must create."""
    with app.app_context(), db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            triggers = set(
                conn.scalars(text("select name from sqlite_master where type = 'trigger'"))
            )
            assert {"audit_log_no_update", "audit_log_no_delete"} <= triggers
            assert _inputs_triggers() <= triggers, sorted(_inputs_triggers() - triggers)
            return
        assert (
            conn.scalar(
                text(
                    "select count(*) from pg_trigger where tgname = 'audit_log_append_only' "
                    "and tgrelid = to_regclass('audit_log')"
                )
            )
            == 1
        )
        inputs = set(
            conn.scalars(
                text(
                    "select tgname from pg_trigger where not tgisinternal "
                    "and tgfoid = to_regproc('jili_inputs_changed')"
                )
            )
        )
        assert _inputs_triggers() <= inputs, sorted(_inputs_triggers() - inputs)
        missing = []
        for table in dbobjects.tenant_tables(db.metadata):
            row = conn.execute(
                text(
                    "select c.relrowsecurity and c.relforcerowsecurity, "
                    "exists(select 1 from pg_policies p where p.tablename = c.relname "
                    "and p.schemaname = current_schema() and p.policyname = 'tenant_isolation') "
                    "from pg_class c where c.oid = to_regclass(:t)"
                ),
                {"t": table},
            ).one_or_none()
            if row is None or not all(row):
                missing.append(table)
        assert not missing, (
            "tenant tables without forced row-level security after `flask db upgrade`: "
            f"{missing} (see jili.dbobjects.pg_rls_statements)"
        )
        inspector = inspect(conn)
        keys = {t: inspector.get_pk_constraint(t)["constrained_columns"] for t in
                dbobjects.tenant_tables(db.metadata)}  # fmt: skip
        assert all(k == ["tenant_id", "id"] for k in keys.values()), (
            f"tenant tables whose primary key is not (tenant_id, id) (Citus, migration 0022): "
            f"{ {t: k for t, k in keys.items() if k != ['tenant_id', 'id']} }"
        )


# --- data survives upgrades ---------------------------------------------------------


def _seed_at_first_revision(app) -> None:
    """Rows as revision 0001 knew them, written with plain SQL (no models involved)."""
    with app.app_context(), db.engine.begin() as conn:
        pg = conn.dialect.name == "postgresql"
        ts = "2024-01-02 03:04:05+00" if pg else "2024-01-02 03:04:05.000000"

        def insert(table: str, **values) -> int:
            cols = ", ".join(values)
            params = ", ".join(f":{k}" for k in values)
            conn.execute(text(f"insert into {table} ({cols}) values ({params})"), values)
            return conn.scalar(text(f"select max(id) from {table}"))

        tenant = insert(
            "tenant",
            slug="old-co",
            name="老公司",
            currency="CNY",
            locale="zh_Hans",
            timezone="Asia/Shanghai",
            fiscal_year_start_month=4,
            status="active",
            created_at=ts,
        )
        user = insert(
            "user_account",
            email="owner@old.example",
            name="老板",
            password_hash="x",
            active=True,
            is_operator=False,
            locale="zh_Hant",
            session_token="t" * 32,
            created_at=ts,
        )
        insert("membership", user_id=user, role="owner", created_at=ts, tenant_id=tenant)
        region = insert("team", name="华东大区", kind="region", parent_id=None, tenant_id=tenant)
        team = insert("team", name="上海组", kind="group", parent_id=region, tenant_id=tenant)
        boss = insert(
            "person",
            employee_no="E001",
            name="王经理",
            level="manager",
            hire_date="2020-03-01",
            team_id=team,
            manager_id=None,
            mentor_id=None,
            base_salary=1250050,
            user_id=user,
            tenant_id=tenant,
        )
        insert(
            "person",
            employee_no="E002",
            name="李新人",
            level="newcomer",
            hire_date=None,
            team_id=team,
            manager_id=boss,
            mentor_id=boss,
            base_salary=800000,
            user_id=None,
            tenant_id=tenant,
        )
        insert(
            "audit_log",
            actor_id=user,
            actor_label="owner@old.example",
            at=ts,
            action="person.update",
            object_type="Person",
            object_id=str(boss),
            before='{"base_salary": "12000.00"}',
            after='{"base_salary": "12500.50"}',
            tenant_id=tenant,
        )


def _assert_seed_intact(app) -> None:
    when = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    with app.app_context():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "old-co"))
        assert (tenant.name, tenant.currency, tenant.fiscal_year_start_month, tenant.status) == (
            "老公司",
            "CNY",
            4,
            TenantStatus.ACTIVE,
        )
        assert tenant.created_at == when
        user = db.session.scalar(select(User).where(User.email == "owner@old.example"))
        assert (user.name, user.active, user.locale, user.is_operator) == (
            "老板",
            True,
            "zh_Hant",
            False,
        )
        with bound_tenant(tenant.id):
            membership = db.session.scalar(select(Membership))
            assert (membership.user_id, membership.role) == (user.id, Role.OWNER)
            teams = {t.name: t for t in db.session.scalars(select(Team))}
            assert teams["上海组"].parent is teams["华东大区"]
            assert teams["华东大区"].kind == TeamKind.REGION
            people = {p.employee_no: p for p in db.session.scalars(select(Person))}
            boss, newcomer = people["E001"], people["E002"]
            assert boss.base_salary == Decimal("12500.50")
            assert newcomer.base_salary == Decimal("8000.00")
            assert isinstance(newcomer.base_salary, Decimal)
            assert (boss.level, boss.hire_date, boss.user_id) == (
                Level.MANAGER,
                date(2020, 3, 1),
                user.id,
            )
            assert newcomer.manager is boss and newcomer.mentor is boss
            assert newcomer.team.name == "上海组" and newcomer.hire_date is None
            entry = db.session.scalar(select(AuditLog))
            assert (entry.action, entry.actor_id, entry.at) == ("person.update", user.id, when)
            assert (entry.before, entry.after) == (
                {"base_salary": "12000.00"},
                {"base_salary": "12500.50"},
            )
            # The upgraded database takes new rows too (sequences, defaults).
            db.session.add(Person(employee_no="E003", name="张三", base_salary=Decimal("1.23")))
            db.session.commit()
        db.session.remove()


def _upgrade_keeps_data(app) -> None:
    _run(app, command.upgrade, FIRST)
    assert _current(app) == {FIRST}
    _seed_at_first_revision(app)
    _run(app, command.upgrade, "head")
    assert _current(app) == _heads(app)
    _assert_seed_intact(app)
    _assert_database_objects(app)
    _run(app, command.check)  # raises when the models and the migrations differ


def test_upgrade_from_the_first_revision_keeps_data_sqlite(tmp_path):
    app = _app(f"sqlite:///{Path(tmp_path) / 'old.sqlite3'}")
    try:
        _upgrade_keeps_data(app)
    finally:
        with app.app_context():
            db.engine.dispose()


def test_upgrade_from_the_first_revision_keeps_data_postgres(pg_run):
    if pg_run is None:
        pytest.skip(
            "PostgreSQL only: needs JILI_TEST_DATABASE_URL "
            "(tests/run.py sets it when a server answers on 127.0.0.1:5432/test)"
        )
    with pg_run.scratch_schema() as schema:
        # Migrations run as the database owner, as a deployment does.
        app = _app(
            os.environ["JILI_TEST_DATABASE_URL"],
            {"connect_args": {"options": f"-c search_path={schema}"}},
        )
        try:
            _upgrade_keeps_data(app)
            with app.app_context():
                assert "alembic_version" in inspect(db.engine).get_table_names()
        finally:
            with app.app_context():
                db.engine.dispose()


def _facts_backfill(app) -> None:
    """0017 sums the credits already there into the facts table."""
    from jili.inputs.services import facts

    _run(app, command.upgrade, "0014")
    with app.app_context(), db.engine.begin() as conn:
        pg = conn.dialect.name == "postgresql"
        if pg:
            conn.execute(text("select set_config('jili.bypass', 'on', true)"))
        ts = "2024-01-02 03:04:05+00" if pg else "2024-01-02 03:04:05.000000"
        conn.execute(
            text(
                "insert into tenant (slug, name, currency, locale, timezone, "
                "fiscal_year_start_month, status, created_at) values "
                "('facts-co', '事实', 'CNY', 'zh_Hans', 'Asia/Shanghai', 1, 'active', :ts)"
            ),
            {"ts": ts},
        )
        tid = conn.scalar(text("select id from tenant where slug = 'facts-co'"))
        for no in ("E1", "E2"):
            conn.execute(
                text(
                    "insert into person (tenant_id, employee_no, name, level, base_salary) "
                    "values (:t, :no, :no, 'staff', 0)"
                ),
                {"t": tid, "no": no},
            )
        people = dict(conn.execute(text("select employee_no, id from person where tenant_id = :t"), {"t": tid}).all())  # fmt: skip
        deals = [  # external id, day, new customer, [(person, amount fen)]
            ("D1", "2024-07-03", True, [("E1", 100000)]),
            ("D2", "2024-07-20", False, [("E1", 60000), ("E2", 40000)]),
            ("D3", "2024-08-01", False, [("E2", -5000)]),  # a refund
        ]
        for ext, day, new, shares in deals:
            conn.execute(
                text(
                    "insert into sales_transaction (tenant_id, external_id, deal_date, "
                    "person_id, customer, product_line, region, amount, collected_amount, "
                    "margin, new_customer, strategic, row_hash, imported_at) values "
                    "(:t, :ext, :day, :p, '', '设备', '华东', :amt, 0, 0, :new, false, 'h', :ts)"
                ),
                {"t": tid, "ext": ext, "day": day, "p": people[shares[0][0]],
                 "amt": sum(a for _n, a in shares), "new": new, "ts": ts},
            )  # fmt: skip
            txn = conn.scalar(text("select id from sales_transaction where external_id = :e"), {"e": ext})  # fmt: skip
            for no, amount in shares:
                conn.execute(
                    text(
                        "insert into sales_credit (tenant_id, transaction_id, person_id, "
                        "share_bp, deal_date, region, product_line, amount, collected_amount, "
                        "margin) values (:t, :x, :p, 5000, :day, '华东', '设备', :a, 0, 0)"
                    ),
                    {"t": tid, "x": txn, "p": people[no], "day": day, "a": amount},
                )
    _run(app, command.upgrade, "head")
    with app.app_context():
        with bound_tenant(tid):
            assert facts.verify(db.session(), tid) == []
            stored = facts.stored_facts(db.session(), tid)
            july_e1 = stored[(date(2024, 7, 1), people["E1"], "华东", "设备", False)]
            assert july_e1[0] == Decimal("600.00") and july_e1[5] == date(2024, 7, 20)
            assert stored[(date(2024, 8, 1), people["E2"], "华东", "设备", False)][:5] == (
                Decimal("-50.00"), Decimal("0.00"), Decimal("0.00"), 0, 1,
            )  # fmt: skip
            assert len(stored) == 4
        db.session.remove()


def test_migration_0017_sums_existing_credits_into_facts_sqlite(tmp_path):
    app = _app(f"sqlite:///{Path(tmp_path) / 'facts.sqlite3'}")
    try:
        _facts_backfill(app)
    finally:
        with app.app_context():
            db.engine.dispose()


def test_migration_0017_sums_existing_credits_into_facts_postgres(pg_run):
    if pg_run is None:
        pytest.skip("PostgreSQL only: needs JILI_TEST_DATABASE_URL")
    with pg_run.scratch_schema() as schema:
        app = _app(
            os.environ["JILI_TEST_DATABASE_URL"],
            {"connect_args": {"options": f"-c search_path={schema}"}},
        )
        try:
            _facts_backfill(app)
        finally:
            with app.app_context():
                db.engine.dispose()
