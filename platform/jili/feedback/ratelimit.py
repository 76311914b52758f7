"""Rate limits for the anonymous routes that keep no identifier anywhere.

The counters live in memory, or in Redis when ``RATELIMIT_STORAGE_URI`` points
there (so that several workers share them), never in the database. They are
keyed by an HMAC of the client address under a random salt that is replaced
every day (UTC): yesterday's keys cannot be recomputed from an address once the
salt is gone, and nothing ever writes the address itself. With Redis the salt
is kept in Redis (with an expiry) so that all workers use the same one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from datetime import UTC, datetime

from flask import Flask, current_app, request
from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

DEFAULTS = {
    "FEEDBACK_SUBMIT_LIMIT": "5 per hour;20 per day",
    "FEEDBACK_LOOKUP_LIMIT": "30 per hour;100 per day",
    "FEEDBACK_TENANT_LIMIT": "500 per day",
}
NAMESPACE = "jili-feedback"


class SaltedLimiter:
    def __init__(self, storage_uri: str):
        self.storage = storage_from_string(storage_uri)
        self.strategy = FixedWindowRateLimiter(self.storage)
        self._lock = threading.Lock()
        self._salt: tuple[str, bytes] | None = None

    # -- the daily salt ------------------------------------------------------------
    def _today(self) -> str:
        return datetime.now(UTC).date().isoformat()

    def salt(self) -> bytes:
        today = self._today()
        with self._lock:
            if self._salt is None or self._salt[0] != today:
                self._salt = (today, self._shared_salt(today))
            return self._salt[1]

    def _shared_salt(self, today: str) -> bytes:
        fresh = secrets.token_hex(32)
        connection = getattr(self.storage, "get_connection", None)
        if connection is None:
            return fresh.encode()  # memory: this process's own counters, its own salt
        client = connection()
        key = f"{NAMESPACE}:salt:{today}"
        client.set(key, fresh, nx=True, ex=2 * 86400)
        value = client.get(key) or fresh
        return value if isinstance(value, bytes) else str(value).encode()

    def source_key(self, address: str | None) -> str:
        """The counter key for a client address: a salted HMAC, never the address."""
        return hmac.new(self.salt(), (address or "").encode(), hashlib.sha256).hexdigest()[:32]

    # -- limits --------------------------------------------------------------------
    def allowed(self, limit_string: str, *identifiers: str) -> bool:
        return all(
            self.strategy.test(item, NAMESPACE, *identifiers) for item in parse_many(limit_string)
        )

    def hit(self, limit_string: str, *identifiers: str) -> None:
        for item in parse_many(limit_string):
            self.strategy.hit(item, NAMESPACE, *identifiers)

    def first_time(self, token: str, expiry: int = 86400) -> bool:
        """True the first time ``token`` (e.g. a form nonce) is seen today."""
        digest = hashlib.sha256(token.encode()).hexdigest()[:32]
        return self.storage.incr(f"{NAMESPACE}/once/{digest}", expiry) == 1


def init_app(app: Flask) -> None:
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    uri = app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
    app.extensions["jili_feedback_limiter"] = SaltedLimiter(uri)


def limiter() -> SaltedLimiter:
    return current_app.extensions["jili_feedback_limiter"]


def enabled() -> bool:
    cfg = current_app.config
    return bool(cfg.get("FEEDBACK_RATELIMIT_ENABLED", cfg.get("RATELIMIT_ENABLED", True)))


def _identifiers(kind: str, tenant_id: int) -> list[tuple[str, tuple[str, ...]]]:
    source = limiter().source_key(request.remote_addr)
    checks = [(current_app.config[f"FEEDBACK_{kind.upper()}_LIMIT"], (kind, source))]
    if kind == "submit":
        checks.append((current_app.config["FEEDBACK_TENANT_LIMIT"], ("tenant", str(tenant_id))))
    return checks


def check(kind: str, tenant_id: int) -> bool:
    """May this request go ahead? ``kind`` is ``submit`` or ``lookup``."""
    if not enabled():
        return True
    return all(limiter().allowed(limit, *ids) for limit, ids in _identifiers(kind, tenant_id))


def count(kind: str, tenant_id: int) -> None:
    if not enabled():
        return
    for limit, ids in _identifiers(kind, tenant_id):
        limiter().hit(limit, *ids)
