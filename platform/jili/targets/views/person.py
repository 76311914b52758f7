"""A person's targets and progress: their own, their team's people for a
manager, anyone's for hr/admin/owner/consultant (:mod:`jili.org.visibility`).
People see published targets only; those who set targets see drafts too."""

from __future__ import annotations

from decimal import Decimal

from flask import abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from jili.accounts.roles import can, require
from jili.extensions import db
from jili.home.services.charts import Bar, Words, hbar_chart
from jili.home.services.progress import tenant_today
from jili.inputs.models import SalesTarget
from jili.org.models import Person
from jili.org.visibility import may_see, viewer_person
from jili.periods.models import Period
from jili.targets.models import PublicationStatus, TargetPublication
from jili.targets.services.progress import person_progress
from jili.targets.views.grid import helpers
from jili.web import bp


@bp.route("/targets/mine")
@require("targets.mine")
def my_targets():
    me = viewer_person()
    if me is None:
        return render_template("targets/person.html", person=None, periods=[], period=None)
    return redirect(url_for("tenant.targets_person", person_id=me.id, **request.args))


def _periods_with_targets(person_id: int, drafts: bool) -> list[Period]:
    query = (
        select(Period)
        .join(
            SalesTarget,
            (SalesTarget.period_id == Period.id) & (SalesTarget.tenant_id == Period.tenant_id),
        )
        .where(Period.tenant_id == g.tenant.id, SalesTarget.person_id == person_id)
        .distinct()
        .order_by(Period.start_date, Period.end_date.desc())
    )
    if not drafts:
        query = query.join(
            TargetPublication,
            (TargetPublication.period_id == Period.id)
            & (TargetPublication.tenant_id == Period.tenant_id),
        ).where(TargetPublication.status == PublicationStatus.PUBLISHED)
    return list(db.session.scalars(query))


@bp.route("/targets/people/<int:person_id>")
@require("targets.mine")
def targets_person(person_id: int):
    person = db.session.get(Person, person_id)
    if person is None or person.tenant_id != g.tenant.id or not may_see(person.id):
        abort(404)
    periods = _periods_with_targets(person.id, drafts=can("targets.edit"))
    today = tenant_today(g.tenant.timezone)
    chosen = request.args.get("period_id", "")
    period = next((p for p in periods if str(p.id) == chosen), None)
    if period is None and periods:
        current = [p for p in periods if p.start_date <= today <= p.end_date]
        period = current[-1] if current else periods[-1]
    progress = person_progress(g.tenant.id, period, person.id, today) if period else []
    chart = _chart(person, progress) if progress else ""
    return render_template(
        "targets/person.html",
        person=person,
        periods=periods,
        period=period,
        progress=progress,
        chart=chart,
        **helpers(),
    )


def _chart(person: Person, progress) -> str:
    bars = []
    for p in progress:
        if p.attainment is None:
            continue
        pct = (p.attainment * 100).quantize(Decimal("0.1"))
        css = "done" if pct >= 100 else "mid" if pct >= 80 else "low"
        bars.append(Bar(p.label, pct, css))
    if not bars:
        return ""
    words = Words(
        title=_("Attainment to date of %(name)s", name=person.name),
        desc=_("One bar per target: the actual to date as a percentage of the target."),
        x_axis=_("Attainment (%)"),
        y_axis=_("Target"),
    )
    return hbar_chart(bars, words, lambda v: f"{v:.0f} %", chart_id="target-progress",
                      marks=(Decimal(80), Decimal(100)))  # fmt: skip
