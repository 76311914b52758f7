"""Linking logins and people: from a person's page (invite by e-mail, link a member,
unlink) and from the Members page (each member's person)."""

from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from jili.accounts.forms import InviteForm
from jili.accounts.models import Membership, Role, User
from jili.accounts.roles import GRANTABLE, can, require
from jili.accounts.services import send_invitation_mail
from jili.extensions import db
from jili.home.forms import LinkMemberForm, MemberPersonForm
from jili.home.services import links
from jili.i18n import ROLE_LABELS
from jili.org.models import Level, Person
from jili.tenancy import get_scoped_or_404
from jili.web import bp


def _grantable() -> list[tuple[str, str]]:
    allowed = GRANTABLE.get(g.role, frozenset())
    return [(r.value, str(ROLE_LABELS[r.value])) for r in Role if r in allowed]


def person_login_context(person: Person, invite_form=None, new_link=None) -> dict:
    """What the 'Login' card of a person's page shows."""
    user = None
    if person.user_id is not None:
        user = db.session.get(User, person.user_id)
    link_form = LinkMemberForm()
    link_form.user_id.choices = [
        (u.id, f"{u.name} <{u.email}>") for _m, u in links.linkable_members(g.tenant.id)
    ]
    if invite_form is None:
        invite_form = InviteForm()
        invite_form.role.choices = _grantable()
        invite_form.role.data = "manager" if person.level == Level.MANAGER else "staff"
    return {
        "login_person": person,
        "login_user": user,
        "link_form": link_form,
        "invite_form": invite_form,
        "may_invite": can("members.edit"),
        "new_link": new_link,
    }


@bp.app_context_processor
def _person_login_helper():
    return {"person_login_context": person_login_context}


def _back(person: Person):
    return redirect(url_for("tenant.person_edit", person_id=person.id))


def _card(person: Person, status: int = 200, **kw):
    """htmx swaps the card; a plain browser goes back to the person's page."""
    if g.htmx:
        return render_template(
            "home/_person_login.html", ctx=person_login_context(person, **kw)
        ), status
    return _back(person)


@bp.route("/people/<int:person_id>/invite", methods=["POST"])
@require("members.edit")
def person_invite(person_id: int):
    person = get_scoped_or_404(Person, person_id, g.tenant.id)
    form = InviteForm()
    form.role.choices = _grantable()
    if not form.validate_on_submit():
        if g.htmx:
            return _card(person, 422, invite_form=form)
        flash(_("Type a valid e-mail address."), "error")
        return _back(person)
    try:
        inv, token = links.invite(
            person, form.email.data, Role(form.role.data), g.membership.user_id
        )
    except links.LinkRefused as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _card(person, 409)
    db.session.commit()
    link = url_for("auth.accept_invitation", token=token, _external=True)
    if send_invitation_mail(inv, link):
        flash(_("Invitation sent to %(email)s.", email=inv.email), "success")
    else:
        flash(_("Invitation created for %(email)s.", email=inv.email), "success")
        if current_app.config.get("SMTP_HOST"):
            flash(_("The invitation could not be mailed: pass the link on yourself."), "error")
    if g.htmx:
        return _card(person, new_link=link)
    return render_template("home/person_invited.html", person=person, new_link=link, invitation=inv)


@bp.route("/people/<int:person_id>/link", methods=["POST"])
@require("people.link")
def person_link(person_id: int):
    person = get_scoped_or_404(Person, person_id, g.tenant.id)
    form = LinkMemberForm()
    form.user_id.choices = [(u.id, u.email) for _m, u in links.linkable_members(g.tenant.id)]
    if not form.validate_on_submit():
        abort(404)  # not a member of this company, or already linked
    try:
        links.link(person, form.user_id.data)
    except links.LinkRefused as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _card(person, 409)
    db.session.commit()
    flash(_("%(name)s is linked to the login.", name=person.name), "success")
    return _card(person)


@bp.route("/people/<int:person_id>/unlink", methods=["POST"])
@require("people.link")
def person_unlink(person_id: int):
    person = get_scoped_or_404(Person, person_id, g.tenant.id)
    links.unlink(person)
    db.session.commit()
    flash(_("%(name)s is no longer linked to a login.", name=person.name), "success")
    return _card(person)


@bp.route("/members/<int:membership_id>/person", methods=["POST"])
@require("people.link")
def member_person(membership_id: int):
    membership = get_scoped_or_404(Membership, membership_id, g.tenant.id)
    form = MemberPersonForm()
    if not form.validate_on_submit():
        abort(400)
    employee_no = (form.employee_no.data or "").strip()
    current = links.person_of_user(g.tenant.id, membership.user_id)
    try:
        if not employee_no:
            if current is not None:
                links.unlink(current)
        else:
            person = db.session.scalar(
                select(Person).where(
                    Person.tenant_id == g.tenant.id, Person.employee_no == employee_no
                )
            )
            if person is None:
                raise links.LinkRefused(_("No person has employee number %(v)s.", v=employee_no))
            links.link(person, membership.user_id)
    except links.LinkRefused as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("tenant.members"))
    db.session.commit()
    flash(_("Linked person saved."), "success")
    return redirect(url_for("tenant.members"))
