"""Forgotten passwords: a link by e-mail that works once, for an hour.

Only the token's hash is stored (like invitations). Asking gives the same answer
whether the address has an account or not (a failed mail too). Without mail
configured the link is printed to the terminal of whoever runs the app (``make
run``), like an invitation link — never to a log, where it would outlive its purpose.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
from datetime import timedelta
from email.message import EmailMessage

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from jili.accounts.models import PasswordReset, User
from jili.accounts.passwords import hash_password
from jili.accounts.services import _console, token_hash
from jili.dbtypes import utcnow
from jili.extensions import db

LIFETIME = timedelta(hours=1)
log = logging.getLogger("jili.auth")


def request_reset(email: str) -> None:
    """Send (or print) a reset link when ``email`` has an active account; else nothing."""
    email = email.strip().lower()
    user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    if user is None or not user.active:
        return
    token = secrets.token_urlsafe(32)
    db.session.add(
        PasswordReset(user_id=user.id, token_hash=token_hash(token), expires_at=utcnow() + LIFETIME)
    )
    db.session.commit()
    link = url_for("auth.reset_password", token=token, _external=True)
    with force_locale(user.locale or "zh_Hans"):
        subject = _("Set a new Jili password")
        body = _(
            "Someone (we hope you) asked to set a new password for %(email)s. "
            "The link works once, for one hour:\n\n%(link)s\n\n"
            "If it was not you, ignore this mail: your password stays as it is.",
            email=user.email,
            link=link,
        )
    _deliver(user.email, subject, body, link)


def _deliver(to: str, subject: str, body: str, link: str) -> None:
    cfg = current_app.config
    if not cfg.get("SMTP_HOST"):
        if (console := _console()) is not None:
            print(f"Password reset link for {to}: {link}", file=console, flush=True)
        return
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = subject, cfg["SMTP_FROM"], to
    msg.set_content(body)
    try:
        with smtplib.SMTP(cfg["SMTP_HOST"], int(cfg["SMTP_PORT"]), timeout=10) as smtp:
            if cfg.get("SMTP_USER"):
                smtp.starttls()
                smtp.login(cfg["SMTP_USER"], cfg["SMTP_PASSWORD"])
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        # The asker sees the same page either way; the log gets the error's type only.
        log.warning("password reset mail failed: %s", type(exc).__name__)


def valid_reset(token: str) -> PasswordReset | None:
    """The unused, unexpired reset behind ``token``, or None."""
    reset = db.session.scalar(
        select(PasswordReset).where(PasswordReset.token_hash == token_hash(token))
    )
    if reset is None or reset.used_at is not None or reset.expires_at <= utcnow():
        return None
    if not reset.user.active:
        return None
    return reset


def complete_reset(reset: PasswordReset, password: str) -> User:
    """Set the new password, use up every open link of the user, end every session."""
    user = reset.user
    user.password_hash = hash_password(password)
    user.rotate_sessions()
    db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=utcnow())
    )
    db.session.commit()
    return user
