"""Scorecards of a period (each viewer sees the cards jili.org.visibility allows:
their own, their team subtree's, or everyone's), entering values, and hr's
calibration: the rating distribution per team and adjusting a rating."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from flask import abort, flash, g, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from jili.accounts.roles import can, require
from jili.alerts import tasks as alert_tasks
from jili.evaluation.forms import AdjustForm
from jili.evaluation.models import KpiSource, Scorecard
from jili.evaluation.services import assessments, library, ratings, scorecards
from jili.evaluation.services import cycle as cycles
from jili.evaluation.services.library import EvaluationError
from jili.evaluation.views._common import number
from jili.extensions import db
from jili.home.services import charts
from jili.org.models import Person
from jili.org.visibility import may_see, team_people, viewer_person, visible_person_ids
from jili.periods.models import Period
from jili.schemes import fmt_number, quantize
from jili.web import bp
from jili.web._helpers import saved


def _periods() -> list[Period]:
    return list(
        db.session.scalars(
            select(Period)
            .where(Period.tenant_id == g.tenant.id)
            .order_by(Period.start_date.desc(), Period.label)
        )
    )


def _period(periods: list[Period]) -> Period | None:
    chosen = request.values.get("period_id", type=int)
    if chosen is not None:
        return next((p for p in periods if p.id == chosen), None) or abort(404)
    with_cards = set(
        db.session.scalars(select(Scorecard.period_id).where(Scorecard.tenant_id == g.tenant.id))
    )
    return next((p for p in periods if p.id in with_cards), None) or (
        periods[0] if periods else None
    )


def _people(ids) -> dict[int, Person]:
    ids = sorted(set(ids))
    if not ids:
        return {}
    return {
        p.id: p
        for p in db.session.scalars(
            select(Person).where(Person.tenant_id == g.tenant.id, Person.id.in_(ids))
        )
    }


def _list_context() -> dict:
    periods = _periods()
    period = _period(periods)
    rows = scorecards.cards(g.tenant.id, period, visible_person_ids()) if period else []
    people = _people(c.person_id for c in rows)
    rows.sort(key=lambda c: people[c.person_id].employee_no)
    me = viewer_person()
    team = {p.id for p in team_people(me)} if me is not None else set()
    cycle = cycles.get_cycle(g.tenant.id, period.id) if period else None
    return {
        "periods": periods,
        "period": period,
        "cycle": cycle,
        "cycle_label": cycles.STAGE_LABELS[cycle.stage.value] if cycle else "",
        "me_id": me.id if me else None,
        "hide_own": bool(period)
        and not can("scorecards.edit")
        and not cycles.published(g.tenant.id, period.id),
        "scorable": {c.id for c in rows if c.person_id in team} if me else set(),
        "rows": rows,
        "people": people,
        "levels": dict(library.levels(g.tenant.id)),
    }


@bp.route("/scorecards")
@require("scorecards.view")
def scorecards_list():
    return render_template("evaluation/scorecards.html", **_list_context())


@bp.route("/scorecards/generate", methods=["POST"])
@require("scorecards.edit")
def scorecards_generate():
    period = _period(_periods()) or abort(404)
    try:
        made, missing = scorecards.generate(g.tenant.id, period)
    except EvaluationError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("%(n)d scorecards are up to date.", n=made), "success")
        if missing:
            flash(_("%(n)d people have no KPI set for their level yet.", n=missing), "warning")
    return saved(
        url_for("tenant.scorecards_list", period_id=period.id),
        "evaluation/scorecards.html",
        **_list_context(),
    )


def _card_or_404(card_id: int) -> Scorecard:
    card = scorecards.get_card(g.tenant.id, card_id)
    if card is None or not may_see(card.person_id):
        abort(404)
    return card


def _card_context(card: Scorecard, error: str | None = None) -> dict:
    period = db.session.get(Period, card.period_id)
    adjust = AdjustForm(formdata=None)
    adjust.rating.choices = [(b[0], b[0]) for b in ratings.bands(g.tenant.id)]
    adjust.rating.data = card.final_rating
    me = viewer_person()
    mine = me is not None and me.id == card.person_id
    cycle = cycles.get_cycle(g.tenant.id, card.period_id)
    return {
        "card": card,
        "period": period,
        "cycle": cycle,
        "stage_label": cycles.STAGE_LABELS[cycle.stage.value] if cycle else "",
        "mine": mine,
        "may_score": assessments.may_score(g.tenant.id, me, card),
        # the person sees their total, rating and comments once the results are published
        "results_shown": not mine
        or can("scorecards.edit")
        or cycles.published(g.tenant.id, card.period_id),
        "done": assessments.assessments(card),
        "files": assessments.evidence(card),
        "person": db.session.get(Person, card.person_id),
        "lines": scorecards.lines(card),
        "levels": dict(library.levels(g.tenant.id)),
        "entered": KpiSource.ENTERED,
        "adjust": adjust,
        "error": error,
    }


@bp.route("/scorecards/<int:card_id>", methods=["GET", "POST"])
@require("scorecards.view")
def scorecard(card_id: int):
    card = _card_or_404(card_id)
    if request.method == "GET":
        return render_template("evaluation/scorecard.html", **_card_context(card))
    if not can("scorecards.edit"):
        abort(403)
    period = db.session.get(Period, card.period_id)
    try:
        values = {}
        for line, kpi in scorecards.lines(card):
            actual = number(request.form.get(f"actual_{line.id}"), kpi.name, minimum=0)
            target = number(request.form.get(f"target_{line.id}"), kpi.name, minimum=0)
            if actual is not None or target is not None:
                values[line.id] = (actual, target)
        scorecards.enter(card, period, values)
    except EvaluationError as exc:
        db.session.rollback()
        card = _card_or_404(card_id)
        page = render_template("evaluation/scorecard.html", **_card_context(card, str(exc)))
        return page, 422
    db.session.commit()
    # KPI values the alert rules may read changed: raise or withdraw alerts now
    alert_tasks.after_change(g.tenant.id, person_ids=[card.person_id], queued=False)
    flash(_("Scorecard saved."), "success")
    url = url_for("tenant.scorecard", card_id=card.id)
    return saved(url, "evaluation/scorecard.html", **_card_context(card))


@bp.route("/scorecards/<int:card_id>/rating", methods=["POST"])
@require("scorecards.edit")
def scorecard_rating(card_id: int):
    card = _card_or_404(card_id)
    period = db.session.get(Period, card.period_id)
    form = AdjustForm()
    form.rating.choices = [(b[0], b[0]) for b in ratings.bands(g.tenant.id)]
    error = None
    if not form.validate_on_submit():
        error = _("Give a reason for changing a rating.")
    elif period.is_closed:
        error = _("Period %(label)s is closed: its scorecards cannot change.", label=period.label)
    else:
        try:
            ratings.adjust(card, form.rating.data, form.reason.data)
        except EvaluationError as exc:
            error = str(exc)
    if error:
        db.session.rollback()
        card = _card_or_404(card_id)
        page = render_template("evaluation/scorecard.html", **_card_context(card, error))
        return page, 422
    db.session.commit()
    flash(_("Rating changed to %(label)s.", label=card.final_rating), "success")
    url = url_for("tenant.scorecard", card_id=card.id)
    return saved(url, "evaluation/scorecard.html", **_card_context(card))


def _team_chart(team: str, counts, labels: list[str], index: int) -> str:
    bars = [charts.Bar(label, Decimal(counts.get(label, 0))) for label in labels]
    name = team or _("No team")
    words = charts.Words(
        title=_("Ratings in %(team)s", team=name),
        desc=", ".join(f"{b.label}: {int(b.value)}" for b in bars),
        x_axis=_("People"),
        y_axis=_("Rating"),
    )
    return charts.hbar_chart(
        bars, words, lambda v: fmt_number(quantize(v, 1)), chart_id=f"team-{index}"
    )


@bp.route("/calibration")
@require("scorecards.edit")
def calibration():
    periods = _periods()
    period = _period(periods)
    tid = g.tenant.id
    bands = ratings.bands(tid)
    labels = [b[0] for b in bands]
    per_team = ratings.distribution(tid, period) if period else {}
    total = sum(per_team.values(), Counter())
    teams = [
        (team, counts, ratings.over_limits(tid, counts), _team_chart(team, counts, labels, i))
        for i, (team, counts) in enumerate(per_team.items())
    ]
    rows = scorecards.cards(tid, period) if period else []
    people = _people(c.person_id for c in rows)
    rows.sort(key=lambda c: (-(c.total or 0), people[c.person_id].employee_no))
    return render_template(
        "evaluation/calibration.html",
        periods=periods,
        period=period,
        bands=bands,
        labels=labels,
        forced=ratings.forced(tid),
        teams=teams,
        total=total,
        over=ratings.over_limits(tid, total),
        rows=rows,
        people=people,
    )
