"""The anonymous feedback channel keeps no trace of who wrote: the mandatory test of
issue 4, and the HTTP-level guarantees (no session, no cookie, no caching, no referrer)."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
from sqlalchemy import DateTime, select

from jili.extensions import db
from jili.feedback import ratelimit
from jili.feedback.models import FeedbackMessage, FeedbackThread
from jili.tenancy import all_tenants, bound_tenant

UA = "DistinctiveAgent/7.3 (feedback-trace-test; Zx9q)"
FORWARDED = "203.0.113.77"
REMOTE = "198.51.100.23"
USER_ID = 987_654_321
# what the author's browser sends with every request
HEADERS = {
    "User-Agent": UA,
    "X-Forwarded-For": FORWARDED,
    "X-Real-IP": FORWARDED,
    "Referer": "http://localhost/t/acme/feedback/",
    "Accept-Language": "en",
}
ENVIRON = {"REMOTE_ADDR": REMOTE}


def public_link(browser_or_client) -> str:
    """The tenant's anonymous link, as shown on the in-app feedback page."""
    page = browser_or_client.get("/t/acme/feedback/", headers={"Accept-Language": "en"})
    assert page.status_code == 200, page.text
    m = re.search(r'href="(/f/[^/"]+/)"', page.text)
    assert m, "no link to the anonymous page"
    return m.group(1)


def _all_rows() -> dict[str, set[tuple]]:
    """Every row of every table, as tuples of strings (read across tenants)."""
    out: dict[str, set[tuple]] = {}
    with all_tenants():
        for table in db.metadata.sorted_tables:
            rows = db.session.execute(table.select()).all()
            out[table.name] = {tuple("" if v is None else str(v) for v in row) for row in rows}
    db.session.commit()
    return out


def _needles(user, session_cookie) -> dict[str, str]:
    """What would identify the author, by name."""
    return {
        "user id": str(USER_ID),
        "e-mail": user.email,
        "e-mail local part": "wang.distinctive",
        "name": user.name,
        "forwarded address": FORWARDED,
        "remote address": REMOTE,
        "user agent": UA,
        "user agent token": "Zx9q",
        "session cookie": session_cookie.value,
        "session token": user.session_token,
    }


def _write_read_and_reply(client, link: str) -> list:
    """Open the form, send a message, read it back by its receipt code, add a
    reply — all with the identifying headers. Returns the four responses."""
    kw = {"headers": HEADERS, "environ_base": ENVIRON}
    form = client.get(link, **kw)
    nonce = re.search(r'name="nonce" type="hidden" value="([^"]+)"', form.text).group(1)
    sent = client.post(
        link,
        data={"category": "calculation", "text": "三月提成少算了 2%，请核对。", "nonce": nonce},
        **kw,
    )
    assert sent.status_code == 200, sent.text
    code = re.search(r'id="receipt-code">([^<]+)<', sent.text).group(1)
    opened = client.post(link + "receipt", data={"code": code}, **kw)
    assert "三月提成少算了" in opened.text
    replied = client.post(link + "reply", data={"code": code, "text": "补充：是华东组。"}, **kw)
    assert replied.status_code == 200
    return [form, sent, opened, replied]


def _logged(caplog) -> str:
    """Everything the log capture saw: formatted text, messages and their arguments."""
    return caplog.text + "\n".join(
        repr(r.args) + " " + str(r.msg) + " " + r.getMessage() for r in caplog.records
    )


def _assert_no_needle(needles: dict[str, str], logged: str, before: dict, after: dict) -> None:
    """No needle in the log, in any feedback row, nor in any other row added."""
    for what, needle in needles.items():
        assert needle not in logged, f"the log holds the {what}"
        for name, rows in after.items():
            fresh = rows - before.get(name, set())
            scanned = rows if name.startswith("feedback") else fresh
            for row in scanned:
                assert not any(needle in cell for cell in row), f"{name} holds the {what}: {row}"


def _assert_feedback_keeps_no_time_of_day(tenant) -> None:
    for model in (FeedbackThread, FeedbackMessage):
        assert not any(isinstance(c.type, DateTime) for c in model.__table__.columns)
    with bound_tenant(tenant.id):
        thread = db.session.scalar(select(FeedbackThread))
        assert isinstance(thread.day, dt.date) and not isinstance(thread.day, dt.datetime)
        assert re.fullmatch(r"[0-9a-f]{32}", thread.id)


