"""Splitting a target down: a period into its sub-periods (year → quarters →
months) and a team into its sub-teams and people — evenly, by last year's /
last period's actuals, or by hand — and finding every parent whose children
don't add up.

Parts are split by largest remainder to the fen (:func:`jili.schemes.split`),
ties going to the earlier period, the team name, the employee number.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from jili.audit import services as audit
from jili.extensions import db
from jili.inputs.models import SalesTarget
from jili.org.models import Level, Person, Team
from jili.periods.models import Period
from jili.schemes import split_largest_remainder
from jili.targets.services.core import TargetError, change_target, find_target
from jili.targets.services.metrics import by_code
from jili.targets.services.progress import actuals_for, team_members

ZERO = Decimal(0)


class SplitMethod(enum.StrEnum):
    EVEN = "even"
    HISTORY = "history"  # last year's actuals (periods) / last period's share (teams)
    MANUAL = "manual"


@dataclass(frozen=True)
class Child:
    """A part of a split: a sub-period of the same subject, or a sub-team or
    person of the same period. ``sort`` is its natural key (ties, order)."""

    period_id: int
    person_id: int | None
    team_id: int | None
    label: str
    sort: tuple

    @property
    def key(self) -> str:
        """The child in a form field name: ``period:person:team``."""
        return f"{self.period_id}:{self.person_id or ''}:{self.team_id or ''}"


# --- who and what the children are -----------------------------------------------------


def sub_periods(tenant_id: int, period: Period) -> list[Period]:
    return list(
        db.session.scalars(
            select(Period)
            .where(Period.tenant_id == tenant_id, Period.parent_id == period.id)
            .order_by(Period.start_date)
        )
    )


def team_children(tenant_id: int, team_id: int) -> tuple[list[Team], list[Person]]:
    """A team's direct sub-teams and its people (not its managers: a manager's
    target is the team's own)."""
    teams = list(
        db.session.scalars(
            select(Team)
            .where(Team.tenant_id == tenant_id, Team.parent_id == team_id)
            .order_by(Team.name)
        )
    )
    people = list(
        db.session.scalars(
            select(Person)
            .where(
                Person.tenant_id == tenant_id,
                Person.team_id == team_id,
                Person.level != Level.MANAGER,
            )
            .order_by(Person.employee_no, Person.name)
        )
    )
    return teams, people


def period_children(tenant_id: int, period: Period, person_id, team_id) -> list[Child]:
    return [
        Child(p.id, person_id, team_id, p.label, (p.start_date, p.label))
        for p in sub_periods(tenant_id, period)
    ]


def subject_children(tenant_id: int, period: Period, team_id: int) -> list[Child]:
    teams, people = team_children(tenant_id, team_id)
    return [Child(period.id, None, t.id, t.name, (0, t.name, "")) for t in teams] + [
        Child(period.id, p.id, None, p.name, (1, p.employee_no, p.name)) for p in people
    ]


# --- splitting ----------------------------------------------------------------------------


def split_parts(
    total: Decimal, children: list[Child], weights: dict[Child, Decimal] | None
) -> dict[Child, Decimal]:
    """``total`` split over ``children`` by ``weights`` (evenly when None), to the fen."""
    if not children:
        raise TargetError(_("There is nothing to split into."))
    w = weights or {c: Decimal(1) for c in children}
    if sum(w.values(), ZERO) <= 0:
        raise TargetError(_("There are no actuals to split by: split evenly or by hand."))
    # keyed by the natural key: ties and order never depend on ids
    by_sort = {c.sort: c for c in children}
    parts = split_largest_remainder(total, {c.sort: w.get(c, ZERO) for c in children}, 2)
    return {by_sort[k]: v for k, v in parts.items()}


def split(
    tenant_id: int,
    actor_user_id: int | None,
    period: Period,
    *,
    person_id: int | None = None,
    team_id: int | None = None,
    metric: str,
    down: str,
    method: SplitMethod,
    manual: dict[str, Decimal] | None = None,
    today: date | None = None,
) -> dict[Child, Decimal]:
    """Split the target of (``person_id``/``team_id``, ``metric``) in ``period``
    ``down`` ``"periods"`` (into the sub-periods, same subject) or ``"team"``
    (into the team's sub-teams and people, same period). Baseline and challenge
    are both split. ``manual`` gives each child's baseline by hand (keyed by
    :attr:`Child.key`; a child left out keeps its target). Every child target goes through
    :func:`change_target`; one more audit entry describes the split."""
    parent = find_target(tenant_id, period.id, person_id, team_id, metric)
    if parent is None:
        raise TargetError(_("Set this target before splitting it."))
    if down == "periods":
        children = period_children(tenant_id, period, person_id, team_id)
    elif team_id is not None:
        children = subject_children(tenant_id, period, team_id)
    else:
        raise TargetError(_("Only a team's target splits into its sub-teams and people."))
    if method == SplitMethod.MANUAL:
        parts = {c: (manual or {}).get(c.key) for c in children}
        challenges: dict[Child, Decimal | None] = {}
    else:
        weights = (
            history_weights(tenant_id, period, children, metric, down)
            if method == SplitMethod.HISTORY
            else None
        )
        parts = split_parts(parent.baseline, children, weights)
        challenges = split_parts(parent.challenge, children, weights) if parent.challenge else {}
    for child in children:
        if parts.get(child) is None:
            continue
        change_target(
            tenant_id,
            actor_user_id,
            child.period_id,
            person_id=child.person_id,
            team_id=child.team_id,
            metric=metric,
            baseline=parts[child],
            challenge=challenges.get(child),
            reason=_("split"),
        )
    audit.record(
        "targets.split",
        tenant_id=tenant_id,
        object_type="SalesTarget",
        object_id=parent.id,
        after={
            "period": period.label,
            "metric": metric,
            "down": down,
            "method": str(method),
            "parts": {c.label: parts[c] for c in children if parts.get(c) is not None},
        },
    )
    return {c: v for c, v in parts.items() if v is not None}


