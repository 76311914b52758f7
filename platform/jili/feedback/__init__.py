"""Anonymous feedback (匿名反馈通道): staff speak up about the incentive scheme
without being identifiable.

The promise is structural — the system cannot tell who wrote a piece of
feedback: see docs/THREAT_MODEL.md. The parts:

* :mod:`.models` — what is stored (and, by omission, what is not);
* :mod:`.receipts` — receipt codes: shown once, kept only as a slow hash;
* :mod:`.privacy` — no session, no cookie, no identity, no caching on ``/f/…``;
* :mod:`.unlogged` — no request to a feedback page in any log;
* :mod:`.ratelimit` — limits keyed by a daily-salted hash, never in the database;
* :mod:`.public` — the anonymous pages ``/f/<link key>/``;
* :mod:`.views` — the way in from the app, and the inbox, summary and settings.

This module stays import-light: :mod:`jili.models` imports :mod:`.models`.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the feedback routes. Call before ``web.init_app`` (it nests a
    blueprint into the tenant blueprint, which must happen before that one is
    registered)."""
    from jili.feedback import privacy, ratelimit, unlogged, views  # noqa: F401  (views nests into the tenant area
    from jili.feedback.models import CATEGORY_LABELS, STATUS_LABELS, Category, Status
    from jili.feedback.public import bp as public_bp

    privacy.init_app(app)
    unlogged.init_app(app)
    ratelimit.init_app(app)
    app.register_blueprint(public_bp)
    app.jinja_env.globals["feedback_category_label"] = lambda v: CATEGORY_LABELS[Category(v)]
    app.jinja_env.globals["feedback_status_label"] = lambda v: STATUS_LABELS[Status(v)]
