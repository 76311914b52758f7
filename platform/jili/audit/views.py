"""The audit log, for admins, with filters."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import g, render_template, request
from sqlalchemy import select

from jili.accounts.roles import require
from jili.audit.models import AuditLog
from jili.extensions import db
from jili.web import bp

PAGE = 100


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@bp.route("/audit")
@require("audit.view")
def audit_log():
    tid = g.tenant.id
    tz = ZoneInfo(g.tenant.timezone)
    args = request.args
    stmt = select(AuditLog).where(AuditLog.tenant_id == tid)
    if action := (args.get("action") or "").strip():
        stmt = stmt.where(AuditLog.action.like(f"{action}%"))
    if actor := (args.get("actor") or "").strip():
        stmt = stmt.where(AuditLog.actor_label.ilike(f"%{actor}%"))
    if obj := (args.get("object_type") or "").strip():
        stmt = stmt.where(AuditLog.object_type == obj)
    if since := _day(args.get("since")):
        stmt = stmt.where(AuditLog.at >= datetime.combine(since, time.min, tz))
    if until := _day(args.get("until")):
        stmt = stmt.where(AuditLog.at < datetime.combine(until + timedelta(days=1), time.min, tz))
    page = max(int(args.get("page", "1") or 1) if str(args.get("page", "1")).isdigit() else 1, 1)
    rows = list(
        db.session.scalars(
            stmt.order_by(AuditLog.id.desc()).limit(PAGE + 1).offset((page - 1) * PAGE)
        )
    )
    actions = sorted(
        db.session.scalars(select(AuditLog.action).where(AuditLog.tenant_id == tid).distinct())
    )
    types = sorted(
        db.session.scalars(select(AuditLog.object_type).where(AuditLog.tenant_id == tid).distinct())
    )
    return render_template(
        "audit/audit.html",
        rows=rows[:PAGE],
        more=len(rows) > PAGE,
        page=page,
        actions=actions,
        types=types,
        args=args,
    )
