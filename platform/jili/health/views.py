"""``/healthz``, ``/readyz`` and the maintenance page.

The two checks answer machines (a load balancer, systemd, a monitor) in a few words
of JSON; people never see them. While the database is being migrated to this code's
schema, every page answers 503 with a translated maintenance page and ``Retry-After``.
"""

from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request, session
from flask_babel import force_locale

from jili.health.services import SchemaGate, readiness
from jili.i18n import LANGUAGES, match_accept_language

QUIET_PATHS = ("/healthz", "/readyz")
RETRY_AFTER_SECONDS = 15


def init_app(app: Flask) -> None:
    gate = SchemaGate(every=int(app.config.get("MAINTENANCE_RECHECK_SECONDS", 2)))
    app.extensions["jili.schema_gate"] = gate

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz():
        checks = readiness()
        ready = all(c.ok for c in checks)
        body = {"status": "ready" if ready else "not ready"}
        body.update({c.name: c.detail for c in checks})
        return jsonify(body), (200 if ready else 503)

    @app.before_request
    def _maintenance():
        if request.path in QUIET_PATHS or request.path.startswith("/static/"):
            return None
        if not current_app.config.get("MAINTENANCE_GATE", True) or not gate.migrating():
            return None
        # Neither the login nor the tenant is read: the schema may be half-migrated.
        lang = session.get("locale") or match_accept_language(request.accept_languages)
        lang = lang if lang in LANGUAGES else "zh_Hans"
        with force_locale(lang):
            html = render_template(
                "health/maintenance.html",
                lang=lang.replace("_", "-"),
                retry_after=RETRY_AFTER_SECONDS,
            )
        return html, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}
