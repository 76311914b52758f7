"""Importing sales targets per period, for a person or a team: all rows or
none, upserted on (period, person) or (period, team)."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from jili.accounts.models import Tenant
from jili.audit import services as audit
from jili.extensions import db
from jili.inputs.models import SalesTarget
from jili.inputs.services.common import (
    EMPLOYEE_HEADERS,
    PERIOD_HEADERS,
    TEAM_HEADERS,
    CellError,
    Directory,
    NumberedRow,
    Outcome,
    known_rows,
    money_places,
    parse_money,
    period_and_who,
    read_table,
    tenant_scope,
)

HEADERS: dict[str, set[str]] = {
    "period": PERIOD_HEADERS,
    "employee_no": EMPLOYEE_HEADERS,
    "team": TEAM_HEADERS,
    "revenue_target": {
        "revenue target", "sales target", "target", "收入目标", "销售目标", "銷售目標",
        "业绩目标", "業績目標", "营收目标", "營收目標",
    },
    "collected_target": {"collected target", "collection target", "回款目标", "回款目標"},
    "margin_target": {"margin target", "毛利目标", "毛利目標"},
}  # fmt: skip
REQUIRED = ("period",)
AMOUNTS = (
    ("revenue_target", "revenue"),
    ("collected_target", "collected"),
    ("margin_target", "margin"),
)
AUDIT_CHANGES = 500  # changes listed in the audit entry; the counts are always complete


def import_target_rows(
    tenant: Tenant, rows: list[dict[str, str]], *, source: str = "rows", first_row: int = 2
) -> Outcome:
    """Import target rows (keys ``period, employee_no, team, revenue_target,
    collected_target, margin_target``); all or none. An empty target cell
    means "no target" and clears an earlier one. Flushes; the caller commits."""
    outcome = Outcome(source=source)
    numbered = known_rows(rows, first_row, HEADERS, outcome)
    if outcome.errors:
        return outcome
    return _import(tenant, numbered, {}, outcome)


def import_target_file(tenant: Tenant, filename: str, data: bytes) -> Outcome:
    outcome = Outcome(source=filename)
    rows, labels = read_table(filename, data, HEADERS, REQUIRED, outcome)
    if not outcome.errors:
        if "employee_no" not in labels and "team" not in labels:
            outcome.error(None, "employee_no", _("Add an employee number or a team column."))
        if not any(key in labels for key, _attr in AMOUNTS):
            outcome.error(None, "revenue_target", _("Add at least one target column."))
    if outcome.errors:
        return outcome
    return _import(tenant, rows, labels, outcome)


def _import(
    tenant: Tenant, rows: list[NumberedRow], labels: dict[str, str], outcome: Outcome
) -> Outcome:
    with tenant_scope(tenant):
        directory = Directory(tenant.id)
        parsed = _parse_rows(tenant, directory, rows, labels, outcome)
        if outcome.errors:
            return outcome
        _upsert(tenant, directory, parsed, outcome)
    return outcome


def _parse_rows(
    tenant: Tenant,
    directory: Directory,
    rows: list[NumberedRow],
    labels: dict[str, str],
    outcome: Outcome,
) -> list[tuple[int, tuple, dict]]:
    """``(row number, (period, person, team), amounts)`` for each good row."""
    places = money_places(tenant)
    seen: dict[tuple, int] = {}
    parsed: list[tuple[int, tuple, dict]] = []
    for number, row in rows:
        before = len(outcome.errors)

        def err(key: str, message: str, number=number) -> None:
            outcome.error(number, labels.get(key, key), message)

        period, who = period_and_who(directory, row, err)
        values: dict[str, Decimal | None] = {}
        for key, attr in AMOUNTS:
            text = row.get(key, "")
            try:
                values[attr] = parse_money(text, places, negative=False) if text else None
            except CellError as exc:
                err(key, str(exc))
        if all(row.get(key, "") == "" for key, _attr in AMOUNTS):
            err("revenue_target", _("Give at least one target."))
        if period is not None and who is not None:
            key = (period.id, who.person_id, who.team_id)
            if key in seen:
                err(
                    "employee_no" if who.person_id else "team",
                    _("Duplicate of row %(row)d.", row=seen[key]),
                )
            else:
                seen[key] = number
        if len(outcome.errors) == before:
            parsed.append((number, key, values))
    return parsed


def _upsert(
    tenant: Tenant, directory: Directory, parsed: list[tuple[int, tuple, dict]], outcome: Outcome
) -> None:
    """Create, update or leave each subject's targets (one row per metric); one
    audit entry for the import."""
    period_ids = {key[0] for _n, key, _v in parsed}
    existing: dict[tuple, dict[str, SalesTarget]] = {}
    for t in db.session.scalars(
        select(SalesTarget).where(
            SalesTarget.tenant_id == tenant.id,
            SalesTarget.period_id.in_(period_ids),
            SalesTarget.metric.in_([attr for _k, attr in AMOUNTS]),
        )
    ):
        existing.setdefault((t.period_id, t.person_id, t.team_id), {})[t.metric] = t
    labels_by_id = {p.id: p.label for p in directory.periods.values()}
    changes = []
    for _number, key, values in parsed:
        rows = existing.get(key, {})
        before = {attr: rows[attr].baseline if attr in rows else None for _k, attr in AMOUNTS}
        if before == values:
            outcome.unchanged += 1
            continue
        if any(v is not None for v in before.values()):
            outcome.updated += 1
        else:
            outcome.created += 1
        for attr, value in values.items():
            row = rows.get(attr)
            if value is None:
                if row is not None:
                    db.session.delete(row)
            elif row is None:
                db.session.add(
                    SalesTarget(
                        tenant_id=tenant.id,
                        period_id=key[0],
                        person_id=key[1],
                        team_id=key[2],
                        metric=attr,
                        baseline=value,
                    )
                )
            else:
                row.baseline = value
        if len(changes) < AUDIT_CHANGES:
            changes.append(
                {
                    "period": labels_by_id[key[0]],
                    "who": directory.label(key[1], key[2]),
                    "before": before if any(v is not None for v in before.values()) else None,
                    "after": values,
                }
            )
    audit.record(
        "targets.import",
        tenant_id=tenant.id,
        object_type="SalesTarget",
        after={
            "source": outcome.source,
            "created": outcome.created,
            "updated": outcome.updated,
            "unchanged": outcome.unchanged,
            "changes": changes,
        },
    )
    db.session.flush()
