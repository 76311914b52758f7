"""Database objects beyond tables: append-only triggers and PostgreSQL row-level security.

Shared by ``db.create_all()`` (tests) and the Alembic migrations, so both paths
build the same database.

A migration that adds a tenant-owned table must also give it its policy on
PostgreSQL (``create_all`` does it by itself)::

    if op.get_bind().dialect.name == "postgresql":
        for stmt in dbobjects.pg_rls_statements("my_table"):
            op.execute(stmt)

and an append-only table its triggers:
``for stmt in dbobjects.append_only_statements(dialect, "my_table"): op.execute(stmt)``.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import event

#: Tables whose rows are never updated or deleted once written.
APPEND_ONLY_TABLES = ("audit_log", "calculation_run", "payout_line")

PG_REFUSE_FUNCTION = """CREATE OR REPLACE FUNCTION jili_refuse_rewrite() RETURNS trigger
   LANGUAGE plpgsql AS $$
   BEGIN RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only'; END $$"""


def append_only_statements(dialect_name: str, table: str) -> list[str]:
    """Triggers refusing UPDATE and DELETE on ``table`` (TRUNCATE stays possible)."""
    if dialect_name == "sqlite":
        return [
            f"""CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table}
       BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END""",
            f"""CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table}
       BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END""",
        ]
    if dialect_name == "postgresql":
        return [
            PG_REFUSE_FUNCTION,
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
            f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
       FOR EACH ROW EXECUTE FUNCTION jili_refuse_rewrite()""",
        ]
    return []


SQLITE_APPEND_ONLY = append_only_statements("sqlite", "audit_log")
PG_APPEND_ONLY = append_only_statements("postgresql", "audit_log")

#: Rows are visible and writable only for the tenant bound in this transaction
#: (``jili.tenant_id``), or for every tenant when ``jili.bypass`` is on; with neither
#: set, nothing. Both are set by :mod:`jili.tenancy` with ``set_config(..., true)``.
RLS_CONDITION = (
    "(current_setting('jili.bypass', true) = 'on' OR "
    "tenant_id = nullif(current_setting('jili.tenant_id', true), '')::integer)"
)


def pg_rls_statements(table: str) -> list[str]:
    """Enable and force (the owner too) the tenant policy on ``table``."""
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS tenant_isolation ON {table}",
        f"CREATE POLICY tenant_isolation ON {table} USING {RLS_CONDITION} WITH CHECK {RLS_CONDITION}",
    ]


def pg_tenant_primary_key_statements(table: str) -> list[str]:
    """Make ``(tenant_id, id)`` the primary key of ``table`` on PostgreSQL, as Citus
    needs of a table distributed by ``tenant_id``. The models keep ``id`` as the ORM
    identity (SQLite can only autoincrement a one-column key); ``id`` still comes from
    its own sequence, and ``UniqueConstraint(tenant_id, id)`` stays for the composite
    foreign keys that refer to it. Whatever the key's name, running it twice is safe."""
    return [
        f"""DO $$ DECLARE pk text; BEGIN
  SELECT conname INTO pk FROM pg_constraint
   WHERE conrelid = to_regclass('{table}') AND contype = 'p';
  IF pk IS NOT NULL THEN
    EXECUTE 'ALTER TABLE {table} DROP CONSTRAINT ' || quote_ident(pk);
  END IF;
  EXECUTE 'ALTER TABLE {table} ADD CONSTRAINT '
    || quote_ident(coalesce(pk, 'pk_{table}')) || ' PRIMARY KEY (tenant_id, id)';
END $$"""
    ]


#: The tables an estimate reads (jili.incentives.services.estimates): a write to any of
#: them gives its tenant a new ``inputs_version.token``.
INPUT_TABLES = (
    "metric_value",
    "one_off_award",
    "period",
    "person",
    "profit_entry",
    "rating_band",
    "sales_credit",
    "sales_fact",
    "sales_target",
    "sales_transaction",
    "scorecard",
    "team",
)

_SQLITE_BUMP = """CREATE TRIGGER IF NOT EXISTS {table}_inputs_{op} AFTER {event} ON {table}
   BEGIN INSERT INTO inputs_version (tenant_id, changes, token)
         VALUES ({row}.tenant_id, 1, random())
         ON CONFLICT (tenant_id) DO UPDATE SET changes = changes + 1, token = excluded.token;
   END"""

#: PostgreSQL: once per transaction and tenant, from the statement's transition table,
#: note the transaction in ``inputs_pending`` (guarded by a transaction-local setting,
#: ``jili.inputs_pending_<tenant>``, holding the transaction's id). The version itself
#: is renewed at commit (:data:`PG_COMMIT_FUNCTION`): renewing it here would lock the
#: company's version row until the transaction ends, so a long import would make
#: every other write of that company wait for it. The estimate cache never shares a
#: result computed inside a transaction that wrote inputs (the setting is its own).
PG_BUMP_FUNCTION = """CREATE OR REPLACE FUNCTION jili_inputs_changed() RETURNS trigger
   LANGUAGE plpgsql AS $$
   DECLARE
     t integer;
     x text := txid_current()::text;
   BEGIN
     FOR t IN SELECT DISTINCT tenant_id FROM jili_rows LOOP
       IF current_setting('jili.inputs_pending_' || t, true) IS DISTINCT FROM x THEN
         PERFORM set_config('jili.inputs_pending_' || t, x, true);
         INSERT INTO inputs_pending (tenant_id, xact) VALUES (t, x::bigint);
       END IF;
     END LOOP;
     RETURN NULL;
   END $$"""

#: At commit (a deferred constraint trigger on ``inputs_pending``): renew the
#: company's version and forget the pending row. The row lock lasts from here to the
#: end of the commit. ``jili.bypass`` for the function's duration only (set and put
#: back with ``set_config``: a ``SET`` clause on a function needs a superuser for a
#: custom parameter on PostgreSQL 15, and restores run as the app's role): the company
#: bound at commit may not be the one written (the pending row itself passed the
#: tenant policy when it was inserted).
PG_COMMIT_FUNCTION = """CREATE OR REPLACE FUNCTION jili_inputs_commit() RETURNS trigger
   LANGUAGE plpgsql AS $$
   DECLARE was text := coalesce(current_setting('jili.bypass', true), '');
   BEGIN
     PERFORM set_config('jili.bypass', 'on', true);
     INSERT INTO inputs_version AS v (tenant_id, changes, token)
     VALUES (NEW.tenant_id, 1, floor((random() - 0.5) * 9e18)::bigint)
     ON CONFLICT (tenant_id) DO UPDATE
       SET changes = v.changes + 1, token = excluded.token;
     DELETE FROM inputs_pending WHERE tenant_id = NEW.tenant_id AND id = NEW.id;
     PERFORM set_config('jili.bypass', was, true);
     RETURN NULL;
   END $$"""

_PG_COMMIT_TRIGGER = (
    "CREATE CONSTRAINT TRIGGER inputs_pending_commit AFTER INSERT ON inputs_pending "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION jili_inputs_commit()"
)

_PG_EVENTS = (
    ("ins", "INSERT", "NEW TABLE AS jili_rows"),
    ("upd", "UPDATE", "NEW TABLE AS jili_rows"),
    ("del", "DELETE", "OLD TABLE AS jili_rows"),
)


def inputs_version_statements(dialect_name: str, tables: Iterable[str] = INPUT_TABLES) -> list[str]:
    """Triggers bumping ``inputs_version`` on every write to the input ``tables``:
    SQLite per row (it has no statement triggers), PostgreSQL per statement, once
    per transaction and at its commit (:data:`PG_BUMP_FUNCTION`,
    :data:`PG_COMMIT_FUNCTION`).

    SQLite drops a table's triggers when Alembic's batch mode copies the table: a
    migration that rebuilds one of these tables must run these statements again
    (``tests/test_migrations.py`` checks they exist at head)."""
    out: list[str] = []
    if dialect_name == "sqlite":
        for table in tables:
            for op, event_name, row in (
                ("ins", "INSERT", "NEW"),
                ("upd", "UPDATE", "NEW"),
                ("del", "DELETE", "OLD"),
            ):
                out.append(_SQLITE_BUMP.format(table=table, op=op, event=event_name, row=row))
    elif dialect_name == "postgresql":
        out += [
            PG_COMMIT_FUNCTION,
            "DROP TRIGGER IF EXISTS inputs_pending_commit ON inputs_pending",
            _PG_COMMIT_TRIGGER,
            PG_BUMP_FUNCTION,
        ]
        for table in tables:
            for op, event_name, referencing in _PG_EVENTS:
                out.append(f"DROP TRIGGER IF EXISTS {table}_inputs_{op} ON {table}")
                out.append(
                    f"CREATE TRIGGER {table}_inputs_{op} AFTER {event_name} ON {table} "
                    f"REFERENCING {referencing} FOR EACH STATEMENT "
                    "EXECUTE FUNCTION jili_inputs_changed()"
                )
    return out


def inputs_version_drop_statements(dialect_name: str, tables: Iterable[str] = INPUT_TABLES):
    out = [
        f"DROP TRIGGER IF EXISTS {table}_inputs_{op}"
        + (f" ON {table}" if dialect_name == "postgresql" else "")
        for table in tables
        for op in ("ins", "upd", "del")
    ]
    if dialect_name == "postgresql":
        out += [
            "DROP FUNCTION IF EXISTS jili_inputs_changed()",
            "DROP TRIGGER IF EXISTS inputs_pending_commit ON inputs_pending",
            "DROP FUNCTION IF EXISTS jili_inputs_commit()",
        ]
    return out


def tenant_tables(metadata) -> list[str]:
    """Every table of ``metadata`` with a ``tenant_id`` column."""
    return sorted(t.name for t in metadata.sorted_tables if "tenant_id" in t.c)


def statements_for(
    dialect_name: str,
    metadata=None,
    *,
    tables: Iterable[str] | None = None,
    append_only: Iterable[str] = APPEND_ONLY_TABLES,
) -> list[str]:
    """Everything for a database: the tenant tables of ``metadata`` (or ``tables``)."""
    names = sorted(tables) if tables is not None else tenant_tables(metadata)
    out: list[str] = []
    for table in append_only:
        out += append_only_statements(dialect_name, table)
    if dialect_name == "postgresql":
        for table in names:
            out += pg_rls_statements(table)
        if metadata is not None:
            for table in names:
                pk = [c.name for c in metadata.tables[table].primary_key.columns]
                if pk == ["id"]:
                    out += pg_tenant_primary_key_statements(table)
    return out


def install(metadata) -> None:
    """Create the triggers and policies whenever ``metadata.create_all`` runs (idempotent)."""
    if not event.contains(metadata, "after_create", _after_create):
        event.listen(metadata, "after_create", _after_create)


def _after_create(target, connection, **kw) -> None:
    existing = {t.name for t in target.sorted_tables}
    append_only = [t for t in APPEND_ONLY_TABLES if t in existing]
    for stmt in statements_for(connection.dialect.name, target, append_only=append_only):
        connection.exec_driver_sql(stmt)
    if "inputs_version" in existing:
        inputs = [t for t in INPUT_TABLES if t in existing]
        for stmt in inputs_version_statements(connection.dialect.name, inputs):
            connection.exec_driver_sql(stmt)
