"""Who owes which step of an evaluation cycle: the home page's "To do" items
(jili.home.services.owed), what is overdue for hr, and the reminders
(notifications when a step opens, and each morning for what is due or late)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from jili.accounts.models import Membership, Role, Tenant
from jili.accounts.roles import can
from jili.evaluation.models import CycleStage, EvaluationCycle, Scorecard
from jili.evaluation.services import assessments, scorecards
from jili.evaluation.services import cycle as cycles
from jili.extensions import db
from jili.notifications.services import MESSAGES, notify
from jili.org.models import Person
from jili.org.visibility import team_people
from jili.periods.models import Period

MESSAGES.update(
    {
        "evaluation_self_open": _l(
            "Your self-assessment for %(period)s is open: due by %(due)s"
        ),
        "evaluation_self_due": _l("Your self-assessment for %(period)s was due by %(due)s"),
        "evaluation_manager_open": _l(
            "Score your team's scorecards for %(period)s by %(due)s"
        ),
        "evaluation_manager_due": _l(
            "%(n)s scorecards of your team for %(period)s were due by %(due)s"
        ),
        "evaluation_published": _l(
            "Your evaluation for %(period)s is published: appeals until %(due)s"
        ),
    }
)
HR_ROLES = (Role.OWNER, Role.ADMIN, Role.HR)


@dataclass(frozen=True)
class Item:
    text: str
    url: str
    due: date | None
    overdue: bool


def _pending_self(card: Scorecard) -> bool:
    done = assessments.assessments(card)
    return not any(a.self_on is not None for a in done.values())


def _pending_manager(card: Scorecard) -> bool:
    done = assessments.assessments(card)
    return not any(a.manager_on is not None for a in done.values())


def _cycle_rows(tenant_id: int) -> list[tuple[EvaluationCycle, Period, cycles.Deadlines]]:
    out = []
    for cycle in cycles.open_cycles(tenant_id):
        period = db.session.get(Period, cycle.period_id)
        out.append((cycle, period, cycles.deadlines(tenant_id, period, cycle)))
    return out


def pending(tenant_id: int, cycle: EvaluationCycle, period: Period) -> list[tuple[Scorecard, str]]:
    """The cards whose current step is still owed: (card, "self" or "manager")."""
    if cycle.stage not in (CycleStage.SELF, CycleStage.MANAGER):
        return []
    check = _pending_self if cycle.stage == CycleStage.SELF else _pending_manager
    return [(c, cycle.stage.value) for c in scorecards.cards(tenant_id, period) if check(c)]


def _my_card(tenant_id: int, period: Period, me: Person) -> Scorecard | None:
    return next((c for c in scorecards.cards(tenant_id, period, {me.id})), None)


def _mine(tenant_id: int, me: Person, today: date, rows) -> list[Item]:
    items = []
    for cycle, period, due in rows:
        card = _my_card(tenant_id, period, me)
        if cycle.stage == CycleStage.SELF and card is not None and _pending_self(card):
            items.append(Item(_("Self-assessment for %(period)s", period=period.label),
                              _path(tenant_id, card, "self", period.id),
                              due.self_due, today > due.self_due))  # fmt: skip
        if cycle.stage == CycleStage.MANAGER:
            team = {p.id for p in team_people(me)}
            left = [c for c in scorecards.cards(tenant_id, period, team) if _pending_manager(c)]
            if left:
                items.append(Item(
                    _("Score %(n)d scorecards of your team for %(period)s", n=len(left),
                      period=period.label),
                    _path(tenant_id, None, "list", period.id),
                    due.manager_due, today > due.manager_due))  # fmt: skip
        if cycle.stage == CycleStage.PUBLISHED and card is not None and due.window_end:
            if today <= due.window_end:
                items.append(Item(_("Your evaluation for %(period)s is published", period=period.label),
                                  _path(tenant_id, card, "card", period.id),
                                  due.window_end, False))  # fmt: skip
    return items


def _hr(tenant_id: int, today: date, rows) -> list[Item]:
    items = []
    for cycle, period, due in rows:
        url = _path(tenant_id, None, "cycle", period.id)
        owed = len(pending(tenant_id, cycle, period))
        if cycle.stage == CycleStage.SELF and today > due.self_due:
            items.append(Item(_("Self-assessment for %(period)s is overdue: %(n)d not in",
                                period=period.label, n=owed), url, due.self_due, True))  # fmt: skip
        elif cycle.stage == CycleStage.MANAGER and today > due.manager_due:
            items.append(Item(_("Manager scoring for %(period)s is overdue: %(n)d not scored",
                                period=period.label, n=owed), url, due.manager_due, True))  # fmt: skip
        elif cycle.stage == CycleStage.CALIBRATION:
            items.append(Item(_("Calibrate and publish the evaluation of %(period)s",
                                period=period.label), url, None, False))  # fmt: skip
        elif cycle.stage == CycleStage.PUBLISHED and due.window_end and today > due.window_end:
            items.append(Item(_("Finalise the evaluation of %(period)s", period=period.label),
                              url, due.appeals_due, today > due.appeals_due))  # fmt: skip
    return items


def home_items(tenant_id: int, me, role, today: date) -> list[Item]:
    """The home page's "To do": one's own steps, and for hr what is overdue."""
    rows = _cycle_rows(tenant_id)
    if not rows:
        return []
    items = _mine(tenant_id, me, today, rows) if me is not None else []
    if can("scorecards.edit", Role(role)) and Role(role) in HR_ROLES:
        items += _hr(tenant_id, today, rows)
    return items


# --- reminders ------------------------------------------------------------------------------


def _path(tenant_id: int, card: Scorecard | None, page: str, period_id: int) -> str:
    """A page of the cycle as a path (the same in a request and in a background job)."""
    slug = db.session.scalar(select(Tenant.slug).where(Tenant.id == tenant_id))
    if page == "self":
        return f"/t/{slug}/scorecards/{card.id}/assess"
    if page == "card":
        return f"/t/{slug}/scorecards/{card.id}"
    if page == "cycle":
        return f"/t/{slug}/evaluation/cycle?period_id={period_id}"
    return f"/t/{slug}/scorecards?period_id={period_id}"


def announce(tenant_id: int, cycle: EvaluationCycle) -> int:
    """Tell whoever owes the newly opened step; how many were told."""
    period = db.session.get(Period, cycle.period_id)
    due = cycles.deadlines(tenant_id, period, cycle)
    cards = scorecards.cards(tenant_id, period)
    told = 0
    if cycle.stage == CycleStage.SELF:
        for card in cards:
            notify(tenant_id, person_id=card.person_id, kind="evaluation_self_open",
                   params={"period": period.label, "due": due.self_due.isoformat()},
                   link=_path(tenant_id, card, "self", period.id))  # fmt: skip
            told += 1
    elif cycle.stage == CycleStage.MANAGER:
        for manager_id in sorted(_managers(tenant_id, cards)):
            notify(tenant_id, person_id=manager_id, kind="evaluation_manager_open",
                   params={"period": period.label, "due": due.manager_due.isoformat()},
                   link=_path(tenant_id, None, "list", period.id))  # fmt: skip
            told += 1
    elif cycle.stage == CycleStage.PUBLISHED and due.window_end:
        for card in cards:
            notify(tenant_id, person_id=card.person_id, kind="evaluation_published",
                   params={"period": period.label, "due": due.window_end.isoformat()},
                   link=_path(tenant_id, card, "card", period.id))  # fmt: skip
            told += 1
    return told


def _managers(tenant_id: int, cards: list[Scorecard]) -> dict[int, int]:
    """Who scores these cards: manager person id → how many of them. A manager is
    a person others report to, or the person of a login with the manager role;
    they score the people of their team subtree and their direct reports."""
    wanted = {c.person_id for c in cards}
    if not wanted:
        return {}
    heads = set(
        db.session.scalars(
            select(Person.manager_id).where(
                Person.tenant_id == tenant_id, Person.manager_id.is_not(None)
            )
        )
    )
    heads |= set(
        db.session.scalars(
            select(Person.id)
            .join(Membership, (Membership.user_id == Person.user_id)
                  & (Membership.tenant_id == Person.tenant_id))  # fmt: skip
            .where(Person.tenant_id == tenant_id, Membership.role == Role.MANAGER)
        )
    )
    out: dict[int, int] = {}
    for head in sorted(heads):
        manager = db.session.get(Person, head)
        n = len(wanted & {p.id for p in team_people(manager)}) if manager else 0
        if n:
            out[head] = n
    return out


def remind(tenant_id: int, today: date) -> int:
    """Each morning: remind whoever owes a step that is due today or late (once a
    day per cycle). Returns how many reminders went out."""
    told = 0
    for cycle, period, due in _cycle_rows(tenant_id):
        if cycle.reminded_on == today or cycle.stage not in (CycleStage.SELF, CycleStage.MANAGER):
            continue
        owed = pending(tenant_id, cycle, period)
        if cycle.stage == CycleStage.SELF and today >= due.self_due:
            for card, _step in owed:
                notify(tenant_id, person_id=card.person_id, kind="evaluation_self_due",
                       params={"period": period.label, "due": due.self_due.isoformat()},
                       link=_path(tenant_id, card, "self", period.id))  # fmt: skip
                told += 1
        if cycle.stage == CycleStage.MANAGER and today >= due.manager_due:
            for manager_id, n in sorted(_managers(tenant_id, [c for c, _s in owed]).items()):
                notify(tenant_id, person_id=manager_id, kind="evaluation_manager_due",
                       params={"period": period.label, "due": due.manager_due.isoformat(),
                               "n": str(n)}, link=_path(tenant_id, None, "list", period.id))  # fmt: skip
                told += 1
        cycle.reminded_on = today
    db.session.flush()
    return told
