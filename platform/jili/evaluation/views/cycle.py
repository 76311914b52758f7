"""hr's page of a period's evaluation cycle: the stage and its deadlines, who still
owes a step (overdue ones marked), moving the cycle on, reopening a step with a
reason; and the company's deadline settings."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from jili.accounts.roles import require
from jili.evaluation.models import DEFAULT_DEADLINES, CycleStage
from jili.evaluation.services import cycle as cycles
from jili.evaluation.services import duties, scorecards
from jili.evaluation.services.library import EvaluationError
from jili.evaluation.views.cards import _people, _period, _periods
from jili.extensions import db
from jili.home.services.progress import tenant_today
from jili.periods.models import Period
from jili.periods.services import PeriodClosed
from jili.tenancy import get_scoped_or_404
from jili.web import bp


def _today():
    return tenant_today(g.tenant.timezone)


def _context(period: Period | None, error: str | None = None) -> dict:
    tid, today = g.tenant.id, _today()
    cycle = cycles.get_cycle(tid, period.id) if period else None
    owed = duties.pending(tid, cycle, period) if cycle else []
    people = _people(c.person_id for c, _s in owed)
    rows = sorted(owed, key=lambda r: people[r[0].person_id].employee_no)
    stages = [(s.value, cycles.STAGE_LABELS[s.value]) for s in cycles.ORDER]
    return {
        "periods": _periods(),
        "period": period,
        "cycle": cycle,
        "shown": cycles.shown_stage(cycle, period, today) if period else None,
        "due": cycles.deadlines(tid, period, cycle) if period else None,
        "cards": len(scorecards.cards(tid, period)) if period else 0,
        "owed": rows,
        "people": people,
        "today": today,
        "stages": stages,
        "earlier": [
            s for s in stages
            if cycle and cycles.ORDER.index(CycleStage(s[0])) < cycles.ORDER.index(cycle.stage)
        ],  # fmt: skip
        "stage_labels": cycles.STAGE_LABELS,
        "error": error,
    }


@bp.route("/evaluation/cycle")
@require("scorecards.edit")
def evaluation_cycle():
    period = _period(_periods())
    return render_template("evaluation/cycle.html", **_context(period))


def _act(period_id: int, act):
    period = get_scoped_or_404(Period, period_id, g.tenant.id)
    try:
        message = act(period)
    except (EvaluationError, PeriodClosed) as exc:
        db.session.rollback()
        period = get_scoped_or_404(Period, period_id, g.tenant.id)
        return render_template("evaluation/cycle.html", **_context(period, str(exc))), 422
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("tenant.evaluation_cycle", period_id=period_id))


@bp.route("/evaluation/cycle/<int:period_id>/start", methods=["POST"])
@require("scorecards.edit")
def evaluation_cycle_start(period_id: int):
    def act(period):
        cycle = cycles.start(g.tenant.id, period, _today())
        n = duties.announce(g.tenant.id, cycle)
        return _("Self-assessment is open; %(n)d people were told.", n=n)

    return _act(period_id, act)


def _cycle_or_404(period: Period):
    cycle = cycles.get_cycle(g.tenant.id, period.id)
    if cycle is None:
        abort(404)
    return cycle


@bp.route("/evaluation/cycle/<int:period_id>/step", methods=["POST"])
@require("scorecards.edit")
def evaluation_cycle_step(period_id: int):
    action = request.form.get("action", "")

    def act(period):
        cycle = _cycle_or_404(period)
        today = _today()
        if action == "advance":
            cycles.advance(cycle, today)
        elif action == "publish":
            cycles.publish(cycle, today)
        elif action == "finalise":
            cycles.finalise(cycle, today)
        else:
            raise EvaluationError(_("Choose what to do."))
        duties.announce(g.tenant.id, cycle)
        label = cycles.STAGE_LABELS[cycle.stage.value]
        return _("The evaluation of %(period)s is now at: %(stage)s.", period=period.label,
                 stage=str(label))  # fmt: skip

    return _act(period_id, act)


@bp.route("/evaluation/cycle/<int:period_id>/reopen", methods=["POST"])
@require("scorecards.edit")
def evaluation_cycle_reopen(period_id: int):
    def act(period):
        cycle = _cycle_or_404(period)
        cycles.reopen(cycle, request.form.get("stage", ""), request.form.get("reason", ""))
        duties.announce(g.tenant.id, cycle)
        label = cycles.STAGE_LABELS[cycle.stage.value]
        return _("%(stage)s is open again.", stage=str(label))

    return _act(period_id, act)


@bp.route("/evaluation/deadlines", methods=["GET", "POST"])
@require("kpis.edit")
def evaluation_deadlines():
    values, error = cycles.settings(g.tenant.id), None
    if request.method == "POST":
        raw = {key: (request.form.get(key) or "").strip() for key in DEFAULT_DEADLINES}
        try:
            parsed = {}
            for key, text in raw.items():
                if not text.isdigit() or len(text) > 3:
                    raise EvaluationError(
                        _("%(field)s: a whole number from 0 to %(n)d.",
                          field=str(cycles.SETTING_LABELS[key]), n=cycles.MAX_DAYS)
                    )  # fmt: skip
                parsed[key] = int(text)
            changed = cycles.save_settings(g.tenant.id, parsed)
        except EvaluationError as exc:
            db.session.rollback()
            error, values = str(exc), raw
        else:
            db.session.commit()
            flash(_("Deadlines saved.") if changed else _("Nothing changed."), "success")
            return redirect(url_for("tenant.evaluation_deadlines"))
    page = render_template(
        "evaluation/deadlines.html", values=values, labels=cycles.SETTING_LABELS,
        defaults=DEFAULT_DEADLINES, error=error,
    )  # fmt: skip
    return (page, 422) if error else page
