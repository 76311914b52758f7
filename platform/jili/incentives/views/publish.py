"""Publishing and closing a period from its latest run, each after a page that
says what it will lock. Before the period has ended, an admin publishes or
closes it only with an explicit override and a reason (both audited)."""

from __future__ import annotations

from flask import abort, flash, g, render_template, request, url_for
from flask_babel import gettext as _

from jili.accounts.roles import require
from jili.audit import services as audit
from jili.extensions import db
from jili.i18n import STATUS_LABELS
from jili.incentives.engine import latest_run
from jili.incentives.models import CalculationRun, RunKind
from jili.incentives.views.runs import _locked_message, _run_context
from jili.periods.models import Period, PeriodStatus
from jili.periods.services import advance, has_ended, tenant_today
from jili.tenancy import get_scoped_or_404
from jili.web import bp
from jili.web._helpers import saved


def _final_run_and_period(run_id: int) -> tuple[CalculationRun, Period]:
    run = get_scoped_or_404(CalculationRun, run_id, g.tenant.id)
    if run.kind != RunKind.FINAL:
        abort(409, _("A pilot run is never paid: it cannot be published."))
    return run, get_scoped_or_404(Period, run.period_id, g.tenant.id)


def _confirm_page(run, period, error: str | None = None, status: int = 200):
    return render_template(
        "incentives/runs/publish.html",
        run=run,
        period=period,
        publish=period.status == PeriodStatus.CALCULATED,
        early=not has_ended(period, tenant_today(g.tenant.timezone)),
        reason=request.form.get("reason", ""),
        error=error,
    ), status


@bp.route("/runs/<int:run_id>/publish", methods=["GET"])
@require("runs.publish")
def run_publish_confirm(run_id: int):
    """What publishing (or closing) the period will lock, and the button to do it."""
    run, period = _final_run_and_period(run_id)
    if period.status not in (PeriodStatus.CALCULATED, PeriodStatus.PUBLISHED):
        return render_template("incentives/runs/run.html", **_run_context(run)), 200
    return _confirm_page(run, period)


@bp.route("/runs/<int:run_id>/publish", methods=["POST"])
@require("runs.publish")
def run_publish(run_id: int):
    """Move the run's period one step: calculated → published → closed."""
    run, period = _final_run_and_period(run_id)
    latest = latest_run(g.tenant.id, period.id)
    expected = request.form.get("status", "")

    def refuse(message: str):
        return render_template("incentives/runs/run.html", **_run_context(run, message)), 409

    if latest is None or latest.id != run.id:
        return refuse(
            _(
                "Run %(n)d is newer: publish the period from the latest run.",
                n=latest.number if latest else 0,
            )
        )
    if expected != period.status.value:
        return refuse(
            _(
                "%(label)s is %(status)s already; nothing changed.",
                label=period.label,
                status=STATUS_LABELS[period.status.value],
            )
        )
    if period.status == PeriodStatus.OPEN:
        return refuse(_("%(label)s was reopened: calculate it again first.", label=period.label))
    if period.status == PeriodStatus.CLOSED:
        return refuse(_locked_message(period))
    early = not has_ended(period, tenant_today(g.tenant.timezone))
    reason = (request.form.get("reason") or "").strip()
    if early and not (request.form.get("override") and reason):
        message = _(
            "%(label)s has not ended yet (it runs until %(end)s). To go ahead anyway, tick "
            "the override and say why.",
            label=period.label,
            end=period.end_date.isoformat(),
        )
        return _confirm_page(run, period, message, 422)
    before = period.status
    advance(period)
    after = {"status": period.status, "run": run.number, "total": str(run.total)}
    if early:
        after.update({"before_period_end": True, "reason": reason})
    audit.record("period.status", period, before={"status": before}, after=after)
    db.session.commit()
    if period.status == PeriodStatus.PUBLISHED:
        message = _(
            "%(label)s is published: staff see their statements, and calculation is locked.",
            label=period.label,
        )
    else:
        message = _("%(label)s is closed: nothing in it can change.", label=period.label)
    flash(message, "success")
    return saved(
        url_for("tenant.run_detail", run_id=run.id), "incentives/runs/run.html", **_run_context(run)
    )
