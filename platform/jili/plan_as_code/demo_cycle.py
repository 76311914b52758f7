"""Demo companies with a KPI library: two evaluation cycles, so the demo logins find
them on their home pages — the quarter before last finished (self-assessed, scored
by the manager with comments where they differ, published, final), and the last
ended quarter in progress (some self-assessments in, one of them late, the others
owed; manager scoring still to come). The finished quarter's pay is calculated
again on its published scores before the appeals window (:func:`_pay_on_results`)."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from jili.accounts.models import Tenant
from jili.audit import services as audit
from jili.evaluation.models import Scorecard
from jili.evaluation.services import assessments, library, scorecards
from jili.evaluation.services import cycle as cycles
from jili.extensions import db
from jili.incentives.engine import calculate_period
from jili.org.models import Person
from jili.periods.models import Period, PeriodKind, PeriodStatus
from jili.periods.services import advance, reopen
from jili.plan_as_code import demo_appeals
from jili.tenancy import bound_tenant
from jili.workdays.services import add_working_days

EVIDENCE = "CRM 与财务系统记录，见附件清单"
COMMENT = "复核 CRM：有两次拜访没有客户签到记录，按 %s 计"
SIGNED = "复核 CRM：只计有客户签到记录的拜访，按 %s 计"


def _factor(*parts: str) -> Decimal:
    """A stable share of target in [0.85, 1.05), two places."""
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    unit = Decimal(int.from_bytes(digest[:4], "big")) / Decimal(2**32)
    return (Decimal("0.85") + unit * Decimal("0.2")).quantize(Decimal("0.01"))


def _ended_quarters(tenant_id: int, today: date) -> list[Period]:
    return list(
        db.session.scalars(
            select(Period)
            .where(
                Period.tenant_id == tenant_id,
                Period.kind == PeriodKind.QUARTER,
                Period.end_date < today,
            )
            .order_by(Period.end_date.desc())
            .limit(2)
        )
    )


def _people(tenant_id: int, cards: list[Scorecard]) -> dict[int, Person]:
    ids = [c.person_id for c in cards]
    rows = db.session.scalars(
        select(Person).where(Person.tenant_id == tenant_id, Person.id.in_(ids))
    )
    return {p.id: p for p in rows}


def _self_values(card: Scorecard, slug: str, label: str, no: str) -> dict[int, tuple]:
    out = {}
    for line, kpi in scorecards.lines(card):
        if line.target is None:
            line.target = kpi.default_target or Decimal(1)
        value = None
        if assessments.is_entered(kpi):
            value = (line.target * _factor(slug, label, no, kpi.code)).quantize(Decimal("0.01"))
        out[line.id] = (value, EVIDENCE)
    db.session.flush()
    return out


def _finished(tenant: Tenant, period: Period) -> None:
    tid, slug = tenant.id, tenant.slug
    cycle = cycles.start(tid, period, add_working_days(tid, period.end_date, 1))
    due = cycles.deadlines(tid, period, cycle)
    cards = scorecards.cards(tid, period)
    people = _people(tid, cards)
    self_values = {}
    for card in cards:
        no = people[card.person_id].employee_no
        self_values[card.id] = _self_values(card, slug, period.label, no)
        assessments.self_assess(card, self_values[card.id], due.self_due)
    cycles.advance(cycle, due.self_due)
    found = demo_appeals.appellant(tid, period.id)
    appealed = found[2] if found is not None else None  # the line the upheld appeal is on
    for i, card in enumerate(sorted(cards, key=lambda c: people[c.person_id].employee_no)):
        boss = db.session.get(Person, people[card.person_id].manager_id or card.person_id)
        manager_name = boss.name if boss is not None else ""
        values, differ = {}, i == 0
        for line_id, (value, _e) in self_values[card.id].items():
            if appealed is not None and line_id == appealed.id and value is not None:
                counted = demo_appeals.manager_count(appealed, value)
                values[line_id] = (counted, SIGNED % counted)
            elif differ and value is not None:  # one score differs, with a concrete case
                lower = (value * Decimal("0.9")).quantize(Decimal("0.01"))
                values[line_id], differ = (lower, COMMENT % lower), False
            else:
                values[line_id] = (value, "")
        assessments.manager_score(card, values, due.manager_due, manager_name)
    cycles.advance(cycle, due.manager_due)
    for card in cards:  # lines from data the demo has no value for yet
        for line, _kpi in scorecards.lines(card):
            if line.actual is None:
                line.actual = line.target
        scorecards.compute(card)
    published_on = add_working_days(tid, due.manager_due, 1)
    cycles.publish(cycle, published_on)
    _pay_on_results(tenant, period)
    # appeals raised and decided inside the window, then the cycle is final
    demo_appeals.add_cycle_appeals(tenant, period, add_working_days(tid, published_on, 1))
    window_end = cycles.deadlines(tid, period, cycle).window_end
    cycles.finalise(cycle, add_working_days(tid, window_end, 1))


def _pay_on_results(tenant: Tenant, period: Period) -> None:
    """The quarter's pay follows its published results. The demo calculated and
    published the quarter before its cycle (demo_current), on the metric values
    then; hr reopens it, calculates it again with the scores as published, and
    publishes it — before the window's appeals, so an upheld one is paid as a
    correction of what this run paid. Audited as a person would be."""
    if period.status != PeriodStatus.PUBLISHED:
        return
    reopen(period)
    audit.record("period.reopen", period, tenant_id=tenant.id,
                 before={"status": PeriodStatus.PUBLISHED}, after={"status": period.status})  # fmt: skip
    run = calculate_period(tenant, period, confirm=True)
    advance(period)
    audit.record(
        "period.status", period, tenant_id=tenant.id,
        before={"status": PeriodStatus.CALCULATED},
        after={"status": period.status, "run": run.number, "total": str(run.total)},
    )  # fmt: skip


def _in_progress(tenant: Tenant, period: Period, today: date) -> None:
    tid, slug = tenant.id, tenant.slug
    cycle = cycles.start(tid, period, add_working_days(tid, period.end_date, 1))
    due = cycles.deadlines(tid, period, cycle)
    cards = scorecards.cards(tid, period)
    people = _people(tid, cards)
    ordered = sorted(cards, key=lambda c: people[c.person_id].employee_no)
    # the first few in time, one late (if the deadline has passed); the rest owe it
    for i, card in enumerate(ordered[2:6]):
        on = due.self_due - timedelta(days=1) if i else min(today, due.self_due + timedelta(days=1))
        no = people[card.person_id].employee_no
        assessments.self_assess(card, _self_values(card, slug, period.label, no), on)


def add_cycles(tenant: Tenant, today: date) -> int:
    """The two cycles of a demo company with KPI sets; how many were made."""
    made = 0
    with bound_tenant(tenant.id):
        if not library.kpi_sets(tenant.id):
            return 0
        quarters = _ended_quarters(tenant.id, today)
        for period, finished in zip(quarters[::-1], (True, False)[-len(quarters) :], strict=True):
            if cycles.get_cycle(tenant.id, period.id) is not None or period.is_closed:
                continue
            made_cards, _missing = scorecards.generate(tenant.id, period)
            if not made_cards:
                continue
            if finished and len(quarters) == 2:
                _finished(tenant, period)
            else:
                _in_progress(tenant, period, today)
            made += 1
        db.session.commit()
    return made
