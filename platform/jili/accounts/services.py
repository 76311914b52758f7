"""Accounts' services: sessions, the tenants a user belongs to, invitation tokens and mail."""

from __future__ import annotations

import hashlib
import logging
import secrets
import smtplib
import sys
import time
from email.message import EmailMessage

from flask import current_app, session
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from sqlalchemy import select

from jili.accounts.models import Invitation, Membership, Role, Tenant, User
from jili.extensions import db, login_manager
from jili.tenancy import all_tenants

log = logging.getLogger("jili.auth")


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    uid, _sep, token = user_id.partition(":")
    if not uid.isdigit():
        return None
    user = db.session.get(User, int(uid))
    if user is None or not token or not secrets.compare_digest(user.session_token, token):
        return None  # password changed or user disabled: this session has ended
    return user


# When the session began and when it was last used (epoch seconds), inside the signed
# session cookie: a copied cookie carries its own age and cannot be made younger.
SESSION_STARTED = "_jili_started"
SESSION_SEEN = "_jili_seen"


def _fresh_session() -> None:
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale


def start_session(user: User) -> None:
    """A fresh session on login: nothing from before survives (no fixation)."""
    _fresh_session()
    session.permanent = True
    now = int(time.time())
    session[SESSION_STARTED] = now
    session[SESSION_SEEN] = now
    login_user(user)


def end_session(user: User | None) -> None:
    """Sign out for good: the user's session token is rotated, so every copy of this
    session cookie (and every other session of the user) stops working."""
    if user is not None:
        user.rotate_sessions()
        db.session.commit()
    logout_user()
    _fresh_session()


def session_expired(now: float) -> bool:
    """Has this signed-in session passed its idle timeout or its absolute lifetime?
    A session without timestamps (made before they existed) has expired."""
    started, seen = session.get(SESSION_STARTED), session.get(SESSION_SEEN)
    if not isinstance(started, int | float) or not isinstance(seen, int | float):
        return True
    cfg = current_app.config
    idle = int(cfg["SESSION_IDLE_TIMEOUT_MINUTES"]) * 60
    lifetime = int(cfg["SESSION_MAX_AGE_HOURS"]) * 3600
    return now - seen > idle or now - started > lifetime


def enforce_session_limits() -> None:
    """Before every request: end a session that is idle or too old, else mark it used."""
    if "_user_id" not in session:
        return
    now = time.time()
    if session_expired(now):
        logout_user()
        _fresh_session()
        return
    if now - session[SESSION_SEEN] >= 30:  # no need to rewrite the cookie more often
        session[SESSION_SEEN] = int(now)


def user_tenants(user: User) -> list[tuple[Tenant, Role]]:
    """Every tenant the user belongs to, with their role (an explicit cross-tenant read)."""
    with all_tenants():
        rows = db.session.execute(
            select(Tenant, Membership.role)
            .join(Membership, Membership.tenant_id == Tenant.id)
            .where(Membership.user_id == user.id)
            .order_by(Tenant.name)
            .execution_options(all_tenants=True)
        ).all()
    return [(t, r) for t, r in rows]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _console():
    """A terminal someone is watching (``make run`` or ``make dev``), else None. Under
    systemd or any redirect, stderr is no terminal and goes to logs: nothing is written."""
    return sys.stderr if sys.stderr.isatty() else None


def send_invitation_mail(invitation: Invitation, link: str) -> bool:
    """Mail the link when an SMTP host is configured; True when it was sent.

    The link is a password to the company: it never goes to a log. Without mail the
    inviter copies it from the page; on a development console it is printed as well."""
    cfg = current_app.config
    if not cfg.get("SMTP_HOST"):
        console = _console()
        if console is not None:
            print(f"Invitation link for {invitation.email}: {link}", file=console, flush=True)
        return False
    msg = EmailMessage()
    msg["Subject"] = _("You are invited to %(name)s on Jili", name=invitation.tenant.name)
    msg["From"] = cfg["SMTP_FROM"]
    msg["To"] = invitation.email
    msg.set_content(link)
    try:
        with smtplib.SMTP(cfg["SMTP_HOST"], int(cfg["SMTP_PORT"]), timeout=10) as smtp:
            if cfg.get("SMTP_USER"):
                smtp.starttls()
                smtp.login(cfg["SMTP_USER"], cfg["SMTP_PASSWORD"])
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        # The exception's text may echo the recipient or the message: its type only.
        log.warning("invitation=%s mail failed: %s", invitation.id, type(exc).__name__)
        return False
    log.info("invitation=%s sent by mail", invitation.id)
    return True
