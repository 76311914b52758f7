"""Logins and people: a member of a company may be linked to one person of it, and a
person to at most one login (``Person.user_id``, unique per company). Every link and
unlink is audited."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from jili.accounts.models import Invitation, Membership, Role, User
from jili.accounts.services import token_hash
from jili.audit import services as audit
from jili.dbtypes import utcnow
from jili.extensions import db
from jili.org.models import Level, Person

#: Roles whose members live on their own numbers: unlinked, they see nothing.
NEEDS_PERSON = (Role.STAFF, Role.MANAGER)


class LinkRefused(ValueError):
    """The link would break a rule; the message says which, in the reader's language."""


@dataclass(frozen=True)
class MemberRow:
    membership: Membership
    user: User
    person: Person | None


def person_of_user(tenant_id: int, user_id: int) -> Person | None:
    return db.session.scalar(
        select(Person).where(Person.tenant_id == tenant_id, Person.user_id == user_id)
    )


def member_rows(tenant_id: int) -> list[MemberRow]:
    """Every member with the person linked to their login (if any), by name."""
    rows = db.session.execute(
        select(Membership, User, Person)
        .join(User, User.id == Membership.user_id)
        .outerjoin(Person, (Person.user_id == Membership.user_id) & (Person.tenant_id == tenant_id))
        .where(Membership.tenant_id == tenant_id)
        .order_by(User.name)
    ).all()
    return [MemberRow(m, u, p) for m, u, p in rows]


def unlinked_members(tenant_id: int) -> list[MemberRow]:
    """Staff and managers whose login is linked to no person: they see no numbers."""
    return [
        r for r in member_rows(tenant_id) if r.person is None and r.membership.role in NEEDS_PERSON
    ]


def linkable_members(tenant_id: int) -> list[tuple[Membership, User]]:
    """Members not linked to any person yet, for the person page's 'link a member'."""
    return [(r.membership, r.user) for r in member_rows(tenant_id) if r.person is None]


def link(person: Person, user_id: int) -> None:
    """Link ``person`` to the login ``user_id`` (a member of the person's company).
    A login already linked to another person is moved (that unlink is audited too)."""
    tid = person.tenant_id
    member = db.session.scalar(
        select(Membership).where(Membership.tenant_id == tid, Membership.user_id == user_id)
    )
    if member is None:
        raise LinkRefused(_("That login is not a member of this company."))
    if person.user_id == user_id:
        return
    if person.user_id is not None:
        raise LinkRefused(_("%(name)s already has a login: unlink it first.", name=person.name))
    previous = person_of_user(tid, user_id)
    if previous is not None:
        unlink(previous)
        db.session.flush()
    user = db.session.get(User, user_id)
    person.user_id = user_id
    audit.record("person.link", person, before={"user": None}, after={"user": user.email})


def unlink(person: Person) -> None:
    if person.user_id is None:
        return
    user = db.session.get(User, person.user_id)
    audit.record(
        "person.unlink",
        person,
        before={"user": user.email if user else person.user_id},
        after={"user": None},
    )
    person.user_id = None


def invite(
    person: Person, email: str, role: Role, inviter_id: int | None
) -> tuple[Invitation, str]:
    """An invitation to join the company that links the new login to ``person`` on
    acceptance. Returns the invitation and its one-time token (stored only hashed)."""
    if person.user_id is not None:
        raise LinkRefused(_("%(name)s already has a login: unlink it first.", name=person.name))
    email = email.strip().lower()
    member = db.session.scalar(
        select(Membership.user_id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.tenant_id == person.tenant_id, func.lower(User.email) == email)
    )
    if member is not None:
        raise LinkRefused(_("%(email)s is already a member: link the member instead.", email=email))
    token = secrets.token_urlsafe(32)
    inv = Invitation(
        tenant_id=person.tenant_id,
        email=email,
        role=role,
        token_hash=token_hash(token),
        invited_by_id=inviter_id,
        person_id=person.id,
        expires_at=utcnow() + timedelta(days=current_app.config["INVITATION_TTL_DAYS"]),
    )
    db.session.add(inv)
    db.session.flush()
    audit.record(
        "member.invite", inv, after={"email": email, "role": role, "person": person.employee_no}
    )
    return inv, token


def link_on_accept(invitation: Invitation, user: User) -> None:
    """Accepting an invitation that names a person links the login to them, unless
    the person got another login or this login another person in the meantime."""
    if invitation.person_id is None:
        return
    person = db.session.scalar(
        select(Person).where(
            Person.tenant_id == invitation.tenant_id, Person.id == invitation.person_id
        )
    )
    if person is None or person.user_id is not None:
        return
    if person_of_user(invitation.tenant_id, user.id) is not None:
        return
    person.user_id = user.id
    audit.record(
        "person.link", person, before={"user": None}, after={"user": user.email}, actor=user
    )


@dataclass
class BatchInvitations:
    """What inviting the people of an import did: the invitations made (with their
    one-time tokens), who was left alone and why, and each refusal by file row."""

    made: list[tuple[Person, Invitation, str]]
    has_login: int = 0
    pending: int = 0
    errors: list[tuple[int, str]] | None = None


def invite_people(rows: list[tuple[int, Person, str]], inviter_id: int | None) -> BatchInvitations:
    """Invite each ``(file row, person, e-mail)`` whose person has no login yet, as
    :func:`invite` does one by one (staff, or manager for a manager's level). A person
    with a login, or with an invitation still open, is left alone. Refusals come back
    by row; the caller then rolls everything back."""
    out = BatchInvitations(made=[], errors=[])
    now = utcnow()
    for line, person, email in rows:
        if person.user_id is not None:
            out.has_login += 1
            continue
        open_invitation = db.session.scalar(
            select(Invitation.id).where(
                Invitation.tenant_id == person.tenant_id,
                Invitation.person_id == person.id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > now,
            )
        )
        if open_invitation is not None:
            out.pending += 1
            continue
        role = Role.MANAGER if person.level == Level.MANAGER else Role.STAFF
        try:
            inv, token = invite(person, email, role, inviter_id)
        except LinkRefused as exc:
            out.errors.append((line, str(exc)))
            continue
        out.made.append((person, inv, token))
    return out
