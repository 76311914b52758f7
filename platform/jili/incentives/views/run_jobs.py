"""Calculations and pilot runs as background jobs (:mod:`jili.jobs`): the
Calculate and Pilot buttons start a job; the period page answers as before when
the job has already ended (the queue in immediate mode, or a worker faster than
the request), and otherwise sends the browser to the job's page, which polls
for its phase and percentage and then links to the run."""

from __future__ import annotations

import json

from flask import g, make_response, redirect, url_for
from flask_babel import get_locale
from flask_login import current_user

from jili.extensions import db
from jili.i18n import format_any_date
from jili.jobs.models import Job, JobStatus
from jili.jobs.services.tracking import JobBusy, running, start
from jili.jobs.services.words import message_text
from jili.jobs.tasks import enqueue
from jili.periods.models import Period

#: A failure the person can fix by reopening the period: a conflict, not bad input.
CONFLICTS = frozenset({"period_locked", "pilot_closed"})


def start_job(period: Period, kind: str, params: dict) -> tuple[Job | None, str | None]:
    """(the job, already run in immediate mode), or (None, why it was refused)."""
    try:
        job = start(
            g.tenant.id,
            kind,
            period_id=period.id,
            user_id=current_user.id,
            params=params,
            locale=str(get_locale() or ""),
        )
    except JobBusy as exc:
        when = format_any_date(exc.job.created_at) if exc.job is not None else "—"
        return None, message_text("busy", {"when": when})
    enqueue(job)
    db.session.expire_all()  # the job may have ended already: read it afresh
    return db.session.get(Job, job.id), None


def failure(job: Job) -> tuple[str, int]:
    """A failed job's words and the status code the period page answers with."""
    return message_text(job.message, job.message_args), 409 if job.message in CONFLICTS else 422


def still_running(job: Job):
    """Send the person to the job's page (it polls for progress)."""
    url = url_for("tenant.job_detail", job_id=job.id)
    if g.htmx:
        # htmx fetches the job's page into #content (no reload) and shows its address
        response = make_response("", 200)
        response.headers["HX-Location"] = json.dumps({"path": url, "target": "#content"})
        return response
    return redirect(url, code=303)


def running_jobs(period: Period) -> list[Job]:
    """The period's calculation and pilot jobs still queued or running (their page
    shows how far they are)."""
    jobs = [running(g.tenant.id, kind, period.id) for kind in ("calculate", "pilot")]
    return [j for j in jobs if j is not None]


def ended(job: Job) -> bool:
    return job.status in (JobStatus.DONE, JobStatus.FAILED, JobStatus.NEEDS_CONFIRMATION)
