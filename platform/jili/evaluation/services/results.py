"""Using the results of an evaluation (issue 14, item 6; seed 002):

* a C rating (the company's lowest band) asks for an improvement plan — the same
  plan a red alert asks for (:class:`jili.alerts.models.ImprovementPlan`, with
  ``scorecard_id`` as its source): recorded actions, a follow-up date, and a
  second evaluation with its outcome;
* the promotion list: people whose last N ratings (N a company setting, default
  2) are all A or better.

The caller commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from jili.accounts.models import Tenant
from jili.alerts.models import ImprovementPlan
from jili.alerts.services.plans import PlanError, plan_link
from jili.audit import services as audit
from jili.evaluation.models import Scorecard
from jili.evaluation.services.ratings import bands
from jili.extensions import db
from jili.notifications.services import notify
from jili.org.models import Person
from jili.periods.models import Period
from jili.workdays.services import add_working_days

PLAN_DAYS = 5  # working days to write the plan, as seed 002's other deadlines
MAX_STREAK = 12
MAX_NOTE = 2000
OUTCOMES = {"improved": _l("Improved"), "not_improved": _l("Not improved")}


def lowest_label(tenant_id: int) -> str:
    """The rating that asks for an improvement plan: C under the default bands."""
    return bands(tenant_id)[-1][0]


def promotion_label(tenant_id: int) -> str:
    """ "A or better": A when the company rates with an A, else its second band."""
    labels = [label for label, _m, _s in bands(tenant_id)]
    return "A" if "A" in labels else labels[min(1, len(labels) - 1)]


def at_least(tenant_id: int, rating: str | None, minimum: str) -> bool:
    labels = [label for label, _m, _s in bands(tenant_id)]
    if rating not in labels or minimum not in labels:
        return False
    return labels.index(rating) <= labels.index(minimum)


# -- C ratings and their improvement plans ----------------------------------------------


@dataclass
class LowRating:
    card: Scorecard
    person: Person
    plan: ImprovementPlan | None


def low_ratings(tenant_id: int, period: Period, visible: set[int] | None = None) -> list[LowRating]:
    """The period's scorecards with the lowest rating, with their plan if any."""
    label = lowest_label(tenant_id)
    rows = db.session.execute(
        select(Scorecard, Person, ImprovementPlan)
        .join(
            Person,
            (Person.id == Scorecard.person_id) & (Person.tenant_id == Scorecard.tenant_id),
        )
        .outerjoin(
            ImprovementPlan,
            (ImprovementPlan.scorecard_id == Scorecard.id)
            & (ImprovementPlan.tenant_id == Scorecard.tenant_id),
        )
        .where(Scorecard.tenant_id == tenant_id, Scorecard.period_id == period.id)
        .order_by(Person.employee_no)
    ).all()
    return [
        LowRating(card, person, plan)
        for card, person, plan in rows
        if card.final_rating == label and (visible is None or person.id in visible)
    ]


def open_plans(tenant_id: int, period: Period, today: date) -> list[ImprovementPlan]:
    """An improvement plan for each lowest rating of ``period`` that has none yet,
    due ``PLAN_DAYS`` working days after ``today``; the person and their manager
    are told. Running it again opens nothing new."""
    opened = []
    for row in low_ratings(tenant_id, period):
        if row.plan is not None:
            continue
        plan = ImprovementPlan(
            tenant_id=tenant_id,
            scorecard_id=row.card.id,
            person_id=row.person.id,
            due_date=add_working_days(tenant_id, today, PLAN_DAYS),
        )
        db.session.add(plan)
        db.session.flush()
        opened.append(plan)
        audit.record(
            "improvement_plan.open",
            plan,
            object_type="ImprovementPlan",
            after={
                "person_id": row.person.id,
                "period": period.label,
                "rating": row.card.final_rating,
                "due": plan.due_date,
            },
        )
        params = {"person": row.person.name, "due": plan.due_date.isoformat()}
        tell = [row.person.id]
        if row.person.manager_id and row.person.manager_id != row.person.id:
            tell.append(row.person.manager_id)
        for pid in tell:
            notify(tenant_id, person_id=pid, kind="improvement_plan_due", params=params,
                   link=plan_link(plan))  # fmt: skip
    return opened


