"""Receipt codes: high-entropy, shown once, stored only as a slow hash.

A code is 24 characters of Crockford base32 (120 random bits), shown in groups
of four: ``7KQ2-M9XD-…``. To find the thread without trying every row, the row
also holds a *lookup id*: an HMAC, under a server key, of the tenant and the
first 8 characters (40 bits) only. The whole code is stored only as an argon2
hash. So:

* someone with the database alone learns nothing from either column;
* someone with the database *and* the server key can at best brute-force the
  40-bit prefix of a code, never the 80 bits the argon2 hash protects;
* every lookup, right or wrong for whatever reason (malformed, unknown prefix,
  another tenant's code, wrong rest), runs exactly one argon2 verification and
  ends in the same message, so neither the answer nor its timing tells why.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
LENGTH = 24
PREFIX = 8
GROUP = 4
_TRANSLATE = str.maketrans({"O": "0", "I": "1", "L": "1"})

_hasher = PasswordHasher()
# Verified against when no row matches, so a miss costs what a hit costs.
_DUMMY = _hasher.hash(secrets.token_hex(LENGTH))


def new_code() -> str:
    """A fresh code in display form (groups of four joined by hyphens)."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return display(raw)


def display(raw: str) -> str:
    return "-".join(raw[i : i + GROUP] for i in range(0, len(raw), GROUP))


def normalize(code: str | None) -> str | None:
    """The canonical 24 characters, or None when ``code`` cannot be a code."""
    if not code:
        return None
    raw = "".join(ch for ch in code.upper() if ch not in " -\t\r\n").translate(_TRANSLATE)
    if len(raw) != LENGTH or any(ch not in ALPHABET for ch in raw):
        return None
    return raw


def _lookup_key() -> bytes:
    configured = current_app.config.get("FEEDBACK_LOOKUP_KEY")
    secret = (configured or current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, b"jili.feedback.lookup.v1", hashlib.sha256).digest()


def lookup_id(tenant_id: int, raw: str) -> str:
    message = f"{tenant_id}:{raw[:PREFIX]}".encode()
    return hmac.new(_lookup_key(), message, hashlib.sha256).hexdigest()


def hash_code(raw: str) -> str:
    return _hasher.hash(raw)


def verify(stored_hash: str | None, raw: str | None) -> bool:
    """One argon2 verification, always: against ``stored_hash`` or a dummy hash."""
    try:
        ok = _hasher.verify(stored_hash or _DUMMY, raw or "-" * LENGTH)
    except (VerificationError, InvalidHashError):
        ok = False
    return ok and stored_hash is not None and raw is not None
