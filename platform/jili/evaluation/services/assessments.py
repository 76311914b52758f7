"""Self-assessment and manager scoring of a scorecard, and its evidence files.

The person enters, per KPI line, their own actual (for KPIs whose values are
entered; the others come from the company's data) and evidence: text and files.
After the self-assessment deadline it is marked late, and accepted until hr
closes the step. Their manager (their team subtree) then enters the actual they
judge right; an actual that differs from the person's own needs a comment citing
a concrete case (seed 002). The manager's actual becomes the line's actual, so
the card is scored by the one rule (:func:`scorecards.compute`) and the
performance bonus reads the final scores.
"""

from __future__ import annotations

import os
import secrets
from datetime import date
from decimal import Decimal
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from jili.audit.services import record
from jili.evaluation.models import (
    CycleStage,
    EvidenceFile,
    KpiSource,
    LineAssessment,
    Scorecard,
    ScorecardLine,
)
from jili.evaluation.services import cycle as cycles
from jili.evaluation.services import scorecards
from jili.evaluation.services.library import EvaluationError
from jili.extensions import db
from jili.org.models import Person
from jili.org.visibility import team_people
from jili.periods.models import Period

MAX_TEXT = 2000
MIN_COMMENT = 10  # characters: a concrete case, not "ok"
MAX_FILES_PER_LINE = 5


def assessments(card: Scorecard) -> dict[int, LineAssessment]:
    """line id → its assessment (only lines that have one)."""
    ids = [line.id for line, _k in scorecards.lines(card)]
    if not ids:
        return {}
    rows = db.session.scalars(
        select(LineAssessment).where(
            LineAssessment.tenant_id == card.tenant_id, LineAssessment.line_id.in_(ids)
        )
    )
    return {a.line_id: a for a in rows}


def evidence(card: Scorecard) -> dict[int, list[EvidenceFile]]:
    ids = [line.id for line, _k in scorecards.lines(card)]
    out: dict[int, list[EvidenceFile]] = {}
    if ids:
        for f in db.session.scalars(
            select(EvidenceFile)
            .where(EvidenceFile.tenant_id == card.tenant_id, EvidenceFile.line_id.in_(ids))
            .order_by(EvidenceFile.id)
        ):
            out.setdefault(f.line_id, []).append(f)
    return out


def _row(card: Scorecard, line: ScorecardLine, existing: dict) -> LineAssessment:
    row = existing.get(line.id)
    if row is None:
        row = LineAssessment(
            tenant_id=card.tenant_id, line_id=line.id, period_id=line.period_id,
            self_evidence="", manager_comment="", manager_name="",
        )  # fmt: skip
        db.session.add(row)
        existing[line.id] = row
    return row


def _text(value: str | None, label: str) -> str:
    text = (value or "").strip()
    if len(text) > MAX_TEXT:
        raise EvaluationError(
            _("%(field)s: longer than %(n)d characters.", field=label, n=MAX_TEXT)
        )
    if "\x00" in text:
        raise EvaluationError(_("%(field)s: contains a character that cannot be stored.", field=label))
    return text


def _cycle_at(card: Scorecard, stage: CycleStage):
    cycle = cycles.get_cycle(card.tenant_id, card.period_id)
    if cycle is None:
        raise EvaluationError(_("The evaluation cycle of this period has not started."))
    if cycle.stage != stage:
        label = cycles.STAGE_LABELS[cycle.stage.value]
        raise EvaluationError(
            _("This step is closed: the cycle is at %(stage)s.", stage=str(label))
        )
    return cycle


def is_entered(kpi) -> bool:
    return kpi.source == KpiSource.ENTERED


def self_assess(card: Scorecard, values: dict[int, tuple], today: date) -> int:
    """The person's own actual and evidence per line: line id → (actual or None,
    evidence text). Late after the deadline, refused once hr closed the step.
    Returns how many lines were assessed."""
    cycle = _cycle_at(card, CycleStage.SELF)
    period = db.session.get(Period, card.period_id)
    late = today > cycles.deadlines(card.tenant_id, period, cycle).self_due
    existing = assessments(card)
    by_id = {line.id: (line, kpi) for line, kpi in scorecards.lines(card)}
    changed = {}
    for line_id, (actual, text) in values.items():
        if line_id not in by_id:
            raise EvaluationError(_("That KPI is not on this scorecard."))
        line, kpi = by_id[line_id]
        text = _text(text, kpi.name)
        if actual is None and not text:
            continue
        row = _row(card, line, existing)
        row.self_actual = actual if is_entered(kpi) else None
        row.self_evidence, row.self_on, row.self_late = text, today, late
        changed[kpi.name] = [row.self_actual, text]
    if not changed:
        raise EvaluationError(_("Enter at least one actual or some evidence."))
    db.session.flush()
    record("scorecard.self_assess", card, after={**changed, "late": late,
           "person_id": card.person_id, "period_id": card.period_id})  # fmt: skip
    return len(changed)


