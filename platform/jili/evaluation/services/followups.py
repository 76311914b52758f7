"""Following up the improvement plans C ratings open (the alerts' plans with a
``scorecard_id``): the rows the alerts page lists, and the home page's "To do".

Who owes what (the same people :func:`results.open_plans` notifies):

* the person writes their plan by its due date;
* the person's manager (``Person.manager_id``) may write it too, and evaluates
  again on the follow-up date;
* hr (owner, admin, hr) sees what is late across the company: plans not written
  by their due date, second evaluations past the follow-up date, and the second
  evaluations of people who have no manager.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from jili.accounts.models import Role, Tenant
from jili.accounts.roles import can
from jili.alerts.models import ImprovementPlan
from jili.alerts.services.plans import status
from jili.evaluation.models import Scorecard
from jili.evaluation.services.duties import HR_ROLES, Item
from jili.extensions import db
from jili.org.models import Person
from jili.periods.models import Period


@dataclass
class RatingPlan:
    plan: ImprovementPlan
    person: Person
    period: Period
    rating: str | None
    state: str  # due / late / submitted / submitted_late (alerts.services.plans.status)

    @property
    def second_due(self) -> bool:
        """Written, not evaluated again yet: the second evaluation is owed."""
        return self.plan.submitted_on is not None and self.plan.second_evaluated_on is None


def rating_plans(
    tenant_id: int, today: date, *, condition=None, open_only: bool = False
) -> list[RatingPlan]:
    """The improvement plans of C ratings, newest period first; ``condition`` (a
    visibility condition on the person id) narrows them, ``open_only`` keeps
    those still owing something (the plan or its second evaluation)."""
    q = (
        select(ImprovementPlan, Person, Period, Scorecard)
        .join(Scorecard, (Scorecard.id == ImprovementPlan.scorecard_id)
              & (Scorecard.tenant_id == ImprovementPlan.tenant_id))
        .join(Person, (Person.id == ImprovementPlan.person_id)
              & (Person.tenant_id == ImprovementPlan.tenant_id))
        .join(Period, (Period.id == Scorecard.period_id)
              & (Period.tenant_id == ImprovementPlan.tenant_id))
        .where(ImprovementPlan.tenant_id == tenant_id)
        .order_by(Period.start_date.desc(), Person.employee_no, ImprovementPlan.id)
    )  # fmt: skip
    if condition is not None:
        q = q.where(condition)
    if open_only:
        q = q.where(ImprovementPlan.second_evaluated_on.is_(None))
    return [
        RatingPlan(plan, person, period, card.final_rating, status(plan, today))
        for plan, person, period, card in db.session.execute(q).all()
    ]


def _mine(row: RatingPlan, today: date, url: str) -> Item | None:
    if row.plan.submitted_on is not None:
        return None
    return Item(
        _("Write your improvement plan (rating %(rating)s of %(period)s)",
          rating=row.rating or "—", period=row.period.label),
        url, row.plan.due_date, today > row.plan.due_date,
    )  # fmt: skip


def _follow_up(row: RatingPlan, today: date, url: str, *, hr: bool) -> Item | None:
    """The manager's (or hr's) item: the plan to write, then the second evaluation."""
    plan, name = row.plan, row.person.name
    no_manager = row.person.manager_id is None
    if plan.submitted_on is None:
        if hr and today <= plan.due_date:
            return None  # hr is shown late plans only
        return Item(
            _("Improvement plan of %(person)s (rating %(rating)s of %(period)s)",
              person=name, rating=row.rating or "—", period=row.period.label),
            url, plan.due_date, today > plan.due_date,
        )  # fmt: skip
    follow_up = plan.follow_up_date
    if not row.second_due or follow_up is None or today < follow_up:
        return None
    if hr and not no_manager and today <= follow_up:
        return None  # the manager's to do until it is late
    return Item(
        _("Evaluate %(person)s again: the improvement plan's follow-up was %(day)s",
          person=name, day=follow_up.isoformat()),
        url, follow_up, today > follow_up,
    )  # fmt: skip


def home_items(tenant_id: int, me, role, today: date) -> list[Item]:
    """The C ratings' improvement plans someone owes: one's own plan to write, the
    plans and second evaluations of one's direct reports, and for hr what is late."""
    hr = Role(role) in HR_ROLES and can("alerts.plan", Role(role))
    if me is None and not hr:
        return []
    rows = rating_plans(tenant_id, today, open_only=True)
    if not rows:
        return []
    slug = db.session.scalar(select(Tenant.slug).where(Tenant.id == tenant_id))
    items = []
    for row in rows:
        url = f"/t/{slug}/improvement-plans/{row.plan.id}"  # a path, as in a background job
        if me is not None and row.person.id == me.id:
            item = _mine(row, today, url)
        elif me is not None and row.person.manager_id == me.id:
            item = _follow_up(row, today, url, hr=False)
        elif hr:
            item = _follow_up(row, today, url, hr=True)
        else:
            item = None
        if item is not None:
            items.append(item)
    return items
