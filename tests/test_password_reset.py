"""Forgotten password: a link that works once, for an hour; the same answer whether
the address exists or not; only the token's hash stored; the link printed to the
console (not the app log) without mail; resetting ends every other session."""

from __future__ import annotations

import logging
import re
import sys
from datetime import timedelta

import pytest
from sqlalchemy import select

from conftest import csrf_from
from jili.extensions import db
from jili.models import PasswordReset

EN = {"Accept-Language": "en"}
NEW = "a-brand-new-passphrase-42"


@pytest.fixture(autouse=True)
def watched_console(monkeypatch):
    """As under `make run`: stderr is a terminal someone watches."""
    monkeypatch.setattr("jili.accounts.password_reset._console", lambda: sys.stderr)


def ask(client, email: str):
    page = client.get("/password/forgot", headers=EN)
    return client.post(
        "/password/forgot",
        headers=EN,
        data={"email": email, "csrf_token": csrf_from(page.text)},
    )


def link_in(text: str) -> str:
    m = re.search(r"http://localhost(/password/reset/[\w-]+)", text)
    assert m, text
    return m.group(1)


def set_password(client, path: str, password: str = NEW):
    page = client.get(path, headers=EN)
    return client.post(
        path, headers=EN, data={"password": password, "csrf_token": csrf_from(page.text)}
    )


def test_the_answer_is_the_same_whether_the_address_exists_or_not(app, make_user, capsys):
    user = make_user()
    known = ask(app.test_client(), user.email)
    capsys.readouterr()
    unknown = ask(app.test_client(), "nobody@example.com")
    assert known.status_code == unknown.status_code == 200

    def strip(text: str) -> str:  # CSRF tokens differ
        return re.sub(r'(value="|"X-CSRFToken": ")[^"]+"', "", text)

    assert strip(known.text) == strip(unknown.text)
    assert "a link to set a new password is on its way" in known.text
    assert "nobody@example.com" not in capsys.readouterr().err


def test_the_link_is_printed_to_the_console_not_logged_and_only_its_hash_stored(
    app, make_user, capsys, caplog
):
    user = make_user()
    with caplog.at_level(logging.DEBUG):
        ask(app.test_client(), user.email)
    path = link_in(capsys.readouterr().err)
    token = path.rsplit("/", 1)[1]
    assert token not in caplog.text
    stored = db.session.scalars(select(PasswordReset.token_hash)).all()
    assert len(stored) == 1 and token not in stored[0]


def test_the_link_sets_a_new_password_once_and_ends_other_sessions(app, make_user, browser, capsys):
    user = make_user()
    elsewhere = browser(user)  # logged in on another computer
    assert elsewhere.get("/account").status_code == 200
    ask(app.test_client(), user.email)
    path = link_in(capsys.readouterr().err)
    client = app.test_client()
    resp = set_password(client, path)
    assert resp.status_code == 302 and resp.location.endswith("/login")
    assert elsewhere.get("/account").status_code == 302  # that session has ended
    assert browser().login(user.email, NEW).status_code == 302
    again = client.get(path, headers=EN)
    assert again.status_code == 410 and "expired or was already used" in again.text


def test_a_weak_password_is_refused_and_the_link_still_works(app, make_user, capsys):
    user = make_user()
    ask(app.test_client(), user.email)
    path = link_in(capsys.readouterr().err)
    client = app.test_client()
    assert set_password(client, path, "short").status_code == 422
    assert set_password(client, path).status_code == 302


def test_an_expired_link_is_refused(app, make_user, capsys):
    user = make_user()
    ask(app.test_client(), user.email)
    path = link_in(capsys.readouterr().err)
    reset = db.session.scalar(select(PasswordReset))
    reset.expires_at = reset.created_at - timedelta(seconds=1)
    db.session.commit()
    assert app.test_client().get(path, headers=EN).status_code == 410
    assert set_password(app.test_client(), path).status_code == 410


def test_asking_is_rate_limited(app, make_user):
    from jili import create_app

    limited = create_app(dict(app.config, RATELIMIT_ENABLED=True))
    client = limited.test_client()
    codes = [ask(client, "nobody@example.com").status_code for _ in range(6)]
    assert codes[:5] == [200] * 5 and codes[5] == 429


def test_without_a_watched_terminal_the_link_is_written_nowhere(
    app, make_user, capsys, caplog, monkeypatch
):
    monkeypatch.setattr("jili.accounts.password_reset._console", lambda: None)
    user = make_user()
    with caplog.at_level(logging.DEBUG):
        assert ask(app.test_client(), user.email).status_code == 200
    assert "/password/reset/" not in capsys.readouterr().err + caplog.text
