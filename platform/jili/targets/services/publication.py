"""Publishing a period's targets: draft → published.

Publishing with parents whose children don't add up needs the difference
accepted with a reason. Once published, people see their targets, and a change
goes only through an adjustment (``change_target(..., via_adjustment=True)``),
which bumps the version.
"""

from __future__ import annotations

from flask_babel import gettext as _

from jili.accounts.models import User
from jili.audit import services as audit
from jili.dbtypes import utcnow
from jili.extensions import db
from jili.periods.models import Period
from jili.periods.services import PeriodClosed
from jili.targets.models import PublicationStatus, TargetPublication
from jili.targets.services.core import TargetError, publication, subject_count
from jili.targets.services.splits import Mismatch, mismatches


class DifferenceNotAccepted(TargetError):
    """Children don't add up and no reason was given to accept the difference."""

    def __init__(self, found: list[Mismatch]):
        self.mismatches = found
        super().__init__(
            _(
                "Some targets don't add up to their parent. Accept the difference "
                "with a reason to publish anyway."
            )
        )


def publish(
    tenant_id: int, actor_user_id: int | None, period: Period, *, accept_reason: str = ""
) -> TargetPublication:
    """Publish ``period``'s targets (audit-logged; letters are issued when
    :mod:`jili.letters` provides ``issue_letters``)."""
    if period.is_closed:
        raise PeriodClosed(period)
    pub = publication(tenant_id, period.id)
    if pub is not None and pub.status == PublicationStatus.PUBLISHED:
        raise TargetError(_("These targets are already published."))
    if subject_count(tenant_id, period.id) == 0:
        raise TargetError(_("There are no targets to publish in this period."))
    found = mismatches(tenant_id, period)
    reason = accept_reason.strip()
    if found and not reason:
        raise DifferenceNotAccepted(found)
    if pub is None:
        pub = TargetPublication(tenant_id=tenant_id, period_id=period.id, version=0)
        db.session.add(pub)
    actor = _user(actor_user_id)
    pub.status = PublicationStatus.PUBLISHED
    pub.version = (pub.version or 0) + 1
    pub.published_at = pub.changed_at = utcnow()
    pub.published_by_id = actor_user_id
    pub.published_by_label = getattr(actor, "email", "") or ""
    pub.accepted_difference_reason = reason[:500] if found else ""
    db.session.flush()
    audit.record(
        "targets.publish",
        pub,
        actor=actor,
        after={
            "period": period.label,
            "version": pub.version,
            "mismatches": len(found),
            "reason": pub.accepted_difference_reason,
        },
    )
    _issue_letters(tenant_id, period.id, actor_user_id)
    return pub


def _issue_letters(tenant_id: int, period_id: int, actor_user_id: int | None) -> None:
    """Hand over to the letters capability when it is there."""
    try:
        from jili.letters import services as letters  # noqa: PLC0415
    except ImportError:
        return
    issue = getattr(letters, "issue_letters", None)
    if issue is not None:
        issue(tenant_id, period_id, actor_user_id)


def _user(user_id: int | None) -> User | None:
    return db.session.get(User, user_id) if user_id is not None else None
