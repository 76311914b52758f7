"""Evaluating the rules: for each active rule and person, the last ``periods``
ended periods of the rule's kind; when every one is below the threshold, an alert
for the last of them. An alert covers its periods: a rule alerts a person again
only about periods no earlier alert of it covered (evaluating again changes
nothing; a red streak going on does not ask for a plan every month). A rule asking for
an improvement plan opens one, due ``plan_days`` working days later on the
tenant's calendar. The person and their manager are notified."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from jili.accounts.models import Membership, Role, Tenant
from jili.alerts.models import Alert, AlertRule, ImprovementPlan, Level, Measure
from jili.alerts.services.measure import actual_value, attainment_percent
from jili.alerts.services.withdrawal import withdraw_stale
from jili.audit import services as audit
from jili.extensions import db
from jili.notifications.services import notify
from jili.org.models import Person
from jili.periods.models import Period, PeriodKind
from jili.workdays.services import add_working_days


@dataclass
class Outcome:
    raised: list[Alert] = field(default_factory=list)
    plans: list[ImprovementPlan] = field(default_factory=list)
    withdrawn: list[Alert] = field(default_factory=list)


def _ended(tenant_id: int, kind: str, today: date) -> list[Period]:
    return list(
        db.session.scalars(
            select(Period)
            .where(
                Period.tenant_id == tenant_id,
                Period.kind == PeriodKind(kind),
                Period.end_date < today,
            )
            .order_by(Period.start_date)
        )
    )


def _value(rule: AlertRule, tenant_id: int, period: Period, person_id: int, today: date):
    if rule.measure == Measure.ATTAINMENT:
        return attainment_percent(tenant_id, period, person_id, rule.metric, today)
    return actual_value(tenant_id, period, person_id, rule.metric, today)


def link(alert: Alert) -> str:
    """The alert's page, as a path (the same in a request and in a background job)."""
    slug = db.session.scalar(select(Tenant.slug).where(Tenant.id == alert.tenant_id))
    return f"/t/{slug}/alerts/{alert.id}"


def _people_to_tell(tenant_id: int, person: Person) -> list[int]:
    """The person and their manager (person ids)."""
    ids = [person.id]
    if person.manager_id and person.manager_id != person.id:
        ids.append(person.manager_id)
    return ids


def hr_user_ids(tenant_id: int) -> list[int]:
    return list(
        db.session.scalars(
            select(Membership.user_id)
            .where(Membership.tenant_id == tenant_id, Membership.role == Role.HR)
            .order_by(Membership.user_id)
        )
    )


def _raise(
    rule: AlertRule, person: Person, streak, values, today: date, out: Outcome,
    withdrawn: Alert | None = None,
):  # fmt: skip
    """A new alert, or ``withdrawn`` (the same rule, person and period) raised again."""
    seen = [[p.label, str(v)] for p, v in zip(streak, values, strict=True)]
    if withdrawn is not None:
        alert = withdrawn
        alert.withdrawn_at, alert.withdrawn_values = None, None
        alert.level, alert.metric, alert.values = rule.level, rule.metric, seen
    else:
        alert = Alert(
            tenant_id=rule.tenant_id, rule_id=rule.id, person_id=person.id,
            period_id=streak[-1].id, level=rule.level, metric=rule.metric, values=seen,
        )  # fmt: skip
        db.session.add(alert)
    db.session.flush()
    out.raised.append(alert)
    audit.record(
        "alert.raise",
        alert,
        object_type="Alert",
        after={"person_id": person.id, "level": rule.level, "period": streak[-1].label},
    )
    params = {"person": person.name, "level": rule.level, "period": streak[-1].label,
              "metric": rule.metric}  # fmt: skip
    for pid in _people_to_tell(rule.tenant_id, person):
        notify(rule.tenant_id, person_id=pid, kind="alert_raised", params=params, link=link(alert))
    has_plan = withdrawn is not None and db.session.scalar(
        select(ImprovementPlan.id).where(
            ImprovementPlan.tenant_id == rule.tenant_id, ImprovementPlan.alert_id == alert.id
        )
    )
    if rule.level == Level.RED and rule.plan_days > 0 and not has_plan:
        plan = ImprovementPlan(
            tenant_id=rule.tenant_id,
            alert_id=alert.id,
            person_id=person.id,
            due_date=add_working_days(rule.tenant_id, today, rule.plan_days),
        )
        db.session.add(plan)
        db.session.flush()
        out.plans.append(plan)
        due = {"person": person.name, "due": plan.due_date.isoformat()}
        for pid in _people_to_tell(rule.tenant_id, person):
            notify(rule.tenant_id, person_id=pid, kind="improvement_plan_due", params=due,
                   link=link(alert))  # fmt: skip


def _existing(tenant_id: int, person_ids: Iterable[int] | None) -> list[Alert]:
    query = select(Alert).where(Alert.tenant_id == tenant_id)
    if person_ids is not None:
        query = query.where(Alert.person_id.in_(sorted(set(person_ids)) or [-1]))
    return list(db.session.scalars(query.order_by(Alert.id)))


def evaluate(tenant_id: int, today: date, person_ids: Iterable[int] | None = None) -> Outcome:
    """Raise what the active rules find as of ``today``, and withdraw the alerts
    whose rule no longer holds (:mod:`jili.alerts.services.withdrawal`); the
    caller commits. For ``person_ids`` only, when given (after a change that
    concerns them)."""
    out = Outcome()
    rules = db.session.scalars(
        select(AlertRule)
        .where(AlertRule.tenant_id == tenant_id, AlertRule.active.is_(True))
        .order_by(AlertRule.id)
    ).all()
    query = select(Person).where(Person.tenant_id == tenant_id)
    if person_ids is not None:
        query = query.where(Person.id.in_(sorted(set(person_ids))))
    people = db.session.scalars(query.order_by(Person.employee_no)).all()
    if not people:
        return out
    ended: dict[str, list[Period]] = {}
    existing = _existing(tenant_id, person_ids)
    out.withdrawn = withdraw_stale(
        tenant_id, rules, existing, today, lambda kind: ended.setdefault(
            kind, _ended(tenant_id, kind, today)), _value,
    )  # fmt: skip
    # the periods each rule has already alerted a person about: an alert covers the
    # periods of its streak, and a new alert needs periods not covered yet (a
    # withdrawn alert covers none: its rule may hold again)
    covered: dict[tuple[int, int], set[str]] = {}
    gone: dict[tuple[int, int, int], Alert] = {}
    for alert in existing:
        if alert.is_withdrawn:
            gone[alert.rule_id, alert.person_id, alert.period_id] = alert
        else:
            key = (alert.rule_id, alert.person_id)
            covered.setdefault(key, set()).update(v[0] for v in alert.values or ())
    for rule in rules:
        periods = ended.setdefault(rule.period_kind, _ended(tenant_id, rule.period_kind, today))
        if len(periods) < rule.periods:
            continue
        streak = periods[-rule.periods :]
        threshold = Decimal(rule.threshold)
        for person in people:
            if covered.get((rule.id, person.id), set()) & {p.label for p in streak}:
                continue
            values = [_value(rule, tenant_id, p, person.id, today) for p in streak]
            if all(v is not None and v < threshold for v in values):
                again = gone.get((rule.id, person.id, streak[-1].id))
                _raise(rule, person, streak, values, today, out, again)
    return out
