"""Demo companies: a ratings history for the last two ended quarters, so the
results are used as a company would (issue 14 item 6) and the period review has
ratings to show (item 8).

Everyone without a scorecard in those quarters gets one with a total (no KPI
lines: a rating carried over from the company's previous system), stable from
the company, employee number and quarter. The first person by employee number
is rated S then A (eligible for promotion under the default two ratings); the
last is rated C in the latest quarter, and that C's improvement plan is opened
and written. Running it again adds nothing."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from jili.accounts.models import Tenant
from jili.alerts.services import submit
from jili.evaluation.models import Scorecard
from jili.evaluation.services import ratings, results
from jili.extensions import db
from jili.org.models import Person
from jili.periods.models import Period, PeriodKind
from jili.plan_as_code.demo_current import _unit
from jili.tenancy import bound_tenant

PLAN_ACTIONS = "每周与经理复盘一次商机；每月完成两次客户陪访；下季度前补齐产品认证。"


def _last_quarters(tenant_id: int, today: date) -> list[Period]:
    quarters = db.session.scalars(
        select(Period)
        .where(
            Period.tenant_id == tenant_id,
            Period.kind == PeriodKind.QUARTER,
            Period.end_date < today,
        )
        .order_by(Period.end_date.desc())
        .limit(2)
    ).all()
    return sorted(quarters, key=lambda p: p.start_date)


def _total(tenant: Tenant, person: Person, quarter: Period, i: int, n: int, last: bool) -> Decimal:
    if i == 0:
        return Decimal("96.20") if not last else Decimal("92.40")  # S, then A
    if i == n - 1 and last:
        return Decimal("74.50")  # C: asks for an improvement plan
    unit = _unit(tenant.slug, person.employee_no, quarter.label, "rating")
    return (Decimal("80") + unit * Decimal("14")).quantize(Decimal("0.01"))  # B or A


def add_ratings(tenant: Tenant, today: date) -> int:
    """Scorecards of the last two ended quarters; the number added."""
    added = 0
    with bound_tenant(tenant.id):
        quarters = _last_quarters(tenant.id, today)
        if len(quarters) < 2:
            return 0
        people = db.session.scalars(
            select(Person).where(Person.tenant_id == tenant.id).order_by(Person.employee_no)
        ).all()
        for q, quarter in enumerate(quarters):
            have = set(
                db.session.scalars(
                    select(Scorecard.person_id).where(
                        Scorecard.tenant_id == tenant.id, Scorecard.period_id == quarter.id
                    )
                )
            )
            for i, person in enumerate(people):
                if person.id in have:
                    continue
                total = _total(tenant, person, quarter, i, len(people), q == len(quarters) - 1)
                db.session.add(
                    Scorecard(
                        tenant_id=tenant.id,
                        period_id=quarter.id,
                        person_id=person.id,
                        level=str(person.level.value),
                        total=total,
                        rating=ratings.rate(tenant.id, total),
                    )  # fmt: skip
                )
                added += 1
        db.session.flush()
        for plan in results.open_plans(tenant.id, quarters[-1], today):
            on = today
            submit(plan, PLAN_ACTIONS, on + timedelta(days=30), on, "demo")
        db.session.commit()
    return added
