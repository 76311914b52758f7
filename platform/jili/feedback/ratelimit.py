"""Rate limits for the anonymous routes that keep no identifier anywhere.

The counters live in memory, or in Redis when ``RATELIMIT_STORAGE_URI`` points
there (so that several workers share them), never in the database. They are
keyed by an HMAC of the client address under a random salt that is replaced
every day (UTC): yesterday's keys cannot be recomputed from an address once the
salt is gone, and nothing ever writes the address itself. With Redis the salt
is kept in Redis (with an expiry) so that all workers use the same one.

Taking a turn is one atomic step: every counter the request is subject to is
below its limit, and all of them are counted, or none is (a Lua script in
Redis, a lock in memory). So with Redis the limits are exact across all
workers and processes; in memory they are exact per process, i.e. per gunicorn
worker: with N workers and no Redis, a network gets up to N times the limit.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from datetime import UTC, datetime

from flask import Flask, current_app, request
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string

DEFAULTS = {
    "FEEDBACK_SUBMIT_LIMIT": "5 per hour;20 per day",
    "FEEDBACK_LOOKUP_LIMIT": "30 per hour;100 per day",
    "FEEDBACK_TENANT_LIMIT": "500 per day",
}
NAMESPACE = "jili-feedback"

# All counters below their limits? Then count every one (a fixed window from the first
# hit, as in ``limits``). KEYS: the counters; ARGV: limit, window seconds, per key.
_TAKE_LUA = """
for i, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') >= tonumber(ARGV[2 * i - 1]) then
    return 0
  end
end
for i, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then
    redis.call('EXPIRE', key, ARGV[2 * i])
  end
end
return 1
"""


class SaltedLimiter:
    def __init__(self, storage_uri: str, namespace: str = NAMESPACE):
        self.namespace = namespace
        self.storage = storage_from_string(storage_uri)
        self._lock = threading.Lock()
        self._salt: tuple[str, bytes] | None = None
        connection = getattr(self.storage, "get_connection", None)
        self._redis = connection() if connection is not None else None
        self._take_script = self._redis.register_script(_TAKE_LUA) if self._redis else None

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
        if self._redis is None:
            return fresh.encode()  # memory: this process's own counters, its own salt
        key = f"{self.namespace}:salt:{today}"
        self._redis.set(key, fresh, nx=True, ex=2 * 86400)
        value = self._redis.get(key) or fresh
        return value if isinstance(value, bytes) else str(value).encode()

    def source_key(self, address: str | None) -> str:
        """The counter key for a client address: a salted HMAC, never the address."""
        return hmac.new(self.salt(), (address or "").encode(), hashlib.sha256).hexdigest()[:32]

    # -- limits --------------------------------------------------------------------
    def _counters(self, checks) -> list[tuple[str, RateLimitItem]]:
        return [
            (f"{self.namespace}/{'/'.join(ids)}/{item.amount}/{item.get_expiry()}", item)
            for limit_string, ids in checks
            for item in parse_many(limit_string)
        ]

    def allowed(self, checks) -> bool:
        """Would a turn be granted now? (Counts nothing; :meth:`take` decides.)"""
        return all(self.storage.get(key) < item.amount for key, item in self._counters(checks))

    def take(self, checks) -> bool:
        """Atomically: every counter below its limit, then count them all; else none."""
        counters = self._counters(checks)
        if self._take_script is not None:
            keys = [self.storage.prefixed_key(key) for key, _item in counters]
            args = [v for _key, item in counters for v in (item.amount, item.get_expiry())]
            return bool(self._take_script(keys=keys, args=args))
        with self._lock:
            if not all(self.storage.get(key) < item.amount for key, item in counters):
                return False
            for key, item in counters:
                self.storage.incr(key, item.get_expiry())
            return True

    def _once_key(self, token: str) -> str:
        return f"{self.namespace}/once/{hashlib.sha256(token.encode()).hexdigest()[:32]}"

    def first_time(self, token: str, expiry: int = 86400) -> bool:
        """True the first time ``token`` (e.g. a form nonce) is seen today."""
        return self.storage.incr(self._once_key(token), expiry) == 1

    def forget(self, token: str) -> None:
        """Undo :meth:`first_time` (the request it guarded was refused after all)."""
        self.storage.clear(self._once_key(token))


def init_app(app: Flask) -> None:
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    uri = app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
    namespace = app.config.get("FEEDBACK_RATELIMIT_NAMESPACE") or NAMESPACE
    app.extensions["jili_feedback_limiter"] = SaltedLimiter(uri, namespace)


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
    """Is a turn likely to be granted? For refusing early; :func:`take` is the rule."""
    if not enabled():
        return True
    return limiter().allowed(_identifiers(kind, tenant_id))


def take(kind: str, tenant_id: int) -> bool:
    """Take a turn, atomically across every worker sharing the store. ``kind`` is
    ``submit`` or ``lookup``."""
    if not enabled():
        return True
    return limiter().take(_identifiers(kind, tenant_id))
