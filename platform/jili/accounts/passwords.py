"""Password hashing (argon2) and the strength rule sign-up, invitations and password
resets share: long enough, not the person's own e-mail or name, and hard to guess by
zxcvbn's estimate (dictionaries, keyboard patterns, sequences, dates, l33t)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _
from zxcvbn import zxcvbn

_hasher = PasswordHasher()
MIN_LENGTH = 10
#: zxcvbn's score from 0 (too guessable) to 4 (very unguessable); 3 resists an
#: offline attack on a slow hash well enough for a payroll tool.
MIN_SCORE = 3
#: zxcvbn is slow on very long input; what lies beyond adds strength anyway.
CHECKED_LENGTH = 100
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
    local = email.split("@")[0].lower()
    if len(local) >= 3 and local in lowered:
        return _("The password must not contain your e-mail address.")
    if name and len(name) >= 3 and name.lower() in lowered:
        return _("The password must not contain your name.")
    hints = [v for v in (email, local, name) if v]
    if zxcvbn(password[:CHECKED_LENGTH], user_inputs=hints)["score"] < MIN_SCORE:
        return _(
            "This password is too easy to guess. Add another word or two; "
            "uncommon words are better."
        )
    return None
