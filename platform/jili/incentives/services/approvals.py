"""Maker-checker for plan versions: a change is *proposed* by its author and is
in force only once someone else *approves* it.

The flow of a non-pilot version::

    proposed ──approve──▶ approved (in force from its period)
        │  └──reject (reason)──▶ rejected
        └──withdraw (its author)──▶ withdrawn

- Who approves or rejects: an owner or admin of the company
  (``plans.approve``). A consultant proposes but never approves: a version a
  consultant wrote is approved by the client's own owner or admin.
- Never its author — unless the company turned on
  :attr:`jili.accounts.models.Tenant.plan_self_approval` (meant for a company
  with a single administrator); such an approval is recorded as a
  self-approval in the history and the audit log. Default: off.
- One proposal per plan at a time; a closed period's version is not approved.
- A pilot version is never in force, so it needs no approval.

Compensation systems such as Xactly Incent and Varicent make the approval
workflow a customer setting with segregation of duties as the expected
configuration; we keep the same shape: on by default, and the opt-out is one
visible, audited company setting rather than a silent bypass.

Nothing commits; the caller does.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from jili.accounts.models import Role, Tenant, User
from jili.audit import services as audit
from jili.dbtypes import utcnow
from jili.extensions import db
from jili.incentives.models import ApprovalStatus, Plan, PlanVersion
from jili.periods.models import Period

APPROVER_ROLES = frozenset({Role.OWNER, Role.ADMIN})
REASON_MAX = 500


class ApprovalRefused(Exception):
    """A decision refused: ``status`` is 403 (not yours to take) or 409 (the
    version's state does not allow it); ``message`` says why, in words."""

    def __init__(self, status: int, message: str):
        self.status = status
        self.message = message
        super().__init__(message)


def pending_version(tenant_id: int, plan_id: int) -> PlanVersion | None:
    """The plan's proposal awaiting a decision, if any."""
    return db.session.scalar(
        select(PlanVersion)
        .where(
            PlanVersion.tenant_id == tenant_id,
            PlanVersion.plan_id == plan_id,
            PlanVersion.status == ApprovalStatus.PROPOSED,
        )
        .order_by(PlanVersion.number.desc())
        .limit(1)
    )


def pending_versions(tenant_id: int) -> list[PlanVersion]:
    """Every proposal of the company awaiting a decision, oldest first."""
    return list(
        db.session.scalars(
            select(PlanVersion)
            .where(
                PlanVersion.tenant_id == tenant_id,
                PlanVersion.status == ApprovalStatus.PROPOSED,
            )
            .order_by(PlanVersion.created_at, PlanVersion.id)
        )
    )


def _status_word(status: ApprovalStatus) -> str:
    return {
        ApprovalStatus.PROPOSED: _("awaiting approval"),
        ApprovalStatus.APPROVED: _("approved"),
        ApprovalStatus.REJECTED: _("rejected"),
        ApprovalStatus.WITHDRAWN: _("withdrawn"),
    }[ApprovalStatus(status)]


def _must_be_pending(version: PlanVersion) -> None:
    if version.status != ApprovalStatus.PROPOSED:
        raise ApprovalRefused(
            409,
            _(
                "Version %(n)s is %(status)s already: there is nothing to decide.",
                n=version.number,
                status=_status_word(version.status),
            ),
        )


def refusal(version: PlanVersion, user: User, role: Role | None, tenant: Tenant) -> str | None:
    """Why ``user`` may not approve ``version`` (None: they may)."""
    if role not in APPROVER_ROLES:
        return _(
            "Only an owner or administrator of %(company)s approves plan changes.",
            company=tenant.name,
        )
    if version.created_by_id == user.id and not tenant.plan_self_approval:
        return _(
            "You proposed version %(n)s yourself: someone else must approve it "
            "(an owner or administrator of %(company)s).",
            n=version.number,
            company=tenant.name,
        )
    return None


def _snapshot(version: PlanVersion, plan: Plan) -> dict[str, Any]:
    period = db.session.get(Period, version.effective_period_id)
    author = db.session.get(User, version.created_by_id) if version.created_by_id else None
    return {
        "plan": plan.name,
        "number": version.number,
        "effective_period": period.label if period else "",
        "proposed_by": author.name if author else "",
    }


def _check_in_order(version: PlanVersion, period: Period | None) -> None:
    if period is not None and period.is_closed:
        raise ApprovalRefused(
            409,
            _(
                "Period %(label)s is closed: version %(n)s cannot come into force in it. "
                "Reject it and propose the change from an open period.",
                label=period.label,
                n=version.number,
            ),
        )
    newest = db.session.scalar(
        select(PlanVersion)
        .where(
            PlanVersion.tenant_id == version.tenant_id,
            PlanVersion.plan_id == version.plan_id,
            PlanVersion.is_pilot.is_(False),
            PlanVersion.status == ApprovalStatus.APPROVED,
        )
        .order_by(PlanVersion.effective_from.desc(), PlanVersion.number.desc())
        .limit(1)
    )
    if newest is not None and version.effective_from < newest.effective_from:
        raise ApprovalRefused(
            409,
            _(
                "Version %(m)s is in force from %(date)s, after the period of version "
                "%(n)s: reject it and propose the change again.",
                m=newest.number,
                n=version.number,
                date=newest.effective_from.isoformat(),
            ),
        )


def approve(version: PlanVersion, *, user: User, role: Role | None, tenant: Tenant) -> None:
    """Put ``version`` in force (audited ``plan.approve``). Raises
    :class:`ApprovalRefused`."""
    _must_be_pending(version)
    why = refusal(version, user, role, tenant)
    if why:
        raise ApprovalRefused(403, why)
    period = db.session.get(Period, version.effective_period_id)
    _check_in_order(version, period)
    plan = db.session.get(Plan, version.plan_id)
    version.status = ApprovalStatus.APPROVED
    version.decided_by_id = user.id
    version.decided_at = utcnow()
    db.session.flush()
    after = _snapshot(version, plan)
    if version.created_by_id == user.id:
        after["self_approved"] = True
    audit.record("plan.approve", version, after=after, actor=user)


def reject(
    version: PlanVersion, *, user: User, role: Role | None, tenant: Tenant, reason: str
) -> None:
    """Refuse ``version`` with a reason (audited ``plan.reject``)."""
    _must_be_pending(version)
    if role not in APPROVER_ROLES:
        raise ApprovalRefused(403, refusal(version, user, role, tenant) or "")
    if version.created_by_id == user.id:
        raise ApprovalRefused(
            409,
            _("You proposed version %(n)s: withdraw it instead.", n=version.number),
        )
    reason = (reason or "").strip()
    if not reason:
        raise ApprovalRefused(409, _("Say why the version is rejected."))
    if len(reason) > REASON_MAX:
        raise ApprovalRefused(409, _("At most %(n)s characters.", n=REASON_MAX))
    plan = db.session.get(Plan, version.plan_id)
    version.status = ApprovalStatus.REJECTED
    version.decided_by_id = user.id
    version.decided_at = utcnow()
    version.decision_reason = reason
    db.session.flush()
    audit.record(
        "plan.reject", version, after={**_snapshot(version, plan), "reason": reason}, actor=user
    )


def withdraw(version: PlanVersion, *, user: User) -> None:
    """Its author takes ``version`` back before a decision (audited ``plan.withdraw``)."""
    _must_be_pending(version)
    if version.created_by_id != user.id:
        raise ApprovalRefused(
            403, _("Only the author of version %(n)s can withdraw it.", n=version.number)
        )
    plan = db.session.get(Plan, version.plan_id)
    version.status = ApprovalStatus.WITHDRAWN
    version.decided_by_id = user.id
    version.decided_at = utcnow()
    db.session.flush()
    audit.record("plan.withdraw", version, after=_snapshot(version, plan), actor=user)


def set_self_approval(tenant: Tenant, allowed: bool) -> bool:
    """Turn the company's single-person approval on or off (audited)."""
    if bool(tenant.plan_self_approval) == bool(allowed):
        return False
    before = {"plan_self_approval": bool(tenant.plan_self_approval)}
    tenant.plan_self_approval = bool(allowed)
    db.session.flush()
    audit.record(
        "plan.self_approval",
        tenant,
        tenant_id=tenant.id,
        before=before,
        after={"plan_self_approval": bool(allowed)},
    )
    return True
