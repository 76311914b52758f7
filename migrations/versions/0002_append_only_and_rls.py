"""append-only audit log; row-level security on PostgreSQL

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

"""
from alembic import op

from jili import dbobjects
from jili.extensions import db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    for stmt in dbobjects.statements_for(bind.dialect.name, db.metadata):
        op.execute(stmt)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    elif bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        for table in dbobjects.tenant_tables(db.metadata):
            op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
            op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
