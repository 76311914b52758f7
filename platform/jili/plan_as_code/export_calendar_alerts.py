"""Tenant file, export: the working-day calendar and the alert rules, in an order
that depends on their content only (never on ids), so an import exports the same."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from jili.alerts.models import AlertRule
from jili.extensions import db
from jili.plan_as_code.schema import number_text
from jili.workdays.models import CalendarDay


def calendar_rows(tenant_id: int) -> list[dict[str, Any]]:
    rows = []
    for d in db.session.scalars(
        select(CalendarDay).where(CalendarDay.tenant_id == tenant_id).order_by(CalendarDay.day)
    ):
        row: dict[str, Any] = {"date": d.day.isoformat(), "working": bool(d.working)}
        if d.holiday:
            row["holiday"] = d.holiday
        if d.name:
            row["name"] = d.name
        rows.append(row)
    return rows


def alert_rule_rows(tenant_id: int) -> list[dict[str, Any]]:
    rows = []
    for rule in db.session.scalars(select(AlertRule).where(AlertRule.tenant_id == tenant_id)):
        row: dict[str, Any] = {
            "level": rule.level,
            "measure": rule.measure,
            "metric": rule.metric,
            "threshold": number_text(rule.threshold),
            "periods": rule.periods,
            "period_kind": rule.period_kind,
            "plan_days": rule.plan_days,
            "active": bool(rule.active),
        }
        if rule.name:
            row["name"] = rule.name
        rows.append(row)
    order = {"red": 0, "yellow": 1}
    return sorted(
        rows,
        key=lambda r: (order.get(r["level"], 9), r["metric"], r["measure"], r["period_kind"],
                       r["periods"], r["threshold"], r.get("name", ""), r["plan_days"], r["active"]),
    )  # fmt: skip
