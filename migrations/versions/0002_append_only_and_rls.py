"""append-only audit log; row-level security on PostgreSQL

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

"""
from alembic import op

from jili import dbobjects

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# The tenant-owned tables as of this revision. Not read from the models: a table
# added by a later revision does not exist yet when this one runs. A later revision
# that creates a tenant-owned table enables RLS on it itself:
#     for stmt in dbobjects.pg_rls_statements("new_table"): op.execute(stmt)
# (only when op.get_bind().dialect.name == "postgresql").
TENANT_TABLES = ["audit_log", "invitation", "membership", "period", "person", "team"]


def upgrade():
    dialect = op.get_bind().dialect.name
    for stmt in dbobjects.statements_for(dialect, tables=TENANT_TABLES, append_only=("audit_log",)):
        op.execute(stmt)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        for table in TENANT_TABLES:
            op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
            op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
