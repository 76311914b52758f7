"""Target adjustment requests: ask → data review (hr) → approval → the target and
the person's letter change.

Who may do what (the role matrix, tested in tests/test_adjustments.py):

- **ask**: the person themselves, or a manager for someone in their team subtree
  or who reports to them;
- **review** (data review): hr, admin or owner;
- **approve or reject**: within the tenant's limit (default ±10 % of the current
  target, inclusive), the person's manager (a manager whose team subtree holds
  the person, or to whom they report), a director, an admin or the owner;
  beyond it, only a director, an admin or the owner. A **director** is a
  manager whose own team has sub-teams (they lead a region, not a group), with
  the person in their subtree.
- nobody reviews or decides a request they made or one about their own target.

A **team's** target (its own row in the grid) follows the same review, approval and
±limit rule: hr, an admin, the owner or the manager of a team above it asks; the
manager of a team above it (a director beyond the limit), an admin or the owner
decides. The team's target is its managers' own: they neither ask, review nor decide
it. Once approved, the team's managers get a new letter version.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select

from jili.accounts.models import Role, Tenant
from jili.adjustments.models import (
    DEFAULT_LIMIT_PCT,
    REASON_MAX,
    AdjustmentRequest,
    AdjustmentSetting,
    AdjustmentStatus,
)
from jili.audit import services as audit
from jili.dbtypes import utcnow
from jili.extensions import db
from jili.letters import services as letters
from jili.org.models import Level, Person, Team
from jili.org.visibility import team_subtree
from jili.periods.models import Period
from jili.targets import services as targets

HUNDRED = Decimal(100)
OPEN = (AdjustmentStatus.REVIEW, AdjustmentStatus.APPROVAL)
ADMINS = (Role.OWNER, Role.ADMIN)


class AdjustmentError(ValueError):
    """A refused request or decision; the message is for the user."""


# --- the tenant's rule ---------------------------------------------------------------


def limit_pct(tenant_id: int) -> Decimal:
    setting = db.session.scalar(
        select(AdjustmentSetting).where(AdjustmentSetting.tenant_id == tenant_id)
    )
    return setting.limit_pct if setting is not None else DEFAULT_LIMIT_PCT


def set_limit(tenant_id: int, pct: Decimal, actor=None) -> AdjustmentSetting:
    if not (Decimal(0) <= pct <= Decimal(1000)) or pct != pct.quantize(Decimal("0.01")):
        raise AdjustmentError(_("Enter a percentage from 0 to 1000, with at most two decimals."))
    setting = db.session.scalar(
        select(AdjustmentSetting).where(AdjustmentSetting.tenant_id == tenant_id)
    )
    before = {"limit_pct": setting.limit_pct if setting else DEFAULT_LIMIT_PCT}
    if setting is None:
        setting = AdjustmentSetting(tenant_id=tenant_id)
        db.session.add(setting)
    setting.limit_pct = pct
    db.session.flush()
    audit.record(
        "adjustment.rule", setting, tenant_id=tenant_id, before=before,
        after={"limit_pct": pct}, actor=actor,
    )  # fmt: skip
    return setting


def change_pct(old: Decimal, new: Decimal) -> Decimal | None:
    """How far ``new`` moves from ``old``, in % of ``old`` (None when old is 0)."""
    if old == 0:
        return None
    return (new - old) * HUNDRED / abs(old)


def within_limit(old: Decimal, new: Decimal, limit: Decimal) -> bool:
    """Whether the move stays within ±``limit`` % of ``old``; exactly at the limit
    is within. From a target of 0 any change is beyond."""
    if old == 0:
        return new == 0
    return abs(new - old) * HUNDRED <= limit * abs(old)


# --- who may do what -----------------------------------------------------------------


def _person(tenant_id: int, person_id: int) -> Person | None:
    return db.session.scalar(
        select(Person).where(Person.tenant_id == tenant_id, Person.id == person_id)
    )


def manages(tenant_id: int, me: Person | None, person: Person) -> bool:
    """``me`` leads a team whose subtree holds ``person``, or ``person`` reports to ``me``."""
    if me is None or me.id == person.id:
        return False
    if person.manager_id == me.id:
        return True
    return person.team_id is not None and person.team_id in team_subtree(tenant_id, me.team_id)


def is_director(tenant_id: int, role: Role, me: Person | None) -> bool:
    """Admin or owner, or a manager whose own team has sub-teams."""
    if role in ADMINS:
        return True
    if role != Role.MANAGER or me is None or me.team_id is None:
        return False
    children = db.session.scalar(
        select(func.count(Team.id)).where(Team.tenant_id == tenant_id, Team.parent_id == me.team_id)
    )
    return bool(children)


def manages_team(tenant_id: int, me: Person | None, team: Team) -> bool:
    """``me`` leads a team strictly above ``team`` (the manager of a parent team)."""
    if me is None or me.team_id is None or me.team_id == team.id:
        return False
    return team.id in team_subtree(tenant_id, me.team_id)


def may_request(tenant_id: int, role: Role, me: Person | None, person: Person) -> bool:
    if me is not None and me.id == person.id:
        return True
    return role == Role.MANAGER and manages(tenant_id, me, person)


def may_request_team(tenant_id: int, role: Role, me: Person | None, team: Team) -> bool:
    """hr, an admin, the owner, or the manager of a team above ``team``."""
    if role in (*ADMINS, Role.HR):
        return not _leads(me, team.id)
    return role == Role.MANAGER and manages_team(tenant_id, me, team)


def _leads(me: Person | None, team_id: int | None) -> bool:
    """``me`` is a manager of the team itself: the team's target is their own."""
    return (
        me is not None and team_id is not None and me.team_id == team_id
        and me.level == Level.MANAGER
    )  # fmt: skip


