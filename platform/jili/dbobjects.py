"""Database objects beyond tables: append-only triggers and PostgreSQL row-level security.

Shared by ``db.create_all()`` (tests) and the Alembic migrations, so both paths
build the same database.
"""

from __future__ import annotations

from sqlalchemy import event

SQLITE_APPEND_ONLY = [
    """CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
]

PG_APPEND_ONLY = [
    """CREATE OR REPLACE FUNCTION jili_refuse_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only'; END $$""",
    "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
    """CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
       FOR EACH ROW EXECUTE FUNCTION jili_refuse_rewrite()""",
]

RLS_CONDITION = (
    "(current_setting('jili.bypass', true) = 'on' OR "
    "tenant_id = nullif(current_setting('jili.tenant_id', true), '')::integer)"
)


def pg_rls_statements(table: str) -> list[str]:
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS tenant_isolation ON {table}",
        f"CREATE POLICY tenant_isolation ON {table} USING {RLS_CONDITION} WITH CHECK {RLS_CONDITION}",
    ]


def tenant_tables(metadata) -> list[str]:
    return sorted(t.name for t in metadata.sorted_tables if "tenant_id" in t.c)


def statements_for(dialect_name: str, metadata) -> list[str]:
    if dialect_name == "sqlite":
        return list(SQLITE_APPEND_ONLY)
    if dialect_name == "postgresql":
        out = list(PG_APPEND_ONLY)
        for table in tenant_tables(metadata):
            out += pg_rls_statements(table)
        return out
    return []


def install(metadata) -> None:
    """Create the triggers and policies whenever ``metadata.create_all`` runs."""

    @event.listens_for(metadata, "after_create")
    def _after_create(target, connection, **kw) -> None:
        for stmt in statements_for(connection.dialect.name, target):
            connection.exec_driver_sql(stmt)
