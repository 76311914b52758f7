from sqlalchemy import select

from conftest import PASSWORD, Browser, csrf_from
from jili.extensions import db
from jili.models import User


def test_login_wrong_password_says_so_and_logs_nobody_in(app, make_user):
    user = make_user(email="a@example.com")
    b = Browser(app.test_client())
    resp = b.login(user.email, "wrong-password-here")
    assert resp.status_code == 401
    assert b.client.get("/account").status_code == 302


def test_login_starts_a_new_session(app, make_user):
    user = make_user(email="a@example.com")
    client = app.test_client()
    with client.session_transaction() as s:
        s["planted"] = "by-attacker"
    page = client.get("/login")
    client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_from(page.text)},
    )
    with client.session_transaction() as s:
        assert "planted" not in s
        assert s["_user_id"].startswith(f"{user.id}:")


def test_password_change_ends_other_sessions_but_keeps_this_one(app, make_user, browser):
    user = make_user(email="a@example.com")
    first, second = browser(user), browser(user)
    resp = second.post(
        "/account",
        data={"pw-current_password": PASSWORD, "pw-new_password": "another-long-secret-77"},
    )
    assert resp.status_code == 302
    assert second.get("/account").status_code == 200
    assert first.get("/account").status_code == 302  # sent to login
    fresh = Browser(app.test_client())
    assert fresh.login(user.email, "another-long-secret-77").status_code == 302


def test_password_change_refuses_weak_or_wrong_current(make_user, browser):
    user = make_user(email="a@example.com", locale="en")
    b = browser(user)
    resp = b.post(
        "/account",
        data={"pw-current_password": "nope-nope-nope", "pw-new_password": "another-long-secret-77"},
    )
    assert resp.status_code == 422 and "current password is wrong" in resp.text
    resp = b.post("/account", data={"pw-current_password": PASSWORD, "pw-new_password": "short"})
    assert resp.status_code == 422


def test_disabled_user_is_signed_out_and_cannot_log_in(app, make_user, browser, runner):
    user = make_user(email="a@example.com")
    b = browser(user)
    result = runner.invoke(args=["user", "disable", "a@example.com"])
    assert result.exit_code == 0, result.output
    assert b.get("/account").status_code == 302
    fresh = Browser(app.test_client())
    fresh.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    again = fresh.login(user.email)
    assert again.status_code == 401 and "disabled" in again.text


def test_logout_requires_post_and_ends_session(make_user, browser):
    user = make_user()
    b = browser(user)
    assert b.get("/logout").status_code == 405
    b.post("/logout")
    assert b.get("/account").status_code == 302


def test_login_is_rate_limited_with_a_clear_message(app, make_user):
    from jili import create_app

    user = make_user()
    limited = create_app(dict(app.config, RATELIMIT_ENABLED=True))
    limited.test_client_class = type(app.test_client())
    client = limited.test_client()
    codes = []
    for _ in range(11):
        page = client.get("/login", headers={"Accept-Language": "en"})
        resp = client.post(
            "/login",
            headers={"Accept-Language": "en"},
            data={
                "email": user.email,
                "password": "wrong-wrong-wrong",
                "csrf_token": csrf_from(page.text),
            },
        )
        codes.append(resp.status_code)
    assert codes[:10] == [401] * 10
    assert codes[10] == 429
    assert "Too many attempts" in resp.text


def test_session_cookie_is_httponly_and_samesite(app, make_user):
    user = make_user()
    client = app.test_client()
    page = client.get("/login")
    resp = client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_from(page.text)},
    )
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_post_without_csrf_token_is_refused(make_user, browser):
    user = make_user()
    b = browser(user)
    resp = b.client.post("/account", data={"acct-name": "x", "acct-language": "en"})
    assert resp.status_code == 400
    assert db.session.scalar(select(User.name).where(User.id == user.id)) != "x"


def test_behind_a_trusted_proxy_the_login_limit_counts_per_client(app, make_user):
    """With JILI_PROXY_FIX_X_FOR=1 (deploy/env.example) two clients behind nginx
    have their own counters; without it they would share the proxy's."""
    from jili import create_app

    user = make_user()
    limited = create_app(dict(app.config, RATELIMIT_ENABLED=True, PROXY_FIX_X_FOR=1))
    limited.test_client_class = type(app.test_client())

    def attempts(client, address, n):
        codes = []
        for _ in range(n):
            headers = {"Accept-Language": "en", "X-Forwarded-For": address}
            page = client.get("/login", headers=headers)
            resp = client.post(
                "/login",
                headers=headers,
                data={
                    "email": user.email,
                    "password": "wrong-wrong-wrong",
                    "csrf_token": csrf_from(page.text),
                },
            )
            codes.append(resp.status_code)
        return codes

    assert attempts(limited.test_client(), "203.0.113.7", 11)[-1] == 429
    assert attempts(limited.test_client(), "198.51.100.9", 1) == [401]
