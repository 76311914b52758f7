import re
from datetime import timedelta

from sqlalchemy import select

from conftest import Browser, csrf_from
from jili.dbtypes import utcnow
from jili.extensions import db
from jili.models import Invitation, Membership, Role
from jili.tenancy import bound_tenant

EN = {"Accept-Language": "en"}


def _invite(b, slug, email, role="staff"):
    resp = b.post(f"/t/{slug}/members/invite", data={"email": email, "role": role}, headers=EN)
    assert resp.status_code == 200, resp.text
    link = re.search(r'value="(http://localhost/invite/[^"]+)"', resp.text).group(1)
    return link.replace("http://localhost", "")


def test_invitation_link_is_shown_and_logged_then_works_once(app, make_tenant, browser, caplog):
    tenant = make_tenant()
    admin = browser(tenant.owner)
    caplog.set_level("INFO", logger="jili.auth")
    path = _invite(admin, tenant.slug, "New.Person@Example.com", "manager")
    assert path in caplog.text

    guest = Browser(app.test_client())
    page = guest.get(path, headers=EN)
    assert page.status_code == 200 and "new.person@example.com" in page.text
    resp = guest.client.post(
        path,
        data={
            "name": "新同事",
            "password": "a-fresh-long-secret",
            "csrf_token": csrf_from(page.text),
        },
    )
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/t/{tenant.slug}/")
    with bound_tenant(tenant.id):
        roles = {m.role for m in db.session.scalars(select(Membership))}
    assert Role.MANAGER in roles
    again = Browser(app.test_client()).get(path, headers=EN)
    assert again.status_code == 410 and "used already" in again.text


def test_expired_invitation_is_refused(app, make_tenant, browser):
    tenant = make_tenant()
    admin = browser(tenant.owner)
    path = _invite(admin, tenant.slug, "late@example.com")
    with bound_tenant(tenant.id):
        inv = db.session.scalar(select(Invitation))
        inv.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    resp = Browser(app.test_client()).get(path, headers=EN)
    assert resp.status_code == 410 and "expired" in resp.text


def test_existing_user_accepts_after_logging_in(app, make_tenant, make_user, browser):
    tenant = make_tenant()
    other = make_tenant(slug="other")
    consultant = make_user(email="c@example.com")
    from conftest import add_member

    add_member(other, consultant, Role.CONSULTANT)
    path = _invite(browser(tenant.owner), tenant.slug, "c@example.com", "consultant")
    anon = Browser(app.test_client())
    assert "Log in to accept" in anon.get(path, headers=EN).text
    b = browser(consultant)
    assert b.post(path).status_code == 302
    home = b.get("/?all=1")
    assert f"/t/{tenant.slug}/" in home.text and "/t/other/" in home.text


def test_wrong_account_cannot_use_someone_elses_invitation(make_tenant, make_user, browser):
    tenant = make_tenant()
    path = _invite(browser(tenant.owner), tenant.slug, "right@example.com")
    wrong = browser(make_user(email="wrong@example.com"))
    assert wrong.post(path).status_code == 403


def test_admin_cannot_invite_an_owner_and_nobody_duplicates_a_member(make_tenant, member, browser):
    tenant = make_tenant()
    admin = browser(member(tenant, Role.ADMIN))
    resp = admin.post(
        f"/t/{tenant.slug}/members/invite", data={"email": "x@example.com", "role": "owner"}
    )
    assert resp.status_code == 422
    resp = admin.post(
        f"/t/{tenant.slug}/members/invite",
        data={"email": tenant.owner.email, "role": "staff"},
        headers=EN,
    )
    assert resp.status_code == 422 and "already a member" in resp.text


def test_role_change_and_revoke_take_effect_at_once(make_tenant, member, browser):
    tenant = make_tenant()
    staff_user = member(tenant, Role.STAFF)
    owner, staff = browser(tenant.owner), browser(staff_user)
    with bound_tenant(tenant.id):
        m = db.session.scalar(select(Membership).where(Membership.user_id == staff_user.id))
    assert staff.get(f"/t/{tenant.slug}/people").status_code == 403
    assert (
        owner.post(f"/t/{tenant.slug}/members/{m.id}/role", data={"role": "hr"}).status_code == 302
    )
    assert staff.get(f"/t/{tenant.slug}/people").status_code == 200
    assert owner.post(f"/t/{tenant.slug}/members/{m.id}/revoke").status_code == 302
    assert staff.get(f"/t/{tenant.slug}/").status_code == 404


def test_last_owner_cannot_be_demoted_and_admin_cannot_touch_owner(make_tenant, member, browser):
    tenant = make_tenant()
    owner = browser(tenant.owner)
    admin = browser(member(tenant, Role.ADMIN))
    with bound_tenant(tenant.id):
        m = db.session.scalar(select(Membership).where(Membership.user_id == tenant.owner.id))
    assert (
        owner.post(f"/t/{tenant.slug}/members/{m.id}/role", data={"role": "admin"}).status_code
        == 409
    )
    assert admin.post(f"/t/{tenant.slug}/members/{m.id}/revoke").status_code == 403
