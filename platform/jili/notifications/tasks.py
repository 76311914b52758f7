"""Background tasks of notifications: deliver one queued e-mail, sweep the outbox."""

from __future__ import annotations

from huey import crontab

from jili.jobs.queue import app_context, huey


@huey.task()
def deliver_mail(outbox_id: int) -> None:
    from jili.notifications import services

    with app_context():
        retry_in = services.deliver(outbox_id)
    if retry_in is not None and not huey.immediate:
        deliver_mail.schedule((outbox_id,), delay=retry_in)


@huey.periodic_task(crontab(minute="*/5"))
def sweep_outbox() -> None:
    """Every mail that is due (a retry whose scheduled task was lost, a restart)."""
    from jili.notifications import services

    with app_context():
        for outbox_id in services.due_outbox():
            services.deliver(outbox_id)
