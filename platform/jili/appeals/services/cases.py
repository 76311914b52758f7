"""Raising a case, its thread and its evidence files, and what a person may appeal.

A case is named: it records who raised it, and it is only ever about the
person who raised it (staff raise their own). Files are checked by
:func:`jili.uploads.read_evidence` (kind, size, content) and stored under
``<UPLOAD_DIR or instance/uploads>/<tenant>/appeals/<case>/`` with a random
name; the database keeps the name the user gave it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from jili.accounts.models import Membership, Tenant
from jili.appeals.models import (
    FILES_PER_CASE,
    REFERENCE_MAX,
    TEXT_MAX,
    AppealCase,
    AppealFile,
    AppealMessage,
    CaseKind,
    CaseStatus,
)
from jili.appeals.services.rules import ANSWERERS, AppealError, due_date, manages
from jili.audit import services as audit
from jili.evaluation.models import Kpi, Scorecard, ScorecardLine
from jili.evaluation.services import cycle
from jili.extensions import db
from jili.incentives.engine import latest_run, run_lines
from jili.incentives.models import CalculationRun, PayoutLineRecord
from jili.notifications import services as notifications
from jili.org.models import Person
from jili.periods.models import Period, PeriodStatus

SHOWN = (PeriodStatus.PUBLISHED, PeriodStatus.CLOSED)  # what staff see on statements
Evidence = tuple[str, str, bytes]  # name, content type, bytes (checked)


def _text(value: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise AppealError(message)
    if len(value) > TEXT_MAX:
        raise AppealError(_("The text is too long: at most %(n)d characters.", n=TEXT_MAX))
    return value


# --- what a person may appeal ------------------------------------------------------


@dataclass(frozen=True)
class ScoreChoice:
    line: ScorecardLine
    kpi: Kpi
    period: Period


def score_choices(tenant_id: int, person_id: int, today: date | None = None) -> list[ScoreChoice]:
    """The KPI lines of the person's rated scorecards, newest period first."""
    rows = db.session.execute(
        select(ScorecardLine, Kpi, Period)
        .join(
            Scorecard,
            (Scorecard.id == ScorecardLine.scorecard_id) & (Scorecard.tenant_id == tenant_id),
        )
        .join(Kpi, (Kpi.id == ScorecardLine.kpi_id) & (Kpi.tenant_id == tenant_id))
        .join(Period, (Period.id == Scorecard.period_id) & (Period.tenant_id == tenant_id))
        .where(
            ScorecardLine.tenant_id == tenant_id,
            Scorecard.person_id == person_id,
            Scorecard.rating.is_not(None),
        )
        .order_by(Period.start_date.desc(), Kpi.name)
    ).all()
    today = today or _today(tenant_id)
    return [
        ScoreChoice(line, kpi, period)
        for line, kpi, period in rows
        if _appealable(tenant_id, period.id, today)
    ]


def _today(tenant_id: int) -> date:
    tenant = db.session.get(Tenant, tenant_id)
    return datetime.now(ZoneInfo(tenant.timezone)).date()


def _appealable(tenant_id: int, period_id: int, today: date) -> bool:
    """A period evaluated through the cycle may be appealed only while its
    publication window is open; one rated before cycles existed, whenever it is rated."""
    if cycle.get_cycle(tenant_id, period_id) is None:
        return True
    return cycle.appeal_window_open(tenant_id, period_id, today)


def open_score_appeals(tenant_id: int, period_id: int) -> str | None:
    """The cycle's finalising check: score appeals of the period still open."""
    count = db.session.scalar(
        select(func.count(AppealCase.id)).where(
            AppealCase.tenant_id == tenant_id,
            AppealCase.case_period_id == period_id,
            AppealCase.kind == CaseKind.SCORE,
            AppealCase.status == CaseStatus.OPEN,
        )
    )
    if not count:
        return None
    return ngettext(
        "%(num)d score appeal of this period is still open: decide it before finalising.",
        "%(num)d score appeals of this period are still open: decide them before finalising.",
        count,
    )


if open_score_appeals not in cycle.FINALISE_CHECKS:
    cycle.FINALISE_CHECKS.append(open_score_appeals)


@dataclass(frozen=True)
class LineChoice:
    line: PayoutLineRecord
    run: CalculationRun
    period: Period


def statement_choices(tenant_id: int, person_id: int) -> list[LineChoice]:
    """The person's lines on the latest final run of every published or closed period."""
    out = []
    periods = db.session.scalars(
        select(Period)
        .where(Period.tenant_id == tenant_id, Period.status.in_(SHOWN))
        .order_by(Period.start_date.desc())
    )
    for period in periods:
        run = latest_run(tenant_id, period.id)
        if run is not None:
            out += [LineChoice(line, run, period) for line in run_lines(run, [person_id])]
    return out


