"""``jili jobs worker``: the background worker (huey consumer)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from jili.jobs import queue


@click.group("jobs")
def jobs_cli():
    """Background jobs: sending mail, evaluating alerts."""


@jobs_cli.command("worker")
@click.option("--workers", default=2, show_default=True, help="Threads running tasks.")
@with_appcontext
def jobs_worker(workers: int):
    """Run the huey consumer (mail outbox, daily alert evaluation)."""
    from jili.jobs import worker

    queue.configure(current_app._get_current_object())
    queue.huey.immediate = False
    click.echo(f"jili jobs worker: {type(queue.huey).__name__}, {workers} threads", err=True)
    worker.run(workers)
