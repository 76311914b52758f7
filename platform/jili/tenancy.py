"""Which tenant a unit of work belongs to, and the walls that keep tenants apart.

1. Every query names its tenant explicitly (``tenant_id == g.tenant.id``).
2. The backstop: a ``do_orm_execute`` listener adds ``with_loader_criteria`` for
   every tenant-owned model, and *refuses* to run a query on tenant-owned rows
   when no tenant is bound (fail closed). Code that legitimately reads across
   tenants (login, the consultant switcher, the operator CLI) says so with
   ``execution_options(all_tenants=True)`` or :func:`all_tenants`.
3. On PostgreSQL, row-level security keyed on ``jili.tenant_id`` (see
   migrations) is a second wall; :func:`_set_pg_tenant` sets it per transaction.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Iterator

from flask import abort
from sqlalchemy import Integer, Table, event, select, text
from sqlalchemy.orm import (
    Mapped,
    ORMExecuteState,
    Session,
    declared_attr,
    mapped_column,
    with_loader_criteria,
)
from sqlalchemy.sql import util as sql_util

_tenant_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("tenant_id", default=None)
_bypass: contextvars.ContextVar[bool] = contextvars.ContextVar("tenant_bypass", default=False)


class TenantNotBound(RuntimeError):
    """A query touched tenant-owned rows with no tenant bound: refused."""


class TenantMismatch(RuntimeError):
    """A write would put a row into a tenant other than the bound one."""


class TenantScoped:
    """Mixin for every tenant-owned table: ``tenant_id`` first in its indexes."""

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:  # noqa: N805
        return mapped_column(Integer, db_foreign_key("tenant.id"), nullable=False, index=True)


def db_foreign_key(target: str):
    from sqlalchemy import ForeignKey

    return ForeignKey(target, ondelete="CASCADE")


def current_tenant_id() -> int | None:
    return _tenant_id.get()


@contextlib.contextmanager
def bound_tenant(tenant_id: int | None) -> Iterator[None]:
    """Bind ``tenant_id`` for the duration of the block (CLI, jobs, tests)."""
    token = _tenant_id.set(tenant_id)
    try:
        _sync_pg_setting()
        yield
    finally:
        _tenant_id.reset(token)
        _sync_pg_setting()


def bind_tenant(tenant_id: int | None) -> None:
    """Bind for the rest of this context (a request)."""
    _tenant_id.set(tenant_id)
    _sync_pg_setting()


@contextlib.contextmanager
def all_tenants() -> Iterator[None]:
    """Explicitly read across tenants (operator tools, login, switcher)."""
    token = _bypass.set(True)
    try:
        _sync_pg_setting()
        yield
    finally:
        _bypass.reset(token)
        _sync_pg_setting()


_PG_CONNECTIONS = "jili.pg_connections"


def _sync_pg_setting() -> None:
    """Re-apply the binding to the PostgreSQL transaction already open, if any.

    ``after_begin`` covers every new transaction; this covers a binding that
    changes while a transaction is open (``bind_tenant`` after the tenant row was
    read, ``bound_tenant``/``all_tenants`` blocks inside a request).
    """
    from flask import has_app_context

    if not has_app_context():
        return
    from jili.extensions import db

    if not db.session.registry.has():
        return  # no session in this context yet: the next after_begin applies it
    _sync_session(db.session())


def _sync_session(session: Session) -> None:
    for connection in list(session.info.get(_PG_CONNECTIONS, ())):
        if not connection.closed and connection.in_transaction():
            _set_pg_tenant(connection)


def _set_pg_tenant(connection, *, bypass: bool | None = None) -> None:
    """``SET LOCAL`` the tenant and bypass flag the RLS policies read (transaction-scoped)."""
    tid = _tenant_id.get()
    if bypass is None:
        bypass = _bypass.get()
    connection.execute(
        text(
            "select set_config('jili.tenant_id', :tid, true), "
            "set_config('jili.bypass', :bypass, true)"
        ),
        {"tid": "" if tid is None else str(tid), "bypass": "on" if bypass else "off"},
    )


def _invoke_bypassing_rls(state: ORMExecuteState):
    """Run an ORM statement with the PostgreSQL policies told to let it through.

    Used where the ORM backstop deliberately lets a statement through without a
    tenant filter, so that both walls agree: ``execution_options(all_tenants=True)``,
    and refreshing / lazy-loading objects the session already holds while no tenant
    is bound. On other databases it does nothing special.
    """
    connection = state.session.connection(bind_arguments=state.bind_arguments)
    if connection.dialect.name != "postgresql":
        return None  # let the statement run normally
    _set_pg_tenant(connection, bypass=True)
    result = state.invoke_statement()
    if getattr(result, "returns_rows", True):  # ORM rows; a bulk UPDATE has none
        result = result.freeze()  # every row fetched before the flag is reset
        _set_pg_tenant(connection)
        return result()
    _set_pg_tenant(connection)
    return result


def _scoped_table_names() -> frozenset[str]:
    """Names of the tables of every TenantScoped model mapped so far."""
    from jili.extensions import db

    mappers = db.Model.registry.mappers
    cached = _scoped_table_names.__dict__.get("cache")
    if cached is None or cached[0] != len(mappers):
        names = frozenset(
            t.name for m in mappers if issubclass(m.class_, TenantScoped) for t in m.tables
        )
        cached = _scoped_table_names.cache = (len(mappers), names)
    return cached[1]


def _touches_tenant_rows(state: ORMExecuteState) -> bool:
    """Whether the statement reads or writes a tenant-owned table anywhere in it:
    as an entity, in ``select_from``, a subquery, a CTE, a UNION, a correlated
    EXISTS, or as a plain Core table."""
    primary = state.bind_mapper  # the statement's first entity, known already: cheap
    if primary is not None and issubclass(primary.class_, TenantScoped):
        return True
    if any(issubclass(m.class_, TenantScoped) for m in state.all_mappers):
        return True
    scoped = _scoped_table_names()
    for element in sql_util.find_tables(
        state.statement,
        check_columns=True,
        include_aliases=True,
        include_joins=True,
        include_selects=True,
        include_crud=True,
    ):
        if getattr(element, "name", None) in scoped and isinstance(element, Table):
            return True
    return False


def _check_insert_rows(state: ORMExecuteState, tid: int) -> None:
    """ORM bulk ``insert(Model)`` with rows given as parameters: each row's tenant."""
    rows = state.parameters
    if isinstance(rows, dict):
        rows = [rows]
    for row in rows or ():
        if isinstance(row, dict) and row.get("tenant_id", tid) != tid:
            raise TenantMismatch(f"inserting a row of tenant {row['tenant_id']}, bound is {tid}")