def credit_periods(tenant_id: int) -> list[Period]:
    return list(
        db.session.scalars(
            select(Period).where(Period.tenant_id == tenant_id).order_by(Period.start_date.desc())
        )
    )


# --- raising -------------------------------------------------------------------------


def _score_fields(
    tenant_id: int, person_id: int, line_id: int | None, claimed: Decimal | None, today: date
):
    choice = next(
        (c for c in score_choices(tenant_id, person_id, today) if c.line.id == line_id), None
    )
    if choice is None:
        raise AppealError(_("Choose one of your rated KPI scores."))
    if claimed is None or claimed < 0:
        raise AppealError(_("Enter the actual value you believe is right (0 or more)."))
    current = current_actual(tenant_id, choice.line)
    if current is not None and claimed == current:
        raise AppealError(_("The value you claim is the one already on the scorecard."))
    return {
        "case_period_id": choice.period.id, "scorecard_line_id": choice.line.id,
        "kpi_name": choice.kpi.name, "kpi_code": choice.kpi.code,
        "actual_before": current, "actual_claimed": claimed,
    }  # fmt: skip


def current_actual(tenant_id: int, line: ScorecardLine) -> Decimal | None:
    """The line's actual as it stands: the last upheld appeal's value when its
    period closed before the scorecard could change, else the line's own."""
    upheld = db.session.scalar(
        select(AppealCase.actual_upheld)
        .where(
            AppealCase.tenant_id == tenant_id,
            AppealCase.scorecard_line_id == line.id,
            AppealCase.status == CaseStatus.UPHELD,
            AppealCase.actual_upheld.is_not(None),
        )
        .order_by(AppealCase.decided_at.desc(), AppealCase.id.desc())
        .limit(1)
    )
    return upheld if upheld is not None else line.actual


def _statement_fields(tenant_id: int, person_id: int, line_id: int | None):
    choice = next(
        (c for c in statement_choices(tenant_id, person_id) if c.line.id == line_id), None
    )
    if choice is None:
        raise AppealError(_("Choose one of the lines of your published statements."))
    return {
        "case_period_id": choice.period.id, "run_id": choice.run.id,
        "payout_line_id": choice.line.id, "line_amount": choice.line.amount,
    }  # fmt: skip


def _credit_fields(tenant_id: int, period_id: int | None, reference: str, amount):
    period = db.session.scalar(
        select(Period).where(Period.tenant_id == tenant_id, Period.id == period_id)
    )
    if period is None:
        raise AppealError(_("Choose the period of the deal."))
    reference = (reference or "").strip()
    if not reference:
        raise AppealError(_("Enter the deal's number or reference."))
    if len(reference) > REFERENCE_MAX:
        raise AppealError(
            _("The reference is too long: at most %(n)d characters.", n=REFERENCE_MAX)
        )
    if amount is None or amount <= 0:
        raise AppealError(
            _("Enter the amount of the deal you should have been credited (more than 0).")
        )
    return {"case_period_id": period.id, "reference": reference, "amount_claimed": amount}


def raise_case(
    tenant_id: int, user, person: Person, kind: CaseKind, *, today: date, reason: str,
    line_id: int | None = None, claimed: Decimal | None = None, period_id: int | None = None,
    reference: str = "", amount: Decimal | None = None, files: list[Evidence] = (),
) -> AppealCase:  # fmt: skip
    """``person`` raises a case about their own pay or score. The caller commits."""
    reason = _text(reason, _("Say why you appeal: what is wrong and what you believe is right."))
    if kind == CaseKind.SCORE:
        fields = _score_fields(tenant_id, person.id, line_id, claimed, today)
    elif kind == CaseKind.STATEMENT:
        fields = _statement_fields(tenant_id, person.id, line_id)
    else:
        fields = _credit_fields(tenant_id, period_id, reference, amount)
    if len(files) > FILES_PER_CASE:
        raise AppealError(_("Attach at most %(n)d files to a case.", n=FILES_PER_CASE))
    case = AppealCase(
        tenant_id=tenant_id, kind=kind, status=CaseStatus.OPEN, person_id=person.id,
        reason=reason, raised_by_id=user.id, raised_on=today,
        due_on=due_date(tenant_id, today), **fields,
    )  # fmt: skip
    db.session.add(case)
    db.session.flush()
    for evidence in files:
        _store_file(tenant_id, case, user, evidence)
    log("appeal.raise", case, user)
    tell(tenant_id, case, "appeal_raised", exclude=user.id)
    return case