def _own(req: AdjustmentRequest, user_id: int, me: Person | None) -> bool:
    if req.requested_by_id == user_id:
        return True
    if req.team_id is not None:
        return _leads(me, req.team_id)
    return me is not None and me.id == req.person_id


def may_review(role: Role, user_id: int, me: Person | None, req: AdjustmentRequest) -> bool:
    return (
        req.status == AdjustmentStatus.REVIEW
        and role in (Role.OWNER, Role.ADMIN, Role.HR)
        and not _own(req, user_id, me)
    )


def may_decide(
    tenant_id: int, role: Role, user_id: int, me: Person | None, req: AdjustmentRequest
) -> bool:
    if req.status != AdjustmentStatus.APPROVAL or _own(req, user_id, me):
        return False
    if role in ADMINS:
        return True
    if role != Role.MANAGER:
        return False
    if req.team_id is not None:
        team = _team(tenant_id, req.team_id)
        if team is None or not manages_team(tenant_id, me, team):
            return False
    else:
        person = _person(tenant_id, req.person_id)
        if person is None or not manages(tenant_id, me, person):
            return False
    return is_director(tenant_id, role, me) if req.needs_director else True


# --- the workflow --------------------------------------------------------------------


def _team(tenant_id: int, team_id: int) -> Team | None:
    return db.session.scalar(select(Team).where(Team.tenant_id == tenant_id, Team.id == team_id))


def current_value(
    tenant_id: int, period_id: int, person_id: int | None, metric: str,
    team_id: int | None = None,
) -> Decimal | None:  # fmt: skip
    for line in targets.published_targets(tenant_id, period_id, person_id, team_id=team_id):
        if line.metric == metric:
            return line.baseline
    return None


