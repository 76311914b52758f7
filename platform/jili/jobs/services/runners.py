"""Running a job: what each kind does, in one transaction that is committed at the
end or never. A runner returns a :class:`Finish` (how the job ended); an
exception it did not expect fails the job with words, never a traceback (the
traceback goes to the worker's log).

Kinds: ``calculate`` and ``pilot`` (the engine, with its progress), the imports
(``import_transactions``, ``import_targets``, ``import_metrics``: the inline
importers on the saved upload, all rows or none) and whatever a capability
registers with :func:`register` (the payroll export).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from jili.accounts.models import Tenant, User
from jili.dbtypes import utcnow
from jili.extensions import db
from jili.jobs.models import Job, JobStatus
from jili.jobs.services import files
from jili.jobs.services.tracking import Tracker
from jili.periods.models import Period
from jili.tenancy import bound_tenant

log = logging.getLogger(__name__)

MAX_ERRORS_KEPT = 200


@dataclass
class Finish:
    status: JobStatus
    message: str = ""
    args: dict = field(default_factory=dict)
    result: dict = field(default_factory=dict)


Runner = Callable[[Job, Tracker], Finish]
RUNNERS: dict[str, Runner] = {}


def register(kind: str) -> Callable[[Runner], Runner]:
    def add(fn: Runner) -> Runner:
        RUNNERS[kind] = fn
        return fn

    return add


def run(tenant_id: int, job_id: int) -> None:
    """Run job ``job_id`` (the worker's task). A job that is no longer queued (it
    ran already, or was found stale) is left alone."""
    with bound_tenant(tenant_id):
        job = db.session.scalar(select(Job).where(Job.tenant_id == tenant_id, Job.id == job_id))
        if job is None or job.status != JobStatus.QUEUED:
            return
        job.status = JobStatus.RUNNING
        job.started_at = job.heartbeat_at = utcnow()
        db.session.commit()
        with force_locale(job.locale or "zh_Hans"), Tracker(job) as tracker:
            finish = _run(job, tracker)
        _finish(tenant_id, job_id, finish)


def _run(job: Job, tracker: Tracker) -> Finish:
    runner = RUNNERS.get(job.kind)
    if runner is None:
        return Finish(JobStatus.FAILED, "unexpected", {"id": job.id})
    try:
        return runner(job, tracker)
    except Exception:  # words for the person, the traceback for the log
        db.session.rollback()
        log.exception("job %s (%s) failed", job.id, job.kind)
        return Finish(JobStatus.FAILED, "unexpected", {"id": job.id})


def _finish(tenant_id: int, job_id: int, finish: Finish) -> None:
    db.session.rollback()  # whatever the runner left uncommitted is not the job's
    job = db.session.scalar(select(Job).where(Job.tenant_id == tenant_id, Job.id == job_id))
    if job is None:
        return
    job.status = finish.status
    job.message = finish.message
    job.message_args = _plain(finish.args)
    job.result = _plain(finish.result)
    job.active_key = None
    job.finished_at = utcnow()
    if finish.status == JobStatus.DONE:
        job.percent = 100
    db.session.commit()


def _plain(value: dict) -> dict:
    """JSON-safe (Decimals and dates as text)."""
    return json.loads(json.dumps(value, default=str))


def job_objects(job: Job) -> tuple[Tenant, Period | None, User | None]:
    tenant = db.session.get(Tenant, job.tenant_id)
    period = None
    if job.about_period_id is not None:
        period = db.session.scalar(
            select(Period).where(
                Period.tenant_id == job.tenant_id, Period.id == job.about_period_id
            )
        )
    user = db.session.get(User, job.created_by_id) if job.created_by_id else None
    return tenant, period, user


# -- calculations ----------------------------------------------------------------


@register("calculate")
def calculate(job: Job, tracker: Tracker) -> Finish:
    from jili.incentives.engine import (
        BudgetCutUnconfirmed,
        CalculationFailed,
        PeriodLocked,
        calculate_period,
    )
    from jili.periods.services import PeriodClosed

    tenant, period, user = job_objects(job)
    if period is None:
        return Finish(JobStatus.FAILED, "not_found")
    confirm = job.params.get("confirm") or False
    try:
        run = calculate_period(tenant, period, actor=user, confirm=confirm, progress=tracker)
    except BudgetCutUnconfirmed as exc:
        return Finish(
            JobStatus.NEEDS_CONFIRMATION,
            result={"budget": exc.budget, "fingerprint": exc.fingerprint, "again": bool(confirm)},
        )
    except (PeriodLocked, PeriodClosed):
        db.session.rollback()
        db.session.refresh(period)
        return Finish(
            JobStatus.FAILED,
            "period_locked",
            {"label": period.label, "status": period.status.value},
        )
    except CalculationFailed as exc:
        return _plan_failed(exc)
    return Finish(JobStatus.DONE, result=_run_result(run))


def _plan_failed(exc) -> Finish:
    return Finish(
        JobStatus.FAILED,
        "plan_failed",
        {"plan": exc.plan_name, "error": str(exc.error) or type(exc.error).__name__},
    )


def _run_result(run) -> dict:
    return {
        "run_id": run.id,
        "number": run.number,
        "total": str(run.total),
        "lines": run.line_count,
    }


@register("pilot")
def pilot(job: Job, tracker: Tracker) -> Finish:
    from jili.incentives.engine import CalculationFailed, is_pilotable, pilot_run
    from jili.incentives.models import PlanVersion
    from jili.periods.services import PeriodClosed

    tenant, period, user = job_objects(job)
    version = db.session.scalar(
        select(PlanVersion).where(
            PlanVersion.tenant_id == job.tenant_id,
            PlanVersion.id == job.params.get("version_id"),
        )
    )
    if period is None or version is None or not is_pilotable(version):
        return Finish(JobStatus.FAILED, "not_found")
    if period.is_closed:
        return Finish(JobStatus.FAILED, "pilot_closed", {"label": period.label})
    try:
        run = pilot_run(tenant, period, version, actor=user, progress=tracker)
    except CalculationFailed as exc:
        return _plan_failed(exc)
    except PeriodClosed:
        db.session.rollback()
        return Finish(JobStatus.FAILED, "pilot_closed", {"label": period.label})
    return Finish(JobStatus.DONE, result=_run_result(run))


# -- imports -------------------------------------------------------------------


def _importers() -> dict[str, Callable]:
    """Each import kind's importer of the saved file: ``(tenant, path, name, progress)``.
    Transactions stream from disk (:mod:`jili.inputs.services.transactions_job`);
    the others are small enough to read whole, as the inline import does."""
    from jili.inputs.services import metrics, targets, transactions_job
    from jili.org.people_import import import_people_file

    def whole(importer):
        return lambda tenant, path, name, _progress: importer(tenant, name, path.read_bytes())

    return {
        "import_transactions": transactions_job.import_transaction_path,
        "import_targets": whole(targets.import_target_file),
        "import_metrics": whole(metrics.import_metric_file),
        "import_people": whole(import_people_file),
    }


IMPORT_KINDS = ("import_transactions", "import_targets", "import_metrics", "import_people")


def _import(job: Job, tracker: Tracker) -> Finish:
    tenant = db.session.get(Tenant, job.tenant_id)
    path = files.upload_path(job)
    if not path.is_file():
        return Finish(JobStatus.FAILED, "file_missing")
    tracker("reading", 5)
    name = job.params.get("filename", path.name)
    try:
        outcome = _importers()[job.kind](tenant, path, name, tracker)
        if outcome.ok:
            tracker("committing", 95)
            db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return Finish(JobStatus.FAILED, "import_clash")
    files.remove_upload(job)
    if not outcome.ok:
        db.session.rollback()
        errors = [
            {"row": e.row or "", "column": e.column, "message": e.message}
            for e in outcome.errors[:MAX_ERRORS_KEPT]
        ]
        total = len(outcome.errors) + getattr(outcome, "more_errors", 0)
        return Finish(
            JobStatus.FAILED,
            "import_refused",
            result={"errors": errors, "total_errors": total},
        )
    return Finish(JobStatus.DONE, result={"outcome": _outcome_dict(outcome)})


def _outcome_dict(outcome) -> dict:
    keys = ("source", "created", "updated", "unchanged", "credits", "first_date", "last_date")
    return {k: getattr(outcome, k) for k in keys if hasattr(outcome, k)}


for _kind in IMPORT_KINDS:
    register(_kind)(_import)
