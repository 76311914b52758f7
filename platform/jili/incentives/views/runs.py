"""Calculation pages: a period's plans and runs, calculating, a run's result
(budget, totals, what changed since the previous run), publishing and
closing, pilot runs, and the payroll export."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from flask import flash, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from jili.accounts.roles import require
from jili.extensions import db
from jili.i18n import STATUS_LABELS
from jili.incentives.engine import (
    PlanStatus,
    corrections,
    diff_runs,
    is_pilotable,
    latest_run,
    plans_for_period,
    previous_run,
)
from jili.incentives.models import (
    ApprovalStatus,
    CalculationRun,
    PayoutLineRecord,
    Plan,
    PlanVersion,
    RunKind,
)
from jili.incentives.services.authors import run_author, run_authors
from jili.incentives.services.budget_words import (
    KIND_LABELS,
    ceiling_sentences,
    confirmation_sentences,
)
from jili.incentives.views import run_jobs
from jili.incentives.views.statements import _plan_url
from jili.jobs.models import JobStatus
from jili.org.models import Person, Team
from jili.org.visibility import person_condition, visible_person_ids
from jili.periods.models import Period, PeriodStatus
from jili.schemes.lines import fmt_number
from jili.tenancy import get_scoped_or_404
from jili.web import bp
from jili.web._helpers import saved

ZERO = Decimal(0)
LOCKED = (PeriodStatus.PUBLISHED, PeriodStatus.CLOSED)

PLAN_STATUS_LABELS = {
    PlanStatus.ACTIVE: _l("Active"),
    PlanStatus.DISABLED: _l("Scheme disabled — not calculated"),
    PlanStatus.UNAVAILABLE: _l("Scheme not installed — unavailable"),
    PlanStatus.NOT_IN_FORCE: _l("No version in force for this period"),
}
DIFF_LABELS = {"added": _l("Added"), "removed": _l("Removed"), "changed": _l("Changed")}
BUDGET_RULE_LABELS = {
    "proportional": _l("proportional cut"),
    "priority": _l("by plan priority"),
}


def plan_status_label(status: str) -> str:
    return str(PLAN_STATUS_LABELS.get(status, status))


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


def _people() -> dict[int, Person]:
    return {
        p.id: p for p in db.session.scalars(select(Person).where(Person.tenant_id == g.tenant.id))
    }


def _plan_names(run: CalculationRun) -> dict[int, str]:
    names = dict(
        db.session.execute(select(Plan.id, Plan.name).where(Plan.tenant_id == g.tenant.id)).all()
    )
    names.update({p["plan_id"]: p["plan_name"] for p in run.plans or [] if "plan_id" in p})
    names[corrections.CORRECTIONS_PLAN_ID] = corrections.plan_name()
    return names


def _sums(run: CalculationRun) -> list[tuple[int, int, str, Decimal, Decimal, int]]:
    """(person, plan, side, amount, amount before budget, lines) summed, one query,
    for the people the viewer may see (:mod:`jili.org.visibility`)."""
    query = select(
        PayoutLineRecord.person_id,
        PayoutLineRecord.plan_id,
        PayoutLineRecord.side,
        func.sum(PayoutLineRecord.amount),
        func.sum(PayoutLineRecord.amount_before_budget),
        func.count(PayoutLineRecord.id),
    ).where(PayoutLineRecord.tenant_id == g.tenant.id, PayoutLineRecord.run_id == run.id)
    condition = person_condition(PayoutLineRecord.person_id)
    if condition is not None:
        query = query.where(condition)
    rows = db.session.execute(
        query.group_by(PayoutLineRecord.person_id, PayoutLineRecord.plan_id, PayoutLineRecord.side)
    ).all()
    return [(r[0], r[1], r[2], r[3] or ZERO, r[4] or ZERO, r[5] or 0) for r in rows]


def _person_key(people: dict[int, Person], pid: int):
    p = people.get(pid)
    return (p.employee_no if p else "~", pid)


def _budget(run: CalculationRun) -> dict:
    b = run.budget or {}
    ceiling = b.get("ceiling")
    return {
        "ceiling": Decimal(ceiling) if ceiling not in (None, "") else None,
        "rule": str(BUDGET_RULE_LABELS.get(b.get("rule"), b.get("rule") or "")),
        "before": Decimal(b.get("total_before") or run.total),
        "after": Decimal(b.get("total_after") or run.total),
        "applied": bool(b.get("applied")),
        "amount": Decimal(b["amount"]) if b.get("amount") else None,
        "pct_of_revenue": fmt_number(Decimal(b["pct_of_revenue"]))
        if b.get("pct_of_revenue")
        else None,
        "kind": str(KIND_LABELS.get(b.get("period_kind"), "")),
        "sentences": ceiling_sentences(b),
    }


def _diff_rows(run: CalculationRun, previous, people, plan_names, visible) -> list[dict]:
    """What changed against ``previous``, for the people the viewer may see."""
    if previous is None:
        return []
    diff = []
    for d in diff_runs(run, previous):
        if visible is not None and d.person_id not in visible:
            continue
        diff.append(
            {
                "person": people.get(d.person_id),
                "person_id": d.person_id,
                "plan": plan_names.get(d.plan_id, f"#{d.plan_id}"),
                "before": d.before,
                "after": d.after,
                "change": d.change,
                "kind": d.kind,
                "kind_label": str(DIFF_LABELS[d.kind]),
            }
        )
    diff.sort(key=lambda r: (_person_key(people, r["person_id"]), r["plan"]))
    return diff


def _run_context(run: CalculationRun, error: str | None = None) -> dict:
    """The run page. A manager sees their people's rows only, with totals over
    those rows: no company total, no budget (it is the whole company's)."""
    period = get_scoped_or_404(Period, run.period_id, g.tenant.id)
    people = _people()
    plan_names = _plan_names(run)
    visible = visible_person_ids()
    cells: dict[int, dict[int, Decimal]] = defaultdict(dict)
    cut: set[int] = set()
    plan_totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    lines = 0
    for pid, plan_id, _side, amount, before, count in _sums(run):
        cells[pid][plan_id] = cells[pid].get(plan_id, ZERO) + amount
        plan_totals[plan_id] += amount
        lines += count
        if amount != before:
            cut.add(pid)
    plan_order = [p["plan_id"] for p in run.plans or [] if p["plan_id"] in plan_totals]
    plan_order += sorted(set(plan_totals) - set(plan_order))
    rows = [
        {
            "person": people.get(pid),
            "person_id": pid,
            "cells": [cells[pid].get(plan_id) for plan_id in plan_order],
            "total": sum(cells[pid].values(), ZERO),
            "cut": pid in cut,
            "statement": True,  # every row shown is one the viewer may see
        }
        for pid in sorted(cells, key=lambda pid: _person_key(people, pid))
    ]
    previous = previous_run(run) if run.kind == RunKind.FINAL else None
    latest = latest_run(g.tenant.id, period.id)
    return {
        "run": run,
        "author": run_author(run),
        "period": period,
        "partial": visible is not None,
        "shown_total": run.total if visible is None else sum((r["total"] for r in rows), ZERO),
        "shown_lines": run.line_count if visible is None else lines,
        "plans": [{"id": pid, "name": plan_names.get(pid, f"#{pid}")} for pid in plan_order],
        "plan_totals": [plan_totals[pid] for pid in plan_order],
        "rows": rows,
        "budget": _budget(run),
        "notes": [
            {"plan_name": n.get("plan_name", ""), "label": plan_status_label(n.get("status", ""))}
            for n in run.notes or []
        ],
        "previous": previous,
        "diff": _diff_rows(run, previous, people, plan_names, visible),
        "latest": latest,
        "is_latest": latest is not None and latest.id == run.id,
        "error": error,
        "plan_url": _plan_url,
    }


def _pilot_context(run: CalculationRun) -> dict:
    period = get_scoped_or_404(Period, run.period_id, g.tenant.id)
    people = _people()
    sides: dict[int, dict[str, Decimal]] = defaultdict(lambda: {"in_force": ZERO, "pilot": ZERO})
    for pid, _plan, side, amount, _before, _lines in _sums(run):
        if side in ("in_force", "pilot"):
            sides[pid][side] += amount
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
