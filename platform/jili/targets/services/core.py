"""Setting one target, the period's publication and what people see of it.

The interface other capabilities code against (letters, adjustments, alerts):
:func:`published_targets`, :func:`targets_version`, :func:`change_target`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select

from jili.accounts.models import User
from jili.audit import services as audit
from jili.dbtypes import utcnow
from jili.extensions import db
from jili.inputs.models import SalesTarget
from jili.money import MONEY_LIMIT
from jili.periods.models import Period
from jili.periods.services import PeriodClosed
from jili.targets.models import MetricKind, PublicationStatus, TargetPublication
from jili.targets.services.metrics import by_code


@dataclass(frozen=True)
class TargetLine:
    """One published target of a person, as letters and home pages show it."""

    metric: str
    label: str
    unit: str
    kind: MetricKind
    baseline: Decimal
    challenge: Decimal | None


class TargetError(ValueError):
    """A target change that cannot be made; the message is for the user."""


class TargetsPublished(TargetError):
    """The period's targets are published: changes go through an adjustment."""


def publication(tenant_id: int, period_id: int) -> TargetPublication | None:
    return db.session.scalar(
        select(TargetPublication).where(
            TargetPublication.tenant_id == tenant_id, TargetPublication.period_id == period_id
        )
    )


def is_published(tenant_id: int, period_id: int) -> bool:
    pub = publication(tenant_id, period_id)
    return pub is not None and pub.status == PublicationStatus.PUBLISHED


def targets_version(tenant_id: int, period_id: int) -> int:
    """The publication's version: 0 while never published, 1 at publication,
    one more for every change after it."""
    pub = publication(tenant_id, period_id)
    return pub.version if pub is not None else 0


def subject_targets(
    tenant_id: int, period_id: int, *, person_id: int | None = None, team_id: int | None = None
) -> list[SalesTarget]:
    """Every target of one person or team in the period (draft or not)."""
    return list(
        db.session.scalars(
            select(SalesTarget).where(
                SalesTarget.tenant_id == tenant_id,
                SalesTarget.period_id == period_id,
                SalesTarget.person_id == person_id
                if person_id
                else SalesTarget.person_id.is_(None),
                SalesTarget.team_id == team_id if team_id else SalesTarget.team_id.is_(None),
            )
        )
    )


def subject_count(tenant_id: int, period_id: int) -> int:
    """How many targets the period has (any subject, any metric)."""
    return (
        db.session.scalar(
            select(func.count(SalesTarget.id)).where(
                SalesTarget.tenant_id == tenant_id, SalesTarget.period_id == period_id
            )
        )
        or 0
    )


def published_targets(
    tenant_id: int, period_id: int, person_id: int | None, *, team_id: int | None = None
) -> list[TargetLine]:
    """The person's (or with ``team_id``, the team's own) targets of a published
    period, in metric order ([] if unpublished)."""
    if not is_published(tenant_id, period_id):
        return []
    metrics = by_code(tenant_id)
    order = {code: i for i, code in enumerate(metrics)}
    if team_id is not None:
        rows = subject_targets(tenant_id, period_id, team_id=team_id)
    else:
        rows = subject_targets(tenant_id, period_id, person_id=person_id)
    rows.sort(key=lambda t: (order.get(t.metric, len(order)), t.metric))
    out = []
    for t in rows:
        m = metrics.get(t.metric)
        out.append(
            TargetLine(
                t.metric,
                m.label if m else t.metric,
                m.unit if m else "",
                m.kind if m else MetricKind.NUMBER,
                t.baseline,
                t.challenge,
            )
        )
    return out


def _check_value(value: Decimal | None) -> Decimal | None:
    """The value to the fen, or an error; refused, never rounded."""
    if value is None:
        return None
    if value < 0:
        raise TargetError(_("A target cannot be negative."))
    if value != value.quantize(Decimal("0.01")):
        raise TargetError(_("A target has at most two decimal places."))
    if abs(value) >= MONEY_LIMIT:
        raise TargetError(_("This number is too large."))
    return value.quantize(Decimal("0.01"))


