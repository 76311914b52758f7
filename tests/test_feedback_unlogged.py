"""No request to a feedback link reaches any log: not gunicorn's access or error log,
not the app's log, not the development server's request log."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from pathlib import Path

import pytest

from conftest import add_member
from jili import ROOT
from jili.extensions import db
from jili.feedback import unlogged

EN = {"Accept-Language": "en"}


def gunicorn_logger(tmp_path: Path):
    """gunicorn's logger exactly as deploy/gunicorn.conf.py sets it up, writing to files."""
    from gunicorn.config import Config

    cfg = Config()
    settings: dict = {}
    exec((ROOT / "deploy" / "gunicorn.conf.py").read_text(), settings)
    for name, value in settings.items():
        if name in cfg.settings:
            cfg.set(name, value)
    cfg.set("accesslog", str(tmp_path / "access.log"))
    cfg.set("errorlog", str(tmp_path / "error.log"))
    return cfg.logger_class(cfg)


class FakeResponse:
    def __init__(self, status: str, headers: list[tuple[str, str]]):
        self.status, self.headers, self.sent = status, headers, 100


class FakeRequest:
    def __init__(self, method: str, uri: str):
        self.method, self.uri, self.path = method, uri, uri.split("?", 1)[0]
        self.headers = [("HOST", "localhost")]


def access(logger, method: str, uri: str, environ: dict | None = None) -> None:
    env = {
        "REQUEST_METHOD": method,
        "RAW_URI": uri,
        "PATH_INFO": uri.split("?", 1)[0],
        "SERVER_PROTOCOL": "HTTP/1.1",
        **(environ or {}),
    }
    resp = FakeResponse("200 OK", [("Content-Type", "text/html")])
    logger.access(resp, FakeRequest(method, uri), env, timedelta(milliseconds=12))


def written(tmp_path: Path, logger) -> str:
    for handler in logger.access_log.handlers + logger.error_log.handlers:
        handler.flush()
    return "".join(p.read_text() for p in tmp_path.glob("*.log"))


def test_gunicorn_writes_no_access_line_for_feedback_pages(tmp_path):
    logger = gunicorn_logger(tmp_path)
    assert isinstance(logger, unlogged.GunicornLogger)
    access(logger, "GET", "/t/acme/runs")  # an ordinary page is logged
    for method, uri in [
        ("POST", "/f/KEY1secret/"),
        ("GET", "/f/KEY1secret/?lang=en"),
        ("POST", "//f/KEY1secret/receipt"),
        ("GET", "/f/KEY1secret"),
        ("GET", "/t/acme/feedback/"),  # the staff page that shows the link
        ("GET", "/t/acme/feedback"),
    ]:
        access(logger, method, uri)
    # The decoded path counts, however the path looked on the wire; and the app's mark
    # is enough on its own.
    access(logger, "GET", "/%66/KEY1secret/", {"PATH_INFO": "/f/KEY1secret/"})
    access(logger, "GET", "/odd-but-marked", {unlogged.NO_LOG_ENVIRON: True})
    logger.exception("Error handling request %s", "/f/KEY1secret/receipt")
    text = written(tmp_path, logger)
    assert "GET /t/acme/runs HTTP/1.1" in text
    assert "KEY1secret" not in text and "/feedback" not in text and "odd-but-marked" not in text
    assert "Error handling request [feedback page]" in text


def test_dev_server_writes_no_request_line_for_feedback_pages():
    def record(path):
        return logging.LogRecord(
            "werkzeug",
            logging.INFO,
            __file__,
            1,
            '203.0.113.9 - - [24/Nov/2026 10:11:12] "%s" %s %s',
            (f"POST {path} HTTP/1.1", "200", "-"),
            None,
        )

    drop = unlogged.DropFeedbackRequests()
    assert not drop.filter(record("/f/abc/"))
    assert not drop.filter(record("/t/acme/feedback/"))
    assert drop.filter(record("/t/acme/runs"))


@pytest.fixture
def staff(app, make_tenant, make_user, browser):
    tenant = make_tenant(slug="acme")
    user = make_user(email="li.staff@acme.example", name="李员工")
    add_member(tenant, user, "staff")
    return browser  # the login happens inside the test, with logging captured


def test_from_login_to_feedback_no_log_holds_the_link_key(app, make_user, staff, caplog, tmp_path):
    # Every logger at DEBUG, but SQL echo (off in production; it would show any route's
    # parameters). The handler takes the level set last.
    caplog.set_level(logging.WARNING, logger="sqlalchemy")
    caplog.set_level(logging.DEBUG)
    logger = gunicorn_logger(tmp_path)
    responses = []

    b = staff()
    responses.append(b.login("li.staff@acme.example"))
    assert responses[-1].status_code == 302
    page = b.get("/t/acme/feedback/", headers=EN)
    responses.append(page)
    link = re.search(r'href="(/f/[^/"]+/)"', page.text).group(1)
    key = link.split("/")[2]
    form = b.client.get(link, headers=EN)
    nonce = re.search(r'name="nonce" type="hidden" value="([^"]+)"', form.text).group(1)
    sent = b.client.post(
        link,
        data={"category": "calculation", "text": "三月提成少算了。", "nonce": nonce},
        headers=EN,
    )
    assert sent.status_code == 200
    responses += [form, sent, b.get("/t/acme/", headers=EN)]

    for resp in responses:  # what gunicorn would have written for each of these requests
        environ = dict(resp.request.environ)
        uri = environ["PATH_INFO"] + (
            "?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else ""
        )
        environ["RAW_URI"] = uri
        access(logger, environ["REQUEST_METHOD"], uri, environ)
    logs = caplog.text + written(tmp_path, logger)
    assert "login user=" in logs and "GET /t/acme/ HTTP/1.1" in logs  # the capture works
    assert key not in logs
    assert "/f/" not in logs and "/feedback" not in logs
    # The proxy is told too (deploy/nginx.conf skips these and hides the header).
    assert (
        page.headers[unlogged.NO_LOG_HEADER] == "1" and sent.headers[unlogged.NO_LOG_HEADER] == "1"
    )
    assert unlogged.NO_LOG_HEADER not in responses[-1].headers


def test_an_error_on_a_feedback_page_is_logged_a_day_later_without_path_or_text(
    app, make_tenant, client, caplog, monkeypatch
):
    from jili.feedback import public, service
    from jili.tenancy import bound_tenant

    tenant = make_tenant(slug="acme")
    with bound_tenant(tenant.id):
        key = service.ensure_settings(tenant.id).link_key
        db.session.commit()

    text = "-".join(["exception", "text", key])  # a value: the log may show code, not this

    def broken(*args, **kwargs):
        raise RuntimeError(text)

    monkeypatch.setattr(public, "render_template", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: a 500 page, and a log
    caplog.set_level(logging.WARNING, logger="sqlalchemy")
    caplog.set_level(logging.DEBUG)
    assert client.get(f"/f/{key}/").status_code == 500
    assert caplog.text == ""  # held back: nothing now, so nothing with this moment's time

    unlogged.held_back.flush()  # the same day: still nothing
    assert caplog.text == ""
    monkeypatch.setattr(unlogged.HeldBackErrors, "today", staticmethod(lambda: "2999-01-01"))
    client.get("/login")  # the first request of a later day writes it
    assert "RuntimeError" in caplog.text and "error on a feedback page" in caplog.text
    assert (
        key not in caplog.text and "/f/" not in caplog.text and "exception-text" not in caplog.text
    )
