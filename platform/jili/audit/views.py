"""The audit log, for admins: one sentence per entry, filtered by who, what and when."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import g, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from jili.accounts.models import User
from jili.accounts.roles import require
from jili.audit.models import AuditLog
from jili.audit.names import read
from jili.extensions import db
from jili.web import bp

PAGE = 100

#: What a reader filters by → the actions it covers (by prefix).
TOPICS = {
    "plan": (_l("Plans"), ("plan.", "scheme.", "budget.")),
    "period": (_l("Periods"), ("period.", "periods.")),
    "run": (_l("Calculations"), ("run.",)),
    "team": (_l("Teams"), ("team.",)),
    "person": (_l("People"), ("person.", "people.")),
    "inputs": (_l("Sales and KPI data"), ("transactions.", "targets.", "metrics.", "profit.")),
    "award": (_l("Awards"), ("award.",)),
    "member": (_l("Members"), ("member.",)),
    "settings": (_l("Company settings"), ("settings.", "tenant.")),
    "feedback": (_l("Feedback"), ("feedback.",)),
}


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _filtered(stmt, args, tz):
    if action := (args.get("action") or "").strip():
        prefixes = TOPICS[action][1] if action in TOPICS else (action,)
        stmt = stmt.where(or_(*(AuditLog.action.like(f"{p}%") for p in prefixes)))
    if (who := args.get("who") or "").isdigit():
        stmt = stmt.where(AuditLog.actor_id == int(who))
    if actor := (args.get("actor") or "").strip():
        stmt = stmt.where(AuditLog.actor_label.ilike(f"%{actor}%"))
    if since := _day(args.get("since")):
        stmt = stmt.where(AuditLog.at >= datetime.combine(since, time.min, tz))
    if until := _day(args.get("until")):
        stmt = stmt.where(AuditLog.at < datetime.combine(until + timedelta(days=1), time.min, tz))
    return stmt


@bp.route("/audit")
@require("audit.view")
def audit_log():
    tid = g.tenant.id
    args = request.args
    stmt = _filtered(
        select(AuditLog).where(AuditLog.tenant_id == tid), args, ZoneInfo(g.tenant.timezone)
    )
    page = int(args["page"]) if str(args.get("page", "")).isdigit() else 1
    page = max(page, 1)
    rows = list(
        db.session.scalars(
            stmt.order_by(AuditLog.id.desc()).limit(PAGE + 1).offset((page - 1) * PAGE)
        )
    )
    actors = db.session.execute(
        select(User.id, User.name)
        .where(User.id.in_(select(AuditLog.actor_id).where(AuditLog.tenant_id == tid)))
        .order_by(User.name)
    ).all()
    return render_template(
        "audit/audit.html",
        entries=read(tid, rows[:PAGE]),
        more=len(rows) > PAGE,
        page=page,
        topics=[(key, str(words)) for key, (words, _p) in TOPICS.items()],
        actors=actors,
        args=args,
    )
