"""Notifications: the bell and its count in the header, the list in the reader's
language, mark read, e-mail through the outbox (sent after commit by a huey task
in immediate mode; retried with a growing delay; given up after a few tries),
e-mail off per member, another member's or company's notification is a 404."""

from __future__ import annotations

import smtplib

import pytest
from sqlalchemy import select

from jili.extensions import db
from jili.models import AuditLog, Notification, OutboxMail
from jili.notifications import services
from jili.tenancy import bound_tenant

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}


class FakeSMTP:
    sent: list = []
    fail = False

    def __init__(self, host, port, timeout=None):
        pass

    def __enter__(self):
        if FakeSMTP.fail:
            raise OSError("connection refused")
        return self

    def __exit__(self, *exc):
        return False

    def send_message(self, msg):
        FakeSMTP.sent.append(msg)


@pytest.fixture
def smtp(app, monkeypatch):
    FakeSMTP.sent, FakeSMTP.fail = [], False
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    app.config["SMTP_HOST"] = "mail.example"
    return FakeSMTP


def _notify(tenant, user, kind="alert_raised", **params):
    with bound_tenant(tenant.id):
        services.notify(
            tenant.id,
            user_id=user.id,
            kind=kind,
            params=params
            or {"person": "张伟", "level": "red", "period": "2026-10", "metric": "revenue"},
            link=f"/t/{tenant.slug}/alerts",
        )
        db.session.commit()


def test_the_bell_counts_unread_and_the_list_reads_in_my_language(make_tenant, member, browser):
    tenant = make_tenant()
    user = member(tenant, "staff")
    b = browser(user)
    assert 'id="bell"' in b.get("/t/acme/notifications", headers=EN).text
    _notify(tenant, user)
    _notify(tenant, user, kind="improvement_plan_due", person="张伟", due="2026-11-05")
    page = b.get("/t/acme/notifications", headers=EN).text
    assert 'class="count">2<' in page
    assert "Red alert for 张伟 in 2026-10" in page
    assert "due by 2026-11-05" in page
    page = b.get("/t/acme/notifications", headers=ZH).text
    assert "红色" in page  # the same rows, rendered in Chinese
    with bound_tenant(tenant.id):
        first = db.session.scalar(select(Notification).order_by(Notification.id))
    resp = b.post(f"/t/acme/notifications/{first.id}/open")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/t/acme/alerts")
    assert 'class="count">1<' in b.get("/t/acme/notifications").text
    b.post("/t/acme/notifications/read")
    assert 'class="count">' not in b.get("/t/acme/notifications").text


def test_someone_elses_notification_is_a_404(make_tenant, member, browser):
    acme, other = make_tenant("acme"), make_tenant("other")
    me, colleague = member(acme, "staff"), member(acme, "staff")
    stranger = member(other, "staff")
    _notify(acme, colleague)
    _notify(other, stranger)
    with bound_tenant(acme.id):
        theirs = db.session.scalar(
            select(Notification.id).where(Notification.user_id == colleague.id)
        )
    with bound_tenant(other.id):
        foreign = db.session.scalar(select(Notification.id))
    b = browser(me)
    assert b.post(f"/t/acme/notifications/{theirs}/open").status_code == 404
    assert b.post(f"/t/acme/notifications/{foreign}/open").status_code == 404


def test_a_person_without_a_login_gets_nothing(make_tenant):
    tenant = make_tenant()
    with bound_tenant(tenant.id):
        services.notify(tenant.id, person_id=None, kind="alert_raised", params={})
        db.session.commit()
        assert db.session.scalars(select(Notification)).all() == []


def test_no_mail_server_no_outbox(make_tenant, member):
    tenant = make_tenant()
    user = member(tenant, "staff")
    _notify(tenant, user)
    with bound_tenant(tenant.id):
        assert db.session.scalars(select(OutboxMail)).all() == []


def test_mail_is_sent_after_commit_in_the_readers_language(make_tenant, member, smtp):
    tenant = make_tenant()
    user = member(tenant, "staff")
    user.locale = "en"
    db.session.commit()
    _notify(tenant, user)
    assert len(smtp.sent) == 1
    msg = smtp.sent[0]
    assert msg["To"] == user.email and "Red alert for 张伟" in msg["Subject"]
    assert "/t/acme/alerts" in msg.get_content()
    with bound_tenant(tenant.id):
        row = db.session.scalar(select(OutboxMail))
        assert row.status == "sent" and row.attempts == 1


def test_a_failed_mail_is_retried_later_then_given_up(make_tenant, member, smtp):
    tenant = make_tenant()
    user = member(tenant, "staff")
    smtp.fail = True
    _notify(tenant, user)  # the request is not held up: the failure is recorded
    with bound_tenant(tenant.id):
        row = db.session.scalar(select(OutboxMail))
        assert (row.status, row.attempts, row.last_error) == ("pending", 1, "OSError")
        first_retry = row.next_attempt_at
        rid = row.id
    assert services.retry_delay(1) == 60 and services.retry_delay(3) == 240
    assert services.deliver(rid) is None  # not due yet: nothing happens
    for attempt in range(2, services.MAX_ATTEMPTS + 1):
        with bound_tenant(tenant.id):
            row = db.session.get(OutboxMail, rid)
            row.next_attempt_at = first_retry.replace(year=2000)  # due now
            db.session.commit()
        services.deliver(rid)
        with bound_tenant(tenant.id):
            db.session.expire_all()
            assert db.session.get(OutboxMail, rid).attempts == attempt
    with bound_tenant(tenant.id):
        assert db.session.get(OutboxMail, rid).status == "failed"
    assert smtp.sent == []


def test_email_off_is_my_choice_and_audited(make_tenant, member, browser, smtp):
    tenant = make_tenant()
    user = member(tenant, "staff")
    b = browser(user)
    assert b.post("/t/acme/notifications/email", data={}).status_code == 302
    _notify(tenant, user)
    assert smtp.sent == []
    with bound_tenant(tenant.id):
        assert db.session.scalars(select(OutboxMail)).all() == []
        assert "notifications.email" in set(db.session.scalars(select(AuditLog.action)))
    b.post("/t/acme/notifications/email", data={"email": "on"})
    _notify(tenant, user)
    assert len(smtp.sent) == 1
