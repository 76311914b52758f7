"""WSGI entry point for gunicorn: ``jili.wsgi:app``."""

from . import create_app

app = create_app()
