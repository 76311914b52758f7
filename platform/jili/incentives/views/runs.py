"""Calculation pages: a period's plans and runs, calculating, a run's result
(budget, totals, what changed since the previous run), publishing and
closing, pilot runs, and the payroll export."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from flask import flash, g, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from jili.accounts.roles import require
from jili.extensions import db
from jili.i18n import STATUS_LABELS
from jili.incentives.engine import (
    PlanStatus,
    is_pilotable,
    plans_for_period,
)
from jili.incentives.models import (
    ApprovalStatus,
    CalculationRun,
    PayoutLineRecord,
    PlanVersion,
    RunKind,
)
from jili.incentives.services.authors import run_author, run_authors
from jili.incentives.services.budget_words import (
    confirmation_sentences,
)
from jili.incentives.views import run_jobs
from jili.incentives.views.run_page import people_by_id, plan_status_label, sums
from jili.incentives.views.run_page import run_context as _run_context
from jili.incentives.views.statements import _plan_url
from jili.jobs.models import JobStatus
from jili.org.models import Person, Team
from jili.org.visibility import person_condition, visible_person_ids
from jili.periods.models import Period, PeriodStatus
from jili.tenancy import get_scoped_or_404
from jili.web import bp
from jili.web._helpers import saved

ZERO = Decimal(0)
LOCKED = (PeriodStatus.PUBLISHED, PeriodStatus.CLOSED)

# -- the period's calculation page ----------------------------------------------------


def _pilot_versions(entries) -> list[dict]:
    """Pilot versions of the period's calculable plans, for the pilot form."""
    calculable = {e.plan.id: e for e in entries if e.scheme is not None}
    if not calculable:
        return []
    versions = db.session.scalars(
        select(PlanVersion)
        .where(
            PlanVersion.tenant_id == g.tenant.id,
            or_(
                PlanVersion.is_pilot.is_(True),
                PlanVersion.status == ApprovalStatus.PROPOSED,
            ),
            PlanVersion.plan_id.in_(list(calculable)),
        )
        .order_by(PlanVersion.plan_id, PlanVersion.number)
    ).all()
    teams = dict(
        db.session.execute(select(Team.id, Team.name).where(Team.tenant_id == g.tenant.id)).all()
    )
    out = []
    for v in versions:
        team_names = [teams.get(t, f"#{t}") for t in v.pilot_team_ids or []]
        if not v.is_pilot:
            out.append(
                {
                    "id": v.id,
                    "label": _(
                        "%(plan)s — proposed version %(n)d (awaiting approval)",
                        plan=calculable[v.plan_id].plan.name,
                        n=v.number,
                    ),
                }
            )
            continue
        out.append(
            {
                "id": v.id,
                "label": _(
                    "%(plan)s — pilot version %(n)d (teams: %(teams)s)",
                    plan=calculable[v.plan_id].plan.name,
                    n=v.number,
                    teams="、".join(team_names) or "—",
                ),
            }
        )
    return out


def _period_context(period: Period, error: str | None = None) -> dict:
    entries = plans_for_period(g.tenant.id, period)
    runs = db.session.scalars(
        select(CalculationRun)
        .where(CalculationRun.tenant_id == g.tenant.id, CalculationRun.period_id == period.id)
        .order_by(CalculationRun.number.desc())
    ).all()
    latest = next((r for r in runs if r.kind == RunKind.FINAL), None)
    return {
        "period": period,
        "entries": entries,
        "runs": runs,
        "authors": run_authors(g.tenant.id, runs),
        "shown": _shown_totals(runs),
        "partial": visible_person_ids() is not None,
        "latest": latest,
        "locked": period.status in LOCKED,
        "pilots": _pilot_versions(entries),
        "running_jobs": run_jobs.running_jobs(period),
        "error": error,
        "active_count": sum(1 for e in entries if e.status == PlanStatus.ACTIVE),
        "plan_url": _plan_url,
        "plan_status_label": plan_status_label,
    }


def _shown_totals(runs) -> dict[int, tuple[Decimal, int]]:
    """run id → (total, lines) over the people the viewer may see: the run's own
    figures for those who see everyone, the visible people's sum for a manager."""
    condition = person_condition(PayoutLineRecord.person_id)
    if condition is None or not runs:
        return {r.id: (r.total, r.line_count) for r in runs}
    shown = {r.id: (ZERO, 0) for r in runs}
    rows = db.session.execute(
        select(
            PayoutLineRecord.run_id,
            func.sum(PayoutLineRecord.amount),
            func.count(PayoutLineRecord.id),
        )
        .where(
            PayoutLineRecord.tenant_id == g.tenant.id,
            PayoutLineRecord.run_id.in_([r.id for r in runs]),
            condition,
        )
        .group_by(PayoutLineRecord.run_id)
    ).all()
    for run_id, total, lines in rows:
        shown[run_id] = (total or ZERO, lines or 0)
    return shown


def _period_page(
    period: Period, error: str | None = None, status: int = 200, confirm: dict | None = None
):
    context = _period_context(period, error)
    context["confirm"] = confirm
    return render_template("incentives/runs/period.html", **context), status


@bp.route("/periods/<int:period_id>/runs")
@require("runs.view")
def period_runs(period_id: int):
    return _period_page(get_scoped_or_404(Period, period_id, g.tenant.id))


def _locked_message(period: Period) -> str:
    return _(
        "%(label)s is %(status)s: its calculation is locked. Reopen the period first to "
        "calculate it again.",
        label=period.label,
        status=STATUS_LABELS[period.status.value],
    )


