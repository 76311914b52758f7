"""A period's scorecards: each person gets their level's KPI set, targets and
actuals from each KPI's data source (or entered), a score per KPI and a
weighted total by the one scoring rule (:mod:`jili.schemes.kpi`), and a rating.

Scorecards feed :class:`~jili.inputs.models.MetricValue` (metric = the KPI's
code), so the performance bonus reads the same final scores.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from jili.audit.services import record
from jili.evaluation.models import (
    EvidenceFile,
    Kpi,
    KpiSource,
    LineAssessment,
    Scorecard,
    ScorecardLine,
)
from jili.evaluation.services import library, ratings, sources
from jili.evaluation.services.library import EvaluationError
from jili.extensions import db
from jili.inputs.models import MetricValue
from jili.org.models import Person
from jili.periods.models import Period
from jili.schemes.kpi import KpiResult, kpi_score, kpi_total_score


def _open(period: Period) -> None:
    if period.is_closed:
        raise EvaluationError(
            _("Period %(label)s is closed: its scorecards cannot change.", label=period.label)
        )


def cards(tenant_id: int, period: Period, visible: set[int] | None = None) -> list[Scorecard]:
    query = select(Scorecard).where(
        Scorecard.tenant_id == tenant_id, Scorecard.period_id == period.id
    )
    if visible is not None:
        query = query.where(Scorecard.person_id.in_(sorted(visible) or [-1]))
    return list(db.session.scalars(query))


def get_card(tenant_id: int, card_id: int) -> Scorecard | None:
    return db.session.scalar(
        select(Scorecard).where(Scorecard.tenant_id == tenant_id, Scorecard.id == card_id)
    )


def lines(card: Scorecard) -> list[tuple[ScorecardLine, Kpi]]:
    rows = db.session.execute(
        select(ScorecardLine, Kpi)
        .join(Kpi, (Kpi.id == ScorecardLine.kpi_id) & (Kpi.tenant_id == ScorecardLine.tenant_id))
        .where(ScorecardLine.tenant_id == card.tenant_id, ScorecardLine.scorecard_id == card.id)
        .order_by(Kpi.category, Kpi.code)
    ).all()
    return [(line, kpi) for line, kpi in rows]


def generate(tenant_id: int, period: Period) -> tuple[int, int]:
    """Create or refresh every person's scorecard for ``period`` from their level's
    set. Entered actuals are kept. Returns (scorecards, people without a set)."""
    _open(period)
    sets = library.kpi_sets(tenant_id)
    levels = library.person_levels(tenant_id)
    existing = {c.person_id: c for c in cards(tenant_id, period)}
    people = db.session.scalars(
        select(Person).where(Person.tenant_id == tenant_id).order_by(Person.employee_no)
    ).all()
    made = missing = 0
    for person in people:
        kpi_set = sets.get(levels.get(person.id, ""))
        if kpi_set is None:
            missing += 1
            continue
        card = existing.get(person.id)
        if card is None:
            card = Scorecard(
                tenant_id=tenant_id, period_id=period.id, person_id=person.id, adjust_reason=""
            )
            db.session.add(card)
        card.level = kpi_set.level
        db.session.flush()
        _fill(card, period, library.set_items(kpi_set))
        made += 1
    record(
        "scorecards.generate",
        tenant_id=tenant_id,
        object_type="Scorecard",
        object_id="",
        after={"period_id": period.id, "count": made, "missing": missing},
    )
    return made, missing


def _fill(card: Scorecard, period: Period, items) -> None:
    old = {line.kpi_id: line for line, _k in lines(card)}
    wanted = {kpi.id for _i, kpi in items}
    for kpi_id, line in old.items():
        if kpi_id not in wanted:
            for model in (LineAssessment, EvidenceFile):  # the cycle's rows of the line
                for row in db.session.scalars(
                    select(model).where(model.tenant_id == card.tenant_id, model.line_id == line.id)
                ):
                    db.session.delete(row)
            db.session.delete(line)
    for item, kpi in items:
        line = old.get(kpi.id)
        if line is None:
            line = ScorecardLine(
                tenant_id=card.tenant_id, scorecard_id=card.id, period_id=period.id, kpi_id=kpi.id
            )
            db.session.add(line)
        line.weight = item.weight
        line.higher_is_better = kpi.higher_is_better
        line.cap = kpi.cap
        line.target = item.target if item.target is not None else kpi.default_target
        if kpi.source == KpiSource.TARGETS:
            line.target = sources.published_target(card.tenant_id, period, card.person_id)
        if kpi.source in (KpiSource.TRANSACTIONS, KpiSource.TARGETS):
            line.actual = sources.credited_revenue(card.tenant_id, period, card.person_id)
    db.session.flush()
    compute(card)


def _result(line: ScorecardLine) -> KpiResult | None:
    if line.actual is None or line.target is None or line.target <= 0 or line.actual < 0:
        return None
    return KpiResult(
        Decimal(line.weight),
        Decimal(line.actual),
        Decimal(line.target),
        line.higher_is_better,
        Decimal(line.cap),
    )


def compute(card: Scorecard) -> None:
    """Score every line, total and rate the card, and feed the metric values.
    A card with a KPI still missing its target or actual has no total yet."""
    pairs = lines(card)
    results = []
    for line, _kpi in pairs:
        result = _result(line)
        line.score = (
            None
            if result is None
            else kpi_score(
                result.actual,
                result.target,
                higher_is_better=result.higher_is_better,
                cap=result.cap,
            ).quantize(Decimal("0.0001"))
        )
        results.append(result)
    complete = bool(results) and all(r is not None for r in results)
    weighted = complete and sum((r.weight for r in results), Decimal(0)) > 0
    card.total = kpi_total_score(results) if weighted else None
    card.rating = ratings.rate(card.tenant_id, card.total)
    _feed(card, pairs if weighted else [])


def _feed(card: Scorecard, pairs) -> None:
    """The card's KPI values as the performance bonus reads them (by KPI code);
    rows of library KPIs no longer on the card are removed."""
    codes = {k.code for k in library.kpis(card.tenant_id)}
    current = {
        m.metric: m
        for m in db.session.scalars(
            select(MetricValue).where(
                MetricValue.tenant_id == card.tenant_id,
                MetricValue.period_id == card.period_id,
                MetricValue.person_id == card.person_id,
            )
        )
        if m.metric in codes
    }
    keep = set()
    for line, kpi in pairs:
        keep.add(kpi.code)
        row = current.get(kpi.code)
        if row is None:
            row = MetricValue(
                tenant_id=card.tenant_id,
                period_id=card.period_id,
                person_id=card.person_id,
                metric=kpi.code,
            )
            db.session.add(row)
        row.weight = line.weight
        row.actual = line.actual
        row.target = line.target
        row.higher_is_better = line.higher_is_better
        row.cap = None if line.cap == 100 else line.cap
    for code, row in current.items():
        if code not in keep:
            db.session.delete(row)
    db.session.flush()


def enter(card: Scorecard, period: Period, values: dict[int, tuple]) -> None:
    """Enter actuals (and targets) of the card's lines: line id → (actual, target);
    None leaves a value as it is. Audit-logged."""
    _open(period)
    by_id = {line.id: (line, kpi) for line, kpi in lines(card)}
    before, after = {}, {}
    for line_id, (actual, target) in values.items():
        if line_id not in by_id:
            raise EvaluationError(_("That KPI is not on this scorecard."))
        line, kpi = by_id[line_id]
        before[kpi.name] = [line.actual, line.target]
        if actual is not None:
            line.actual = actual
        if target is not None:
            line.target = target
        after[kpi.name] = [line.actual, line.target]
    compute(card)
    record(
        "scorecard.enter",
        card,
        before=before,
        after={**after, "person_id": card.person_id, "period_id": card.period_id},
    )
