"""Plan as code, the evaluation cycle: ``[evaluation_deadlines]`` (the company's
deadlines in working days, written only when the company saved its own) and
``[[evaluation_cycles]]`` (each period's cycle: its stage and the days its steps
ended, ISO dates). The self-assessments and manager scores themselves are not
part of the file (the scorecards' lines carry the resulting actuals)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from jili.evaluation.models import DEFAULT_DEADLINES, CycleSettings, CycleStage, EvaluationCycle
from jili.evaluation.services import cycle as cycles
from jili.evaluation.services.library import EvaluationError
from jili.extensions import db
from jili.plan_as_code.reader import FileReader

DATES = ("started_on", "self_closed_on", "manager_closed_on", "published_on", "finalised_on")


def export_sections(
    tid: int, label: Callable[[int], str], rank: Mapping[int, Any]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    row = db.session.scalar(select(CycleSettings).where(CycleSettings.tenant_id == tid))
    if row is not None:
        out["evaluation_deadlines"] = {key: getattr(row, key) for key in DEFAULT_DEADLINES}
    rows = []
    for c in db.session.scalars(select(EvaluationCycle).where(EvaluationCycle.tenant_id == tid)):
        entry: dict[str, Any] = {"period": label(c.period_id), "stage": c.stage.value}
        for key in DATES:
            value = getattr(c, key)
            if value is not None:
                entry[key] = value.isoformat()
        rows.append((rank[c.period_id], entry))
    if rows:
        out["evaluation_cycles"] = [entry for _k, entry in sorted(rows, key=lambda r: r[0])]
    return out


def make_deadlines(r: FileReader) -> None:
    raw = r.data.get("evaluation_deadlines")
    if raw is None:
        return
    where = "evaluation_deadlines"
    if not isinstance(raw, Mapping):
        r.err(where, _("Must be a table."))
        return
    r.known(where, raw, tuple(DEFAULT_DEADLINES))
    values = {k: raw.get(k, v) for k, v in DEFAULT_DEADLINES.items()}
    bad = [k for k, v in values.items() if isinstance(v, bool) or not isinstance(v, int)]
    for key in bad:
        r.err(where, _("%(key)s must be a whole number.", key=key))
    if bad:
        return
    try:
        cycles.save_settings(r.tenant.id, values)
        if db.session.scalar(select(CycleSettings).where(CycleSettings.tenant_id == r.tenant.id)) is None:
            db.session.add(CycleSettings(tenant_id=r.tenant.id, **values))  # the defaults, saved
            db.session.flush()
    except EvaluationError as exc:
        r.err(where, str(exc))


def _date(r: FileReader, where: str, row: Mapping, key: str) -> date | None:
    value = row.get(key)
    if value is None:
        return None
    try:
        return date.fromisoformat(value) if isinstance(value, str) else value
    except ValueError:
        r.err(where, _("%(key)s must be a date (YYYY-MM-DD).", key=key))
        return None


def make_cycles(r: FileReader) -> None:
    seen = set()
    for where, row in r.entries("evaluation_cycles"):
        r.known(where, row, ("period", "stage", *DATES))
        period = r.period(where, row)
        try:
            stage = CycleStage(row.get("stage"))
        except ValueError:
            allowed = ", ".join(s.value for s in CycleStage)
            r.err(where, _("%(key)s must be one of: %(allowed)s.", key="stage", allowed=allowed))
            continue
        days = {key: _date(r, where, row, key) for key in DATES}
        if days["started_on"] is None:
            r.err(where, _("%(key)s is missing.", key="started_on"))
            continue
        if period is None:
            continue
        if period.id in seen:
            r.err(where, _("A second evaluation cycle for %(label)s.", label=period.label))
            continue
        seen.add(period.id)
        db.session.add(EvaluationCycle(tenant_id=r.tenant.id, period_id=period.id, stage=stage, **days))
    db.session.flush()
    r.counts["evaluation_cycles"] = len(seen)
