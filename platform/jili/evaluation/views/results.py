"""Using the results (issue 14 item 6), for hr, admin and owner: the period's C
ratings with their improvement plans (opened here), and the promotion list
(N consecutive ratings of A or better; N a company setting) with its XLSX export."""

from __future__ import annotations

from flask import Response, abort, flash, g, render_template, request, url_for
from flask_babel import gettext as _

from jili.accounts.roles import require
from jili.alerts.services.plans import STATUS_LABELS, PlanError, status
from jili.audit.services import record
from jili.evaluation.services import results
from jili.evaluation.views.cards import _period, _periods
from jili.extensions import db
from jili.plan_as_code.demo import tenant_today
from jili.review.services.xlsx import Sheet, workbook
from jili.web import bp
from jili.web._helpers import saved


def _context() -> dict:
    periods = _periods()
    period = _period(periods)
    today = tenant_today(g.tenant)
    streak = g.tenant.promotion_streak or 2
    promo_periods, promoted = results.promotion_list(g.tenant.id, streak)
    return {
        "periods": periods,
        "period": period,
        "low": results.low_ratings(g.tenant.id, period) if period else [],
        "lowest": results.lowest_label(g.tenant.id),
        "minimum": results.promotion_label(g.tenant.id),
        "plan_state": lambda plan: STATUS_LABELS[status(plan, today)],
        "streak": streak,
        "promo_periods": promo_periods,
        "promoted": promoted,
    }


@bp.route("/evaluation/results")
@require("results.manage")
def evaluation_results():
    return render_template("evaluation/results.html", **_context())


@bp.route("/evaluation/results/plans", methods=["POST"])
@require("results.manage")
def evaluation_results_plans():
    period = _period(_periods()) or abort(404)
    opened = results.open_plans(g.tenant.id, period, tenant_today(g.tenant))
    db.session.commit()
    flash(_("%(n)d improvement plans opened.", n=len(opened)), "success")
    url = url_for("tenant.evaluation_results", period_id=period.id)
    return saved(url, "evaluation/results.html", **_context())


@bp.route("/evaluation/results/streak", methods=["POST"])
@require("results.manage")
def evaluation_results_streak():
    try:
        results.set_streak(g.tenant, request.form.get("streak", type=int))
    except PlanError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return render_template("evaluation/results.html", **_context()), 422
    db.session.commit()
    flash(_("The promotion rule is saved."), "success")
    return saved(url_for("tenant.evaluation_results"), "evaluation/results.html", **_context())


@bp.route("/evaluation/promotion.xlsx")
@require("results.manage")
def evaluation_promotion_xlsx():
    ctx = _context()
    headers = [_("Employee number"), _("Name"), _("Team")] + [p.label for p in ctx["promo_periods"]]
    rows = [
        [r.person.employee_no, r.person.name, r.person.team.name if r.person.team else ""]
        + list(r.ratings)
        for r in ctx["promoted"]
    ]
    body = workbook([Sheet(_("Eligible for promotion"), headers, rows)], g.tenant.currency)
    record(
        "promotion_list.export",
        tenant_id=g.tenant.id,
        object_type="Tenant",
        object_id=g.tenant.id,
        after={"rows": len(rows), "streak": ctx["streak"]},
    )
    db.session.commit()
    return Response(
        body,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f'attachment; filename="jili-{g.tenant.slug}-promotion.xlsx"',
            "Cache-Control": "no-store",
        },
    )