def change_target(
    tenant_id: int,
    actor_user_id: int | None,
    period_id: int,
    *,
    person_id: int | None = None,
    team_id: int | None = None,
    metric: str,
    baseline: Decimal | None = None,
    challenge: Decimal | None = None,
    reason: str = "",
    via_adjustment: bool = False,
    clear_challenge: bool = False,
) -> SalesTarget:
    """Set one target's baseline and/or challenge (``None`` leaves a value as
    it is; ``clear_challenge`` removes the challenge). A new target needs a
    baseline. Audit-logged with old and new values and the reason.

    Refuses a closed period (:class:`PeriodClosed`), an unknown metric, and —
    once the period's targets are published — any change not made
    ``via_adjustment`` (:class:`TargetsPublished`); a change via an adjustment
    after publication bumps the publication's version. Flushes; the caller commits.
    """
    period = _changeable_period(tenant_id, period_id, person_id, team_id, metric)
    baseline, challenge = _check_value(baseline), _check_value(challenge)
    pub = publication(tenant_id, period_id)
    published = pub is not None and pub.status == PublicationStatus.PUBLISHED
    if published and not via_adjustment:
        raise TargetsPublished(
            _(
                "The targets of %(period)s are published: ask for an adjustment to change one.",
                period=period.label,
            )
        )
    target = find_target(tenant_id, period_id, person_id, team_id, metric)
    before = audit.snapshot(target, ["baseline", "challenge"]) if target else None
    if target is None:
        if baseline is None:
            raise TargetError(_("Give the baseline first."))
        target = SalesTarget(
            tenant_id=tenant_id,
            period_id=period_id,
            person_id=person_id,
            team_id=team_id,
            metric=metric,
            baseline=baseline,
        )
        db.session.add(target)
    if baseline is not None:
        target.baseline = baseline
    if challenge is not None:
        target.challenge = challenge
    elif clear_challenge:
        target.challenge = None
    after = audit.snapshot(target, ["baseline", "challenge"])
    if before == after:
        return target
    if published:
        pub.version += 1
        pub.changed_at = utcnow()
    db.session.flush()
    audit.record(
        "target.change",
        target,
        actor=_user(actor_user_id),
        before=before or {"baseline": None, "challenge": None},
        after={
            **after,
            "period": period.label,
            "metric": metric,
            "reason": reason,
            "via_adjustment": via_adjustment,
        },
    )
    return target


def delete_target(
    tenant_id: int, actor_user_id: int | None, target: SalesTarget, reason: str = ""
) -> None:
    """Remove a draft target (an emptied cell); audit-logged."""
    if is_published(tenant_id, target.period_id):
        raise TargetsPublished(_("The targets are published: ask for an adjustment to change one."))
    audit.record(
        "target.delete",
        target,
        actor=_user(actor_user_id),
        before=audit.snapshot(target, ["metric", "baseline", "challenge"]),
        after={"reason": reason},
    )
    db.session.delete(target)
    db.session.flush()


def _user(user_id: int | None) -> User | None:
    return db.session.get(User, user_id) if user_id is not None else None


def _changeable_period(
    tenant_id: int, period_id: int, person_id: int | None, team_id: int | None, metric: str
) -> Period:
    if (person_id is None) == (team_id is None):
        raise TargetError(_("A target is for one person or one team."))
    period = db.session.get(Period, period_id)
    if period is None or period.tenant_id != tenant_id:
        raise TargetError(_("No such period."))
    if period.is_closed:
        raise PeriodClosed(period)
    if metric not in by_code(tenant_id):
        raise TargetError(_("No such metric."))
    return period


def find_target(
    tenant_id: int, period_id: int, person_id: int | None, team_id: int | None, metric: str
) -> SalesTarget | None:
    return db.session.scalar(
        select(SalesTarget).where(
            SalesTarget.tenant_id == tenant_id,
            SalesTarget.period_id == period_id,
            SalesTarget.metric == metric,
            SalesTarget.person_id == person_id if person_id else SalesTarget.person_id.is_(None),
            SalesTarget.team_id == team_id if team_id else SalesTarget.team_id.is_(None),
        )
    )