def second_evaluation(
    plan: ImprovementPlan, rating: str, outcome: str, note: str, today: date, actor_label: str
) -> None:
    """Record the second evaluation at the follow-up: a rating, improved or not, a note."""
    if plan.submitted_on is None:
        raise PlanError(_("Write the plan's actions and follow-up date first."))
    if plan.follow_up_date is not None and today < plan.follow_up_date:
        raise PlanError(
            _(
                "The second evaluation is due on the follow-up date, %(day)s.",
                day=plan.follow_up_date.isoformat(),
            )
        )
    if rating not in [label for label, _m, _s in bands(plan.tenant_id)]:
        raise PlanError(_("Choose a rating for the second evaluation."))
    if outcome not in OUTCOMES:
        raise PlanError(_("Say whether the person improved."))
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise PlanError(_("The note is longer than %(n)d characters.", n=MAX_NOTE))
    fields = ["second_rating", "second_outcome", "second_note", "second_evaluated_on"]
    before = audit.snapshot(plan, fields) if plan.second_evaluated_on else None
    plan.second_rating, plan.second_outcome, plan.second_note = rating, outcome, note
    plan.second_evaluated_on, plan.second_evaluated_by = today, actor_label
    db.session.flush()
    audit.record(
        "improvement_plan.second_evaluation",
        plan,
        object_type="ImprovementPlan",
        before=before,
        after={**audit.snapshot(plan, fields), "person_id": plan.person_id},
    )


# -- the promotion list ---------------------------------------------------------------


@dataclass
class PromotionRow:
    person: Person
    ratings: list[str]  # oldest first, one per period of the streak


def set_streak(tenant: Tenant, n: int | None) -> None:
    if n is None or not 1 <= n <= MAX_STREAK:
        raise PlanError(_("Give a number of ratings from 1 to %(n)d.", n=MAX_STREAK))
    before = tenant.promotion_streak
    tenant.promotion_streak = n
    audit.record(
        "promotion_streak.update",
        tenant_id=tenant.id,
        object_type="Tenant",
        object_id=tenant.id,
        before={"promotion_streak": before},
        after={"promotion_streak": n},
    )


def rated_periods(tenant_id: int) -> list[Period]:
    """Periods with rated scorecards, of the kind of the latest one, oldest first."""
    periods = list(
        db.session.scalars(
            select(Period)
            .where(
                Period.tenant_id == tenant_id,
                Period.id.in_(
                    select(Scorecard.period_id).where(
                        Scorecard.tenant_id == tenant_id, Scorecard.rating.is_not(None)
                    )
                ),
            )
            .order_by(Period.start_date)
        )
    )
    if not periods:
        return []
    kind = periods[-1].kind
    return [p for p in periods if p.kind == kind]


def promotion_list(tenant_id: int, streak: int) -> tuple[list[Period], list[PromotionRow]]:
    """(the last ``streak`` rated periods, the people rated A or better in each)."""
    periods = rated_periods(tenant_id)[-streak:]
    if len(periods) < streak:
        return periods, []
    minimum = promotion_label(tenant_id)
    ratings: dict[int, dict[int, str | None]] = {}
    for card in db.session.scalars(
        select(Scorecard).where(
            Scorecard.tenant_id == tenant_id, Scorecard.period_id.in_([p.id for p in periods])
        )
    ):
        ratings.setdefault(card.person_id, {})[card.period_id] = card.final_rating
    eligible = [
        pid
        for pid, by_period in ratings.items()
        if all(at_least(tenant_id, by_period.get(p.id), minimum) for p in periods)
    ]
    people = db.session.scalars(
        select(Person)
        .where(Person.tenant_id == tenant_id, Person.id.in_(eligible or [-1]))
        .order_by(Person.employee_no, Person.name)
    ).all()
    return periods, [
        PromotionRow(person, [ratings[person.id][p.id] for p in periods]) for person in people
    ]