def history_weights(
    tenant_id: int, period: Period, children: list[Child], metric: str, down: str
) -> dict[Child, Decimal]:
    """Each child's actual: for periods, the same sub-period a year earlier
    (seasonality); for a team, each part's share in the period before."""
    m = by_code(tenant_id)[metric]
    out: dict[Child, Decimal] = {}
    for c in children:
        if down == "periods":
            child = db.session.get(Period, c.period_id)
            earlier = _period_like(tenant_id, child, years=1)
        else:
            earlier = _previous_period(tenant_id, period)
        if earlier is None:
            out[c] = ZERO
            continue
        people = [c.person_id] if c.person_id else team_members(tenant_id, c.team_id)
        actual = actuals_for(
            tenant_id,
            earlier,
            earlier.end_date,
            [m],
            people=people,
            person_id=c.person_id,
            team_id=c.team_id,
        )[metric]
        out[c] = max(actual, ZERO)
    return out


def _period_like(tenant_id: int, period: Period, *, years: int) -> Period | None:
    try:
        start = period.start_date.replace(year=period.start_date.year - years)
    except ValueError:  # 29 February
        start = period.start_date.replace(year=period.start_date.year - years, day=28)
    return db.session.scalar(
        select(Period).where(
            Period.tenant_id == tenant_id, Period.kind == period.kind, Period.start_date == start
        )
    )


def _previous_period(tenant_id: int, period: Period) -> Period | None:
    return db.session.scalar(
        select(Period)
        .where(
            Period.tenant_id == tenant_id,
            Period.kind == period.kind,
            Period.start_date < period.start_date,
        )
        .order_by(Period.start_date.desc())
        .limit(1)
    )


# --- what doesn't add up -----------------------------------------------------------------


@dataclass(frozen=True)
class Mismatch:
    """A parent target whose children's targets don't add up to it."""

    period_id: int
    person_id: int | None
    team_id: int | None
    metric: str
    parent: Decimal
    children: Decimal
    down: str  # "periods" or "team"

    @property
    def difference(self) -> Decimal:
        """Children minus parent: negative when the children fall short."""
        return self.children - self.parent


def mismatches(tenant_id: int, period: Period) -> list[Mismatch]:
    """Every target of ``period`` whose children (its sub-periods' targets of the
    same subject, or its team's sub-teams' and people's targets of the period)
    exist but don't add up to it. Parents whose children have no targets at all
    are not split yet, not a mismatch."""
    rows = list(
        db.session.scalars(
            select(SalesTarget).where(
                SalesTarget.tenant_id == tenant_id, SalesTarget.period_id == period.id
            )
        )
    )
    index = {(t.person_id, t.team_id, t.metric): t.baseline for t in rows}
    out: list[Mismatch] = []
    children_ids = [p.id for p in sub_periods(tenant_id, period)]
    below: dict[tuple, list[Decimal]] = {}
    if children_ids:
        for t in db.session.scalars(
            select(SalesTarget).where(
                SalesTarget.tenant_id == tenant_id, SalesTarget.period_id.in_(children_ids)
            )
        ):
            below.setdefault((t.person_id, t.team_id, t.metric), []).append(t.baseline)
    for key, value in index.items():
        if key in below and sum(below[key], ZERO) != value:
            out.append(Mismatch(period.id, *key, value, sum(below[key], ZERO), "periods"))
    out += _team_mismatches(tenant_id, period, index)
    return out


def _team_mismatches(tenant_id: int, period: Period, index: dict) -> list[Mismatch]:
    teams = db.session.execute(
        select(Team.id, Team.parent_id).where(Team.tenant_id == tenant_id)
    ).all()
    people = db.session.execute(
        select(Person.id, Person.team_id).where(
            Person.tenant_id == tenant_id, Person.level != Level.MANAGER
        )
    ).all()
    out = []
    for (_person_id, team_id, metric), value in index.items():
        if team_id is None:
            continue
        parts = [index.get((None, t.id, metric)) for t in teams if t.parent_id == team_id]
        parts += [index.get((p.id, None, metric)) for p in people if p.team_id == team_id]
        present = [v for v in parts if v is not None]
        if present and sum(present, ZERO) != value:
            out.append(
                Mismatch(period.id, None, team_id, metric, value, sum(present, ZERO), "team")
            )
    return out
