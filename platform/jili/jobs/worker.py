"""Every task module, imported so the consumer knows them; and the consumer itself."""

from __future__ import annotations

from jili.alerts import tasks as alert_tasks  # noqa: F401  (registers tasks)
from jili.evaluation import tasks as evaluation_tasks  # noqa: F401  (registers tasks)
from jili.jobs import tasks as job_tasks  # noqa: F401  (registers tasks)
from jili.jobs.queue import huey
from jili.notifications import tasks as notification_tasks  # noqa: F401  (registers tasks)


def run(workers: int = 2) -> None:
    """Run the huey consumer with the periodic tasks until stopped."""
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=True)
    consumer.run()
