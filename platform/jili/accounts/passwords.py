"""Password hashing (argon2) and the strength rule sign-up and invitations share."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _

_hasher = PasswordHasher()
MIN_LENGTH = 10
COMMON = {
    "password", "password1", "password123", "1234567890", "12345678910", "qwertyuiop",
    "1qaz2wsx3edc", "abc1234567", "iloveyou12", "admin12345", "welcome123", "a123456789",
    "qwerty1234", "1q2w3e4r5t", "woaini1314", "5201314520",
}  # fmt: skip
# A hash to verify against when the e-mail is unknown, so timing does not tell.
_DUMMY = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why ``password`` is too weak, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return _("Use at least %(n)d characters.", n=MIN_LENGTH)
    lowered = password.lower()
    if lowered in COMMON or len(set(password)) < 4:
        return _("This password is too common or too easy to guess.")
    local = email.split("@")[0].lower()
    if len(local) >= 3 and local in lowered:
        return _("The password must not contain your e-mail address.")
    if name and len(name) >= 3 and name.lower() in lowered:
        return _("The password must not contain your name.")
    return None