def test_submission_leaves_no_identifying_trace(
    app, make_tenant, make_user, member, browser, caplog
):
    """Issue 4, acceptance 3: submit as a logged-in user with a distinctive user agent and
    X-Forwarded-For; then no table and no log line holds the user's id, e-mail, IP, user
    agent or session cookie."""
    tenant = make_tenant(slug="acme")
    user = make_user(email="wang.distinctive.7731@acme.example", name="王独特", id=USER_ID)
    from conftest import add_member

    add_member(tenant, user, "staff")
    b = browser(user)
    link = public_link(b)  # from inside the app, logged in
    session_cookie = b.client.get_cookie("jili_session")
    assert session_cookie is not None and session_cookie.value
    needles = _needles(user, session_cookie)
    before = _all_rows()

    caplog.set_level(logging.DEBUG)  # every logger
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")  # SQL and its parameters too
    caplog.clear()

    for resp in _write_read_and_reply(b.client, link):
        assert "Set-Cookie" not in resp.headers
        assert resp.headers["Cache-Control"] == "no-store"
        assert resp.headers["Referrer-Policy"] == "no-referrer"

    logged = _logged(caplog)
    # The capture really saw the requests' SQL (so finding nothing means something).
    assert "feedback_thread" in logged and "feedback_message" in logged
    assert "三月提成少算了" in logged  # ... with its parameters
    after = _all_rows()

    # Only feedback rows were added or changed: no audit entry, no session row, no log table.
    changed = {name for name in after if after[name] != before.get(name, set())}
    assert changed == {"feedback_thread", "feedback_message"}
    _assert_no_needle(needles, logged, before, after)

    # No column of the feedback tables can hold a time of day.
    _assert_feedback_keeps_no_time_of_day(tenant)

    # The rate-limit counters (memory) hold salted hashes, not the address.
    storage = ratelimit.limiter().storage
    keys = " ".join(map(str, getattr(storage, "storage", {}).keys()))
    assert keys and FORWARDED not in keys and REMOTE not in keys

    # And the author's own session is untouched: still logged in, same cookie.
    assert b.client.get_cookie("jili_session").value == session_cookie.value
    assert b.get("/t/acme/").status_code == 200


def test_public_submit_sets_no_cookie_and_reads_no_session(
    app, make_tenant, member, browser, client
):
    tenant = make_tenant(slug="acme")
    b = browser(member(tenant, "staff"))
    link = public_link(b)
    anonymous = client.post(link, data={"category": "other", "text": "匿名"})
    logged_in = b.client.post(link, data={"category": "other", "text": "登录用户"})
    for resp in (anonymous, logged_in):
        assert resp.status_code == 200
        assert "Set-Cookie" not in resp.headers
        assert "Cookie" not in resp.headers.get("Vary", "")
    # The logged-in user's name is nowhere on the anonymous page.
    assert b.client.get(link).text.count("测试用户") == 0
    assert "Log out" not in b.client.get(link, headers={"Accept-Language": "en"}).text


def test_headers_on_every_feedback_page(app, make_tenant, member, browser, client):
    tenant = make_tenant(slug="acme")
    hr = browser(member(tenant, "hr"))
    link = public_link(hr)
    pages = [
        client.get(link),
        client.get(link + "receipt"),
        client.post(link + "receipt", data={"code": "nope"}),
        client.get("/f/no-such-link/"),
        hr.get("/t/acme/feedback/"),
        hr.get("/t/acme/feedback/inbox"),
        hr.get("/t/acme/feedback/summary"),
    ]
    for resp in pages:
        assert resp.headers["Cache-Control"] == "no-store", resp.request.path
        assert resp.headers["Referrer-Policy"] == "no-referrer", resp.request.path
    assert pages[3].status_code == 404
    # Other pages keep the app's own policy.
    assert hr.get("/t/acme/").headers["Referrer-Policy"] == "same-origin"


def test_cross_site_posts_are_refused(app, make_tenant, member, browser, client):
    tenant = make_tenant(slug="acme")
    link = public_link(browser(member(tenant, "staff")))
    data = {"category": "other", "text": "x"}
    assert client.post(link, data=data, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert (
        client.post(link, data=data, headers={"Origin": "https://evil.example"}).status_code == 403
    )
    assert (
        client.post(link, data=data, headers={"Sec-Fetch-Site": "same-origin"}).status_code == 200
    )
    # no-referrer makes browsers send "Origin: null" for our own forms: not a refusal.
    assert client.post(link, data=data, headers={"Origin": "null"}).status_code == 200
    with bound_tenant(tenant.id):
        assert len(db.session.scalars(select(FeedbackThread)).all()) == 2


@pytest.mark.parametrize("path", ["/f/x/", "/f/x/receipt"])
def test_unknown_link_is_404(client, path, app):
    assert client.get(path).status_code == 404
