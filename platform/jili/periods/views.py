"""Periods: generate the fiscal calendar, reopen (admin, audited).

A period moves forward only through its calculation page: a run makes it
calculated, the run page publishes and closes it (see
:mod:`jili.incentives.views.runs`); there is no shortcut here."""

from __future__ import annotations

from flask import abort, flash, g, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from jili.accounts.roles import require
from jili.audit import services as audit
from jili.dbtypes import utcnow
from jili.extensions import db
from jili.periods.forms import GenerateYearForm
from jili.periods.models import Period, PeriodKind
from jili.periods.services import (
    FORWARD,
    PeriodClosed,
    generate_weeks,
    generate_year,
    reopen,
)
from jili.tenancy import get_scoped_or_404
from jili.web import bp
from jili.web._helpers import saved


def _periods() -> list[Period]:
    return list(
        db.session.scalars(
            select(Period)
            .where(Period.tenant_id == g.tenant.id)
            .order_by(Period.start_date, Period.kind)
        )
    )


def _tree() -> list[tuple[Period, int]]:
    periods = _periods()
    order = {PeriodKind.YEAR: 0, PeriodKind.QUARTER: 1, PeriodKind.MONTH: 2, PeriodKind.WEEK: 3}
    children: dict[int | None, list[Period]] = {}
    for p in periods:
        children.setdefault(p.parent_id, []).append(p)
    out: list[tuple[Period, int]] = []

    def walk(parent, depth):
        for p in sorted(children.get(parent, []), key=lambda p: (p.start_date, order[p.kind])):
            out.append((p, depth))
            walk(p.id, depth + 1)

    walk(None, 0)
    return out


def _page(form=None, status=200):
    if form is None:
        form = GenerateYearForm()
        form.year.data = utcnow().year
    return render_template("periods/periods.html", tree=_tree(), form=form), status


@bp.route("/periods")
@require("periods.view")
def periods():
    return _page()


@bp.route("/periods/generate", methods=["POST"])
@require("periods.edit")
def periods_generate():
    form = GenerateYearForm()
    if not form.validate_on_submit():
        return _page(form, 422)
    created = generate_year(g.tenant.id, form.year.data, g.tenant.fiscal_year_start_month)
    audit.record(
        "periods.generate",
        tenant_id=g.tenant.id,
        object_type="Period",
        after={"year": form.year.data, "created": [p.label for p in created]},
    )
    db.session.commit()
    flash(_("%(n)d periods created for %(year)s.", n=len(created), year=form.year.data), "success")
    return saved(url_for("tenant.periods"), "periods/periods.html", tree=_tree(), form=form)


@bp.route("/periods/<int:period_id>/weeks", methods=["POST"])
@require("periods.edit")
def periods_weeks(period_id: int):
    month = get_scoped_or_404(Period, period_id, g.tenant.id)
    if month.kind != PeriodKind.MONTH:
        abort(409, _("Weeks are generated under a month."))
    created = generate_weeks(g.tenant.id, month)
    audit.record("periods.generate_weeks", month, after={"weeks": [p.label for p in created]})
    db.session.commit()
    flash(_("%(n)d weeks created under %(label)s.", n=len(created), label=month.label), "success")
    return saved(
        url_for("tenant.periods"), "periods/periods.html", tree=_tree(), form=GenerateYearForm()
    )


@bp.route("/periods/<int:period_id>/reopen", methods=["POST"])
@require("periods.reopen")
def period_reopen(period_id: int):
    period = get_scoped_or_404(Period, period_id, g.tenant.id)
    reason = (request.form.get("reason") or "").strip()
    if not reason:
        flash(_("Say why %(label)s is being reopened.", label=period.label), "error")
    else:
        before = period.status
        reopen(period)
        audit.record(
            "period.reopen",
            period,
            before={"status": before},
            after={"status": period.status, "reason": reason},
        )
        db.session.commit()
        flash(_("%(label)s reopened.", label=period.label), "success")
    return saved(
        url_for("tenant.periods"), "periods/periods.html", tree=_tree(), form=GenerateYearForm()
    )


def init_app(app) -> None:
    """The next status a period can move to (for templates), and the 409 page for a
    save that lost a race."""
    from sqlalchemy.exc import IntegrityError

    app.jinja_env.globals["next_status"] = lambda s: FORWARD.get(s)

    @app.errorhandler(IntegrityError)
    def _conflict(e: IntegrityError):
        # Two people saving the same thing at the same moment (e.g. the same plan
        # version number): the second one is told, nothing half-saved remains.
        db.session.rollback()
        return render_template(
            "error.html",
            code=409,
            title=_("Changed at the same time"),
            message=_(
                "Someone else saved a change to the same thing at the same moment, so "
                "yours was not saved. Reload the page and try again."
            ),
        ), 409

    @app.errorhandler(PeriodClosed)
    def _closed(e: PeriodClosed):
        db.session.rollback()
        return render_template(
            "error.html", code=409, title=_("Period closed"), message=str(e)
        ), 409
