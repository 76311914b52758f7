"""WSGI entry point for gunicorn: ``jili.wsgi:app``."""

from jili import create_app

app = create_app()
