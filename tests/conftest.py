"""Fixtures: an app with a fresh database per test, on SQLite or (when
JILI_TEST_DATABASE_URL is set) PostgreSQL; client and runner; helpers to make
tenants, users and logins."""

from __future__ import annotations

import os
import re
import secrets

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from jili import create_app
from jili.extensions import db
from jili.models import Membership, Role, Tenant, User
from jili.passwords import hash_password
from jili.tenancy import bind_tenant, bound_tenant

PG_URL = os.environ.get("JILI_TEST_DATABASE_URL")
PASSWORD = "correct-horse-battery-9"
_PW_HASH = hash_password(PASSWORD)  # hashing is slow on purpose; do it once


def _config(tmp_path) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": PG_URL or f"sqlite:///{tmp_path / 'test.sqlite3'}",
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": "localhost",
    }


_pg_schema_ready = False


def _reset_pg() -> None:
    global _pg_schema_ready
    if not _pg_schema_ready:
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        db.create_all()
        _pg_schema_ready = True
        return
    tables = ", ".join(t.name for t in db.metadata.sorted_tables)
    with db.engine.begin() as conn:
        # The append-only trigger fires on DELETE, not on TRUNCATE.
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


class FreshContextClient(FlaskClient):
    """Each request gets its own app context (own ``g`` and db session), as in production.

    Without this, requests made while the fixture's app context is pushed would share
    ``g`` (and the CSRF token cached on it) with each other and with the test.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def app(tmp_path):
    app = create_app(_config(tmp_path))
    app.test_client_class = FreshContextClient
    with app.app_context():
        if PG_URL:
            _reset_pg()
        else:
            db.create_all()
        yield app
        db.session.remove()
        bind_tenant(None)
        if not PG_URL:
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
