"""A real worker process (``jili jobs worker``) killed with SIGKILL in the middle of
a calculation — after the run and its lines are written, before the commit —
leaves no run, no lines and the period as it was; the job is found stale by its
heartbeat when the next worker starts, and starting it again produces exactly one
run. The kill lands mid-job deterministically: the job waits on a hold file
(``JILI_JOB_HOLD_DIR``) and says so by writing a file; nothing here is timed.

SQLite only (the worker shares the test's database file); PostgreSQL's RLS and
transactions are the same code path, covered by the in-process job tests.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from huey.storage import SqliteStorage
from sqlalchemy import func, select

from jili import ROOT
from jili.dbtypes import utcnow
from jili.extensions import db
from jili.jobs import queue
from jili.jobs.models import Job, JobStatus
from jili.models import CalculationRun, PayoutLineRecord, Period, PeriodStatus
from jili.tenancy import bound_tenant
from test_runs_pages import EN, CalcWorld

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("JILI_TEST_DATABASE_URL")), reason="the worker shares a SQLite file"
)

PATIENCE = 180  # seconds: only a broken worker ever waits this long


@pytest.fixture
def world(make_tenant, member):
    return CalcWorld(make_tenant(), member)


@pytest.fixture
def real_queue(monkeypatch, tmp_path):
    """The web side enqueues on a SQLite huey file a worker process reads."""
    path = tmp_path / "huey.sqlite3"
    monkeypatch.setattr(queue.huey, "_immediate", False)
    monkeypatch.setattr(queue.huey, "storage", SqliteStorage("jili", filename=str(path)))
    return path


class Worker:
    def __init__(self, app, huey_path: Path, hold: Path, log: Path):
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(ROOT / "platform"), str(ROOT / "plugins")]),
            "JILI_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "JILI_HUEY_PATH": str(huey_path),
            "JILI_JOB_HOLD_DIR": str(hold),
            "JILI_SECRET_KEY": "test-secret",
            "JILI_JOB_FILES_DIR": str(hold.parent / "job-files"),
        }
        env.pop("JILI_REDIS_URL", None)
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from jili.cli import main; main()", "jobs", "worker"],
            env=env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            cwd=str(ROOT),
        )

    def wait_for(self, check, what: str):
        give_up_at = time.monotonic() + PATIENCE  # generous: a busy machine only waits longer
        while not check():
            assert time.monotonic() < give_up_at, f"{what}: {self.log.read_text()[-3000:]}"
            try:  # wait a moment on the worker itself: returns at once if it has died
                self.proc.wait(timeout=0.1)
            except subprocess.TimeoutExpired:
                continue
            raise AssertionError(f"worker exited: {self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _job(w, job_id: int) -> Job:
    db.session.expire_all()
    with bound_tenant(w.t):
        return db.session.get(Job, job_id)


def _counts(w) -> tuple[int, int]:
    db.session.expire_all()
    with bound_tenant(w.t):
        return (
            db.session.scalar(select(func.count(CalculationRun.id))),
            db.session.scalar(select(func.count(PayoutLineRecord.id))),
        )


def test_a_worker_killed_mid_calculation_leaves_nothing_and_the_job_runs_again(
    world, browser, app, real_queue, tmp_path
):
    w = world
    hold = tmp_path / "hold"
    hold.mkdir()
    (hold / "hold-committing").write_text("")  # stop after storing, before the commit
    log = tmp_path / "worker.log"
    b = browser(w.tenant.owner)
    resp = w.calculate(b)
    assert resp.status_code == 303
    job_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    assert _job(w, job_id).status == JobStatus.QUEUED

    first = Worker(app, real_queue, hold, log)
    try:
        first.wait_for((hold / "reached-committing").exists, "the job never reached its commit")
        job = _job(w, job_id)
        assert job.status == JobStatus.RUNNING and job.phase in ("storing", "committing")
        assert _counts(w) == (0, 0)  # written, not committed: invisible
        first.proc.send_signal(signal.SIGKILL)
        first.proc.wait(PATIENCE)
    finally:
        first.stop()

    # Nothing partial: no run, no line, the period still open, the job still "running".
    assert _counts(w) == (0, 0)
    with bound_tenant(w.t):
        assert db.session.get(Period, w.q3.id).status == PeriodStatus.OPEN
    assert _job(w, job_id).status == JobStatus.RUNNING
    page = b.get(w.url(f"/jobs/{job_id}"), headers=EN).text
    assert 'hx-trigger="every 1s"' in page  # its heartbeat is recent: still taken as running

    # Time passes with no heartbeat: the next worker finds the job stale when it starts.
    with bound_tenant(w.t):
        db.session.get(Job, job_id).heartbeat_at = utcnow() - timedelta(hours=1)
        db.session.commit()
    (hold / "hold-committing").unlink()
    second = Worker(app, real_queue, hold, log)
    try:
        second.wait_for(lambda: _job(w, job_id).status == JobStatus.FAILED, "not reaped")
        assert _job(w, job_id).message == "worker_lost" and _job(w, job_id).active_key is None
        page = b.get(w.url(f"/jobs/{job_id}"), headers=EN).text
        assert "stopped before it finished. Nothing was saved" in page
        again = b.post(w.url(f"/jobs/{job_id}/again"), headers=EN)
        assert again.status_code == 302
        new_id = int(again.headers["Location"].rsplit("/", 1)[1])
        second.wait_for(lambda: _job(w, new_id).status == JobStatus.DONE, "the new job never ran")
    finally:
        second.stop()
    runs, lines = _counts(w)
    assert runs == 1 and lines > 0
    (run,) = w.runs()
    assert run.total == _expected_total() and _job(w, new_id).result["run_id"] == run.id
    with bound_tenant(w.t):
        assert db.session.get(Period, w.q3.id).status == PeriodStatus.CALCULATED


def _expected_total():
    from decimal import Decimal

    return Decimal("23700.00")  # CalcWorld's run: 11,700 + 4,800 + 6,000 + 1,200
