"""Recording changes in the append-only audit log."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from flask import g, has_request_context
from flask_login import current_user

from jili.audit.models import AuditLog
from jili.extensions import db


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def snapshot(obj: Any, fields: list[str]) -> dict[str, Any]:
    """The listed attributes of ``obj`` as JSON-safe values."""
    return {f: _plain(getattr(obj, f)) for f in fields}


def record(
    action: str,
    obj: Any = None,
    *,
    tenant_id: int | None = None,
    object_type: str | None = None,
    object_id: Any = None,
    before: dict | None = None,
    after: dict | None = None,
    actor=None,
) -> AuditLog | None:
    """Append an audit entry in the current transaction.

    ``before``/``after`` keep only the fields that changed when both are given.
    """
    if before is not None and after is not None:
        changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
        if not changed:
            return None
        before = {k: v for k, v in before.items() if k in changed}
        after = {k: v for k, v in after.items() if k in changed}
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    if tenant_id is None:
        tenant_id = getattr(obj, "tenant_id", None)
        if tenant_id is None and has_request_context() and getattr(g, "tenant", None):
            tenant_id = g.tenant.id
    entry = AuditLog(
        tenant_id=tenant_id,
        actor_id=getattr(actor, "id", None),
        actor_label=getattr(actor, "email", None) or "system",
        action=action,
        object_type=object_type or (type(obj).__name__ if obj is not None else ""),
        object_id=str(object_id if object_id is not None else getattr(obj, "id", "") or ""),
        before=_plain(before),
        after=_plain(after),
    )
    db.session.add(entry)
    return entry
