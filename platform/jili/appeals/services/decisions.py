"""Deciding a case: rejected with a reason, or upheld — and then corrected.

An upheld case never edits a closed run. What it changes:

- a **score appeal on a period still calculated** (open or calculated): the
  scorecard line's actual is changed and the scorecard recomputed
  (:func:`score_changed_after_appeal`); the period's next run pays on it;
- a **score appeal on a published or closed period** (its pay is out; a
  published period's runs are locked): the scorecard stays as published and
  the person's pay of that period is
  recalculated with the upheld score (the engine, nothing stored), less what
  its final run paid and any earlier correction of that period; the difference
  is a :class:`PayCorrection` in the next open period of the same kind, with
  the arithmetic in its words;
- an **inquiry on a statement line** or a **missing deal credit**: hr enters
  the correction amount and the words explaining it; it is paid in the case's
  own period while that can still be calculated, else in the next open one.
  (A missing credit is not added to the inputs: the deal belongs to a period
  that may be closed, and adding it to another period would move that
  period's attainment and targets.)
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select

from jili.accounts.models import Tenant
from jili.appeals.models import TEXT_MAX, AppealCase, CaseKind, CaseStatus, PayCorrection
from jili.appeals.services.cases import log, tell
from jili.appeals.services.rules import AppealError
from jili.audit import services as audit
from jili.dbtypes import utcnow
from jili.evaluation.models import ScorecardLine
from jili.evaluation.services import cycle
from jili.evaluation.services.library import EvaluationError
from jili.extensions import db
from jili.incentives.engine import corrections, latest_run
from jili.incentives.engine.corrections import CORRECTIONS_PLAN_ID
from jili.incentives.models import PayoutLineRecord
from jili.inputs.models import MetricValue
from jili.money import CURRENCIES
from jili.periods.models import Period, PeriodStatus
from jili.schemes import N_, Explanation, KpiResult, Step, fmt_money, fmt_number, kpi_total_score

CALCULABLE = (PeriodStatus.OPEN, PeriodStatus.CALCULATED)
HUNDRED = Decimal(100)
ZERO = Decimal(0)

SCORE_WORDS = N_(
    "Correction from appeal #%(case)s: %(period)s pay recalculated with KPI %(kpi)s "
    "%(old)s → %(new)s"
)
CASE_WORDS = N_("Correction from appeal #%(case)s (%(period)s): %(words)s")
DIFF_STEP = N_("recalculated %(new)s − paid %(paid)s = %(diff)s")
DIFF_STEP_EARLIER = N_(
    "recalculated %(new)s − paid %(paid)s − corrected before %(earlier)s = %(diff)s"
)


def _period(tenant_id: int, period_id: int) -> Period:
    return db.session.scalar(
        select(Period).where(Period.tenant_id == tenant_id, Period.id == period_id)
    )


def target_period(tenant_id: int, period: Period) -> Period:
    """``period`` when it can still be calculated, else the first later period of
    the same kind that can; :class:`AppealError` when there is none yet."""
    if period.status in CALCULABLE:
        return period
    found = db.session.scalar(
        select(Period)
        .where(
            Period.tenant_id == tenant_id,
            Period.kind == period.kind,
            Period.start_date > period.start_date,
            Period.status.in_(CALCULABLE),
        )
        .order_by(Period.start_date)
        .limit(1)
    )
    if found is None:
        raise AppealError(
            _("There is no open period after %(period)s to pay a correction in: create it first.",
              period=period.label)
        )  # fmt: skip
    return found


def _note(note: str, *, required: bool) -> str:
    note = (note or "").strip()
    if required and not note:
        raise AppealError(_("Give the reason for the decision: the person reads it."))
    if len(note) > TEXT_MAX:
        raise AppealError(_("The text is too long: at most %(n)d characters.", n=TEXT_MAX))
    return note


def reject(tenant_id: int, case: AppealCase, user, note: str) -> None:
    if not case.is_open:
        raise AppealError(_("This case is already decided."))
    _finish(tenant_id, case, user, CaseStatus.REJECTED, _note(note, required=True))


def uphold(
    tenant_id: int, case: AppealCase, user, note: str, *,
    actual: Decimal | None = None, amount: Decimal | None = None, words: str = "",
) -> PayCorrection | None:  # fmt: skip
    """Uphold ``case`` and apply what it corrects; the correction, if any."""
    if not case.is_open:
        raise AppealError(_("This case is already decided."))
    note = _note(note, required=True)
    period = _period(tenant_id, case.case_period_id)
    correction = None
    if case.kind == CaseKind.SCORE:
        actual = case.actual_claimed if actual is None else actual
        if actual is None or actual < 0:
            raise AppealError(_("Enter the actual value to uphold (0 or more)."))
        case.actual_upheld = actual
        if period.status in CALCULABLE:
            score_changed_after_appeal(tenant_id, case, actual, user, note)
        else:  # published or closed: its pay is out, the correction pays the difference
            correction = _score_correction(tenant_id, case, period, user)
    else:
        if amount is None or amount == 0:
            raise AppealError(_("Enter the correction amount (not 0; negative when overpaid)."))
        words = _note(words, required=False) or note
        correction = _amount_correction(tenant_id, case, period, amount, words, user)
    _finish(tenant_id, case, user, CaseStatus.UPHELD, note)
    return correction


def _finish(tenant_id: int, case: AppealCase, user, status: CaseStatus, note: str) -> None:
    case.status, case.decided_by_id, case.decided_at, case.decision_note = (
        status, user.id, utcnow(), note,
    )  # fmt: skip
    log("appeal.uphold" if status == CaseStatus.UPHELD else "appeal.reject", case, user,
        reason=note)  # fmt: skip
    tell(tenant_id, case, "appeal_decided", exclude=user.id)


# --- score appeals ------------------------------------------------------------------


def score_changed_after_appeal(
    tenant_id: int, case: AppealCase, actual: Decimal, user, reason: str
) -> None:
    """Change the appealed scorecard line's actual and recompute the scorecard
    (total, rating, the metric values the performance bonus reads), through the
    evaluation cycle's own :func:`jili.evaluation.services.cycle.score_changed_after_appeal`
    so the manager's assessment of the line follows; audited with the case."""
    line = db.session.scalar(
        select(ScorecardLine).where(
            ScorecardLine.tenant_id == tenant_id, ScorecardLine.id == case.scorecard_line_id
        )
    )
    try:
        cycle.score_changed_after_appeal(
            line, actual, reason, user, case_id=case.id, kpi=case.kpi_name
        )  # fmt: skip
    except EvaluationError as exc:
        raise AppealError(str(exc)) from exc


