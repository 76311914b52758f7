"""``jili jobs worker``: the background worker (huey consumer)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from jili.jobs import queue


@click.group("jobs")
def jobs_cli():
    """Background jobs: calculations, imports, exports, mail, alerts."""


@jobs_cli.command("worker")
@click.option("--workers", default=2, show_default=True, help="Threads running tasks.")
@with_appcontext
def jobs_worker(workers: int):
    """Run the huey consumer (calculations, imports, exports, mail, alerts).

    First, jobs whose worker died (no heartbeat for JOB_STALE_SECONDS) are marked
    failed, so they can be started again."""
    from jili.jobs import worker
    from jili.jobs.services.tracking import reap_stale
    from jili.tenancy import all_tenants

    with all_tenants():
        stale = reap_stale(None)
    if stale:
        click.echo(f"jili jobs worker: {stale} stale jobs marked failed", err=True)
    queue.configure(current_app._get_current_object())
    queue.huey.immediate = False
    click.echo(f"jili jobs worker: {type(queue.huey).__name__}, {workers} threads", err=True)
    worker.run(workers)
