import re
from datetime import timedelta

import pytest
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


def test_invitation_link_is_shown_not_logged_then_works_once(app, make_tenant, browser, caplog):
    tenant = make_tenant()
    admin = browser(tenant.owner)
    caplog.set_level("DEBUG")
    path = _invite(admin, tenant.slug, "New.Person@Example.com", "manager")
    assert token_of(path) not in caplog.text  # no mail configured: the page shows it

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


def token_of(path: str) -> str:
    return path.rsplit("/", 1)[1]


class FakeSMTP:
    """Stands in for smtplib.SMTP: records what would have been sent."""

    sent: list = []
    calls: list = []
    fail_with: Exception | None = None

    def __init__(self, host, port, timeout=None):
        FakeSMTP.calls.append(("connect", host, port))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        FakeSMTP.calls.append(("starttls",))

    def login(self, user, password):
        FakeSMTP.calls.append(("login", user))

    def send_message(self, msg):
        if FakeSMTP.fail_with is not None:
            raise FakeSMTP.fail_with
        FakeSMTP.sent.append(msg)


@pytest.fixture
def smtp(app, monkeypatch):
    import smtplib

    FakeSMTP.sent, FakeSMTP.calls, FakeSMTP.fail_with = [], [], None
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    app.config.update(SMTP_HOST="smtp.example.com", SMTP_USER="jili", SMTP_PASSWORD="pw")
    return FakeSMTP


def test_with_mail_the_invitation_is_mailed_and_only_that_is_logged(
    make_tenant, browser, smtp, caplog
):
    tenant = make_tenant()
    admin = browser(tenant.owner)
    caplog.set_level("DEBUG")
    path = _invite(admin, tenant.slug, "new@example.com")
    [msg] = smtp.sent
    assert msg["To"] == "new@example.com" and path in msg.get_content()
    assert smtp.calls == [("connect", "smtp.example.com", 587), ("starttls",), ("login", "jili")]
    assert token_of(path) not in caplog.text
    assert "new@example.com" not in caplog.text
    assert "sent by mail" in caplog.text


def test_when_mail_fails_the_inviter_is_told_and_nothing_secret_is_logged(
    make_tenant, browser, smtp, caplog
):
    import smtplib

    smtp.fail_with = smtplib.SMTPRecipientsRefused({"new@example.com": (550, b"no such user")})
    tenant = make_tenant()
    admin = browser(tenant.owner)
    caplog.set_level("DEBUG")
    resp = admin.post(
        f"/t/{tenant.slug}/members/invite",
        data={"email": "new@example.com", "role": "staff"},
        headers=EN,
    )
    assert resp.status_code == 200 and "could not be mailed" in resp.text
    path = re.search(r'value="http://localhost(/invite/[^"]+)"', resp.text).group(1)
    assert token_of(path) not in caplog.text and "new@example.com" not in caplog.text
    assert "mail failed" in caplog.text


def test_without_mail_a_watched_console_gets_the_link_but_no_log_does(
    make_tenant, browser, monkeypatch, caplog
):
    import io

    from jili.accounts import services

    console = io.StringIO()
    monkeypatch.setattr(services, "_console", lambda: console)
    tenant = make_tenant()
    admin = browser(tenant.owner)
    caplog.set_level("DEBUG")
    path = _invite(admin, tenant.slug, "new@example.com")
    assert path in console.getvalue()
    assert token_of(path) not in caplog.text


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


def test_an_invitation_from_a_persons_page_is_mailed_and_not_logged(
    make_tenant, browser, smtp, caplog
):
    from jili.models import Person

    tenant = make_tenant()
    with bound_tenant(tenant.id):
        person = Person(tenant_id=tenant.id, employee_no="S001", name="张三")
        db.session.add(person)
        db.session.commit()
        person_id = person.id
    admin = browser(tenant.owner)
    caplog.set_level("DEBUG")
    resp = admin.post(
        f"/t/{tenant.slug}/people/{person_id}/invite",
        data={"email": "zhang.san@example.com", "role": "staff"},
        headers=EN,
    )
    assert resp.status_code == 200, resp.text
    path = re.search(r'value="http://localhost(/invite/[^"]+)"', resp.text).group(1)
    [msg] = smtp.sent
    assert path in msg.get_content()
    assert token_of(path) not in caplog.text and "sent by mail" in caplog.text


def _pending_page(b, slug):
    return b.get(f"/t/{slug}/members", headers=EN).text


def test_the_invite_form_is_empty_again_after_sending(make_tenant, browser):
    tenant = make_tenant()
    admin = browser(tenant.owner)
    resp = admin.post(
        f"/t/{tenant.slug}/members/invite",
        data={"email": "first@example.com", "role": "manager"},
        headers=EN,
    )
    email_input = re.search(r'<input[^>]*name="email"[^>]*>', resp.text).group(0)
    assert "first@example.com" not in email_input
    assert "first@example.com" in resp.text  # listed as pending


def test_pending_invitations_can_be_copied_resent_and_withdrawn(app, make_tenant, browser, smtp):
    tenant = make_tenant()
    admin = browser(tenant.owner)
    first = _invite(admin, tenant.slug, "wait@example.com")
    page = _pending_page(admin, tenant.slug)
    assert "Copy link" in page and "Resend" in page and "Withdraw" in page
    with bound_tenant(tenant.id):
        inv_id = db.session.scalar(select(Invitation.id))
    copied = admin.post(f"/t/{tenant.slug}/invitations/{inv_id}/link", headers=EN)
    new = re.search(r'value="http://localhost(/invite/[^"]+)"', copied.text).group(1)
    assert new != first
    assert Browser(app.test_client()).get(first, headers=EN).status_code == 404
    assert Browser(app.test_client()).get(new, headers=EN).status_code == 200
    resent = admin.post(
        f"/t/{tenant.slug}/invitations/{inv_id}/link", data={"send": "1"}, headers=EN
    )
    assert "sent again to wait@example.com" in resent.text
    mailed = re.search(r'value="http://localhost(/invite/[^"]+)"', resent.text).group(1)
    assert mailed in smtp.sent[-1].get_content() and smtp.sent[-1]["To"] == "wait@example.com"
    admin.post(f"/t/{tenant.slug}/invitations/{inv_id}/revoke", headers=EN)
    assert "wait@example.com" not in _pending_page(admin, tenant.slug)
    assert Browser(app.test_client()).get(mailed, headers=EN).status_code == 410