@functools.lru_cache(maxsize=4096)
def _tenant_criteria(tid: int):
    """The loader criteria option limiting every TenantScoped entity to tenant
    ``tid``: an immutable option, built once per tenant and reused by every
    statement (building it analyses the lambda each time, a fixed cost of each
    query of each request)."""
    return with_loader_criteria(
        TenantScoped,
        lambda cls: cls.tenant_id == tid,
        include_aliases=True,
        track_closure_variables=False,
    )


def install_backstop(session_cls) -> None:
    """Attach the fail-closed tenant filter to a Session class (idempotent)."""
    if getattr(session_cls, "_jili_backstop", False):
        return
    session_cls._jili_backstop = True

    @event.listens_for(session_cls, "do_orm_execute")
    def _add_tenant_criteria(state: ORMExecuteState):
        if not (state.is_select or state.is_update or state.is_delete or state.is_insert):
            return None
        if _bypass.get():
            return None  # inside all_tenants(): the PG setting says bypass already
        if not _touches_tenant_rows(state):
            return None
        if state.execution_options.get("all_tenants"):
            return _invoke_bypassing_rls(state)
        tid = _tenant_id.get()
        if tid is None:
            if state.is_column_load or state.is_relationship_load:
                # Refreshing an expired attribute or lazy-loading from an object the
                # session already holds (e.g. after a commit, outside the request
                # that bound the tenant) is not a new cross-tenant query.
                return _invoke_bypassing_rls(state)
            raise TenantNotBound(
                "statement on tenant-owned rows with no tenant bound; bind one or use all_tenants()"
            )
        if state.is_insert:
            _check_insert_rows(state, tid)
            return None
        # Applies to every ORM entity of a TenantScoped class anywhere in the
        # statement (subqueries, CTEs, unions, EXISTS, joins, aliases) and travels
        # to the lazy loads of the objects it loads. A plain Core ``Table`` is not
        # an entity and gets no filter here: scope it explicitly (on PostgreSQL the
        # row-level security policy applies to it all the same).
        state.statement = state.statement.options(_tenant_criteria(tid))
        return None

    @event.listens_for(session_cls, "before_flush")
    def _check_writes(session: Session, flush_context, instances) -> None:
        if _bypass.get():
            return
        tid = _tenant_id.get()
        for obj in list(session.new) + list(session.dirty) + list(session.deleted):
            if not isinstance(obj, TenantScoped):
                continue
            if tid is None:
                raise TenantNotBound(f"writing {type(obj).__name__} with no tenant bound")
            if obj.tenant_id is None and obj in session.new:
                obj.tenant_id = tid
            if obj.tenant_id != tid:
                raise TenantMismatch(
                    f"{type(obj).__name__} belongs to tenant {obj.tenant_id}, bound is {tid}"
                )

    @event.listens_for(session_cls, "after_begin")
    def _pg_after_begin(session: Session, transaction, connection) -> None:
        if connection.dialect.name == "postgresql":
            session.info.setdefault(_PG_CONNECTIONS, set()).add(connection)
            _set_pg_tenant(connection)

    @event.listens_for(session_cls, "after_transaction_end")
    def _pg_after_transaction_end(session: Session, transaction) -> None:
        if transaction.parent is None:
            session.info.pop(_PG_CONNECTIONS, None)
        elif transaction.nested:
            # ROLLBACK TO SAVEPOINT restores the settings from before the savepoint,
            # which may predate a binding change made inside it.
            _sync_session(session)


def get_scoped_or_404(model, object_id, tenant_id: int):
    """Load one tenant-owned object by id, scoped explicitly; another tenant's id is a 404."""
    from jili.extensions import db

    obj = db.session.scalar(
        select(model).where(model.id == object_id, model.tenant_id == tenant_id)
    )
    if obj is None:
        abort(404)
    return obj