def reply(
    tenant_id: int, case: AppealCase, user, body: str, files: list[Evidence] = ()
) -> AppealMessage:
    """A message on the thread (the caller checked :func:`rules.may_reply`)."""
    if not case.is_open:
        raise AppealError(_("This case is decided: its thread is closed."))
    body = _text(body, _("Write a message."))
    if len(files) + count_files(tenant_id, case) > FILES_PER_CASE:
        raise AppealError(_("Attach at most %(n)d files to a case.", n=FILES_PER_CASE))
    message = AppealMessage(tenant_id=tenant_id, case_id=case.id, author_id=user.id, body=body)
    db.session.add(message)
    db.session.flush()
    for evidence in files:
        _store_file(tenant_id, case, user, evidence)
    log("appeal.reply", case, user)
    tell(tenant_id, case, "appeal_reply", exclude=user.id)
    return message


def thread(tenant_id: int, case: AppealCase) -> list[AppealMessage]:
    return list(
        db.session.scalars(
            select(AppealMessage)
            .where(AppealMessage.tenant_id == tenant_id, AppealMessage.case_id == case.id)
            .order_by(AppealMessage.created_at, AppealMessage.id)
        )
    )


# --- files ---------------------------------------------------------------------------


def upload_root() -> Path:
    configured = current_app.config.get("UPLOAD_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "uploads"


def file_path(tenant_id: int, row: AppealFile) -> Path:
    return upload_root() / str(tenant_id) / "appeals" / str(row.case_id) / row.stored_as


def _store_file(tenant_id: int, case: AppealCase, user, evidence: Evidence) -> AppealFile:
    name, content_type, data = evidence
    row = AppealFile(
        tenant_id=tenant_id, case_id=case.id, name=name, content_type=content_type,
        size=len(data), stored_as=secrets.token_hex(16), uploaded_by_id=user.id,
    )  # fmt: skip
    db.session.add(row)
    db.session.flush()
    path = file_path(tenant_id, row)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return row


def files(tenant_id: int, case: AppealCase) -> list[AppealFile]:
    return list(
        db.session.scalars(
            select(AppealFile)
            .where(AppealFile.tenant_id == tenant_id, AppealFile.case_id == case.id)
            .order_by(AppealFile.id)
        )
    )


def count_files(tenant_id: int, case: AppealCase) -> int:
    return len(files(tenant_id, case))


# --- audit and notifications ---------------------------------------------------------


def log(action: str, case: AppealCase, user, **extra) -> None:
    audit.record(
        action, case, tenant_id=case.tenant_id, actor=user,
        after={
            "case": case.id, "person_id": case.person_id, "period_id": case.case_period_id,
            "kind": case.kind.value, "status": case.status.value, **extra,
        },
    )  # fmt: skip


def link(tenant_id: int, case: AppealCase) -> str:
    slug = db.session.scalar(select(Tenant.slug).where(Tenant.id == tenant_id))
    return f"/t/{slug}/appeals/{case.id}"


def recipients(tenant_id: int, case: AppealCase) -> set[int]:
    """Everyone a case concerns: the person, hr (admins and owner when the company
    has no hr), and for a score appeal the person's manager chain."""
    members = db.session.execute(
        select(Membership.user_id, Membership.role).where(Membership.tenant_id == tenant_id)
    ).all()
    hr = {uid for uid, role in members if role.value == "hr"}
    if not hr:
        hr = {uid for uid, role in members if role in ANSWERERS}
    out = set(hr)
    person_user = db.session.scalar(
        select(Person.user_id).where(Person.tenant_id == tenant_id, Person.id == case.person_id)
    )
    if person_user is not None:
        out.add(person_user)
    if case.kind == CaseKind.SCORE:
        for uid, _role in members:
            me = db.session.scalar(
                select(Person).where(Person.tenant_id == tenant_id, Person.user_id == uid)
            )
            if manages(tenant_id, me, case.person_id):
                out.add(uid)
    return out


def tell(tenant_id: int, case: AppealCase, kind: str, *, exclude: int | None = None) -> None:
    person = db.session.scalar(
        select(Person.name).where(Person.tenant_id == tenant_id, Person.id == case.person_id)
    )
    params = {"case": case.id, "person": person or "", "decision": case.status.value}
    for uid in sorted(recipients(tenant_id, case) - {exclude}):
        notifications.notify(
            tenant_id, user_id=uid, kind=kind, params=params, link=link(tenant_id, case)
        )
