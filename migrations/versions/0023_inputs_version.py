"""inputs version: a per-company token the database bumps on every write to an input

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-01

The estimate cache (``jili.incentives.services.estimates``) used to read a digest of
every input on each request (string aggregates over people, teams, targets, KPI
values, profit and awards, and sums over the period's credits). ``inputs_version``
holds one row per company whose ``token`` triggers on the input tables renew on every
insert, update and delete — per row on SQLite; on PostgreSQL once per transaction, at
its commit: a statement trigger notes the writing transaction in ``inputs_pending``
and a deferred constraint trigger there renews the version, so the version row is
locked only while the transaction commits, not while it runs — so the stamp becomes
one row read, and raw-SQL and bulk writes count too. Both tables tenant-owned:
row-level security and, on PostgreSQL, the ``(tenant_id, id)`` primary key like every
other tenant table.
"""

import sqlalchemy as sa
from alembic import op

from jili import dbobjects

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "inputs_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("changes", sa.BigInteger(), nullable=False),
        sa.Column("token", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_inputs_version_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inputs_version")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_inputs_version_tenant_id")),
    )
    with op.batch_alter_table("inputs_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inputs_version_tenant_id"), ["tenant_id"], unique=False
        )
    op.create_table(
        "inputs_pending",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("xact", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_inputs_pending_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inputs_pending")),
    )
    with op.batch_alter_table("inputs_pending", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inputs_pending_tenant_id"), ["tenant_id"], unique=False
        )
    bind = op.get_bind()
    dialect = bind.dialect.name
    if dialect == "postgresql":
        for table in ("inputs_version", "inputs_pending"):
            for stmt in dbobjects.pg_rls_statements(table):
                op.execute(stmt)
            for stmt in dbobjects.pg_tenant_primary_key_statements(table):
                op.execute(stmt)
    for stmt in dbobjects.inputs_version_statements(dialect):
        op.execute(stmt)


def downgrade():
    for stmt in dbobjects.inputs_version_drop_statements(op.get_bind().dialect.name):
        op.execute(stmt)
    with op.batch_alter_table("inputs_pending", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inputs_pending_tenant_id"))
    op.drop_table("inputs_pending")
    with op.batch_alter_table("inputs_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inputs_version_tenant_id"))
    op.drop_table("inputs_version")