def may_score(tenant_id: int, manager: Person | None, card: Scorecard) -> bool:
    """The card's person is in the manager's team subtree (or reports to them)."""
    if manager is None or manager.id == card.person_id:
        return False
    return any(p.id == card.person_id for p in team_people(manager))


def manager_score(
    card: Scorecard, values: dict[int, tuple], today: date, scorer_name: str
) -> int:
    """The manager's actual and comment per line: line id → (actual or None,
    comment). An actual unlike the person's own needs a comment citing a case."""
    cycle = _cycle_at(card, CycleStage.MANAGER)
    period = db.session.get(Period, card.period_id)
    late = today > cycles.deadlines(card.tenant_id, period, cycle).manager_due
    existing = assessments(card)
    by_id = {line.id: (line, kpi) for line, kpi in scorecards.lines(card)}
    changed, errors = {}, []
    for line_id, (actual, comment) in values.items():
        if line_id not in by_id:
            raise EvaluationError(_("That KPI is not on this scorecard."))
        line, kpi = by_id[line_id]
        comment = _text(comment, kpi.name)
        own = existing.get(line_id)
        if not is_entered(kpi):
            actual = None
        if actual is None and not comment:
            continue
        differs = own is not None and own.self_actual is not None and actual is not None
        if differs and Decimal(actual) != Decimal(own.self_actual) and len(comment) < MIN_COMMENT:
            errors.append(
                _("%(kpi)s: your score differs from the self-assessment; explain it with "
                  "a concrete case (at least %(n)d characters).", kpi=kpi.name, n=MIN_COMMENT)
            )  # fmt: skip
            continue
        row = _row(card, line, existing)
        row.manager_actual, row.manager_comment = actual, comment
        row.manager_on, row.manager_late, row.manager_name = today, late, scorer_name[:200]
        if actual is not None:
            line.actual = actual
        changed[kpi.name] = [actual, comment]
    if errors:
        raise EvaluationError(" ".join(errors))
    if not changed:
        raise EvaluationError(_("Enter at least one score or comment."))
    db.session.flush()
    scorecards.compute(card)
    record("scorecard.manager_score", card, after={**changed, "late": late,
           "person_id": card.person_id, "period_id": card.period_id})  # fmt: skip
    return len(changed)


# --- evidence files -------------------------------------------------------------------------


def upload_dir(tenant_id: int) -> Path:
    return Path(current_app.instance_path) / "uploads" / str(tenant_id) / "evaluation"


def add_file(card: Scorecard, line: ScorecardLine, checked: tuple[str, str, bytes], today: date):
    """Store a checked evidence file (jili.uploads.read_evidence) for ``line``."""
    _cycle_at(card, CycleStage.SELF)
    name, content_type, data = checked
    count = db.session.scalar(
        select(db.func.count(EvidenceFile.id)).where(
            EvidenceFile.tenant_id == card.tenant_id, EvidenceFile.line_id == line.id
        )
    )
    if count >= MAX_FILES_PER_LINE:
        raise EvaluationError(_("At most %(n)d files per KPI.", n=MAX_FILES_PER_LINE))
    folder = upload_dir(card.tenant_id)
    os.makedirs(folder, exist_ok=True)
    stored = secrets.token_hex(16)
    (folder / stored).write_bytes(data)
    row = EvidenceFile(
        tenant_id=card.tenant_id, line_id=line.id, name=name, content_type=content_type,
        size=len(data), stored_name=stored, uploaded_on=today,
    )  # fmt: skip
    db.session.add(row)
    db.session.flush()
    record("scorecard.evidence", card, after={"file": name, "size": len(data),
           "person_id": card.person_id, "period_id": card.period_id})  # fmt: skip
    return row


def get_file(card: Scorecard, file_id: int) -> EvidenceFile | None:
    ids = [line.id for line, _k in scorecards.lines(card)]
    return db.session.scalar(
        select(EvidenceFile).where(
            EvidenceFile.tenant_id == card.tenant_id,
            EvidenceFile.id == file_id,
            EvidenceFile.line_id.in_(ids or [-1]),
        )
    )


def file_bytes(row: EvidenceFile) -> bytes | None:
    path = upload_dir(row.tenant_id) / row.stored_name
    return path.read_bytes() if path.is_file() else None
