"""Background jobs (jili.jobs): calculations, pilot runs, large imports and large
exports run as jobs with phase and percentage; the page polls; a failed job says
why and leaves nothing; two jobs of one kind on one period never run at once; a
job whose worker died is found stale and can be started again.

The queue is in immediate mode here (a job runs inside the request that starts
it, on a session of its own); where a test needs a job to *stay* queued, the
task is replaced by a recorder and run by hand. The SIGKILL case, with a real
worker process, is tests/test_jobs_worker_kill.py.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from jili.dbtypes import utcnow
from jili.extensions import db
from jili.incentives.engine import calculate_period
from jili.incentives.engine import runs as engine_runs
from jili.jobs import tasks
from jili.jobs.models import Job, JobStatus
from jili.jobs.services import runners
from jili.jobs.services.tracking import JobBusy, start
from jili.models import AuditLog, IncentiveSetting, PayoutLineRecord
from jili.tenancy import bound_tenant
from test_runs_pages import EN, CalcWorld

D = Decimal


@pytest.fixture
def world(make_tenant, member):
    return CalcWorld(make_tenant(), member)


def jobs(w) -> list[Job]:
    with bound_tenant(w.t):
        return list(db.session.scalars(select(Job).order_by(Job.id)))


def count(w, model) -> int:
    with bound_tenant(w.t):
        return db.session.scalar(select(func.count(model.id)).where(model.tenant_id == w.t))


@pytest.fixture
def held(monkeypatch):
    """Jobs stay queued: the task records them instead of running; ``run()`` runs
    them as the worker would."""
    queued: list[tuple[int, int]] = []
    monkeypatch.setattr(tasks, "run_job", lambda t, j: queued.append((t, j)))

    class Held:
        jobs = queued

        @staticmethod
        def run():
            while queued:
                runners.run(*queued.pop(0))

    return Held


# -- a calculation end to end ------------------------------------------------------


def test_the_calculate_button_runs_a_job_and_the_job_page_links_to_the_run(world, browser):
    w = world
    b = browser(w.tenant.owner)
    resp = w.calculate(b)
    (run,) = w.runs()
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/runs/{run.id}")
    (job,) = jobs(w)
    assert (job.kind, job.status, job.percent, job.about_period_id) == (
        "calculate",
        JobStatus.DONE,
        100,
        w.q3.id,
    )
    assert job.result["run_id"] == run.id and job.active_key is None
    assert job.started_at and job.finished_at and job.heartbeat_at
    page = b.get(w.url(f"/jobs/{job.id}"), headers=EN).text
    assert f'/runs/{run.id}"' in page and "Open the run" in page
    assert "23,700.00" in page  # the run's total: an owner sees everyone's pay
    assert 'hx-trigger="every 1s"' not in page  # ended: no more polling


def test_the_engine_reports_its_phases_in_order_with_rising_percentages(world):
    w = world
    heard: list[tuple[str, int]] = []
    with bound_tenant(w.t):
        calculate_period(w.tenant, w.q3, progress=lambda p, pct: heard.append((p, pct)))
    phases = [p for p, _pct in heard]
    order = ["facts", "schemes", "budget", "storing", "committing"]
    assert [p for p in order if p in phases] == order
    assert [phases.index(p) for p in order] == sorted(phases.index(p) for p in order)
    percents = [pct for _p, pct in heard]
    assert percents == sorted(percents) and 0 < percents[0] and percents[-1] < 100


def test_a_queued_job_page_polls_every_second_then_shows_the_result(world, browser, held):
    w = world
    b = browser(w.tenant.owner)
    resp = w.calculate(b)
    (job,) = jobs(w)
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/jobs/{job.id}")
    assert w.runs() == [] and job.status == JobStatus.QUEUED
    page = b.get(resp.headers["Location"], headers=EN).text
    assert 'hx-trigger="every 1s"' in page and "Waiting for a worker" in page
    assert f"/jobs/{job.id}?fragment=1" in page
    fragment = b.get(w.url(f"/jobs/{job.id}?fragment=1"), headers=EN).text
    assert fragment.lstrip().startswith("<section") and "<html" not in fragment
    held.run()
    (run,) = w.runs()
    fragment = b.get(w.url(f"/jobs/{job.id}?fragment=1"), headers=EN).text
    assert 'hx-trigger="every 1s"' not in fragment and f"/runs/{run.id}" in fragment


def test_htmx_calculate_of_a_queued_job_sends_the_browser_to_the_job_page(world, browser, held):
    w = world
    resp = browser(w.tenant.owner).post(
        w.url(f"/periods/{w.q3.id}/runs/calculate"), headers={**EN, "HX-Request": "true"}
    )
    (job,) = jobs(w)
    location = json.loads(resp.headers["HX-Location"])
    assert location["path"].endswith(f"/jobs/{job.id}") and location["target"] == "#content"


def test_a_running_job_shows_its_phase_and_percentage(world, browser, held):
    w = world
    b = browser(w.tenant.owner)
    w.calculate(b)
    (job,) = jobs(w)
    with bound_tenant(w.t):
        db.session.get(Job, job.id).status = JobStatus.RUNNING
        db.session.get(Job, job.id).heartbeat_at = utcnow()
        db.session.commit()
        runners.Tracker(db.session.get(Job, job.id))("budget", 70)
    page = b.get(w.url(f"/jobs/{job.id}?fragment=1"), headers=EN).text
    assert "Applying the budget ceiling" in page and 'value="70"' in page and "70%" in page


# -- never two at once; stale jobs ------------------------------------------------


def test_two_calculations_of_one_period_never_run_at_once(world, browser, held):
    w = world
    b = browser(w.tenant.owner)
    assert w.calculate(b).status_code == 303
    resp = w.calculate(b)
    assert resp.status_code == 409
    assert "already running for this period" in resp.text
    (job,) = jobs(w)
    assert f'href="/t/{w.slug}/jobs/{job.id}"' in resp.text  # the running job's page
    page = b.get(w.url(f"/periods/{w.q3.id}/runs"), headers=EN).text
    assert "A calculation of this period is running (0 %)" in page
    assert len(jobs(w)) == 1
    with bound_tenant(w.t), pytest.raises(JobBusy):
        start(w.t, "calculate", period_id=w.q3.id)
    # another period, or another kind, is not held up
    with bound_tenant(w.t):
        start(w.t, "calculate", period_id=w.q2.id)
        start(w.t, "export_payroll", period_id=w.q3.id)
    held.run()
    assert len(w.runs()) == 1
    assert w.calculate(b).status_code == 303  # the first ended: a new one may start


def test_a_job_whose_worker_died_is_failed_when_its_page_polls_and_can_start_again(
    world, browser, held
):
    w = world
    b = browser(w.tenant.owner)
    w.calculate(b)
    (job,) = jobs(w)
    with bound_tenant(w.t):
        dead = db.session.get(Job, job.id)
        dead.status, dead.started_at = JobStatus.RUNNING, utcnow() - timedelta(hours=1)
        dead.heartbeat_at = utcnow() - timedelta(minutes=30)  # no heartbeat for half an hour
        db.session.commit()
    page = b.get(w.url(f"/jobs/{job.id}"), headers=EN).text
    assert "stopped before it finished. Nothing was saved" in page
    assert 'hx-trigger="every 1s"' not in page and 'id="job-again"' in page
    with bound_tenant(w.t):
        assert db.session.get(Job, job.id).status == JobStatus.FAILED
        assert db.session.get(Job, job.id).active_key is None
    held.jobs.clear()
    resp = b.post(w.url(f"/jobs/{job.id}/again"), headers=EN)
    assert resp.status_code == 302
    held.run()
    assert len(w.runs()) == 1


def test_starting_a_job_reaps_a_stale_one_of_the_same_kind(world, browser, held):
    w = world
    b = browser(w.tenant.owner)
    w.calculate(b)
    with bound_tenant(w.t):
        (job,) = db.session.scalars(select(Job)).all()
        job.status, job.heartbeat_at = JobStatus.RUNNING, utcnow() - timedelta(hours=1)
        db.session.commit()
    held.jobs.clear()
    assert w.calculate(b).status_code == 303
    statuses = [j.status for j in jobs(w)]
    assert statuses == [JobStatus.FAILED, JobStatus.QUEUED]


# -- failing leaves nothing ---------------------------------------------------------


def test_a_job_failing_while_storing_says_why_and_leaves_nothing(world, browser, monkeypatch):
    w = world
    real = engine_runs.store_final_run

    def store_then_fail(*args, **kw):
        real(*args, **kw)  # the run and its lines are flushed…
        raise RuntimeError("disk full")  # …and then the job dies

    monkeypatch.setattr(engine_runs, "store_final_run", store_then_fail)
    b = browser(w.tenant.owner)
    resp = w.calculate(b)
    assert resp.status_code == 422
    assert "Something went wrong on our side and nothing was saved" in resp.text
    assert "Traceback" not in resp.text and "disk full" not in resp.text
    assert w.runs() == [] and count(w, PayoutLineRecord) == 0
    (job,) = jobs(w)
    assert job.status == JobStatus.FAILED and job.active_key is None
    with bound_tenant(w.t):
        assert not db.session.scalars(
            select(AuditLog).where(AuditLog.action == "run.calculate")
        ).all()


def test_a_plan_that_fails_fails_the_job_with_the_plans_name(world, browser, monkeypatch):
    w = world
    from jili_tiered_commission import TieredCommission

    def boom(*args, **kw):
        raise ValueError("tier table empty")

    monkeypatch.setattr(TieredCommission, "calculate", boom)
    resp = w.calculate(browser(w.tenant.owner))
    assert resp.status_code == 422
    assert "阶梯提成" in resp.text and "tier table empty" in resp.text
    assert w.runs() == []


# -- the budget deep cut still asks ---------------------------------------------


def test_a_deep_budget_cut_stops_the_job_for_confirmation(world, browser, held):
    w = world
    with bound_tenant(w.t):
        db.session.add(IncentiveSetting(tenant_id=w.t, ceiling_quarter_amount=D("100.00")))
        db.session.commit()
    b = browser(w.tenant.owner)
    w.calculate(b)
    held.run()
    (job,) = jobs(w)
    assert job.status == JobStatus.NEEDS_CONFIRMATION and w.runs() == []
    page = b.get(w.url(f"/jobs/{job.id}"), headers=EN).text
    assert 'id="confirm-budget-cut"' in page and "more than half" in page
    fingerprint = job.result["fingerprint"]
    assert f'value="{fingerprint}"' in page
    resp = b.post(
        w.url(f"/periods/{w.q3.id}/runs/calculate"),
        data={"confirm_budget_cut": fingerprint},
        headers=EN,
    )
    assert resp.status_code == 303
    held.run()
    (run,) = w.runs()
    assert run.budget["confirmed"] is True and run.total == D("100.00")


def test_the_confirmation_still_answers_inline_in_immediate_mode(world, browser):
    w = world
    with bound_tenant(w.t):
        db.session.add(IncentiveSetting(tenant_id=w.t, ceiling_quarter_amount=D("100.00")))
        db.session.commit()
    resp = w.calculate(browser(w.tenant.owner))
    assert resp.status_code == 200 and 'id="confirm-budget-cut"' in resp.text
    assert w.runs() == []


def test_a_queue_that_does_not_answer_fails_the_job_with_words(world, browser, monkeypatch):
    w = world

    def down(*_args):
        raise ConnectionError("redis: connection refused")

    monkeypatch.setattr(tasks, "run_job", down)
    b = browser(w.tenant.owner)
    resp = w.calculate(b)
    assert resp.status_code == 422 and "The job queue did not answer" in resp.text
    (job,) = jobs(w)
    assert job.status == JobStatus.FAILED and job.active_key is None and w.runs() == []
    monkeypatch.undo()
    assert w.calculate(b).status_code == 302 and len(w.runs()) == 1  # nothing held it
