"""Jili (激励): sales targets and incentive schemes for many companies."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask

from jili.extensions import csrf, db, limiter, migrate
from jili.hookspecs import hookimpl

ROOT = Path(__file__).resolve().parents[2]
__all__ = ["create_app", "hookimpl", "ROOT"]


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Application factory. ``config`` overrides the defaults and the environment."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    from jili import config as defaults

    app.config.from_object(defaults)
    app.config.from_prefixed_env("JILI")
    if config:
        app.config.update(config)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        os.makedirs(app.instance_path, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            f"sqlite:///{Path(app.instance_path) / 'jili.sqlite3'}"
        )
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(app)

    logging.basicConfig(level=logging.INFO)
    if app.config.get("PROXY_FIX_X_FOR") or app.config.get("PROXY_FIX_X_PROTO"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Behind nginx: the client's address (for the login rate limit) and scheme
        # come from X-Forwarded-For / -Proto, trusting that many proxies.
        app.wsgi_app = ProxyFix(
            app.wsgi_app,
            x_for=int(app.config.get("PROXY_FIX_X_FOR") or 0),
            x_proto=int(app.config.get("PROXY_FIX_X_PROTO") or 0),
        )
    _init_db(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    from jili.uploads import allow_large_imports

    app.url_value_preprocessor(allow_large_imports)  # before anything reads the body
    csrf.init_app(app)
    limiter.init_app(app)

    _register_pages(app)
    from jili.jobs import queue

    queue.configure(app)

    # Every scheme plugin is loaded and checked now: a misspelt hook or a broken
    # third-party scheme stops the start, loudly, instead of failing a calculation.
    from jili.schemes import get_registry

    get_registry()

    from jili.cli import init_app as init_cli

    init_cli(app)
    return app


def _register_pages(app: Flask) -> None:
    """Each capability's pages. Those inside a company add their routes to the tenant
    blueprint (:mod:`jili.web`), so they are imported before it is registered."""
    from jili import feedback, health, i18n, web
    from jili.accounts.views import auth, members, password_reset, settings, signup  # noqa: F401
    from jili.adjustments import views as adjustment_pages  # noqa: F401
    from jili.alerts import views as alert_pages  # noqa: F401
    from jili.appeals import views as appeal_pages  # noqa: F401
    from jili.audit import views as audit_pages  # noqa: F401
    from jili.evaluation import views as evaluation_pages  # noqa: F401
    from jili.home import views as home_pages  # noqa: F401
    from jili.incentives.views import (  # noqa: F401  (pages)
        plan_approval,
        plan_detail,
        plans,
        publish,
        run_exports,
        runs,
        schemes,
        simulator,
        statements,
    )
    from jili.inputs.views import awards, profit, targets, transactions  # noqa: F401
    from jili.jobs import views as job_pages  # noqa: F401
    from jili.letters import views as letter_pages  # noqa: F401
    from jili.notifications import views as notification_pages  # noqa: F401
    from jili.org import views as org_pages  # noqa: F401
    from jili.periods import views as period_pages
    from jili.review import views as review_pages  # noqa: F401
    from jili.targets.views import export as target_export  # noqa: F401
    from jili.targets.views import grid as target_grid  # noqa: F401
    from jili.targets.views import metrics as target_metrics  # noqa: F401
    from jili.targets.views import person as target_person  # noqa: F401
    from jili.targets.views import split_hand as target_split_hand  # noqa: F401
    from jili.workdays import views as calendar_pages  # noqa: F401

    health.init_app(app)  # first: its maintenance page answers before anything reads the login
    i18n.init_app(app)
    auth.init_app(app)
    feedback.init_app(app)  # before web: nests its blueprint into the tenant area
    web.init_app(app)
    period_pages.init_app(app)


def _init_db(app: Flask) -> None:
    from flask_sqlalchemy.session import Session as FSASession
    from sqlalchemy import event

    from jili import dbobjects, models  # noqa: F401  (register tables
    from jili.inputs.services import facts
    from jili.tenancy import install_backstop

    db.init_app(app)
    install_backstop(FSASession)
    facts.install(FSASession)  # the facts table follows every write of credits
    dbobjects.install(db.metadata)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        with app.app_context():
            engine = db.engine

            @event.listens_for(engine, "connect")
            def _sqlite_pragmas(dbapi_conn, _record) -> None:
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA foreign_keys=ON")
                if ":memory:" not in uri:
                    cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA busy_timeout=5000")
                cur.close()


def _instance_secret(app: Flask) -> str:
    """A per-install secret kept in instance/, so sessions survive restarts."""
    import secrets

    path = Path(app.instance_path) / "secret_key"
    os.makedirs(app.instance_path, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
