"""People import with an e-mail column: ticking "send invitations" (opt-in) invites
each person of the file who has an e-mail and no login yet — the invitation carries
the link to that person — and the whole import is refused, with row errors, when one
row's e-mail is bad or cannot be invited."""

from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from conftest import Browser, csrf_from
from jili.accounts.models import Invitation
from jili.extensions import db
from jili.models import AuditLog, Person
from jili.tenancy import bound_tenant
from test_invitations import FakeSMTP, smtp  # noqa: F401  (the fixture)

EN = {"Accept-Language": "en"}
CSV = (
    "工号,姓名,级别,邮箱\n"
    "M1,陈强,经理,Chen.Qiang@Example.com\n"
    "E2,张伟,core,zhangwei@example.com\n"
    "E3,李娜,core,\n"
)


def _upload(b, tenant, payload: str, invite: bool):
    data = {"csrf_token": b.token, "file": (io.BytesIO(payload.encode()), "people.csv")}
    if invite:
        data["invite"] = "1"
    return b.client.post(
        f"/t/{tenant.slug}/people/import",
        data=data,
        content_type="multipart/form-data",
        headers=EN,
    )


def _invitations(tenant) -> dict[str, tuple[str, str]]:
    with bound_tenant(tenant.id):
        rows = db.session.execute(
            select(Invitation.email, Invitation.role, Person.employee_no).join(
                Person, Person.id == Invitation.person_id
            )
        ).all()
    return {email: (str(role.value), no) for email, role, no in rows}


def _count(tenant, model) -> int:
    with bound_tenant(tenant.id):
        return db.session.scalar(select(func.count()).select_from(model))


def test_without_the_tick_the_email_column_invites_no_one(make_tenant, browser):
    tenant = make_tenant()
    b = browser(tenant.owner)
    page = b.get(f"/t/{tenant.slug}/people/import", headers=EN).text
    assert 'name="invite"' in page and "checked" not in page.split('name="invite"')[1][:30]
    assert _upload(b, tenant, CSV, invite=False).status_code == 302
    assert _count(tenant, Person) == 3 and _invitations(tenant) == {}


def test_ticked_each_person_with_an_email_is_invited_and_the_link_names_them(
    app, make_tenant, browser
):
    tenant = make_tenant()
    b = browser(tenant.owner)
    resp = _upload(b, tenant, CSV, invite=True)
    assert resp.status_code == 200, resp.text
    assert "2 invitations created" in resp.text
    assert _invitations(tenant) == {
        "chen.qiang@example.com": ("manager", "M1"),
        "zhangwei@example.com": ("staff", "E2"),
    }
    with bound_tenant(tenant.id):
        invites = db.session.scalars(select(AuditLog).where(AuditLog.action == "member.invite"))
        assert len(list(invites)) == 2
    # no mail configured: the links are on the page, one per person; accepting links
    paths = re.findall(r'value="http://localhost(/invite/[^"]+)"', resp.text)
    assert len(paths) == 2
    guest = Browser(app.test_client())
    form = guest.get(paths[1], headers=EN)
    accepted = guest.client.post(
        paths[1],
        data={
            "name": "张伟",
            "password": "a-fresh-long-secret",
            "csrf_token": csrf_from(form.text),
        },
    )
    assert accepted.status_code == 302
    with bound_tenant(tenant.id):
        zhang = db.session.scalar(select(Person).where(Person.employee_no == "E2"))
        assert zhang.user_id is not None
    # importing again invites no one twice: a login, and an open invitation
    again = _upload(b, tenant, CSV, invite=True)
    assert "0 invitations created" in again.text
    assert "1 person already has a login" in again.text
    assert "1 person already has an open invitation" in again.text
    assert len(_invitations(tenant)) == 2


def test_with_mail_the_invitations_are_mailed(make_tenant, browser, smtp):  # noqa: F811
    tenant = make_tenant()
    resp = _upload(browser(tenant.owner), tenant, CSV, invite=True)
    assert "2 invitations were sent by e-mail" in resp.text
    assert sorted(m["To"] for m in smtp.sent) == ["chen.qiang@example.com", "zhangwei@example.com"]
    assert "/invite/" not in resp.text  # mailed links are not shown


def test_a_bad_or_refused_email_imports_nothing(make_tenant, member, browser):
    tenant = make_tenant()
    b = browser(tenant.owner)
    bad = CSV + "E4,王芳,core,not-an-address\nE5,赵六,core,ZHANGWEI@example.com\n"
    resp = _upload(b, tenant, bad, invite=True)
    assert resp.status_code == 422
    assert "Not an e-mail address not-an-address" in resp.text
    assert "Same e-mail as row 3" in resp.text and "<td>6</td>" in resp.text
    assert _count(tenant, Person) == 0 and _invitations(tenant) == {}
    # an address that is already a member's: refused by row, nothing written
    member(tenant, "staff", email="zhangwei@example.com")
    resp = _upload(b, tenant, CSV, invite=True)
    assert resp.status_code == 422
    assert "zhangwei@example.com is already a member" in resp.text
    assert "<td>3</td><td>邮箱</td>" in resp.text
    assert _count(tenant, Person) == 0 and _invitations(tenant) == {}


def test_the_tick_needs_an_email_column_and_an_owner_or_admin(make_tenant, member, browser):
    tenant = make_tenant()
    b = browser(tenant.owner)
    resp = _upload(b, tenant, "employee_no,name\nE1,张伟\n", invite=True)
    assert resp.status_code == 422 and "add an e-mail column" in resp.text
    hr = browser(member(tenant, "hr"))
    assert 'name="invite"' not in hr.get(f"/t/{tenant.slug}/people/import", headers=EN).text
    resp = _upload(hr, tenant, CSV, invite=True)
    assert resp.status_code == 422 and "Only an owner or admin" in resp.text
    assert _count(tenant, Person) == 0
