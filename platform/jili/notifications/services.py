"""Notifications: record one for the bell, queue its e-mail, render it for a reader.

:func:`notify` never sends anything itself: the e-mail goes into the outbox and a
background task (:mod:`jili.notifications.tasks`) sends it once the transaction
that made it has committed, retrying with a growing delay. The words are made
when read (:func:`render`), in the reader's language.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.session import Session as FSASession
from sqlalchemy import event, func, select, update

from jili.accounts.models import Membership, Tenant, User
from jili.audit import services as audit
from jili.dbtypes import utcnow
from jili.extensions import db
from jili.notifications.mail import MailFailed, send
from jili.notifications.models import (
    Notification,
    NotificationPreference,
    OutboxMail,
    OutboxStatus,
)
from jili.org.models import Person
from jili.tenancy import all_tenants, bound_tenant

MESSAGES: dict[str, Any] = {
    "letter_to_acknowledge": _l(
        "Your responsibility letter for %(period)s is ready to acknowledge"
    ),
    "adjustment_to_review": _l("%(person)s asks to change a target of %(period)s"),
    "adjustment_decided": _l("Your request to change a target of %(period)s was %(decision)s"),
    "alert_raised": _l("%(level)s alert for %(person)s in %(period)s"),
    "improvement_plan_due": _l("An improvement plan for %(person)s is due by %(due)s"),
    "improvement_plan_late": _l(
        "The improvement plan for %(person)s was due on %(due)s and is late"
    ),
    "appeal_raised": _l("%(person)s raised appeal #%(case)s"),
    "appeal_reply": _l("A new message on appeal #%(case)s of %(person)s"),
    "appeal_decided": _l("Appeal #%(case)s of %(person)s was %(decision)s"),
}
VALUE_LABELS: dict[str, dict[str, Any]] = {
    "level": {"yellow": _l("Yellow"), "red": _l("Red")},
    "decision": {"approved": _l("approved"), "rejected": _l("rejected"), "upheld": _l("upheld")},
}
MAX_ATTEMPTS = 6
LEASE = timedelta(minutes=10)  # a delivery in progress holds the row this long
_PENDING = "jili.outbox_pending"


def retry_delay(attempts: int) -> int:
    """Seconds before the next try after ``attempts`` failures: 1, 2, 4, 8, 16 minutes."""
    return 60 * 2 ** max(attempts - 1, 0)


class _Params(dict):
    def __missing__(self, key):
        return "…"


def render(n: Notification | str, params: dict | None = None) -> str:
    """The notification as a sentence in the current language."""
    kind = n if isinstance(n, str) else n.kind
    params = params if params is not None else (n.params or {})
    shown = _Params()
    for key, value in params.items():
        shown[key] = str(VALUE_LABELS.get(key, {}).get(value, value))
    template = MESSAGES.get(kind)
    if template is None:
        return _("You have a new notification.")
    return str(template) % shown


def _user_ids(tenant_id: int, user_id: int | None, person_id: int | None) -> int | None:
    if user_id is None and person_id is not None:
        user_id = db.session.scalar(
            select(Person.user_id).where(Person.tenant_id == tenant_id, Person.id == person_id)
        )
    if user_id is None:
        return None
    member = db.session.scalar(
        select(Membership.id).where(
            Membership.tenant_id == tenant_id, Membership.user_id == user_id
        )
    )
    return user_id if member is not None else None


def email_wanted(tenant_id: int, user_id: int) -> bool:
    pref = db.session.scalar(
        select(NotificationPreference.email).where(
            NotificationPreference.tenant_id == tenant_id,
            NotificationPreference.user_id == user_id,
        )
    )
    return True if pref is None else pref


def set_email_wanted(tenant_id: int, user_id: int, wanted: bool) -> None:
    pref = db.session.scalar(
        select(NotificationPreference).where(
            NotificationPreference.tenant_id == tenant_id,
            NotificationPreference.user_id == user_id,
        )
    )
    before = True if pref is None else pref.email
    if pref is None:
        pref = NotificationPreference(tenant_id=tenant_id, user_id=user_id)
        db.session.add(pref)
    pref.email = wanted
    db.session.flush()
    audit.record(
        "notifications.email",
        pref,
        object_type="NotificationPreference",
        before={"email": before},
        after={"email": wanted},
    )


def notify(
    tenant_id: int,
    *,
    user_id: int | None = None,
    person_id: int | None = None,
    kind: str,
    params: dict,
    link: str | None = None,
) -> None:
    """Tell a member (by login, or by the person linked to one) about ``kind``.

    Nothing happens when the person has no login in this company. The e-mail is
    queued when ``JILI_SMTP_HOST`` is set and the member has not turned e-mail off.
    """
    uid = _user_ids(tenant_id, user_id, person_id)
    if uid is None:
        return
    note = Notification(tenant_id=tenant_id, user_id=uid, kind=kind, params=dict(params), link=link)
    db.session.add(note)
    db.session.flush()
    if not current_app.config.get("SMTP_HOST") or not email_wanted(tenant_id, uid):
        return
    email = db.session.scalar(select(User.email).where(User.id == uid))
    if not email:
        return
    mail = OutboxMail(tenant_id=tenant_id, notification_id=note.id, to_email=email)
    db.session.add(mail)
    db.session.flush()
    db.session.info.setdefault(_PENDING, []).append(mail.id)


@event.listens_for(FSASession, "after_commit")
def _queue_after_commit(session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    from jili.notifications import tasks

    for outbox_id in pending:
        tasks.deliver_mail(outbox_id)


@event.listens_for(FSASession, "after_rollback")
def _forget_after_rollback(session) -> None:
    session.info.pop(_PENDING, None)


def unread_count(tenant_id: int, user_id: int) -> int:
    return db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.tenant_id == tenant_id,
            Notification.user_id == user_id,
            Notification.read_at.is_(None),
        )
    )


def latest(tenant_id: int, user_id: int, limit: int = 100) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.tenant_id == tenant_id, Notification.user_id == user_id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


def mark_read(tenant_id: int, user_id: int, notification_id: int | None = None) -> int:
    """Mark one (or, without an id, every) unread notification of the member read."""
    stmt = update(Notification).where(
        Notification.tenant_id == tenant_id,
        Notification.user_id == user_id,
        Notification.read_at.is_(None),
    )
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    return db.session.execute(
        stmt.values(read_at=utcnow()).execution_options(synchronize_session=False)
    ).rowcount


def due_outbox(limit: int = 200) -> list[int]:
    with all_tenants():
        return list(
            db.session.scalars(
                select(OutboxMail.id)
                .where(
                    OutboxMail.status == OutboxStatus.PENDING,
                    OutboxMail.next_attempt_at <= utcnow(),
                )
                .order_by(OutboxMail.next_attempt_at)
                .limit(limit)
            )
        )


def _claim(outbox_id: int) -> OutboxMail | None:
    """Take the row for this delivery (a lease): None when it is not due or taken."""
    now = utcnow()
    with all_tenants():
        taken = db.session.execute(
            update(OutboxMail)
            .where(
                OutboxMail.id == outbox_id,
                OutboxMail.status == OutboxStatus.PENDING,
                OutboxMail.next_attempt_at <= now,
            )
            .values(next_attempt_at=now + LEASE)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
        if not taken:
            return None
        return db.session.get(OutboxMail, outbox_id)


def _compose(mail: OutboxMail) -> tuple[str, str]:
    note = db.session.get(Notification, mail.notification_id)
    user = db.session.get(User, note.user_id)
    tenant = db.session.get(Tenant, mail.tenant_id)
    locale = (user.locale if user and user.locale else None) or tenant.locale or "zh_Hans"
    with force_locale(locale):
        text = render(note)
        subject = _("%(company)s on Jili: %(what)s", company=tenant.name, what=text)
        link = note.link or ""
        base = (current_app.config.get("BASE_URL") or "").rstrip("/")
        body = (
            text
            + ("\n\n" + base + link if link else "")
            + "\n\n"
            + _("You can turn these e-mails off on the notifications page.")
        )
    return subject, body


def deliver(outbox_id: int) -> int | None:
    """Send one queued e-mail. Returns seconds until a retry, or None when done
    (sent, given up, or not this delivery's to make)."""
    mail = _claim(outbox_id)
    if mail is None:
        return None
    with bound_tenant(mail.tenant_id):
        subject, body = _compose(mail)
        try:
            send(current_app.config, mail.to_email, subject, body)
        except MailFailed as exc:
            mail.attempts += 1
            mail.last_error = exc.reason[:200]
            if mail.attempts >= MAX_ATTEMPTS:
                mail.status = OutboxStatus.FAILED
                db.session.commit()
                return None
            delay = retry_delay(mail.attempts)
            mail.next_attempt_at = utcnow() + timedelta(seconds=delay)
            db.session.commit()
            return delay
        mail.attempts += 1
        mail.status, mail.sent_at = OutboxStatus.SENT, utcnow()
        db.session.commit()
    return None
