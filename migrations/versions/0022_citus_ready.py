"""Citus-ready keys: tenant_id in every tenant-owned table's keys

Revision ID: 0022
Revises: 0020
Create Date: 2026-12-01

For tenant-sharding on Citus (distribution column ``tenant_id``, docs/SCALING.md):

* ``invitation.person_id`` refers to the person through ``(tenant_id, person_id)``, as
  every other reference between tenant-owned tables does (the person is the same
  tenant's, and on the same shard);
* on PostgreSQL, the primary key of every tenant-owned table becomes
  ``(tenant_id, id)`` — Citus refuses a primary key without the distribution column.
  ``id`` keeps its sequence; the models keep ``id`` as the ORM identity (SQLite cannot
  autoincrement a two-column key, so SQLite keeps ``id`` alone).
"""
from alembic import op
import sqlalchemy as sa

from jili import dbobjects

revision = "0022"
down_revision = "0020"
branch_labels = None
depends_on = None

TENANT_TABLES_SQL = """
select c.table_name from information_schema.columns c
  join information_schema.tables t
    on t.table_schema = c.table_schema and t.table_name = c.table_name
 where c.table_schema = current_schema() and c.column_name = 'tenant_id'
   and t.table_type = 'BASE TABLE'
 order by c.table_name"""

PK_SQL = """
select con.conname, array_agg(att.attname::text order by k.ord)
  from pg_constraint con
  cross join lateral unnest(con.conkey) with ordinality as k(attnum, ord)
  join pg_attribute att on att.attrelid = con.conrelid and att.attnum = k.attnum
 where con.contype = 'p' and con.conrelid = to_regclass(:t)
 group by con.conname"""


def _primary_keys(bind, wanted: list[str]) -> list[tuple[str, str, list[str]]]:
    out = []
    for table in bind.execute(sa.text(TENANT_TABLES_SQL)).scalars():
        row = bind.execute(sa.text(PK_SQL), {"t": table}).one_or_none()
        if row is not None and list(row[1]) == wanted:
            out.append((table, row[0], list(row[1])))
    return out


def upgrade():
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_constraint("fk_invitation_person_id_person", type_="foreignkey")
        batch_op.create_foreign_key(
            "fk_invitation_tenant_id_person_id_person",
            "person",
            ["tenant_id", "person_id"],
            ["tenant_id", "id"],
        )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for table, _name, _cols in _primary_keys(bind, ["id"]):
            for stmt in dbobjects.pg_tenant_primary_key_statements(table):
                op.execute(stmt)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for table, name, _cols in _primary_keys(bind, ["tenant_id", "id"]):
            op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
            op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} PRIMARY KEY (id)")
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_constraint("fk_invitation_tenant_id_person_id_person", type_="foreignkey")
        batch_op.create_foreign_key(
            "fk_invitation_person_id_person", "person", ["person_id"], ["id"], ondelete="SET NULL"
        )