def request_adjustment(
    tenant_id: int, user, *, period: Period, person: Person | None, metric: str,
    new_value: Decimal, reason: str, evidence: tuple[str, str, bytes] | None = None,
    team: Team | None = None,
) -> AdjustmentRequest:  # fmt: skip
    """Ask to change ``person``'s (or ``team``'s own) published ``metric`` target
    in ``period`` (the caller checked :func:`may_request` / :func:`may_request_team`).
    The caller commits."""
    if (person is None) == (team is None):
        raise AdjustmentError(_("Choose whose target should change."))
    person_id, team_id = (person.id, None) if person is not None else (None, team.id)
    reason = (reason or "").strip()
    if not reason:
        raise AdjustmentError(_("Say why the target should change."))
    if len(reason) > REASON_MAX:
        raise AdjustmentError(_("The reason is too long: at most %(n)d characters.", n=REASON_MAX))
    if period.is_closed:
        raise AdjustmentError(
            _("%(period)s is closed: its targets can no longer change.", period=period.label)
        )
    old = current_value(tenant_id, period.id, person_id, metric, team_id)
    if old is None:
        raise AdjustmentError(_("There is no published target of this kind to change."))
    if new_value < 0:
        raise AdjustmentError(_("A target cannot be negative."))
    if new_value == old:
        raise AdjustmentError(_("The new value is the same as the current target."))
    if open_request(tenant_id, period.id, person_id, metric, team_id) is not None:
        raise AdjustmentError(
            _("This target already has an open request: wait for its decision first.")
        )
    req = AdjustmentRequest(
        tenant_id=tenant_id, period_id=period.id, person_id=person_id, team_id=team_id,
        metric=metric,
        old_value=old, new_value=new_value, reason=reason,
        needs_director=not within_limit(old, new_value, limit_pct(tenant_id)),
        status=AdjustmentStatus.REVIEW, requested_by_id=user.id,
    )  # fmt: skip
    if evidence is not None:
        req.evidence_name, req.evidence_type, req.evidence_data = evidence
    db.session.add(req)
    db.session.flush()
    _log("adjustment.request", req, user)
    _tell_reviewers(tenant_id, req)
    return req


def open_request(
    tenant_id: int, period_id: int, person_id: int | None, metric: str,
    team_id: int | None = None,
):  # fmt: skip
    subject = (
        AdjustmentRequest.team_id == team_id
        if team_id is not None
        else AdjustmentRequest.person_id == person_id
    )
    return db.session.scalar(
        select(AdjustmentRequest).where(
            AdjustmentRequest.tenant_id == tenant_id,
            AdjustmentRequest.period_id == period_id,
            subject,
            AdjustmentRequest.metric == metric,
            AdjustmentRequest.status.in_(OPEN),
        )
    )


def review(tenant_id: int, req: AdjustmentRequest, user, *, passed: bool, note: str) -> None:
    """hr's data review: pass it on for approval, or reject it with a reason."""
    note = _note(note, required=not passed)
    req.reviewed_by_id, req.reviewed_at, req.review_note = user.id, utcnow(), note
    if passed:
        req.status = AdjustmentStatus.APPROVAL
        _log("adjustment.review", req, user)
        _tell_deciders(tenant_id, req)
    else:
        _reject(tenant_id, req, user, note)


def decide(tenant_id: int, req: AdjustmentRequest, user, *, approved: bool, note: str) -> None:
    """Approve (the target changes, a new letter version is issued) or reject."""
    note = _note(note, required=not approved)
    if not approved:
        _reject(tenant_id, req, user, note)
        return
    period = db.session.scalar(
        select(Period).where(Period.tenant_id == tenant_id, Period.id == req.period_id)
    )
    if period is None or period.is_closed:
        raise AdjustmentError(_("The period is closed: its targets can no longer change."))
    now = current_value(tenant_id, req.period_id, req.person_id, req.metric, req.team_id)
    if now != req.old_value:
        raise AdjustmentError(
            _("The target changed since this request was made: reject it and ask again.")
        )
    try:
        targets.change_target(
            tenant_id, user.id, req.period_id, person_id=req.person_id, team_id=req.team_id,
            metric=req.metric, baseline=req.new_value, reason=req.reason, via_adjustment=True,
        )  # fmt: skip
    except targets.TargetError as exc:
        raise AdjustmentError(str(exc)) from exc
    req.status, req.decided_by_id, req.decided_at, req.decision_note = (
        AdjustmentStatus.APPROVED, user.id, utcnow(), note,
    )  # fmt: skip
    _log("adjustment.approve", req, user)
    letters.issue_letters(tenant_id, req.period_id, user.id, person_ids=letter_people(req))
    _tell_requester(tenant_id, req)


def letter_people(req: AdjustmentRequest) -> list[int]:
    """Whose letter follows the change: the person, or the team's managers."""
    if req.person_id is not None:
        return [req.person_id]
    return list(
        db.session.scalars(
            select(Person.id).where(
                Person.tenant_id == req.tenant_id, Person.team_id == req.team_id,
                Person.level == Level.MANAGER,
            )
        )
    )  # fmt: skip


