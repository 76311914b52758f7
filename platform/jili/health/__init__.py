"""Health: ``/healthz`` (the process answers), ``/readyz`` (the database answers, its
schema is at the migrations' head, the job queue is reachable), and the maintenance
page people see while migrations run. None of these requests reaches the access log."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from jili.health import views

    views.init_app(app)