@bp.route("/periods/<int:period_id>/runs/calculate", methods=["POST"])
@require("runs.calculate")
def runs_calculate(period_id: int):
    period = get_scoped_or_404(Period, period_id, g.tenant.id)
    # A deep cut is stored only once confirmed for the very inputs shown (their
    # fingerprint): inputs changed since the question make it ask again.
    confirm = (request.form.get("confirm_budget_cut") or "").strip()
    if period.status in LOCKED:
        return _period_page(period, _locked_message(period), 409)
    # -- runs as a background job (run_jobs): progress on the job's page --
    job, refused = run_jobs.start_job(period, "calculate", {"confirm": confirm})
    if job is None:
        return _period_page(period, refused, 409)
    if not run_jobs.ended(job):
        return run_jobs.still_running(job)
    if job.status == JobStatus.NEEDS_CONFIRMATION:
        result = job.result or {}
        return _period_page(
            period,
            confirm={
                "sentences": confirmation_sentences(result.get("budget") or {}),
                "fingerprint": result.get("fingerprint", ""),
                "again": bool(result.get("again")),
            },
        )
    if job.status == JobStatus.FAILED:
        return _period_page(period, *run_jobs.failure(job))
    run = get_scoped_or_404(CalculationRun, job.result["run_id"], g.tenant.id)
    flash(
        _(
            "Run %(n)d of %(label)s calculated: %(total)s in %(lines)d lines.",
            n=run.number,
            label=period.label,
            total=_money(run.total),
            lines=run.line_count,
        ),
        "success",
    )
    url = url_for("tenant.run_detail", run_id=run.id)
    return saved(url, "incentives/runs/run.html", **_run_context(run))


@bp.route("/periods/<int:period_id>/runs/pilot", methods=["POST"])
@require("runs.calculate")
def runs_pilot(period_id: int):
    period = get_scoped_or_404(Period, period_id, g.tenant.id)
    version_id = request.form.get("version_id", type=int)
    version = None
    if version_id is not None:
        version = db.session.scalar(
            select(PlanVersion).where(
                PlanVersion.id == version_id,
                PlanVersion.tenant_id == g.tenant.id,
            )
        )
        if version is not None and not is_pilotable(version):
            version = None
    if version is None:
        return _period_page(period, _("Choose a pilot version to run."), 422)
    if period.is_closed:
        return _period_page(
            period,
            _("%(label)s is closed: not even a pilot can run on it.", label=period.label),
            409,
        )
    # -- runs as a background job (run_jobs): progress on the job's page --
    job, refused = run_jobs.start_job(period, "pilot", {"version_id": version.id})
    if job is None:
        return _period_page(period, refused, 409)
    if not run_jobs.ended(job):
        return run_jobs.still_running(job)
    if job.status != JobStatus.DONE:
        return _period_page(period, *run_jobs.failure(job))
    run = get_scoped_or_404(CalculationRun, job.result["run_id"], g.tenant.id)
    flash(_("Pilot run %(n)d calculated. It is never paid.", n=run.number), "success")
    return saved(
        url_for("tenant.run_detail", run_id=run.id),
        "incentives/runs/pilot.html",
        **_pilot_context(run),
    )


# -- a run ---------------------------------------------------------------------------


def _money(amount) -> str:
    from jili.i18n import format_money

    return format_money(amount)


def _person_key(people: dict[int, Person], pid: int):
    p = people.get(pid)
    return (p.employee_no if p else "~", pid)


def _pilot_context(run: CalculationRun) -> dict:
    period = get_scoped_or_404(Period, run.period_id, g.tenant.id)
    sides: dict[int, dict[str, Decimal]] = defaultdict(lambda: {"in_force": ZERO, "pilot": ZERO})
    for pid, _plan, side, amount, _before, _lines in sums(run):
        if side in ("in_force", "pilot"):
            sides[pid][side] += amount
    people = people_by_id(sides)
    rows = [
        {
            "person": people.get(pid),
            "person_id": pid,
            "in_force": s["in_force"],
            "pilot": s["pilot"],
            "change": s["pilot"] - s["in_force"],
            "statement": True,  # _sums keeps only the people the viewer may see
        }
        for pid, s in sorted(sides.items(), key=lambda kv: _person_key(people, kv[0]))
    ]
    plan = (run.plans or [{}])[0]
    teams = dict(
        db.session.execute(select(Team.id, Team.name).where(Team.tenant_id == g.tenant.id)).all()
    )
    total_in_force = sum((r["in_force"] for r in rows), ZERO)
    total_pilot = sum((r["pilot"] for r in rows), ZERO)
    return {
        "run": run,
        "author": run_author(run),
        "period": period,
        "partial": visible_person_ids() is not None,
        "plan": plan,
        "pilot_teams": [teams.get(t, f"#{t}") for t in plan.get("pilot_team_ids", [])],
        "rows": rows,
        "total_in_force": total_in_force,
        "total_pilot": total_pilot,
        "total_change": total_pilot - total_in_force,
        "plan_url": _plan_url,
    }


@bp.route("/runs/<int:run_id>")
@require("runs.view")
def run_detail(run_id: int):
    run = get_scoped_or_404(CalculationRun, run_id, g.tenant.id)
    if run.kind == RunKind.PILOT:
        return render_template("incentives/runs/pilot.html", **_pilot_context(run))
    return render_template("incentives/runs/run.html", **_run_context(run))