def _note(note: str, *, required: bool) -> str:
    note = (note or "").strip()
    if required and not note:
        raise AdjustmentError(_("Give the reason for the rejection."))
    if len(note) > REASON_MAX:
        raise AdjustmentError(_("The note is too long: at most %(n)d characters.", n=REASON_MAX))
    return note


def _reject(tenant_id: int, req: AdjustmentRequest, user, note: str) -> None:
    req.status, req.decided_by_id, req.decided_at, req.decision_note = (
        AdjustmentStatus.REJECTED, user.id, utcnow(), note,
    )  # fmt: skip
    _log("adjustment.reject", req, user)
    _tell_requester(tenant_id, req)


def _log(action: str, req: AdjustmentRequest, user) -> None:
    subject = {"person_id": req.person_id}
    if req.team_id is not None:  # a team's target: its own sentences
        action, subject = action.replace("adjustment.", "adjustment.team_"), {"team_id": req.team_id}
    audit.record(
        action, req, tenant_id=req.tenant_id, actor=user,
        after={
            **subject, "period_id": req.period_id,
            "target": metric_label(req.tenant_id, req.metric),
            "old_value": req.old_value, "new_value": req.new_value,
            "needs_director": req.needs_director,
            "reason": req.decision_note or req.review_note or req.reason,
        },
    )  # fmt: skip


def metric_label(tenant_id: int, code: str) -> str:
    """The metric's name in the reader's language (the code when unknown)."""
    try:
        from jili.targets.services.metrics import by_code
    except ImportError:
        return code
    found = by_code(tenant_id).get(code)
    return str(found.label) if found is not None else code


def metric_choices(tenant_id: int) -> list[tuple[str, str]]:
    """(code, name) of every metric a target may be set on."""
    from jili.targets.services.metrics import catalog

    return [(m.code, str(m.label)) for m in catalog(tenant_id)]


def _link(tenant_id: int, req: AdjustmentRequest) -> str:
    slug = db.session.scalar(select(Tenant.slug).where(Tenant.id == tenant_id))
    return f"/t/{slug}/adjustments/{req.id}"


def _params(tenant_id: int, req: AdjustmentRequest) -> dict:
    """What a notification about ``req`` names: the person (or team) and the period."""
    person = (
        _person(tenant_id, req.person_id) if req.person_id else _team(tenant_id, req.team_id)
    )
    label = db.session.scalar(
        select(Period.label).where(Period.tenant_id == tenant_id, Period.id == req.period_id)
    )
    return {"person": person.name if person else "", "period": label or "", "request": req.id}


def _tell_reviewers(tenant_id: int, req: AdjustmentRequest) -> None:
    from jili.accounts.models import Membership

    for user_id in db.session.scalars(
        select(Membership.user_id).where(
            Membership.tenant_id == tenant_id, Membership.role == Role.HR
        )
    ):
        letters.notify(
            tenant_id, user_id=user_id, kind="adjustment_to_review",
            params=_params(tenant_id, req), link=_link(tenant_id, req),
        )  # fmt: skip


def _tell_deciders(tenant_id: int, req: AdjustmentRequest) -> None:
    """Once hr has passed it on: everyone who may now approve it (a director
    when it goes beyond the limit) finds it in their notifications."""
    from jili.accounts.models import Membership

    members = db.session.execute(
        select(Membership.user_id, Membership.role).where(
            Membership.tenant_id == tenant_id,
            Membership.role.in_((Role.OWNER, Role.ADMIN, Role.MANAGER)),
        )
    ).all()
    for user_id, role in members:
        me = db.session.scalar(
            select(Person).where(Person.tenant_id == tenant_id, Person.user_id == user_id)
        )
        if may_decide(tenant_id, role, user_id, me, req):
            letters.notify(
                tenant_id, user_id=user_id, kind="adjustment_to_review",
                params=_params(tenant_id, req), link=_link(tenant_id, req),
            )  # fmt: skip


def _tell_requester(tenant_id: int, req: AdjustmentRequest) -> None:
    if req.requested_by_id is not None:
        letters.notify(
            tenant_id, user_id=req.requested_by_id, kind="adjustment_decided",
            params={**_params(tenant_id, req), "decision": req.status.value},
            link=_link(tenant_id, req),
        )  # fmt: skip
