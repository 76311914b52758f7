"""What keeps the anonymous routes anonymous at the HTTP level.

For every path under ``/f/`` (the anonymous channel):

* the session cookie is neither read nor written: the request gets a fresh,
  empty session and nothing is saved, so no cookie is set or refreshed and a
  logged-in user's session is never even opened;
* Flask-Login is told the visitor is anonymous before anything can ask, so the
  user is never loaded (not even into a debug-level SQL log);
* responses carry ``Cache-Control: no-store`` and ``Referrer-Policy: no-referrer``
  and set no cookie at all;
* no log has a line about them: see :mod:`.unlogged`.

The staff pages under ``/t/<slug>/feedback/`` are ordinary signed-in pages, but
also get ``no-store`` and ``no-referrer``.
"""

from __future__ import annotations

from flask import Flask, request
from flask.sessions import SecureCookieSession

ANONYMOUS_PREFIX = "/f/"


def is_anonymous_path(path: str) -> bool:
    return path == ANONYMOUS_PREFIX.rstrip("/") or path.startswith(ANONYMOUS_PREFIX)


class AnonymousRoutesSessionInterface:
    """Wraps the app's session interface; on ``/f/…`` the session does not exist."""

    def __init__(self, inner):
        self.inner = inner

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def open_session(self, app, req):
        if is_anonymous_path(req.path):
            return SecureCookieSession()  # fresh and empty: the cookie is not read
        return self.inner.open_session(app, req)

    def save_session(self, app, session, response):
        if is_anonymous_path(request.path):
            response.headers.remove("Set-Cookie")  # nothing, from anyone, on these routes
            return None
        return self.inner.save_session(app, session, response)

    def make_null_session(self, app):
        return self.inner.make_null_session(app)

    def is_null_session(self, obj) -> bool:
        return self.inner.is_null_session(obj)


def init_app(app: Flask) -> None:
    if not isinstance(app.session_interface, AnonymousRoutesSessionInterface):
        app.session_interface = AnonymousRoutesSessionInterface(app.session_interface)

    @app.after_request
    def _feedback_headers(response):
        staff_page = (request.blueprint or "").startswith("tenant.feedback")
        if is_anonymous_path(request.path) or staff_page:
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"
            response.headers["Referrer-Policy"] = "no-referrer"
        if is_anonymous_path(request.path):
            response.headers["X-Robots-Tag"] = "noindex, nofollow"
        return response
