"""A job's page: its phase and percentage while it runs (the fragment polls
itself every second with htmx), then its result — the run, the import's outcome
or its row errors, the export to download — or why it failed, and a way to
start it again.

Another tenant's job is a 404; so is a job whose kind the viewer may not start
(an import for someone without ``inputs.edit``, an export without ``runs.export``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import abort, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from jili.accounts.models import User
from jili.accounts.roles import can, require
from jili.extensions import db
from jili.i18n import format_money
from jili.jobs.models import Job, JobStatus
from jili.jobs.services import files
from jili.jobs.services.tracking import JobBusy, reap_stale, start
from jili.jobs.services.words import KIND_LABELS, PHASE_LABELS, STATUS_LABELS, message_text
from jili.jobs.tasks import enqueue
from jili.org.visibility import sees_everyone
from jili.periods.models import Period
from jili.tenancy import get_scoped_or_404
from jili.web import bp
from jili.web._helpers import saved

KIND_PERMISSION = {
    "calculate": "runs.calculate",
    "pilot": "runs.calculate",
    "import_transactions": "inputs.edit",
    "import_targets": "inputs.edit",
    "import_metrics": "inputs.edit",
    "import_people": "org.edit",
    "export_payroll": "runs.export",
}
IMPORT_PAGES = {
    "import_transactions": ("transactions", "tenant.transactions_import", "tenant.transactions"),
    "import_targets": ("targets", "tenant.targets_import", "tenant.targets"),
    "import_metrics": ("metrics", "tenant.metrics_import", "tenant.metrics"),
    "import_people": ("people", "tenant.people_import", "tenant.people"),
}


def _job_or_404(job_id: int) -> Job:
    job = get_scoped_or_404(Job, job_id, g.tenant.id)
    permission = KIND_PERMISSION.get(job.kind)
    if permission is None or not can(permission):
        abort(404)
    return job


def _outcome(result: dict) -> dict | None:
    outcome = dict(result.get("outcome") or {})
    if not outcome:
        return None
    for key in ("first_date", "last_date"):
        if outcome.get(key):
            outcome[key] = date.fromisoformat(outcome[key])
    return outcome


def _confirm(job: Job) -> dict | None:
    if job.status != JobStatus.NEEDS_CONFIRMATION:
        return None
    from jili.incentives.services.budget_words import confirmation_sentences

    result = job.result or {}
    return {
        "sentences": confirmation_sentences(result.get("budget") or {}),
        "fingerprint": result.get("fingerprint", ""),
        "again": bool(result.get("again")),
    }


def job_context(job: Job) -> dict:
    result = job.result or {}
    period = None
    if job.about_period_id is not None:
        period = db.session.scalar(
            select(Period).where(Period.tenant_id == g.tenant.id, Period.id == job.about_period_id)
        )
    page = IMPORT_PAGES.get(job.kind)
    starter = db.session.get(User, job.created_by_id) if job.created_by_id else None
    return {
        "job": job,
        "period": period,
        "active": job.active,
        "kind_label": str(KIND_LABELS.get(job.kind, job.kind)),
        "status_text": str(STATUS_LABELS.get(job.status.value, job.status.value)),
        "phase_text": str(PHASE_LABELS.get(job.phase, job.phase)),
        "message": message_text(job.message, job.message_args),
        "starter": (starter.name or starter.email) if starter else "",
        "run_id": result.get("run_id"),
        "run_number": result.get("number"),
        # the run's company total: only for those who see everyone's pay
        "run_total": format_money(Decimal(result["total"]))
        if result.get("total") and sees_everyone()
        else None,
        "run_lines": result.get("lines"),
        "confirm": _confirm(job),
        "outcome": _outcome(result),
        "errors": result.get("errors") or [],
        "total_errors": result.get("total_errors") or 0,
        "kind": page[0] if page else "",
        "back_url": url_for(page[2]) if page else None,
        "again_url": url_for(page[1]) if page else None,
        "download": files.export_path(job) is not None and job.status == JobStatus.DONE,
        "poll_url": url_for("tenant.job_detail", job_id=job.id, fragment=1),
    }


@bp.route("/jobs/<int:job_id>")
@require("jobs.view")
def job_detail(job_id: int):
    job = _job_or_404(job_id)
    if job.active and reap_stale(g.tenant.id):  # its worker died: say so now
        db.session.refresh(job)
    template = "jobs/_status.html" if request.args.get("fragment") else "jobs/job.html"
    return render_template(template, **job_context(job))


@bp.route("/jobs/<int:job_id>/download")
@require("jobs.view")
def job_download(job_id: int):
    job = _job_or_404(job_id)
    path = files.export_path(job)
    if job.status != JobStatus.DONE or path is None or not path.is_file():
        abort(404)
    return send_file(
        path,
        as_attachment=True,
        download_name=(job.result or {}).get("download_name") or path.name,
        max_age=0,
    )


@bp.route("/jobs/<int:job_id>/again", methods=["POST"])
@require("jobs.view")
def job_again(job_id: int):
    """Start a failed job again with the same request (an import: the same file,
    when it is still there — a file with row errors is not kept)."""
    job = _job_or_404(job_id)
    upload = files.upload_path(job) if job.kind in IMPORT_PAGES else None
    if job.status != JobStatus.FAILED or (upload is not None and not upload.is_file()):
        abort(409, _("This job cannot be started again: start a new one from its page."))
    params = {k: v for k, v in (job.params or {}).items() if k != "confirm"}
    try:
        fresh = start(
            g.tenant.id,
            job.kind,
            period_id=job.about_period_id,
            user_id=current_user.id,
            params=params,
            locale=job.locale,
        )
    except JobBusy as exc:
        return render_template("jobs/job.html", **job_context(exc.job or job), busy=True), 409
    if upload is not None:
        with open(upload, "rb") as stream:
            files.save_upload_stream(fresh, fresh.params.get("filename", ""), stream)
        files.remove_upload(job)
    enqueue(fresh)
    url = url_for("tenant.job_detail", job_id=fresh.id)
    db.session.expire_all()
    return saved(url, "jobs/job.html", **job_context(fresh)) if g.htmx else redirect(url)
