"""The one huey instance background work is queued on.

* ``JILI_REDIS_URL`` set: a RedisHuey on that server (several web machines).
* Otherwise a SqliteHuey in ``instance/huey.sqlite3`` (``JILI_HUEY_PATH`` to move it).
* Under tests (``TESTING``) or ``JILI_HUEY_IMMEDIATE``: immediate mode — a task runs
  at once, in the caller's process, on huey's in-memory storage.

The consumer is ``jili jobs worker`` (``make run`` starts it beside gunicorn; the
systemd unit is ``deploy/jili-worker.service``). A task runs inside
:func:`app_context`: the application that configured the queue (create_app,
or the worker command's).
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from huey import RedisHuey, SqliteHuey

_INSTANCE = Path(__file__).resolve().parents[3] / "instance"


def _make_huey():
    url = os.environ.get("JILI_REDIS_URL")
    if url:
        return RedisHuey("jili", url=url)
    path = os.environ.get("JILI_HUEY_PATH") or str(_INSTANCE / "huey.sqlite3")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return SqliteHuey("jili", filename=path)


huey = _make_huey()
_app: Flask | None = None


def configure(app: Flask) -> None:
    """Called by create_app: tasks run in this application; immediate under tests."""
    global _app
    _app = app
    if app.config.get("TESTING") or app.config.get("HUEY_IMMEDIATE"):
        huey.immediate = True


def app_context():
    """A fresh application context (its own database session) for one task."""
    if _app is None:
        raise RuntimeError("no application: start the worker with `jili jobs worker`")
    return _app.app_context()


def reachable() -> bool:
    """Does the queue's storage answer? (/readyz asks: SQLite file or Redis server.)"""
    huey.storage.queue_size()
    return True
