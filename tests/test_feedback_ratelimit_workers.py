"""Feedback rate limits across workers: exact with Redis, per worker in memory.

Two app instances stand for two gunicorn workers: separate limiters, separate
connections, the same database and (when configured) the same Redis."""

from __future__ import annotations

import secrets

import pytest

from conftest import FreshContextClient, _config
from jili import create_app
from jili.feedback import ratelimit
from test_feedback import link_for, threads

REDIS_URL = "redis://127.0.0.1:6379/0"
EN = {"Accept-Language": "en"}


@pytest.fixture
def redis_namespace():
    """A private namespace in the local Redis (removed after), or a plain skip."""
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=5)
    try:
        client.ping()
    except redis.exceptions.RedisError as exc:
        pytest.skip(f"no Redis answers at {REDIS_URL} ({type(exc).__name__})")
    namespace = f"jili-test-{secrets.token_hex(6)}"
    yield namespace
    for pattern in (f"*{namespace}*",):
        for key in client.scan_iter(match=pattern):
            client.delete(key)
    client.close()


def worker(tmp_path, storage: str, namespace: str = ratelimit.NAMESPACE):
    app = create_app(
        {
            **_config(tmp_path),
            "RATELIMIT_STORAGE_URI": storage,
            "FEEDBACK_RATELIMIT_NAMESPACE": namespace,
            "FEEDBACK_RATELIMIT_ENABLED": True,
            "FEEDBACK_SUBMIT_LIMIT": "3 per hour",
        }
    )
    app.test_client_class = FreshContextClient
    return app.test_client()


def send(client, link, text="目标太高了"):
    form = client.get(link, headers=EN)
    nonce = form.text.split('name="nonce" type="hidden" value="', 1)[1].split('"', 1)[0]
    return client.post(
        link, data={"category": "target", "text": text, "nonce": nonce}, headers=EN
    ).status_code


def test_with_redis_two_workers_share_one_exact_limit(app, make_tenant, tmp_path, redis_namespace):
    acme = make_tenant()
    link = link_for(acme)
    a = worker(tmp_path, REDIS_URL, redis_namespace)
    b = worker(tmp_path, REDIS_URL, redis_namespace)
    assert [send(a, link), send(b, link), send(a, link)] == [200, 200, 200]
    assert send(b, link) == 429 and send(a, link) == 429
    assert len(threads(acme)) == 3


def test_with_redis_a_race_between_workers_cannot_pass_the_limit(
    app, make_tenant, tmp_path, redis_namespace, monkeypatch
):
    """Worker A has checked the limit and is about to count when worker B takes the
    last turn: A must then refuse. (Interleaved on purpose, not by timing.)"""
    acme = make_tenant()
    link = link_for(acme)
    a = worker(tmp_path, REDIS_URL, redis_namespace)
    b = worker(tmp_path, REDIS_URL, redis_namespace)
    assert [send(b, link), send(b, link)] == [200, 200]  # one turn left

    plain_first_time = ratelimit.SaltedLimiter.first_time
    b_status = []
    armed = [True]

    def first_time_with_b_in_between(self, token, expiry=86400):
        if armed.pop() if armed else False:  # in A's submission, after A's check: B goes
            b_status.append(send(b, link, "B 的意见"))  # right through
        return plain_first_time(self, token, expiry)

    monkeypatch.setattr(ratelimit.SaltedLimiter, "first_time", first_time_with_b_in_between)
    assert send(a, link, "A 的意见") == 429
    assert b_status == [200]
    assert len(threads(acme)) == 3
    # A's form was not used up by the refusal: once the window allows, it can be sent.


def test_in_memory_the_limit_is_per_worker(app, make_tenant, tmp_path):
    """The documented ceiling without Redis: each worker counts on its own."""
    acme = make_tenant()
    link = link_for(acme)
    a = worker(tmp_path, "memory://")
    b = worker(tmp_path, "memory://")
    assert [send(a, link) for _ in range(4)] == [200, 200, 200, 429]
    assert [send(b, link) for _ in range(4)] == [200, 200, 200, 429]
    assert len(threads(acme)) == 6


def test_a_refused_turn_counts_nothing(app):
    lim = ratelimit.SaltedLimiter("memory://")
    checks = [("2 per hour", ("submit", "net")), ("1 per hour", ("tenant", "7"))]
    assert lim.take(checks)
    assert not lim.take(checks)  # the tenant counter is full ...
    assert lim.take([("2 per hour", ("submit", "net"))])  # ... and the network's has 1 left
