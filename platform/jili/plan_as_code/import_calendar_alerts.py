"""Tenant file, import: the working-day calendar (``[[calendar]]``) and the alert
rules (``[[alert_rules]]``). See :mod:`jili.plan_as_code.export` for the layout."""

from __future__ import annotations

from flask_babel import gettext as _

from jili.alerts.models import AlertRule
from jili.alerts.services.rules import PERIOD_KINDS, RuleError, validate
from jili.extensions import db
from jili.plan_as_code.reader import FileReader
from jili.workdays.models import CalendarDay
from jili.workdays.services import HOLIDAY_LABELS

CALENDAR_KEYS = ("date", "working", "holiday", "name")
RULE_KEYS = (
    "level",
    "measure",
    "metric",
    "threshold",
    "periods",
    "period_kind",
    "plan_days",
    "active",
    "name",
)


def make_calendar(r: FileReader) -> None:
    seen = set()
    for where, row in r.entries("calendar"):
        r.known(where, row, CALENDAR_KEYS)
        day = r.day(where, row, "date")
        name = r.text(where, row, "name", required=False, limit=80)
        holiday = r.text(where, row, "holiday", required=False, limit=20)
        if day is None or name is None or holiday is None:
            continue
        if holiday and holiday not in HOLIDAY_LABELS:
            r.err(where, _("Unknown holiday %(code)s.", code=holiday))
            continue
        if day in seen:
            r.err(where, _("%(day)s is listed twice.", day=day.isoformat()))
            continue
        seen.add(day)
        working = r.boolean(where, row, "working", False)
        db.session.add(
            CalendarDay(tenant_id=r.tenant.id, day=day, working=working, holiday=holiday, name=name)
        )
    r.counts["calendar"] = len(seen)


def _whole(r: FileReader, where, row, key, default: int) -> int | None:
    value = row.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool):
        r.err(where, _("%(key)s must be a whole number.", key=key))
        return None
    return value


def make_alert_rules(r: FileReader) -> None:
    n = 0
    for where, row in r.entries("alert_rules"):
        r.known(where, row, RULE_KEYS)
        values = {
            "level": r.text(where, row, "level"),
            "measure": r.text(where, row, "measure", required=False, default="attainment"),
            "metric": r.text(where, row, "metric", limit=40),
            "threshold": r.decimal(where, row, "threshold", minimum=0),
            "periods": _whole(r, where, row, "periods", 1),
            "period_kind": r.text(where, row, "period_kind", required=False, default="month"),
            "plan_days": _whole(r, where, row, "plan_days", 0),
            "name": r.text(where, row, "name", required=False, limit=120),
            "active": r.boolean(where, row, "active", True),
        }
        if any(v is None for v in values.values()):
            continue
        if values["period_kind"] not in PERIOD_KINDS:
            r.err(where, _("period_kind must be week, month or quarter."))
            continue
        try:
            validate(values)
        except RuleError as exc:
            r.err(where, str(exc))
            continue
        db.session.add(AlertRule(tenant_id=r.tenant.id, **values))
        n += 1
    r.counts["alert_rules"] = n
