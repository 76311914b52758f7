"""Members of the tenant: invitations, role changes, revocation."""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import abort, current_app, flash, g, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from jili.accounts.forms import InviteForm, RoleForm
from jili.accounts.models import Invitation, Membership, Role, User
from jili.accounts.roles import GRANTABLE, require
from jili.accounts.services import send_invitation_mail, token_hash
from jili.audit import services as audit
from jili.dbtypes import utcnow
from jili.extensions import db
from jili.i18n import ROLE_LABELS
from jili.tenancy import get_scoped_or_404
from jili.web import bp
from jili.web._helpers import saved


def _grantable() -> list[tuple[str, str]]:
    allowed = GRANTABLE.get(g.role, frozenset())
    return [(r.value, str(ROLE_LABELS[r.value])) for r in Role if r in allowed]


def _context(invite_form=None, new_link=None):
    tid = g.tenant.id
    members = db.session.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.tenant_id == tid)
        .order_by(User.name)
    ).all()
    invitations = list(
        db.session.scalars(
            select(Invitation)
            .where(
                Invitation.tenant_id == tid,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
            )
            .order_by(Invitation.created_at.desc())
        )
    )
    if invite_form is None:  # a fresh, empty form (not the one just sent)
        invite_form = InviteForm(formdata=None)
        invite_form.role.choices = _grantable()
        invite_form.role.data = "staff"
    from jili.home.services.links import member_rows

    return {
        "members": members,
        "person_of": {r.membership.id: r.person for r in member_rows(tid)},
        "invitations": invitations,
        "form": invite_form,
        "new_link": new_link,
        "grantable": _grantable(),
    }


@bp.route("/members")
@require("members.view")
def members():
    return render_template("accounts/members.html", **_context())


def _new_link(inv: Invitation) -> str:
    """A fresh link for ``inv`` (any earlier one stops working: only the hash is kept),
    valid for the configured days from now."""
    token = secrets.token_urlsafe(32)
    inv.token_hash = token_hash(token)
    inv.invited_by_id = g.membership.user_id
    inv.expires_at = utcnow() + timedelta(days=current_app.config["INVITATION_TTL_DAYS"])
    return url_for("auth.accept_invitation", token=token, _external=True)


@bp.route("/members/invite", methods=["POST"])
@require("members.edit")
def member_invite():
    form = InviteForm()
    form.role.choices = _grantable()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        already = db.session.scalar(
            select(Membership.id)
            .join(User, User.id == Membership.user_id)
            .where(Membership.tenant_id == g.tenant.id, func.lower(User.email) == email)
        )
        if already:
            form.email.errors.append(_("%(email)s is already a member.", email=email))
        else:
            inv = Invitation(tenant_id=g.tenant.id, email=email, role=Role(form.role.data))
            link = _new_link(inv)
            db.session.add(inv)
            db.session.flush()
            audit.record("member.invite", inv, after={"email": email, "role": inv.role})
            db.session.commit()
            if send_invitation_mail(inv, link):
                flash(_("Invitation sent to %(email)s.", email=email), "success")
            else:
                flash(_("Invitation created for %(email)s.", email=email), "success")
                if current_app.config.get("SMTP_HOST"):
                    flash(
                        _("The invitation could not be mailed: pass the link on yourself."), "error"
                    )
            return render_template("accounts/members.html", **_context(new_link=link))
    return render_template("accounts/members.html", **_context(invite_form=form)), 422


def _guard_owner_change(membership: Membership, new_role: Role | None) -> None:
    """Admins cannot touch owners; the last owner cannot be demoted or removed."""
    if membership.role == Role.OWNER and g.role != Role.OWNER:
        abort(403)
    if membership.role == Role.OWNER and new_role != Role.OWNER:
        owners = db.session.scalar(
            select(func.count(Membership.id)).where(
                Membership.tenant_id == g.tenant.id, Membership.role == Role.OWNER
            )
        )
        if owners <= 1:
            abort(409, _("The company needs at least one owner: make someone else owner first."))


@bp.route("/members/<int:membership_id>/role", methods=["POST"])
@require("members.edit")
def member_role(membership_id: int):
    membership = get_scoped_or_404(Membership, membership_id, g.tenant.id)
    form = RoleForm()
    form.role.choices = _grantable()
    if not form.validate_on_submit():
        abort(409, _("You cannot give that role."))
    new_role = Role(form.role.data)
    _guard_owner_change(membership, new_role)
    before = membership.role
    membership.role = new_role
    audit.record("member.role", membership, before={"role": before}, after={"role": new_role})
    db.session.commit()
    flash(_("Role changed."), "success")
    return saved(url_for("tenant.members"), "accounts/members.html", **_context())


@bp.route("/members/<int:membership_id>/revoke", methods=["POST"])
@require("members.edit")
def member_revoke(membership_id: int):
    membership = get_scoped_or_404(Membership, membership_id, g.tenant.id)
    _guard_owner_change(membership, None)
    user = db.session.get(User, membership.user_id)
    audit.record("member.revoke", membership, before={"email": user.email, "role": membership.role})
    db.session.execute(
        delete(Membership).where(
            Membership.tenant_id == g.tenant.id, Membership.id == membership.id
        )
    )
    db.session.commit()
    flash(_("%(email)s no longer has access.", email=user.email), "success")
    return saved(url_for("tenant.members"), "accounts/members.html", **_context())


@bp.route("/invitations/<int:invitation_id>/revoke", methods=["POST"])
@require("members.edit")
def invitation_revoke(invitation_id: int):
    inv = get_scoped_or_404(Invitation, invitation_id, g.tenant.id)
    if inv.accepted_at is None and inv.revoked_at is None:
        inv.revoked_at = utcnow()
        audit.record("member.invite_revoke", inv, before={"email": inv.email})
        db.session.commit()
    return saved(url_for("tenant.members"), "accounts/members.html", **_context())


@bp.route("/invitations/<int:invitation_id>/link", methods=["POST"])
@require("members.edit")
def invitation_link(invitation_id: int):
    """A new link to copy (the old one stops working), or, with ``send``, mailed again."""
    inv = get_scoped_or_404(Invitation, invitation_id, g.tenant.id)
    if inv.accepted_at is not None or inv.revoked_at is not None:
        abort(409, _("This invitation was already accepted or withdrawn."))
    link = _new_link(inv)
    send = request.form.get("send") == "1"
    audit.record("member.invite_renew", inv, after={"email": inv.email, "mailed": send})
    db.session.commit()
    if send and send_invitation_mail(inv, link):
        flash(_("Invitation sent again to %(email)s.", email=inv.email), "success")
    elif send:
        flash(_("The invitation could not be mailed: pass the link on yourself."), "error")
    return render_template("accounts/members.html", **_context(new_link=link))
