"""Ready for tenant-sharding on Citus (distribution column ``tenant_id``, docs/SCALING.md).

Citus enforces a primary key or unique constraint on a distributed table only when it
includes the distribution column, and a foreign key between distributed tables only
when both sides include it (co-location); a distributed table may refer to a reference
table (here the global ones: tenant, user_account, password_reset) freely. This test
inspects ``db.metadata`` and reports every tenant-owned table that breaks that, and,
on PostgreSQL, the primary keys of the database that ``create_all`` really built.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Column, ForeignKeyConstraint, Integer, MetaData, Table, UniqueConstraint
from sqlalchemy import inspect as sa_inspect

from jili.extensions import db

#: Global tables: reference tables on Citus (copied to every node).
REFERENCE_TABLES = {"tenant", "user_account", "password_reset"}

#: Unique constraints without tenant_id, kept on purpose — each is a global lookup of a
#: public link that carries no tenant, so the database must refuse a duplicate across
#: tenants. On Citus each moves to a small reference table (key → tenant_id); see
#: docs/SCALING.md. A new entry here needs that argument; a fixed one must leave.
GLOBAL_LOOKUPS = {
    ("feedback_setting", ("link_key",)): "the anonymous feedback link /f/<link_key>",
    ("invitation", ("token_hash",)): "the invitation link /invite/<token>",
}


def problems(metadata: MetaData, *, pk_on_database: dict[str, list[str]] | None = None):
    """(table, what) for every key of a tenant-owned table without tenant_id.

    The primary key is taken from ``pk_on_database`` when given (PostgreSQL's, where
    it is ``(tenant_id, id)``); otherwise the model's must include tenant_id or be
    ``id`` alone, which the PostgreSQL schema turns into ``(tenant_id, id)``
    (jili.dbobjects.pg_tenant_primary_key_statements; SQLite keeps ``id``)."""
    out = []
    for table in metadata.sorted_tables:
        if "tenant_id" not in table.c:
            continue
        pk = [c.name for c in table.primary_key.columns]
        uniques = [
            tuple(c.name for c in con.columns)
            for con in table.constraints
            if isinstance(con, UniqueConstraint)
        ] + [tuple(c.name for c in ix.columns) for ix in table.indexes if ix.unique]
        if pk_on_database is not None:
            if "tenant_id" not in pk_on_database.get(table.name, []):
                out.append(
                    (table.name, f"primary key ({', '.join(pk_on_database.get(table.name, []))})")
                )
        elif "tenant_id" not in pk and pk != ["id"]:
            out.append((table.name, f"primary key ({', '.join(pk)})"))
        for cols in uniques:
            if "tenant_id" not in cols and (table.name, cols) not in GLOBAL_LOOKUPS:
                out.append((table.name, f"unique ({', '.join(cols)})"))
        for fk in table.constraints:
            if not isinstance(fk, ForeignKeyConstraint):
                continue
            target = fk.referred_table
            if target.name in REFERENCE_TABLES:
                continue
            mine = [c.name for c in fk.columns]
            theirs = [e.column.name for e in fk.elements]
            if "tenant_id" not in mine or mine.index("tenant_id") != theirs.index("tenant_id") \
                    if "tenant_id" in theirs else True:  # fmt: skip
                out.append((table.name, f"foreign key ({', '.join(mine)}) → {target.name}"))
    return out


def test_every_tenant_owned_table_is_keyed_by_tenant(app):
    found = problems(db.metadata)
    assert not found, "not co-locatable on Citus:\n" + "\n".join(f"  {t}: {w}" for t, w in found)


def test_the_global_lookups_listed_are_still_there():
    tables = db.metadata.tables
    for (table, cols), _why in GLOBAL_LOOKUPS.items():
        uniques = {
            tuple(c.name for c in con.columns)
            for con in tables[table].constraints
            if isinstance(con, UniqueConstraint)
        } | {tuple(c.name for c in ix.columns) for ix in tables[table].indexes if ix.unique}
        assert cols in uniques, f"{table}{cols} is fixed: remove it from GLOBAL_LOOKUPS"


def test_the_check_finds_what_citus_would_refuse():
    md = MetaData()
    Table("tenant", md, Column("id", Integer, primary_key=True))
    Table("parent", md, Column("id", Integer, primary_key=True),
          Column("tenant_id", Integer), UniqueConstraint("tenant_id", "id"))  # fmt: skip
    Table("bad", md, Column("code", Integer, primary_key=True), Column("tenant_id", Integer),
          Column("parent_id", Integer), Column("ref", Integer, unique=True),
          ForeignKeyConstraint(["parent_id"], ["parent.id"]))  # fmt: skip
    Table("good", md, Column("id", Integer, primary_key=True), Column("tenant_id", Integer),
          Column("parent_id", Integer), UniqueConstraint("tenant_id", "id"),
          ForeignKeyConstraint(["tenant_id", "parent_id"], ["parent.tenant_id", "parent.id"]),
          ForeignKeyConstraint(["tenant_id"], ["tenant.id"]))  # fmt: skip
    found = problems(md)
    assert {t for t, _ in found} == {"bad"}
    assert sorted(w for _, w in found) == [
        "foreign key (parent_id) → parent",
        "primary key (code)",
        "unique (ref)",
    ]
    assert problems(md, pk_on_database={"parent": ["id"], "good": ["tenant_id", "id"],
                                        "bad": ["tenant_id", "id"]})[0] == ("parent", "primary key (id)")  # fmt: skip


def test_on_postgresql_every_tenant_owned_primary_key_holds_tenant_id(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite keeps id alone as the key (it autoincrements)")
    inspector = sa_inspect(db.engine)
    pks = {
        t.name: inspector.get_pk_constraint(t.name)["constrained_columns"]
        for t in db.metadata.sorted_tables
        if "tenant_id" in t.c
    }
    found = [p for p in problems(db.metadata, pk_on_database=pks) if p[1].startswith("primary")]
    assert not found, found