def kpi_total_with(
    tenant_id: int, period_id: int, person_id: int, overrides: dict
) -> Decimal | None:
    """The person's KPI total score of the period, as the engine reads it from
    the metric values, with ``overrides`` (metric code → actual) applied."""
    rows = db.session.scalars(
        select(MetricValue).where(
            MetricValue.tenant_id == tenant_id,
            MetricValue.period_id == period_id,
            MetricValue.person_id == person_id,
        )
    )
    results = []
    for r in rows:
        if not r.weight or r.target is None or r.target <= 0:
            continue
        actual = overrides.get(r.metric, r.actual)
        cap = Decimal(r.cap) if r.cap is not None else HUNDRED
        results.append(
            KpiResult(
                Decimal(r.weight), Decimal(actual), Decimal(r.target), r.higher_is_better, cap
            )
        )
    return kpi_total_score(results) if results else None


def _earlier(tenant_id: int, case: AppealCase) -> tuple[dict, Decimal]:
    """Upheld score changes and corrections already made for the same person and period."""
    upheld = db.session.scalars(
        select(AppealCase)
        .where(
            AppealCase.tenant_id == tenant_id,
            AppealCase.person_id == case.person_id,
            AppealCase.case_period_id == case.case_period_id,
            AppealCase.kind == CaseKind.SCORE,
            AppealCase.status == CaseStatus.UPHELD,
            AppealCase.id != case.id,
        )
        .order_by(AppealCase.decided_at, AppealCase.id)
    )
    overrides = {c.kpi_code: c.actual_upheld for c in upheld if c.actual_upheld is not None}
    earlier = db.session.scalar(
        select(func.coalesce(func.sum(PayCorrection.amount), 0)).where(
            PayCorrection.tenant_id == tenant_id,
            PayCorrection.person_id == case.person_id,
            PayCorrection.source_period_id == case.case_period_id,
        )
    )
    return overrides, Decimal(earlier or 0)


