"""Error pages: every 4xx/5xx the app answers is its own page (templates/error.html)
in the reader's language, never Werkzeug's bare English one.

Also the guards that turn bad input into such a page rather than a 500: a
character that text columns refuse (NUL, a lone surrogate) anywhere in the
URL, the query string or a form is a 400, a busy database a 503 with
``Retry-After``. Nothing here logs the request's path: on the anonymous
feedback pages (``/f/…``) that would tie a message to its time and author.
"""

from __future__ import annotations

import logging

from flask import Flask, abort, current_app, g, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from jili.extensions import db
from jili.uploads import has_bad_characters

log = logging.getLogger("jili.errors")
RETRY_AFTER_SECONDS = 5

TITLES = {
    400: lambda: _("Bad request"),
    403: lambda: _("Not allowed"),
    404: lambda: _("Not found"),
    405: lambda: _("Not allowed here"),
    409: lambda: _("Refused"),
    410: lambda: _("Gone"),
    413: lambda: _("File too large"),
    422: lambda: _("Cannot be processed"),
    500: lambda: _("Something went wrong"),
    503: lambda: _("Busy, try again"),
}


def _upload_limit():
    """The largest body this request could have (an import page takes more)."""
    from flask import has_request_context, request

    if has_request_context():
        return request.max_content_length
    return current_app.config.get("MAX_CONTENT_LENGTH")


MESSAGES = {
    400: lambda: _("The request could not be understood. Go back and try again."),
    403: lambda: _("Your role in this company does not allow this."),
    404: lambda: _("There is nothing here, or it is not yours to see."),
    405: lambda: _("This page cannot be used this way. Go back and use its buttons."),
    409: lambda: _("This change was refused."),
    410: lambda: _("This link is no longer valid."),
    413: lambda: _(
        "The upload is larger than %(mb)s MB, the most Jili takes. Split the file "
        "into smaller files and import them one after the other.",
        mb=_megabytes(_upload_limit()),
    ),
    422: lambda: _("The input could not be processed. Check it and try again."),
    500: lambda: _(
        "Something went wrong on our side and nothing was saved. Try again; if it "
        "happens again, tell Jili support what you were doing."
    ),
    503: lambda: _(
        "Jili is busy saving other changes at this moment and nothing was saved. "
        "Wait a few seconds and try again."
    ),
}


def _megabytes(limit: int | None) -> str:
    return "—" if not limit else f"{limit / (1024 * 1024):g}"


def error_page(code: int, message: str | None = None, title: str | None = None):
    """The app's error page for ``code``; renders without the database if it must."""
    title = title or TITLES[code]()
    message = message or MESSAGES[code]()
    try:
        return render_template("error.html", code=code, title=title, message=message), code
    except Exception:  # the page itself needs the user or the tenant: show it without
        g._login_user = current_app.login_manager.anonymous_user()
        g.tenant = None
        try:
            return render_template("error.html", code=code, title=title, message=message), code
        except Exception:
            return f"{title}\n\n{message}\n", code, {"Content-Type": "text/plain; charset=utf-8"}


def _handler(code: int):
    def handler(e: HTTPException):
        message = getattr(e, "description", None)
        if not message or message == type(e).description:
            message = None
        if isinstance(e, CSRFError):
            message = _(
                "The form has expired or did not come from this page. Reload the page "
                "and try again."
            )
        response = error_page(code, message)
        if code == 405 and getattr(e, "valid_methods", None):
            response = (*response, {"Allow": ", ".join(e.valid_methods)})
        return response

    return handler


def _busy(e: OperationalError):
    """A locked SQLite database (or a PostgreSQL connection lost): nothing was
    saved; say so and ask the browser to retry."""
    db.session.rollback()
    log.warning("database busy or unavailable: %s", type(e.orig).__name__)
    body, code = error_page(503)[:2]
    return body, code, {"Retry-After": str(RETRY_AFTER_SECONDS)}


def _refuse_bad_characters(endpoint, values) -> None:
    """Before anything reads the URL or the form: a NUL byte or a lone
    surrogate cannot be stored in text, so it is refused here."""
    if (
        has_bad_characters(request.path)
        or any(has_bad_characters(k) or has_bad_characters(v) for k, v in request.args.items(True))
        or (
            request.method in {"POST", "PUT", "PATCH"}
            and any(
                has_bad_characters(k) or has_bad_characters(v) for k, v in request.form.items(True)
            )
        )
    ):
        abort(
            400,
            _(
                "The request contains a character that cannot be stored (a NUL byte "
                "or a broken character). Remove it and try again."
            ),
        )


def init_app(app: Flask) -> None:
    # App-level: runs before any blueprint's URL processor (the tenant's and the
    # feedback link's look the URL up in the database).
    app.url_value_preprocessor(_refuse_bad_characters)
    for code in TITLES:
        app.register_error_handler(code, _handler(code))
    app.register_error_handler(OperationalError, _busy)
