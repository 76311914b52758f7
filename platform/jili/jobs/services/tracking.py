"""Starting and tracking jobs: one active job per tenant, kind and period; progress
and heartbeats written beside the job's own transaction; stale jobs (their worker
died: SIGKILL, a power cut) marked failed so the work can be started again.

Progress goes through a *side session* of its own: the job's work stays one
transaction on ``db.session`` (committed at the end or never), while the page
polling the job sees the phase and percentage as they happen. On SQLite a side
write waits at most a moment for the job's own write lock and is skipped if it
cannot have it — progress is best effort, the work is not.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import or_, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError

from jili.dbtypes import utcnow
from jili.extensions import db
from jili.jobs.models import ACTIVE, Job, JobStatus

#: The test hook: with ``JILI_JOB_HOLD_DIR`` set, a job reaching phase P while
#: ``<dir>/hold-P`` exists writes ``<dir>/reached-P`` and waits until the hold file
#: is gone — so a test can kill a worker mid-job deterministically.
HOLD_ENV = "JILI_JOB_HOLD_DIR"


class JobBusy(Exception):
    """A job of the same kind on the same period is queued or running."""

    def __init__(self, job: Job | None):
        super().__init__("a job of this kind is already running")
        self.job = job


def active_key(kind: str, period_id: int | None) -> str:
    return f"{kind}:{period_id if period_id is not None else '-'}"


def start(
    tenant_id: int,
    kind: str,
    *,
    period_id: int | None = None,
    user_id: int | None = None,
    params: dict | None = None,
    locale: str = "",
) -> Job:
    """A new queued job, committed; :class:`JobBusy` when one of the same kind and
    period is still queued or running (the unique ``active_key`` decides)."""
    reap_stale(tenant_id)
    key = active_key(kind, period_id)
    job = Job(
        tenant_id=tenant_id,
        kind=kind,
        about_period_id=period_id,
        active_key=key,
        status=JobStatus.QUEUED,
        params=params or {},
        result={},
        message_args={},
        locale=locale,
        created_by_id=user_id,
    )
    db.session.add(job)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise JobBusy(running(tenant_id, kind, period_id)) from None
    return job


def running(tenant_id: int, kind: str, period_id: int | None) -> Job | None:
    return db.session.scalar(
        select(Job).where(Job.tenant_id == tenant_id, Job.active_key == active_key(kind, period_id))
    )


def _stale_condition(tenant_id: int | None):
    now = utcnow()
    config = current_app.config
    beat = now - timedelta(seconds=int(config.get("JOB_STALE_SECONDS") or 120))
    queued = now - timedelta(seconds=int(config.get("JOB_QUEUED_STALE_SECONDS") or 21600))
    condition = or_(
        (Job.status == JobStatus.RUNNING) & (Job.heartbeat_at < beat),
        (Job.status == JobStatus.QUEUED) & (Job.created_at < queued),
    )
    return condition if tenant_id is None else condition & (Job.tenant_id == tenant_id)


def reap_stale(tenant_id: int | None) -> int:
    """Mark failed every job whose worker stopped answering (``None``: all tenants,
    inside ``all_tenants()``). Its work was never committed: nothing to undo."""
    stale = list(db.session.scalars(select(Job).where(_stale_condition(tenant_id))))
    for job in stale:
        was_running = job.status == JobStatus.RUNNING
        job.status = JobStatus.FAILED
        job.active_key = None
        job.finished_at = utcnow()
        job.message = "worker_lost" if was_running else "never_started"
        job.message_args = {}
    if stale:
        db.session.commit()
    return len(stale)


def not_queued(job: Job) -> None:
    """The queue refused the job: fail it now (its lock is released)."""
    db.session.rollback()
    job.status = JobStatus.FAILED
    job.active_key = None
    job.finished_at = utcnow()
    job.message, job.message_args = "queue_unreachable", {}
    db.session.commit()


def _side_write(tenant_id: int, job_id: int, values: dict) -> bool:
    """Update the job row in its own short transaction (not the job's); False when
    SQLite's write lock is held by the job's own transaction."""
    table = Job.__table__
    with db.engine.connect() as conn:
        dialect = conn.dialect.name
        if dialect == "sqlite":
            conn.exec_driver_sql("PRAGMA busy_timeout=200")
            conn.commit()
        try:
            with conn.begin():
                if dialect == "postgresql":
                    conn.execute(
                        text("select set_config('jili.tenant_id', :tid, true)"),
                        {"tid": str(tenant_id)},
                    )
                conn.execute(
                    update(table)
                    .where(table.c.tenant_id == tenant_id, table.c.id == job_id)
                    .values(**values)
                )
            return True
        except OperationalError:
            return False
        finally:
            if dialect == "sqlite":  # the pooled connection gets its usual patience back
                conn.exec_driver_sql("PRAGMA busy_timeout=5000")


class Tracker:
    """The progress callback a job hands to the work: ``tracker(phase, percent)``.
    Also beats the heart every ``JOB_STALE_SECONDS / 6`` from a thread while the
    job runs, so a long phase is not taken for a dead worker."""

    def __init__(self, job: Job):
        self.tenant_id = job.tenant_id
        self.job_id = job.id
        self._app = current_app._get_current_object()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __call__(self, phase: str, percent: int) -> None:
        now = utcnow()
        _side_write(
            self.tenant_id,
            self.job_id,
            {"phase": phase, "percent": max(0, min(100, int(percent))), "heartbeat_at": now},
        )
        _hold(phase)

    def __enter__(self) -> Tracker:
        interval = max(1.0, int(self._app.config.get("JOB_STALE_SECONDS") or 120) / 6)

        def beat() -> None:
            while not self._stop.wait(interval):
                with self._app.app_context():
                    _side_write(self.tenant_id, self.job_id, {"heartbeat_at": utcnow()})

        self._thread = threading.Thread(target=beat, name=f"job-{self.job_id}-beat", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def _hold(phase: str) -> None:
    folder = os.environ.get(HOLD_ENV)
    if not folder:
        return
    hold = Path(folder) / f"hold-{phase}"
    if not hold.exists():
        return
    (Path(folder) / f"reached-{phase}").write_text(str(os.getpid()))
    while hold.exists():
        time.sleep(0.05)


def is_active(job: Job) -> bool:
    return job.status in ACTIVE
