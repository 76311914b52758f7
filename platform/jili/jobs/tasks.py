"""The huey task every job runs through: ``run_job(tenant_id, job_id)``.

The job row (:mod:`jili.jobs.models`) is the truth about a job; the queue only
carries its id. A task delivered twice, or after the job was found stale, does
nothing (only a queued job starts).
"""

from __future__ import annotations

import logging

from jili.jobs.queue import app_context, huey

log = logging.getLogger(__name__)


@huey.task()
def run_job(tenant_id: int, job_id: int) -> None:
    from jili.jobs.services import runners

    with app_context():
        runners.run(tenant_id, job_id)


def enqueue(job) -> None:
    """Queue ``job`` (committed already). Under immediate mode (tests,
    ``JILI_HUEY_IMMEDIATE``) it runs now, in this process, in an app context of its
    own — so it commits on its own session, exactly as a worker would. When the
    queue cannot take it (Redis down, a full disk), the job fails with words
    instead of waiting forever."""
    try:
        run_job(job.tenant_id, job.id)
    except Exception:
        log.exception("job %s could not be queued", job.id)
        from jili.jobs.services.tracking import not_queued

        not_queued(job)
