"""A period's evaluation cycle: self-assessment → manager scoring → hr calibration
and aggregation → publication window → appeals → final.

Each step's deadline is counted in the company's working days (jili.workdays)
after the period's end (self-assessment, manager scoring), after publication
(the window), after the window (appeals answered) or after finalising (payout);
the numbers are a company setting (:class:`CycleSettings`, the seed's defaults
when there is none). hr moves the cycle on, and may reopen any earlier step with
a reason. Every move is audit-logged.

For the appeals capability: :func:`appeal_window_open`,
:func:`score_changed_after_appeal` and :data:`FINALISE_CHECKS` (callables
``(tenant_id, period_id) -> message or None``; a message stops finalising).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from jili.audit.services import record, snapshot
from jili.evaluation.models import (
    DEFAULT_DEADLINES,
    CycleSettings,
    CycleStage,
    EvaluationCycle,
    LineAssessment,
    Scorecard,
    ScorecardLine,
)
from jili.evaluation.services import scorecards
from jili.evaluation.services.library import EvaluationError
from jili.extensions import db
from jili.periods.models import Period
from jili.workdays.services import add_working_days

#: Filled by the lead at merge (appeals): a message stops finalising the cycle.
FINALISE_CHECKS: list[Callable[[int, int], str | None]] = []

ORDER = [
    CycleStage.SELF,
    CycleStage.MANAGER,
    CycleStage.CALIBRATION,
    CycleStage.PUBLISHED,
    CycleStage.FINAL,
]
STAGE_LABELS = {
    "self": _l("Self-assessment"),
    "manager": _l("Manager scoring"),
    "calibration": _l("Calibration and aggregation"),
    "published": _l("Published (appeals)"),
    "final": _l("Final"),
}
SETTING_LABELS = {
    "self_days": _l("Self-assessment: working days after the period ends"),
    "manager_days": _l("Manager scoring: working days after the period ends"),
    "publication_days": _l("Publication window: working days"),
    "appeal_days": _l("Appeals answered: working days after the window"),
    "payout_days": _l("Payout: working days after the results are final"),
}
MAX_DAYS = 60


# --- settings -------------------------------------------------------------------------


def settings(tenant_id: int) -> dict[str, int]:
    row = db.session.scalar(select(CycleSettings).where(CycleSettings.tenant_id == tenant_id))
    if row is None:
        return dict(DEFAULT_DEADLINES)
    return {key: getattr(row, key) for key in DEFAULT_DEADLINES}


def save_settings(tenant_id: int, values: dict[str, int]) -> bool:
    """Store the deadlines (each 0–60 working days); False when nothing changed."""
    for key, value in values.items():
        if key not in DEFAULT_DEADLINES:
            raise EvaluationError(_("Unknown setting %(key)s.", key=key))
        if not isinstance(value, int) or not 0 <= value <= MAX_DAYS:
            raise EvaluationError(
                _(
                    "%(field)s: a whole number from 0 to %(n)d.",
                    field=SETTING_LABELS[key],
                    n=MAX_DAYS,
                )
            )
    before = settings(tenant_id)
    after = {**before, **values}
    if after == before:
        return False
    row = db.session.scalar(select(CycleSettings).where(CycleSettings.tenant_id == tenant_id))
    if row is None:
        row = CycleSettings(tenant_id=tenant_id)
        db.session.add(row)
    for key, value in after.items():
        setattr(row, key, value)
    db.session.flush()
    record(
        "evaluation_cycle.settings", row, object_type="CycleSettings", before=before, after=after
    )
    return True


# --- the cycle and its deadlines ---------------------------------------------------------


@dataclass(frozen=True)
class Deadlines:
    self_due: date
    manager_due: date
    window_end: date | None  # publication window: last day appeals may be filed
    appeals_due: date | None  # appeals answered by
    payout_due: date | None


def deadlines(tenant_id: int, period: Period, cycle: EvaluationCycle | None) -> Deadlines:
    days = settings(tenant_id)
    end = period.end_date
    window_end = appeals_due = payout_due = None
    if cycle is not None and cycle.published_on is not None:
        window_end = add_working_days(tenant_id, cycle.published_on, days["publication_days"])
        appeals_due = add_working_days(tenant_id, window_end, days["appeal_days"])
    if cycle is not None and cycle.finalised_on is not None:
        payout_due = add_working_days(tenant_id, cycle.finalised_on, days["payout_days"])
    return Deadlines(
        self_due=add_working_days(tenant_id, end, days["self_days"]),
        manager_due=add_working_days(tenant_id, end, days["manager_days"]),
        window_end=window_end,
        appeals_due=appeals_due,
        payout_due=payout_due,
    )


def get_cycle(tenant_id: int, period_id: int) -> EvaluationCycle | None:
    return db.session.scalar(
        select(EvaluationCycle).where(
            EvaluationCycle.tenant_id == tenant_id, EvaluationCycle.period_id == period_id
        )
    )


def open_cycles(tenant_id: int) -> list[EvaluationCycle]:
    return list(
        db.session.scalars(
            select(EvaluationCycle)
            .where(
                EvaluationCycle.tenant_id == tenant_id, EvaluationCycle.stage != CycleStage.FINAL
            )
            .order_by(EvaluationCycle.period_id)
        )
    )


def shown_stage(cycle: EvaluationCycle | None, period: Period, today: date) -> str | None:
    """The stage as people read it: a published cycle past its window is in appeals."""
    if cycle is None:
        return None
    if cycle.stage == CycleStage.PUBLISHED:
        window_end = deadlines(cycle.tenant_id, period, cycle).window_end
        if window_end is not None and today > window_end:
            return "appeals"
    return cycle.stage.value


def published(tenant_id: int, period_id: int) -> bool:
    """Whether the people may see their results: no cycle (results as before), or
    a cycle that is published or final."""
    cycle = get_cycle(tenant_id, period_id)
    return cycle is None or cycle.stage in (CycleStage.PUBLISHED, CycleStage.FINAL)


def _period(cycle: EvaluationCycle) -> Period:
    return db.session.get(Period, cycle.period_id)


def _log(action: str, cycle: EvaluationCycle, before=None, **extra) -> None:
    fields = ["stage", "self_closed_on", "manager_closed_on", "published_on", "finalised_on"]
    record(
        action,
        cycle,
        object_type="EvaluationCycle",
        before=before,
        after={**snapshot(cycle, fields), "period": _period(cycle).label, **extra},
    )


def start(tenant_id: int, period: Period, today: date) -> EvaluationCycle:
    """Open the cycle of ``period`` at self-assessment; needs its scorecards."""
    if period.is_closed:
        raise EvaluationError(
            _("Period %(label)s is closed: its scorecards cannot change.", label=period.label)
        )
    if get_cycle(tenant_id, period.id) is not None:
        raise EvaluationError(
            _("The evaluation cycle of %(label)s has started already.", label=period.label)
        )
    if not scorecards.cards(tenant_id, period):
        raise EvaluationError(_("Create the scorecards of %(label)s first.", label=period.label))
    cycle = EvaluationCycle(
        tenant_id=tenant_id, period_id=period.id, stage=CycleStage.SELF, started_on=today
    )
    db.session.add(cycle)
    db.session.flush()
    _log("evaluation_cycle.start", cycle)
    return cycle


def advance(cycle: EvaluationCycle, today: date) -> CycleStage:
    """hr closes the current step and opens the next: self-assessment → manager
    scoring → calibration and aggregation. Publishing and finalising have their
    own functions."""
    before = snapshot(cycle, ["stage"])
    if cycle.stage == CycleStage.SELF:
        cycle.stage, cycle.self_closed_on = CycleStage.MANAGER, today
    elif cycle.stage == CycleStage.MANAGER:
        cycle.stage, cycle.manager_closed_on = CycleStage.CALIBRATION, today
        aggregate(cycle)
    else:
        raise EvaluationError(_("This step is not closed this way."))
    db.session.flush()
    _log("evaluation_cycle.advance", cycle, before)
    return cycle.stage


def aggregate(cycle: EvaluationCycle) -> int:
    """Score, total and rate every scorecard of the period again (hr's aggregation)."""
    period = _period(cycle)
    cards = scorecards.cards(cycle.tenant_id, period)
    for card in cards:
        scorecards.compute(card)
    db.session.flush()
    return len(cards)


def publish(cycle: EvaluationCycle, today: date) -> None:
    """Open the publication window: people see their scorecard, rating and comments."""
    if cycle.stage != CycleStage.CALIBRATION:
        raise EvaluationError(_("Close manager scoring before publishing."))
    incomplete = [c for c in scorecards.cards(cycle.tenant_id, _period(cycle)) if c.total is None]
    if incomplete:
        raise EvaluationError(
            _("%(n)d scorecards are still incomplete: every KPI needs a target and an actual.",
              n=len(incomplete))
        )  # fmt: skip
    before = snapshot(cycle, ["stage"])
    aggregate(cycle)
    cycle.stage, cycle.published_on = CycleStage.PUBLISHED, today
    db.session.flush()
    _log("evaluation_cycle.publish", cycle, before)


def finalise(cycle: EvaluationCycle, today: date) -> None:
    """After the publication window, once appeals are answered: the results are final."""
    if cycle.stage != CycleStage.PUBLISHED:
        raise EvaluationError(_("Only published results can be made final."))
    window_end = deadlines(cycle.tenant_id, _period(cycle), cycle).window_end
    if window_end is not None and today <= window_end:
        raise EvaluationError(
            _("The publication window is open until %(day)s.", day=window_end.isoformat())
        )
    problems = [m for check in FINALISE_CHECKS if (m := check(cycle.tenant_id, cycle.period_id))]
    if problems:
        raise EvaluationError(" ".join(problems))
    before = snapshot(cycle, ["stage"])
    cycle.stage, cycle.finalised_on = CycleStage.FINAL, today
    db.session.flush()
    _log("evaluation_cycle.finalise", cycle, before)


def reopen(cycle: EvaluationCycle, stage: str, reason: str) -> None:
    """hr takes the cycle back to an earlier step, with a reason (audited)."""
    reason = (reason or "").strip()
    if not reason:
        raise EvaluationError(_("Give a reason for reopening a step."))
    if len(reason) > 500:
        raise EvaluationError(_("The reason is longer than %(n)d characters.", n=500))
    try:
        target = CycleStage(stage)
    except ValueError:
        raise EvaluationError(_("Choose a step to reopen.")) from None
    if ORDER.index(target) >= ORDER.index(cycle.stage):
        raise EvaluationError(_("Only an earlier step can be reopened."))
    before = snapshot(cycle, ["stage"])
    cycle.stage = target
    at = ORDER.index(target)
    if at <= ORDER.index(CycleStage.SELF):
        cycle.self_closed_on = None
    if at <= ORDER.index(CycleStage.MANAGER):
        cycle.manager_closed_on = None
    if at <= ORDER.index(CycleStage.CALIBRATION):
        cycle.published_on = None
    cycle.finalised_on = None
    cycle.reminded_on = None
    db.session.flush()
    _log("evaluation_cycle.reopen", cycle, before, reason=reason)


# --- for the appeals capability -----------------------------------------------------------


def appeal_window_open(tenant_id: int, period_id: int, today: date) -> bool:
    """Whether a score of the period may be appealed ``today``: its results are
    published and the publication window has not ended."""
    cycle = get_cycle(tenant_id, period_id)
    if cycle is None or cycle.stage != CycleStage.PUBLISHED:
        return False
    period = db.session.get(Period, period_id)
    window_end = deadlines(tenant_id, period, cycle).window_end
    return window_end is not None and cycle.published_on <= today <= window_end


def score_changed_after_appeal(
    scorecard_line: ScorecardLine,
    new_actual_or_score: Decimal,
    reason: str,
    actor=None,
    *,
    case_id: int | None = None,
    kpi: str | None = None,
) -> Scorecard:
    """Apply an upheld appeal on a score: the line's actual (and the manager's
    assessment of it) becomes ``new_actual_or_score``, the card is scored,
    totalled and rated again (and the performance bonus reads it). Only in an
    open period; audited, with the appeal case and KPI when given."""
    period = db.session.get(Period, scorecard_line.period_id)
    if period is None or period.is_closed:
        raise EvaluationError(
            _("Period %(label)s is closed: its scorecards cannot change.",
              label=period.label if period else "")
        )  # fmt: skip
    reason = (reason or "").strip()
    if not reason:
        raise EvaluationError(_("Give a reason for changing a score."))
    value = Decimal(new_actual_or_score)
    if value < 0:
        raise EvaluationError(_("A KPI value cannot be negative."))
    card = db.session.scalar(
        select(Scorecard).where(
            Scorecard.tenant_id == scorecard_line.tenant_id,
            Scorecard.id == scorecard_line.scorecard_id,
        )
    )
    before = {"actual": scorecard_line.actual, "score": scorecard_line.score, "total": card.total,
              "rating": card.final_rating}  # fmt: skip
    scorecard_line.actual = value
    assessment = db.session.scalar(
        select(LineAssessment).where(
            LineAssessment.tenant_id == scorecard_line.tenant_id,
            LineAssessment.line_id == scorecard_line.id,
        )
    )
    if assessment is not None:
        assessment.manager_actual = value
    db.session.flush()
    scorecards.compute(card)
    record(
        "scorecard.appeal_upheld",
        card,
        actor=actor,
        before=before,
        after={"actual": value, "score": scorecard_line.score, "total": card.total,
               "rating": card.final_rating, "reason": reason, "person_id": card.person_id,
               "period_id": card.period_id,
               **({"case": case_id, "kpi": kpi} if case_id is not None else {})},
    )  # fmt: skip
    return card
