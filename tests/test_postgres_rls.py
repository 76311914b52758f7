"""Row-level security on PostgreSQL: the second wall, tested on its own.

The app under test connects as ``jili_test_app`` (NOSUPERUSER NOBYPASSRLS, see
conftest), so these statements are refused or filtered exactly as in production.
"""

from __future__ import annotations

import os
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from jili import dbobjects
from jili.extensions import db
from jili.models import AuditLog, Person
from jili.tenancy import all_tenants, bind_tenant, bound_tenant

pytestmark = pytest.mark.skipif(
    not os.environ.get("JILI_TEST_DATABASE_URL"),
    reason="PostgreSQL only: needs JILI_TEST_DATABASE_URL "
    "(tests/run.py sets it when a server answers on 127.0.0.1:5432/test)",
)

TENANT = "select set_config('jili.tenant_id', :t, true)"
BYPASS = "select set_config('jili.bypass', 'on', true)"


@pytest.fixture
def ab(make_tenant):
    """Tenants A and B with two people and one audit entry each; returns their ids."""
    ids = {}
    for slug in ("a", "b"):
        tenant = make_tenant(slug=f"rls-{slug}", name=f"租户 {slug}")
        with bound_tenant(tenant.id):
            for no in ("E1", "E2"):
                db.session.add(
                    Person(
                        tenant_id=tenant.id,
                        employee_no=no,
                        name=f"{slug}{no}",
                        base_salary=Decimal("100.00"),
                    )
                )
            db.session.add(AuditLog(tenant_id=tenant.id, action="seed", object_type="test"))
            db.session.commit()
        ids[slug] = tenant.id
    db.session.remove()
    return ids["a"], ids["b"]


def _tenants(conn, sql="select tenant_id from person") -> list[int]:
    return sorted(conn.scalars(text(sql)).all())


def test_the_app_runs_as_a_role_that_rls_applies_to(app):
    row = db.session.execute(
        text("select rolsuper, rolbypassrls from pg_roles where rolname = current_user")
    ).one()
    assert tuple(row) == (False, False)
    for table in dbobjects.tenant_tables(db.metadata):
        enabled, forced = db.session.execute(
            text(
                "select relrowsecurity, relforcerowsecurity from pg_class "
                "where oid = to_regclass(:t)"
            ),
            {"t": table},
        ).one()
        assert (enabled, forced) == (True, True), table
        policies = db.session.scalars(
            text(
                "select policyname from pg_policies where tablename = :t "
                "and schemaname = current_schema()"
            ),
            {"t": table},
        ).all()
        assert policies == ["tenant_isolation"], table


def test_raw_select_sees_the_bound_tenant_nothing_unbound_everything_with_bypass(ab):
    a, b = ab
    with db.engine.connect() as conn:
        assert _tenants(conn) == []  # no setting: nothing
        conn.execute(text(TENANT), {"t": str(a)})
        assert _tenants(conn) == [a, a]
        assert _tenants(conn, "select tenant_id from audit_log") == [a]
        conn.execute(text(TENANT), {"t": str(b)})
        assert _tenants(conn) == [b, b]
        conn.execute(text(BYPASS))
        assert _tenants(conn) == [a, a, b, b]
        conn.rollback()
        # The settings were local to that transaction.
        assert _tenants(conn) == []


def test_writes_into_another_tenant_are_refused_by_with_check(ab):
    a, b = ab
    with db.engine.connect() as conn:
        conn.execute(text(TENANT), {"t": str(a)})
        with pytest.raises(DBAPIError, match="row-level security"):
            conn.execute(
                text(
                    "insert into person (tenant_id, employee_no, name, level, base_salary) "
                    "values (:t, 'X1', '越界', 'core', 0)"
                ),
                {"t": b},
            )
        conn.rollback()
        conn.execute(text(TENANT), {"t": str(a)})
        with pytest.raises(DBAPIError, match="row-level security"):
            conn.execute(text("update person set tenant_id = :t"), {"t": b})
        conn.rollback()
        # B's rows are invisible to A: updating or deleting them touches nothing.
        conn.execute(text(TENANT), {"t": str(a)})
        assert (
            conn.execute(
                text("update person set name = 'x' where tenant_id = :t"), {"t": b}
            ).rowcount
            == 0
        )
        assert conn.execute(text("delete from person where tenant_id = :t"), {"t": b}).rowcount == 0
        # A's own row goes in.
        conn.execute(
            text(
                "insert into person (tenant_id, employee_no, name, level, base_salary) "
                "values (:t, 'A3', '本租户', 'core', 0)"
            ),
            {"t": a},
        )
        conn.commit()
        conn.execute(text(BYPASS))
        assert _tenants(conn) == [a, a, a, b, b]


def test_a_session_without_the_orm_backstop_is_still_walled(ab):
    """Forget jili.tenancy entirely (plain Session, no listeners): RLS still filters."""
    a, b = ab
    with Session(db.engine) as plain:
        assert plain.scalars(select(Person)).all() == []
        plain.execute(text(TENANT), {"t": str(b)})
        assert {p.tenant_id for p in plain.scalars(select(Person))} == {b}


def test_audit_log_update_and_delete_are_refused_by_the_trigger(ab, pg_run):
    with db.engine.connect() as conn:
        conn.execute(text(BYPASS))  # every row visible, so the trigger is what refuses
        for stmt in ("update audit_log set action = 'rewritten'", "delete from audit_log"):
            with pytest.raises(DBAPIError, match="audit_log is append-only"):
                conn.execute(text(stmt))
            conn.rollback()
            conn.execute(text(BYPASS))
        assert conn.scalars(text("select action from audit_log")).all() == ["seed", "seed"]
    # Not even the superuser who owns the table may rewrite history.
    with pg_run.admin.connect() as conn:
        with pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text("delete from audit_log"))


def _setting(name: str) -> str | None:
    return db.session.scalar(text("select current_setting(:n, true)"), {"n": name})


def test_the_session_follows_the_binding_within_a_transaction(ab):
    a, b = ab
    count = text("select count(*) from person")  # raw SQL: only RLS scopes it
    bind_tenant(a)
    assert db.session.scalar(count) == 2
    assert _setting("jili.tenant_id") == str(a)
    bind_tenant(b)  # same transaction
    assert db.session().in_transaction()
    assert _setting("jili.tenant_id") == str(b)
    with all_tenants():
        assert db.session.scalar(count) == 4
        assert _setting("jili.bypass") == "on"
    assert _setting("jili.bypass") == "off"
    assert db.session.scalar(count) == 2

    # A statement-level all_tenants option bypasses for that statement only.
    stmt = select(Person).execution_options(all_tenants=True)
    assert len(db.session.scalars(stmt).all()) == 4
    assert _setting("jili.bypass") == "off"
    assert db.session.scalar(count) == 2

    # ROLLBACK TO SAVEPOINT restores the settings of before the savepoint; the
    # binding made inside it still holds, and the session re-applies it.
    nested = db.session.begin_nested()
    assert db.session.scalar(count) == 2  # the SAVEPOINT is emitted here
    bind_tenant(a)
    assert _setting("jili.tenant_id") == str(a)
    nested.rollback()
    assert _setting("jili.tenant_id") == str(a)
    assert db.session.scalar(count) == 2

    db.session.commit()
    bind_tenant(None)
    assert _setting("jili.tenant_id") == ""  # new transaction, nothing bound
    assert db.session.scalar(count) == 0