def paid_in_run(tenant_id: int, period: Period, person_id: int) -> Decimal:
    """What the period's latest final run paid the person by its plans (its own
    corrections of earlier periods left out)."""
    run = latest_run(tenant_id, period.id)
    if run is None:
        raise AppealError(_("%(period)s has no calculation to correct.", period=period.label))
    total = db.session.scalar(
        select(func.coalesce(func.sum(PayoutLineRecord.amount), 0)).where(
            PayoutLineRecord.tenant_id == tenant_id,
            PayoutLineRecord.run_id == run.id,
            PayoutLineRecord.person_id == person_id,
            PayoutLineRecord.plan_id != CORRECTIONS_PLAN_ID,
        )
    )
    return Decimal(total or 0)


def _score_correction(tenant_id: int, case: AppealCase, period: Period, user):
    tenant = db.session.get(Tenant, tenant_id)
    places = CURRENCIES.get(tenant.currency, 2)
    overrides, earlier = _earlier(tenant_id, case)
    overrides[case.kpi_code] = case.actual_upheld
    score = kpi_total_with(tenant_id, period.id, case.person_id, overrides)
    paid = paid_in_run(tenant_id, period, case.person_id)
    new = corrections.recalculate_person(tenant, period, case.person_id, score)
    diff = new - paid - earlier
    if diff == 0:
        return None
    money = {"new": fmt_money(new, places), "paid": fmt_money(paid, places),
             "diff": f"{'+' if diff > 0 else '−'}{fmt_money(abs(diff), places)}"}  # fmt: skip
    step = (
        Step(DIFF_STEP_EARLIER, earlier=fmt_money(earlier, places), **money)
        if earlier
        else Step(DIFF_STEP, **money)
    )
    explanation = Explanation(
        message=SCORE_WORDS,
        inputs={"case": str(case.id), "period": period.label, "kpi": case.kpi_name,
                "old": fmt_number(case.actual_before) if case.actual_before is not None else "—",
                "new": fmt_number(case.actual_upheld)},
        arithmetic=(step,),
    )  # fmt: skip
    return _store(tenant_id, case, period, diff, explanation, user)


# --- amounts entered by hr -------------------------------------------------------------


def _amount_correction(tenant_id, case, period, amount: Decimal, words: str, user):
    tenant = db.session.get(Tenant, tenant_id)
    places = CURRENCIES.get(tenant.currency, 2)
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        raise AppealError(_("Enter the amount with at most %(n)d decimals.", n=places))
    explanation = Explanation(
        message=CASE_WORDS,
        inputs={"case": str(case.id), "period": period.label, "words": words},
        arithmetic=(f"{'+' if amount > 0 else '−'}{fmt_money(abs(amount), places)}",),
    )
    return _store(tenant_id, case, period, amount, explanation, user)


def _store(tenant_id, case, source: Period, amount: Decimal, explanation: Explanation, user):
    target = target_period(tenant_id, source)
    row = PayCorrection(
        tenant_id=tenant_id, person_id=case.person_id, period_id=target.id,
        source_period_id=source.id, case_id=case.id, amount=amount,
        words=explanation.plain_text(), explanation=explanation.to_dict(),
        created_by_id=user.id,
    )  # fmt: skip
    db.session.add(row)
    db.session.flush()
    audit.record(
        "pay_correction.create", row, tenant_id=tenant_id, actor=user,
        after={"case": case.id, "person_id": case.person_id, "period_id": target.id,
               "amount": amount, "words": row.words},
    )  # fmt: skip
    return row


def correction_of(tenant_id: int, case: AppealCase) -> PayCorrection | None:
    return db.session.scalar(
        select(PayCorrection).where(
            PayCorrection.tenant_id == tenant_id, PayCorrection.case_id == case.id
        )
    )


def overdue(tenant_id: int, today: date) -> list[AppealCase]:
    return list(
        db.session.scalars(
            select(AppealCase)
            .where(
                AppealCase.tenant_id == tenant_id,
                AppealCase.status == CaseStatus.OPEN,
                AppealCase.due_on < today,
            )
            .order_by(AppealCase.due_on, AppealCase.id)
        )
    )
