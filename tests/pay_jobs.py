"""Background jobs' part of the pay-visibility matrix (tests/test_pay_visibility.py):
a calculation job's page shows the run's company total and an export job's
download the whole payroll — only to roles that see everyone's pay."""

from __future__ import annotations

from sqlalchemy import select

from jili.extensions import db
from jili.jobs.models import Job
from jili.jobs.services import runners as job_runners
from jili.jobs.services.tracking import start as start_job
from jili.tenancy import bound_tenant

REFUSED = (403, [])
HIDDEN = (404, [])


def _jobs(w) -> tuple[int, int]:
    """The job that calculated run 2, and a payroll export of run 2 run as a job."""
    if not hasattr(w, "job_ids"):
        with bound_tenant(w.t):
            calc = db.session.scalars(select(Job).where(Job.kind == "calculate")).all()
            (calc_id,) = [j.id for j in calc if j.result.get("run_id") == w.run2.id]
            export = start_job(
                w.t,
                "export_payroll",
                period_id=w.q3.id,
                params={"run_id": w.run2.id, "format": "csv"},
            )
            export_id = export.id
        job_runners.run(w.t, export_id)
        w.job_ids = (calc_id, export_id)
    return w.job_ids


def job_matrix(w, case) -> dict[str, list[tuple[str, dict]]]:
    calc, export = _jobs(w)
    return {
        "tenant.job_detail": [
            (f"/jobs/{calc}", case((200, ["36,417.04"]), REFUSED, REFUSED)),
            (f"/jobs/{export}", case((200, []), REFUSED, REFUSED, consultant=HIDDEN)),
        ],
        "tenant.job_download": [
            (f"/jobs/{export}/download", case((200, ["11851.85", "孙外队"]), REFUSED, REFUSED, consultant=HIDDEN)),
        ],
    }  # fmt: skip
