"""Fixtures: an app with a fresh database per test, on SQLite or (when
JILI_TEST_DATABASE_URL is set) PostgreSQL; client and runner; helpers to make
tenants, users and logins."""

from __future__ import annotations

import contextlib
import os
import re
import secrets

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from jili import create_app, dbobjects
from jili.accounts.passwords import hash_password
from jili.extensions import db
from jili.models import Membership, Role, Tenant, User
from jili.tenancy import bind_tenant, bound_tenant

# A loaded machine is slow, not wrong: no per-example deadline and no "too slow" health
# check. Tests must not set their own deadline (tests/test_busy_machine.py checks).
hypothesis_settings.register_profile(
    "jili", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "jili"))

PG_URL = os.environ.get("JILI_TEST_DATABASE_URL")
PASSWORD = "correct-horse-battery-9"
_PW_HASH = hash_password(PASSWORD)  # hashing is slow on purpose; do it once


def _config(tmp_path) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": PG_URL or f"sqlite:///{tmp_path / 'test.sqlite3'}",
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": "localhost",
        "JOB_FILES_DIR": str(tmp_path / "job-files"),  # job uploads/exports, not instance/
    }
    if _pg is not None:
        config["SQLALCHEMY_ENGINE_OPTIONS"] = _pg.app_engine_options()
    return config


# --- PostgreSQL ------------------------------------------------------------------
#
# Once per test session the connecting (super)user creates a private schema
# ``jili_test_<hex>`` with every table, trigger and row-level-security policy, and a
# role ``jili_test_app`` (NOSUPERUSER NOBYPASSRLS) with plain DML rights on it. The
# app under test connects with ``-c role=jili_test_app``, so every query it makes is
# subject to RLS exactly as a production app role would be. Between tests the
# superuser TRUNCATEs. A private schema per run keeps concurrent runs on the same
# database apart; a run that died leaves its schema behind, and the next run drops it
# (each live run holds an advisory lock named after its schema).

PG_APP_ROLE = "jili_test_app"
_STALE_SCHEMA = r"^jili_test_[0-9a-f]{8}$"


class PgRun:
    def __init__(self, url: str):
        self.schema = f"jili_test_{secrets.token_hex(4)}"
        self.admin = create_engine(
            url, connect_args={"options": f"-c search_path={self.schema}"}, poolclass=NullPool
        )
        self.lock = self.admin.connect().execution_options(isolation_level="AUTOCOMMIT")
        self.lock.execute(text("select pg_advisory_lock(hashtext(:s))"), {"s": self.schema})
        self._drop_stale_schemas()
        with self.admin.begin() as conn:
            privileged = conn.scalar(
                text("select rolsuper or rolbypassrls from pg_roles where rolname = current_user")
            )
            # A non-superuser owner is already subject to RLS (the tables FORCE it).
            self.app_role = PG_APP_ROLE if privileged else None
            if self.app_role:
                conn.exec_driver_sql(
                    f"DO $$ BEGIN CREATE ROLE {PG_APP_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS; "
                    "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
                )
            conn.exec_driver_sql(f"CREATE SCHEMA {self.schema}")
        self.tables_ready = False

    def _drop_stale_schemas(self) -> None:
        names = self.lock.scalars(
            text("select nspname from pg_namespace where nspname ~ :pattern"),
            {"pattern": _STALE_SCHEMA},
        ).all()
        for name in names:
            if name != self.schema and self.lock.scalar(
                text("select pg_try_advisory_lock(hashtext(:s))"), {"s": name}
            ):
                self.lock.exec_driver_sql(f"DROP SCHEMA IF EXISTS {name} CASCADE")
                self.lock.execute(text("select pg_advisory_unlock(hashtext(:s))"), {"s": name})

    def app_engine_options(self) -> dict:
        options = f"-c search_path={self.schema}"
        if self.app_role:
            options += f" -c role={self.app_role}"
        return {"pool_pre_ping": True, "connect_args": {"options": options}}

    def create_tables(self) -> None:
        """Once, after the first create_app (which registers every model)."""
        dbobjects.install(db.metadata)
        db.metadata.create_all(self.admin)
        if self.app_role:
            with self.admin.begin() as conn:
                for stmt in (
                    "GRANT USAGE ON SCHEMA {s} TO {r}",
                    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}",
                    "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
                ):
                    conn.exec_driver_sql(stmt.format(s=self.schema, r=self.app_role))
        self.tables_ready = True

    def truncate(self) -> None:
        tables = ", ".join(t.name for t in db.metadata.sorted_tables)
        with self.admin.begin() as conn:
            conn.exec_driver_sql(
                "SET LOCAL lock_timeout = '20s'"
            )  # a leaked transaction fails, not hangs
            # The append-only trigger fires on DELETE, not on TRUNCATE.
            conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")

    @contextlib.contextmanager
    def scratch_schema(self):
        """A fresh, empty schema for one test (dropped after); yields its name."""
        name = f"jili_test_{secrets.token_hex(4)}"
        self.lock.execute(text("select pg_advisory_lock(hashtext(:s))"), {"s": name})
        try:
            with self.admin.begin() as conn:
                conn.exec_driver_sql(f"CREATE SCHEMA {name}")
            yield name
        finally:
            with self.admin.begin() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {name} CASCADE")
            self.lock.execute(text("select pg_advisory_unlock(hashtext(:s))"), {"s": name})

    def close(self) -> None:
        with self.admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
        self.lock.close()  # releases the advisory lock
        self.admin.dispose()


