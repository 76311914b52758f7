"""Sending one plain-text e-mail through the configured SMTP server."""

from __future__ import annotations

import smtplib
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any


class MailFailed(Exception):
    """The server refused or could not be reached; ``reason`` is safe to store."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def send(cfg: Mapping[str, Any], to: str, subject: str, body: str) -> None:
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = cfg["SMTP_FROM"]
    msg["To"] = to
    msg.set_content(body)
    try:
        with smtplib.SMTP(cfg["SMTP_HOST"], int(cfg["SMTP_PORT"]), timeout=10) as smtp:
            if cfg.get("SMTP_USER"):
                smtp.starttls()
                smtp.login(cfg["SMTP_USER"], cfg["SMTP_PASSWORD"])
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        # the exception's text may echo the recipient or the message: its type only
        raise MailFailed(type(exc).__name__) from None
