"""Logins and people: invite a person by e-mail from their page (accepting links the
new login to them), link an existing member, change a member's person on the Members
page; a person has at most one login; unlinking is audited; the admin home warns of
staff and managers who are linked to no one."""

from __future__ import annotations

import re

from sqlalchemy import select

from conftest import Browser, csrf_from
from jili.extensions import db
from jili.models import AuditLog, Person, Role
from jili.tenancy import bound_tenant

EN = {"Accept-Language": "en"}


def _person(tenant, no="S001", name="张三") -> Person:
    with bound_tenant(tenant.id):
        p = Person(tenant_id=tenant.id, employee_no=no, name=name)
        db.session.add(p)
        db.session.commit()
        return p


def _linked_user(tenant, person_id):
    with bound_tenant(tenant.id):
        db.session.expire_all()
        return db.session.get(Person, person_id).user_id


def test_invitation_from_a_persons_page_links_the_new_login(app, make_tenant, browser):
    tenant = make_tenant()
    person = _person(tenant)
    owner = browser(tenant.owner)
    page = owner.get(f"/t/{tenant.slug}/people/{person.id}/edit", headers=EN)
    assert "has no login yet" in page.text and "Invite by e-mail" in page.text
    resp = owner.post(
        f"/t/{tenant.slug}/people/{person.id}/invite",
        data={"email": "Zhang.San@Example.com", "role": "staff"},
        headers=EN,
    )
    assert resp.status_code == 200, resp.text
    path = re.search(r'value="http://localhost(/invite/[^"]+)"', resp.text).group(1)

    guest = Browser(app.test_client())
    form = guest.get(path, headers=EN)
    accepted = guest.client.post(
        path,
        data={
            "name": "张三",
            "password": "a-fresh-long-secret",
            "csrf_token": csrf_from(form.text),
        },
    )
    assert accepted.status_code == 302
    user_id = _linked_user(tenant, person.id)
    assert user_id is not None
    with bound_tenant(tenant.id):
        assert db.session.scalar(select(AuditLog).where(AuditLog.action == "person.link"))
    page = owner.get(f"/t/{tenant.slug}/people/{person.id}/edit", headers=EN)
    assert "zhang.san@example.com" in page.text and "Unlink the login" in page.text


def test_link_an_existing_member_then_unlink_is_audited(make_tenant, member, browser):
    tenant = make_tenant()
    person = _person(tenant)
    staff = member(tenant, Role.STAFF, email="li@example.com")
    owner = browser(tenant.owner)
    resp = owner.post(f"/t/{tenant.slug}/people/{person.id}/link", data={"user_id": staff.id})
    assert resp.status_code == 302
    assert _linked_user(tenant, person.id) == staff.id

    resp = owner.post(f"/t/{tenant.slug}/people/{person.id}/unlink")
    assert resp.status_code == 302
    assert _linked_user(tenant, person.id) is None
    with bound_tenant(tenant.id):
        entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "person.unlink"))
    assert entry is not None and entry.before == {"user": "li@example.com"}


def test_a_person_has_at_most_one_login(make_tenant, member, browser):
    tenant = make_tenant()
    person = _person(tenant)
    first = member(tenant, Role.STAFF)
    second = member(tenant, Role.STAFF)
    owner = browser(tenant.owner)
    owner.post(f"/t/{tenant.slug}/people/{person.id}/link", data={"user_id": first.id})
    # Giving S001 to the second member on the Members page is refused.
    with bound_tenant(tenant.id):
        from jili.models import Membership

        m2 = db.session.scalar(select(Membership).where(Membership.user_id == second.id))
    resp = owner.post(
        f"/t/{tenant.slug}/members/{m2.id}/person", data={"employee_no": "S001"}, headers=EN
    )
    assert resp.status_code == 302
    assert _linked_user(tenant, person.id) == first.id
    follow = owner.get(f"/t/{tenant.slug}/members", headers=EN)
    assert "already has a login" in follow.text


def test_members_page_changes_a_members_person(make_tenant, member, browser):
    tenant = make_tenant()
    a = _person(tenant, "S001", "甲")
    b = _person(tenant, "S002", "乙")
    staff = member(tenant, Role.STAFF, email="s@example.com")
    with bound_tenant(tenant.id):
        from jili.models import Membership

        m = db.session.scalar(select(Membership).where(Membership.user_id == staff.id))
    owner = browser(tenant.owner)
    page = owner.get(f"/t/{tenant.slug}/members", headers=EN)
    assert "Not linked" in page.text
    owner.post(f"/t/{tenant.slug}/members/{m.id}/person", data={"employee_no": "S001"})
    assert _linked_user(tenant, a.id) == staff.id
    owner.post(f"/t/{tenant.slug}/members/{m.id}/person", data={"employee_no": "S002"})
    assert _linked_user(tenant, a.id) is None and _linked_user(tenant, b.id) == staff.id
    owner.post(f"/t/{tenant.slug}/members/{m.id}/person", data={"employee_no": ""})
    assert _linked_user(tenant, b.id) is None
    with bound_tenant(tenant.id):
        actions = [e.action for e in db.session.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert actions.count("person.unlink") == 2 and actions.count("person.link") == 2


def test_another_companys_person_or_login_cannot_be_linked(make_tenant, member, browser):
    tenant = make_tenant()
    other = make_tenant(slug="other")
    theirs = _person(other, "X001", "外人")
    outsider = member(other, Role.STAFF)
    mine = _person(tenant)
    owner = browser(tenant.owner)
    assert owner.post(f"/t/{tenant.slug}/people/{theirs.id}/unlink").status_code == 404
    assert (
        owner.post(
            f"/t/{tenant.slug}/people/{mine.id}/link", data={"user_id": outsider.id}
        ).status_code
        == 404
    )
    assert _linked_user(tenant, mine.id) is None


def test_staff_cannot_link(make_tenant, member, browser):
    tenant = make_tenant()
    person = _person(tenant)
    staff = member(tenant, Role.STAFF)
    b = browser(staff)
    resp = b.post(f"/t/{tenant.slug}/people/{person.id}/link", data={"user_id": staff.id})
    assert resp.status_code == 403


def test_admin_home_warns_of_unlinked_staff_and_managers(make_tenant, member, browser):
    tenant = make_tenant()
    member(tenant, Role.STAFF, email="lonely@example.com")
    member(tenant, Role.HR, email="hr@example.com")
    page = browser(tenant.owner).get(f"/t/{tenant.slug}/", headers=EN)
    assert "1 member is not linked to a person" in page.text
    assert "lonely@example.com" in page.text and "hr@example.com" not in page.text