_pg: PgRun | None = None


@pytest.fixture(scope="session")
def pg_run():
    """The session's PostgreSQL schema and superuser engine (``None`` on SQLite)."""
    global _pg
    if not PG_URL:
        yield None
        return
    _pg = PgRun(PG_URL)
    try:
        yield _pg
    finally:
        _pg.close()
        _pg = None


class FreshContextClient(FlaskClient):
    """Each request gets its own app context (own ``g`` and db session), as in production.

    Without this, requests made while the fixture's app context is pushed would share
    ``g`` (and the CSRF token cached on it) with each other and with the test.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        # The test's own session must see what the request committed.
        db.session.expire_all()
        return response


@pytest.fixture
def app(tmp_path, pg_run):
    app = create_app(_config(tmp_path))
    app.test_client_class = FreshContextClient
    with app.app_context():
        if pg_run is None:
            db.create_all()
        elif not pg_run.tables_ready:
            pg_run.create_tables()
        else:
            pg_run.truncate()
        yield app
        db.session.remove()
        bind_tenant(None)
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    def make(email: str | None = None, name: str = "测试用户", **kw) -> User:
        user = User(
            email=email or f"u{secrets.token_hex(4)}@example.com",
            name=name,
            password_hash=_PW_HASH,
            **kw,
        )
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def make_tenant(app, make_user):
    """A tenant with an owner; returns the tenant. ``tenant.owner`` is the owner user."""

    def make(slug: str = "acme", name: str = "Acme 销售", **kw) -> Tenant:
        tenant = Tenant(slug=slug, name=name, **kw)
        db.session.add(tenant)
        db.session.commit()
        owner = make_user(email=f"owner@{slug}.example")
        add_member(tenant, owner, Role.OWNER)
        tenant.owner = owner
        return tenant

    return make


def add_member(tenant: Tenant, user: User, role: Role | str) -> Membership:
    with bound_tenant(tenant.id):
        m = Membership(tenant_id=tenant.id, user_id=user.id, role=Role(role))
        db.session.add(m)
        db.session.commit()
    return m


@pytest.fixture
def member(make_user):
    """Create a user with ``role`` in ``tenant``."""

    def make(tenant: Tenant, role: Role | str, email: str | None = None) -> User:
        user = make_user(email=email)
        add_member(tenant, user, role)
        return user

    return make


def csrf_from(html: str) -> str:
    m = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'"X-CSRFToken": "([^"]+)"', html
    )
    assert m, "no CSRF token on the page"
    return m.group(1)


class Browser:
    """A test client that logs in through the real form and posts with CSRF tokens."""

    def __init__(self, client):
        self.client = client
        self.token = None

    def login(self, email: str, password: str = PASSWORD):
        page = self.client.get("/login")
        resp = self.client.post(
            "/login",
            data={"email": email, "password": password, "csrf_token": csrf_from(page.text)},
        )
        self.refresh_token()
        return resp

    def refresh_token(self):
        page = self.client.get("/account")
        if page.status_code == 200:
            self.token = csrf_from(page.text)

    def get(self, url, **kw):
        return self.client.get(url, **kw)

    def post(self, url, data=None, **kw):
        data = dict(data or {})
        data.setdefault("csrf_token", self.token)
        return self.client.post(url, data=data, **kw)


@pytest.fixture
def browser(app):
    def make(user: User | None = None) -> Browser:
        b = Browser(app.test_client())
        if user is not None:
            resp = b.login(user.email)
            assert resp.status_code == 302, resp.text
        return b

    return make
