"""The payroll export of a final run (CSV and Excel). Only roles that see every
person's pay have ``runs.export`` (owner, admin, hr): the export is the whole run."""

from __future__ import annotations

from flask import Response, abort, current_app, g, redirect, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from jili.accounts.roles import require
from jili.audit import services as audit
from jili.extensions import db
from jili.incentives.models import CalculationRun, RunKind
from jili.incentives.services.exports import payroll, to_csv, to_xlsx
from jili.incentives.views.statements import component_label
from jili.jobs.models import Job, JobStatus
from jili.jobs.services import files
from jili.jobs.services.runners import Finish, job_objects, register
from jili.jobs.services.tracking import JobBusy, start
from jili.jobs.tasks import enqueue
from jili.org.visibility import sees_everyone
from jili.periods.models import Period
from jili.tenancy import get_scoped_or_404
from jili.web import bp

# -- payroll export ----------------------------------------------------------------

_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _export(run_id: int, fmt: str) -> Response:
    run = get_scoped_or_404(CalculationRun, run_id, g.tenant.id)
    if not sees_everyone():  # the whole run: never for a role that sees only some people
        abort(403)
    if run.kind != RunKind.FINAL:
        abort(409, _("A pilot run is never paid: there is nothing to export for payroll."))
    period = get_scoped_or_404(Period, run.period_id, g.tenant.id)
    if run.line_count >= int(current_app.config.get("JOB_EXPORT_MIN_LINES") or 20000):
        return _export_as_job(run, fmt)  # a large run: a job writes the file
    data = payroll(run, component_label)
    body = to_csv(data) if fmt == "csv" else to_xlsx(data, period.label, g.tenant.timezone)
    audit.record(
        "run.export",
        run,
        after={
            "format": fmt,
            "period": period.label,
            "number": run.number,
            "rows": len(data.lines),
            "total": str(run.total),
        },
    )
    db.session.commit()
    filename = _filename(g.tenant.slug, period, run, fmt)
    return Response(
        body,
        mimetype=_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


def _filename(slug: str, period: Period, run: CalculationRun, fmt: str) -> str:
    safe_label = "".join(c if c.isalnum() or c in "-_" else "-" for c in period.label)
    return f"jili-{slug}-{safe_label}-run{run.number}.{fmt}"


# -- a large run's export as a background job (jili.jobs) ----------------------------


def _export_as_job(run: CalculationRun, fmt: str):
    try:
        job = start(
            g.tenant.id,
            "export_payroll",
            period_id=run.period_id,
            user_id=current_user.id,
            params={"run_id": run.id, "format": fmt},
            locale=str(get_locale() or ""),
        )
    except JobBusy as exc:
        if exc.job is None:
            abort(409)
        return redirect(url_for("tenant.job_detail", job_id=exc.job.id), code=303)
    enqueue(job)
    return redirect(url_for("tenant.job_detail", job_id=job.id), code=303)


@register("export_payroll")
def export_job(job: Job, tracker) -> Finish:
    """The worker's side: the same export, written to the job's folder."""
    tenant, period, user = job_objects(job)
    run = db.session.get(CalculationRun, job.params.get("run_id"))
    fmt = job.params.get("format")
    if run is None or run.tenant_id != job.tenant_id or period is None or fmt not in _TYPES:
        return Finish(JobStatus.FAILED, "not_found")
    tracker("reading", 10)
    data = payroll(run, component_label)
    tracker("writing", 60)
    body = to_csv(data) if fmt == "csv" else to_xlsx(data, period.label, tenant.timezone)
    name = _filename(tenant.slug, period, run, fmt)
    folder = files.export_dir(job)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / files.safe_name(name)).write_bytes(body)
    audit.record(
        "run.export",
        run,
        tenant_id=tenant.id,
        actor=user,
        after={
            "format": fmt,
            "period": period.label,
            "number": run.number,
            "rows": len(data.lines),
            "total": str(run.total),
        },
    )
    db.session.commit()
    return Finish(JobStatus.DONE, result={"file": name, "download_name": name})


@bp.route("/runs/<int:run_id>/export.csv")
@require("runs.export")
def run_export_csv(run_id: int):
    return _export(run_id, "csv")


@bp.route("/runs/<int:run_id>/export.xlsx")
@require("runs.export")
def run_export_xlsx(run_id: int):
    return _export(run_id, "xlsx")
