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
from collections.abc import Iterator

from flask import abort
from sqlalchemy import Integer, event, select, text
from sqlalchemy.orm import (
    Mapped,
    ORMExecuteState,
    Session,
    declared_attr,
    mapped_column,
    with_loader_criteria,
)

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


def _sync_pg_setting() -> None:
    """Apply the bound tenant to the open PostgreSQL transaction, if any."""
    from flask import has_app_context

    if not has_app_context():
        return
    from .extensions import db

    session = db.session()
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        if session.in_transaction():
            _set_pg_tenant(session.connection())


def _set_pg_tenant(connection) -> None:
    tid = _tenant_id.get()
    connection.execute(
        text(
            "select set_config('jili.tenant_id', :tid, true), "
            "set_config('jili.bypass', :bypass, true)"
        ),
        {"tid": "" if tid is None else str(tid), "bypass": "on" if _bypass.get() else "off"},
    )


def _scoped_mappers(state: ORMExecuteState) -> bool:
    return any(issubclass(m.class_, TenantScoped) for m in state.all_mappers)


def install_backstop(session_cls) -> None:
    """Attach the fail-closed tenant filter to a Session class (idempotent)."""
    if getattr(session_cls, "_jili_backstop", False):
        return
    session_cls._jili_backstop = True

    @event.listens_for(session_cls, "do_orm_execute")
    def _add_tenant_criteria(state: ORMExecuteState) -> None:
        if state.is_column_load or state.is_relationship_load:
            return  # the criteria already travelled with the parent query
        if state.execution_options.get("all_tenants") or _bypass.get():
            return
        if not (state.is_select or state.is_update or state.is_delete):
            return
        if not _scoped_mappers(state):
            return
        tid = _tenant_id.get()
        if tid is None:
            raise TenantNotBound(
                "query on tenant-owned rows with no tenant bound; bind one or use all_tenants()"
            )
        state.statement = state.statement.options(
            with_loader_criteria(
                TenantScoped,
                lambda cls: cls.tenant_id == tid,
                include_aliases=True,
                track_closure_variables=False,
            )
        )

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
            _set_pg_tenant(connection)


def get_scoped_or_404(model, object_id, tenant_id: int):
    """Load one tenant-owned object by id, scoped explicitly; another tenant's id is a 404."""
    from .extensions import db

    obj = db.session.scalar(
        select(model).where(model.id == object_id, model.tenant_id == tenant_id)
    )
    if obj is None:
        abort(404)
    return obj
