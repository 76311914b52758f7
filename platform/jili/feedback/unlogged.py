"""Requests to the feedback pages leave no line in any log.

A request line ``POST /f/<link key>/`` with its second, next to ``login user=7`` and
that user's page views, would tie a message to its author. So for the anonymous
pages ``/f/…`` and the staff pages that show the link (``/t/<slug>/feedback/…``):

* gunicorn's access log skips them (:class:`GunicornLogger`, named in
  ``deploy/gunicorn.conf.py``), and its error log never names their path;
* the development server's request log skips them (:class:`DropFeedbackRequests`);
* the app marks them for the proxy: ``X-Jili-No-Log: 1``, which ``deploy/nginx.conf``
  uses to skip its access log line and then hides;
* an exception there is logged without path, request or exception text (the text
  may quote SQL parameters such as the key), and not when it happens: it is held
  back and written with the others of its UTC day on the first request of a later
  day (or when the process exits), so no log line has its time of day.
"""

from __future__ import annotations

import atexit
import logging
import re
import threading
import traceback
from datetime import UTC, datetime

from flask import Flask, request

NO_LOG_ENVIRON = "jili.no_log"
NO_LOG_HEADER = "X-Jili-No-Log"

_UNLOGGED = re.compile(r"^/(?:f(?:/|$)|t/[^/]+/feedback(?:/|$))")
_REQUEST_LINE = re.compile(r"\b(?:GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) (?P<path>\S+)")

# Not feedback pages, but kept out of the access log by the same logger: the health
# checks a load balancer or monitor asks for every few seconds.
HEALTH_PATHS = ("/healthz", "/readyz")

error_log = logging.getLogger("jili.feedback.errors")


def is_unlogged_path(path: str) -> bool:
    """A feedback page? Repeated slashes and a query string do not hide one."""
    path = re.sub(r"/{2,}", "/", (path or "").split("?", 1)[0])
    return bool(_UNLOGGED.match(path))


def _environ_unlogged(environ: dict) -> bool:
    return bool(environ.get(NO_LOG_ENVIRON)) or any(
        is_unlogged_path(environ.get(name) or "") for name in ("PATH_INFO", "RAW_URI")
    )


# --- gunicorn ---------------------------------------------------------------------

try:
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # pragma: no cover  (gunicorn is a dependency; be import-safe anyway)
    _GunicornLogger = object


class GunicornLogger(_GunicornLogger):
    """gunicorn's logger, minus every line about a feedback page."""

    def access(self, resp, req, environ, request_time):
        if _environ_unlogged(environ) or is_unlogged_path(getattr(req, "path", "")):
            return
        if (environ.get("PATH_INFO") or getattr(req, "path", "")) in HEALTH_PATHS:
            return  # a monitor asks every few seconds: its lines would bury the rest
        super().access(resp, req, environ, request_time)

    def _scrub(self, args):
        return tuple(
            "[feedback page]" if isinstance(a, str) and is_unlogged_path(a) else a for a in args
        )

    def error(self, msg, *args, **kwargs):
        super().error(msg, *self._scrub(args), **kwargs)

    def exception(self, msg, *args, **kwargs):
        super().exception(msg, *self._scrub(args), **kwargs)

    def warning(self, msg, *args, **kwargs):
        super().warning(msg, *self._scrub(args), **kwargs)


# --- the development server -------------------------------------------------------


class DropFeedbackRequests(logging.Filter):
    """For werkzeug's request log: no line at all for a feedback page."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        for arg in args:
            m = _REQUEST_LINE.search(str(arg))
            if m and (is_unlogged_path(m.group("path")) or m.group("path") in HEALTH_PATHS):
                return False
        return True


# --- errors on feedback pages -----------------------------------------------------


class HeldBackErrors:
    """Tracebacks from feedback pages, written a UTC day later than they happen."""

    def __init__(self):
        self._lock = threading.Lock()
        self._day: str | None = None
        self._pending: list[str] = []

    @staticmethod
    def today() -> str:
        return datetime.now(UTC).date().isoformat()

    def add(self, exc_info) -> None:
        exc_type, _exc, tb = exc_info
        frames = "".join(traceback.format_tb(tb))  # where in the code: no values, no text
        with self._lock:
            if not self._pending:
                self._day = self.today()
            self._pending.append(f"{exc_type.__name__}\n{frames}")

    def flush(self, force: bool = False) -> None:
        with self._lock:
            if not self._pending or (not force and self._day == self.today()):
                return
            pending, day = self._pending, self._day
            self._pending, self._day = [], None
        for text in pending:
            error_log.error(
                "error on a feedback page on %s (time and path not logged): %s", day, text
            )


held_back = HeldBackErrors()
atexit.register(held_back.flush, True)


def init_app(app: Flask) -> None:
    werkzeug_log = logging.getLogger("werkzeug")
    if not any(isinstance(f, DropFeedbackRequests) for f in werkzeug_log.filters):
        werkzeug_log.addFilter(DropFeedbackRequests())

    plain_log_exception = app.log_exception

    def log_exception(exc_info) -> None:
        if is_unlogged_path(request.path):
            held_back.add(exc_info)
        else:
            plain_log_exception(exc_info)

    app.log_exception = log_exception

    @app.before_request
    def _mark_and_flush():
        if is_unlogged_path(request.path) or (request.blueprint or "").startswith(
            "tenant.feedback"
        ):
            request.environ[NO_LOG_ENVIRON] = True
        held_back.flush()

    @app.after_request
    def _tell_the_proxy(response):
        if request.environ.get(NO_LOG_ENVIRON) or is_unlogged_path(request.path):
            response.headers[NO_LOG_HEADER] = "1"
        return response
