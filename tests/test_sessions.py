"""Signing out ends a session for good, and sessions end by themselves when idle or old."""

from __future__ import annotations

import time

from conftest import Browser
from jili.accounts.services import SESSION_SEEN, SESSION_STARTED


def copy_of_cookie(app, b: Browser) -> Browser:
    """A second browser holding a copy of the first one's session cookie (a stolen cookie)."""
    name = app.config["SESSION_COOKIE_NAME"]
    thief = Browser(app.test_client())
    thief.client.set_cookie(name, b.client.get_cookie(name).value, domain="localhost")
    return thief


def test_a_copied_cookie_stops_working_after_logout(app, make_user, browser):
    user = make_user(email="a@example.com")
    b = browser(user)
    thief = copy_of_cookie(app, b)
    assert thief.get("/account").status_code == 200  # the copy works while signed in
    assert b.post("/logout").status_code == 302
    resp = thief.get("/account")
    assert resp.status_code == 302 and resp.location.startswith("/login")
    assert b.get("/account").status_code == 302


def test_logout_signs_the_user_out_on_every_device(make_user, browser):
    user = make_user(email="a@example.com")
    laptop, phone = browser(user), browser(user)
    laptop.post("/logout")
    assert phone.get("/account").status_code == 302
    assert browser(user).get("/account").status_code == 200  # signing in again works


def age(b: Browser, *, started: float | None = None, seen: float | None = None) -> None:
    with b.client.session_transaction() as s:
        if started is not None:
            s[SESSION_STARTED] = int(started)
        if seen is not None:
            s[SESSION_SEEN] = int(seen)


def test_an_idle_session_ends(app, make_user, browser):
    user = make_user(email="a@example.com")
    idle = app.config["SESSION_IDLE_TIMEOUT_MINUTES"] * 60
    b = browser(user)
    age(b, seen=time.time() - idle + 120)
    assert b.get("/account").status_code == 200  # just within: still signed in, and renewed
    with b.client.session_transaction() as s:
        assert s[SESSION_SEEN] >= time.time() - 60
    age(b, seen=time.time() - idle - 60)
    resp = b.get("/account")
    assert resp.status_code == 302 and resp.location.startswith("/login")


def test_a_session_ends_after_its_absolute_lifetime_however_busy(app, make_user, browser):
    user = make_user(email="a@example.com")
    lifetime = app.config["SESSION_MAX_AGE_HOURS"] * 3600
    b = browser(user)
    age(b, started=time.time() - lifetime + 120)
    assert b.get("/account").status_code == 200
    age(b, started=time.time() - lifetime - 60)  # used a moment ago, but too old
    resp = b.get("/account")
    assert resp.status_code == 302 and resp.location.startswith("/login")


def test_session_limits_are_settings(tmp_path, pg_run):
    from conftest import _config
    from jili import create_app

    app = create_app({**_config(tmp_path), "SESSION_IDLE_TIMEOUT_MINUTES": 5})
    with app.test_request_context():
        from flask import session

        from jili.accounts.services import session_expired

        now = time.time()
        session[SESSION_STARTED] = int(now) - 600
        session[SESSION_SEEN] = int(now) - 400
        assert session_expired(now)
        session[SESSION_SEEN] = int(now) - 200
        assert not session_expired(now)


def test_a_session_cookie_without_timestamps_is_not_accepted(app, make_user, browser):
    user = make_user(email="a@example.com")
    b = browser(user)
    with b.client.session_transaction() as s:
        del s[SESSION_STARTED], s[SESSION_SEEN]
    assert b.get("/account").status_code == 302
