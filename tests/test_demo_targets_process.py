"""The demo company shows the whole targets process (issue 12, item 10): a year
split into quarters and months, a mismatch, a signed and an unsigned letter, an
approved and a pending adjustment, and a yellow and a red alert with a written
improvement plan — with red alerts the exception, not everywhere."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from jili import ROOT
from jili.adjustments.models import AdjustmentRequest, AdjustmentStatus
from jili.alerts.models import Alert, ImprovementPlan
from jili.extensions import db
from jili.letters.models import ResponsibilityLetter
from jili.models import Period, Person, SalesTarget, Tenant
from jili.org.models import Level
from jili.periods.models import PeriodKind
from jili.plan_as_code.demo import load_current
from jili.targets.services.splits import mismatches
from jili.tenancy import bound_tenant

DEC_1 = date(2026, 12, 1)


@pytest.fixture
def demo(app):
    load_current(Path(ROOT) / "tenants", DEC_1)


def _sum(tenant_id, period_ids, subject) -> object:
    rows = db.session.scalars(
        select(SalesTarget).where(
            SalesTarget.tenant_id == tenant_id, SalesTarget.period_id.in_(period_ids),
            SalesTarget.metric == "revenue", SalesTarget.person_id == subject[0]
            if subject[0] else SalesTarget.person_id.is_(None),
            SalesTarget.team_id == subject[1] if subject[1] else SalesTarget.team_id.is_(None),
        )
    ).all()  # fmt: skip
    return sum(t.baseline for t in rows), len(rows)


def test_the_demo_shows_every_step_of_the_targets_process(demo):
    """华东 (seeds 000/003) is the demo company of the targets process."""
    slug = "huadong"
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    tid = tenant.id
    with bound_tenant(tid):
        # a year split into quarters and months: some subject's year target is the
        # sum of its quarters', and a quarter's the sum of its months'
        years = db.session.scalars(select(Period).where(Period.kind == PeriodKind.YEAR)).all()
        split_year = split_quarter = False
        for year in years:
            quarters = db.session.scalars(select(Period).where(Period.parent_id == year.id)).all()
            for t in db.session.scalars(select(SalesTarget).where(
                    SalesTarget.period_id == year.id, SalesTarget.metric == "revenue")):  # fmt: skip
                total, n = _sum(tid, [q.id for q in quarters], (t.person_id, t.team_id))
                split_year |= n == len(quarters) > 0 and total == t.baseline
            for q in quarters:
                months = db.session.scalars(select(Period).where(Period.parent_id == q.id)).all()
                for t in db.session.scalars(select(SalesTarget).where(
                        SalesTarget.period_id == q.id, SalesTarget.metric == "revenue")):  # fmt: skip
                    total, n = _sum(tid, [m.id for m in months], (t.person_id, t.team_id))
                    split_quarter |= n == len(months) > 0 and total == t.baseline
        assert split_year and split_quarter, slug
        assert any(mismatches(tid, p) for p in db.session.scalars(select(Period))), slug
        letters = db.session.scalars(
            select(ResponsibilityLetter).where(ResponsibilityLetter.current.is_(True))
        ).all()
        assert any(x.acknowledged_at for x in letters) and any(
            not x.acknowledged_at for x in letters
        ), slug
        statuses = set(db.session.scalars(select(AdjustmentRequest.status)))
        assert AdjustmentStatus.APPROVED in statuses, slug
        assert statuses & {AdjustmentStatus.REVIEW, AdjustmentStatus.APPROVAL}, slug
    _alert_mix(tid, slug)


@pytest.mark.parametrize("slug", ["huadong", "shili", "xinyi"])
def test_every_demo_company_has_a_yellow_and_a_red_alert_with_a_plan(demo, slug):
    _alert_mix(db.session.scalar(select(Tenant.id).where(Tenant.slug == slug)), slug)


def _alert_mix(tid: int, slug: str) -> None:
    with bound_tenant(tid):
        alerts = db.session.scalars(select(Alert)).all()
        levels = [a.level for a in alerts]
        assert "yellow" in levels and "red" in levels, slug
        written = db.session.scalars(
            select(ImprovementPlan).where(ImprovementPlan.submitted_on.is_not(None))
        ).all()
        assert written and written[0].actions, slug
        # red is the exception: fewer red than yellow, and no manager in red
        assert levels.count("red") < levels.count("yellow"), slug
        managers = {p.id for p in db.session.scalars(
            select(Person).where(Person.level == Level.MANAGER))}  # fmt: skip
        assert not [a for a in alerts if a.level == "red" and a.person_id in managers], slug
