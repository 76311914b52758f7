"""The ORM backstop (jili.tenancy) on SQLite and PostgreSQL alike, the append-only audit
log triggers, and the shape of the schema that keeps tenants apart."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import (
    Index,
    UniqueConstraint,
    delete,
    func,
    insert,
    select,
    text,
    union,
    update,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import aliased

from jili.extensions import db
from jili.models import AuditLog, Membership, Person, Team, Tenant
from jili.tenancy import (
    TenantMismatch,
    TenantNotBound,
    TenantScoped,
    all_tenants,
    bind_tenant,
    bound_tenant,
)


@pytest.fixture
def two(make_tenant):
    """Tenants A and B, each with a team, two people (one managing the other)."""
    out = {}
    for slug in ("alpha", "beta"):
        tenant = make_tenant(slug=slug, name=f"{slug} 公司")
        with bound_tenant(tenant.id):
            team = Team(tenant_id=tenant.id, name=f"{slug} 华东组")
            db.session.add(team)
            db.session.flush()
            boss = Person(
                tenant_id=tenant.id,
                employee_no="E1",
                name=f"{slug} 经理",
                team_id=team.id,
                base_salary=Decimal("12000.00"),
            )
            db.session.add(boss)
            db.session.flush()
            staff = Person(
                tenant_id=tenant.id,
                employee_no="E2",
                name=f"{slug} 销售",
                team_id=team.id,
                manager_id=boss.id,
                base_salary=Decimal("8000.00"),
            )
            db.session.add(staff)
            db.session.commit()
            out[slug] = {"tenant": tenant.id, "team": team.id, "boss": boss.id, "staff": staff.id}
    db.session.expunge_all()  # nothing cached: every read below goes to the database
    return out


def _fresh():
    db.session.rollback()
    db.session.expunge_all()


# --- fail closed -------------------------------------------------------------------


def _statement_forms(model):
    """The ways a statement can reach a tenant table."""
    return {
        "entity": select(model),
        "count select_from": select(func.count()).select_from(model),
        "column": select(model.id),
        "subquery": select(func.count()).select_from(select(model.id).subquery()),
        "cte": select(func.count()).select_from(select(model).cte()),
        "union": union(select(model.id), select(model.id)),
        "exists": select(Tenant.id).where(select(model.id).exists()),
        "core table": select(model.__table__),
        "update": update(model).values(tenant_id=model.tenant_id),
        "delete": delete(model).where(model.id == -1),
    }


@pytest.mark.parametrize("model", [Person, Team, Membership, AuditLog])
def test_statement_with_no_tenant_bound_is_refused(two, model):
    for form, stmt in _statement_forms(model).items():
        with pytest.raises(TenantNotBound):
            db.session.execute(stmt)
            pytest.fail(f"{form}: ran with no tenant bound")


@pytest.mark.parametrize("form", ["count select_from", "subquery", "cte", "union", "exists"])
def test_every_orm_statement_form_is_scoped(two, form):
    a = two["alpha"]
    stmt = _statement_forms(Person)[form]
    with all_tenants():
        everywhere = db.session.execute(stmt).all()
    with bound_tenant(a["tenant"]):
        scoped = db.session.execute(stmt).all()
    expected = {
        "count select_from": ([(4,)], [(2,)]),
        "subquery": ([(4,)], [(2,)]),
        "cte": ([(4,)], [(2,)]),
        "union": (4, 2),
        "exists": (2, 2),
    }[form]
    if isinstance(expected[0], int):
        assert (len(everywhere), len(scoped)) == expected
    else:
        assert (everywhere, scoped) == expected
    if form == "union":
        assert {r[0] for r in scoped} == {a["boss"], a["staff"]}


def test_get_by_id_with_no_tenant_bound_is_refused(two):
    with pytest.raises(TenantNotBound):
        db.session.get(Person, two["alpha"]["staff"])


# --- implicit scoping ----------------------------------------------------------------


def test_bound_tenant_sees_only_its_rows_without_any_filter(two):
    a, b = two["alpha"], two["beta"]
    with bound_tenant(a["tenant"]):
        people = db.session.scalars(select(Person)).all()
        assert {p.id for p in people} == {a["boss"], a["staff"]}
        assert db.session.scalar(select(func.count(Person.id))) == 2
        assert sorted(db.session.scalars(select(Person.name))) == ["alpha 经理", "alpha 销售"]
        # Another tenant's id is simply not there, by get() or by query.
        assert db.session.get(Person, b["staff"]) is None
        assert db.session.scalar(select(Person).where(Person.id == b["staff"])) is None
        # Joins and aliases are scoped on every side.
        manager = aliased(Person)
        pairs = db.session.execute(
            select(Person.name, manager.name).join(manager, Person.manager_id == manager.id)
        ).all()
        assert pairs == [("alpha 销售", "alpha 经理")]
        teams = db.session.scalars(select(Team).join(Person, Person.team_id == Team.id)).all()
        assert {t.id for t in teams} == {a["team"]}
    _fresh()
    # The same statements with B bound give B's rows (no stale cached criteria).
    with bound_tenant(b["tenant"]):
        assert {p.id for p in db.session.scalars(select(Person))} == {b["boss"], b["staff"]}
    _fresh()
    with bound_tenant(a["tenant"]):
        assert {p.id for p in db.session.scalars(select(Person))} == {a["boss"], a["staff"]}


def test_lazy_loads_stay_scoped(two):
    a, b = two["alpha"], two["beta"]
    with bound_tenant(a["tenant"]):
        staff = db.session.get(Person, a["staff"])
        assert staff.team.id == a["team"]
        assert staff.manager.id == a["boss"]
        assert staff.manager.team.name == "alpha 华东组"
    _fresh()
    with bound_tenant(a["tenant"]):
        staff = db.session.get(Person, a["staff"])  # relationships not loaded yet
    # Lazy-loading A's relationships while B is bound finds nothing of A's.
    with bound_tenant(b["tenant"]):
        assert staff.team is None
        assert staff.manager is None


def test_objects_already_loaded_refresh_after_commit_outside_the_binding(two):
    """Expire-on-commit reloads of objects the session holds are not new queries."""
    a = two["alpha"]
    with bound_tenant(a["tenant"]):
        staff = db.session.get(Person, a["staff"])
        staff.name = "改名 销售"
        db.session.commit()
    assert staff.name == "改名 销售"  # refreshed with no tenant bound
    assert staff.team.name == "alpha 华东组"  # lazy load with no tenant bound


def test_all_tenants_reads_across(two):
    a, b = two["alpha"], two["beta"]
    everyone = {a["boss"], a["staff"], b["boss"], b["staff"]}
    with all_tenants():
        assert {p.id for p in db.session.scalars(select(Person))} == everyone
    _fresh()
    stmt = select(Person).execution_options(all_tenants=True)
    assert {p.id for p in db.session.scalars(stmt)} == everyone
    _fresh()
    with bound_tenant(a["tenant"]):  # the option wins over the binding, for that statement only
        assert {p.id for p in db.session.scalars(stmt)} == everyone
        assert {p.id for p in db.session.scalars(select(Person))} == {a["boss"], a["staff"]}


def test_binding_changes_mid_transaction(two):
    a, b = two["alpha"], two["beta"]
    bind_tenant(a["tenant"])
    assert {p.tenant_id for p in db.session.scalars(select(Person))} == {a["tenant"]}
    assert db.session().in_transaction()
    bind_tenant(b["tenant"])
    assert {p.tenant_id for p in db.session.scalars(select(Person))} == {b["tenant"]}
    with all_tenants():
        assert db.session.scalar(select(func.count(Person.id))) == 4
    assert db.session.scalar(select(func.count(Person.id))) == 2
    bind_tenant(None)
    with pytest.raises(TenantNotBound):
        db.session.scalars(select(Person)).all()


# --- writes --------------------------------------------------------------------------


def test_writing_another_tenants_row_is_refused(two):
    a, b = two["alpha"], two["beta"]
    with bound_tenant(a["tenant"]):
        db.session.add(Person(tenant_id=b["tenant"], employee_no="X", name="越界"))
        with pytest.raises(TenantMismatch):
            db.session.flush()
        _fresh()
        staff = db.session.get(Person, a["staff"])
        staff.tenant_id = b["tenant"]  # moving a row to another tenant
        with pytest.raises(TenantMismatch):
            db.session.flush()
        _fresh()
        # A new row without tenant_id takes the bound tenant.
        p = Person(employee_no="N1", name="新人")
        db.session.add(p)
        db.session.commit()
        assert p.tenant_id == a["tenant"]


def test_orm_bulk_insert_is_checked(two):
    a, b = two["alpha"], two["beta"]
    rows = [{"tenant_id": b["tenant"], "employee_no": "X9", "name": "越界"}]
    with pytest.raises(TenantNotBound):
        db.session.execute(insert(Person), rows)
    with bound_tenant(a["tenant"]):
        with pytest.raises(TenantMismatch):
            db.session.execute(insert(Person), rows)
        db.session.execute(
            insert(Person), [{"tenant_id": a["tenant"], "employee_no": "A9", "name": "本租户"}]
        )
        assert db.session.scalar(select(func.count(Person.id))) == 3


def test_writing_with_no_tenant_bound_is_refused(two):
    db.session.add(Person(tenant_id=two["alpha"]["tenant"], employee_no="X", name="无主"))
    with pytest.raises(TenantNotBound):
        db.session.flush()


def test_bulk_update_and_delete_are_scoped(two):
    a, b = two["alpha"], two["beta"]
    with bound_tenant(a["tenant"]):
        result = db.session.execute(update(Person).values(base_salary=Decimal("1.00")))
        assert result.rowcount == 2
        db.session.execute(
            update(Person).where(Person.manager_id.is_not(None)).values(manager_id=None)
        )
        result = db.session.execute(delete(Person).where(Person.employee_no == "E2"))
        assert result.rowcount == 1
        db.session.commit()
    with all_tenants():
        rows = {
            (p.tenant_id, p.employee_no): p.base_salary for p in db.session.scalars(select(Person))
        }
    assert rows == {
        (a["tenant"], "E1"): Decimal("1.00"),
        (b["tenant"], "E1"): Decimal("12000.00"),
        (b["tenant"], "E2"): Decimal("8000.00"),
    }
    with pytest.raises(TenantNotBound):
        db.session.execute(update(Person).values(name="x"))
    with pytest.raises(TenantNotBound):
        db.session.execute(delete(Team))


# --- the audit log is append-only in the database too --------------------------------


def test_audit_log_refuses_update_and_delete_in_sql(two):
    a = two["alpha"]
    with bound_tenant(a["tenant"]):
        db.session.add(AuditLog(tenant_id=a["tenant"], action="test", object_type="Person"))
        db.session.commit()
        for stmt in ("UPDATE audit_log SET action = 'rewritten'", "DELETE FROM audit_log"):
            with pytest.raises(DBAPIError, match="append-only"):
                db.session.execute(text(stmt))
            db.session.rollback()
        assert db.session.scalars(select(AuditLog.action)).all() == ["test"]


# --- schema shape ----------------------------------------------------------------------


def _scoped_tables():
    return [
        m.class_.__table__ for m in db.Model.registry.mappers if issubclass(m.class_, TenantScoped)
    ]


def test_every_tenant_model_is_scoped():
    tables = {t.name for t in _scoped_tables()}
    with_column = {t.name for t in db.metadata.sorted_tables if "tenant_id" in t.c}
    assert tables == with_column
    assert {"person", "team", "membership", "invitation", "period", "audit_log"} <= tables
    for table in _scoped_tables():
        assert table.c.tenant_id.nullable is False, table.name
        assert any(fk.column.table.name == "tenant" for fk in table.c.tenant_id.foreign_keys)


def test_every_tenant_table_has_an_index_led_by_tenant_id():
    for table in _scoped_tables():
        leading = [list(ix.columns)[0].name for ix in table.indexes]
        leading += [
            list(c.columns)[0].name for c in table.constraints if isinstance(c, UniqueConstraint)
        ]
        assert "tenant_id" in leading, f"{table.name}: no index starting with tenant_id"


# Unique across every tenant on purpose, each with the reason.
GLOBALLY_UNIQUE = {
    # A 256-bit random token's hash, looked up before the tenant is known.
    ("invitation", ("token_hash",)): "invitation link lookup",
    # The key of a tenant's public feedback link /f/<key>/: it names the tenant.
    ("feedback_setting", ("link_key",)): "public feedback link lookup",
}


def test_every_unique_constraint_on_a_tenant_table_includes_tenant_id():
    problems = []
    for table in _scoped_tables():
        uniques = [c for c in table.constraints if isinstance(c, UniqueConstraint)]
        uniques += [ix for ix in table.indexes if isinstance(ix, Index) and ix.unique]
        for u in uniques:
            cols = tuple(c.name for c in u.columns)
            if "tenant_id" not in cols and (table.name, cols) not in GLOBALLY_UNIQUE:
                problems.append(f"{table.name}{cols}")
    assert not problems, "unique constraints not scoped by tenant_id: " + ", ".join(problems)
