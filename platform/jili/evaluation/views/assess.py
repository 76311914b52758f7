"""The person's self-assessment of their scorecard (actuals, evidence text and
files), their manager's scoring with comments, and the evidence downloads (for
whoever may see the scorecard)."""

from __future__ import annotations

from urllib.parse import quote

from flask import abort, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from jili.accounts.roles import require
from jili.evaluation.models import Scorecard
from jili.evaluation.services import assessments, scorecards
from jili.evaluation.services import cycle as cycles
from jili.evaluation.services.library import EvaluationError
from jili.evaluation.views._common import number
from jili.extensions import db
from jili.home.services.progress import tenant_today
from jili.org.models import Person
from jili.org.visibility import may_see, viewer_person
from jili.periods.models import Period
from jili.periods.services import PeriodClosed
from jili.uploads import EVIDENCE_MAX_BYTES, TableError, read_evidence
from jili.web import bp


def _card(card_id: int) -> Scorecard:
    card = scorecards.get_card(g.tenant.id, card_id)
    if card is None or not may_see(card.person_id):
        abort(404)
    return card


def _context(card: Scorecard, mode: str, error: str | None = None) -> dict:
    period = db.session.get(Period, card.period_id)
    cycle = cycles.get_cycle(g.tenant.id, card.period_id)
    return {
        "card": card,
        "period": period,
        "person": db.session.get(Person, card.person_id),
        "lines": scorecards.lines(card),
        "done": assessments.assessments(card),
        "files": assessments.evidence(card),
        "cycle": cycle,
        "due": cycles.deadlines(g.tenant.id, period, cycle),
        "today": tenant_today(g.tenant.timezone),
        "entered": assessments.is_entered,
        "stage_label": cycles.STAGE_LABELS[cycle.stage.value] if cycle else "",
        "mode": mode,
        "error": error,
        "min_comment": assessments.MIN_COMMENT,
    }


def _values(card: Scorecard, text_key: str) -> dict[int, tuple]:
    out = {}
    for line, kpi in scorecards.lines(card):
        actual = number(request.form.get(f"actual_{line.id}"), kpi.name, minimum=0)
        out[line.id] = (actual, request.form.get(f"{text_key}_{line.id}", ""))
    return out


def _files(card: Scorecard, today) -> int:
    n = 0
    for line, _kpi in scorecards.lines(card):
        for upload in request.files.getlist(f"file_{line.id}"):
            if not upload or not upload.filename:
                continue
            data = upload.stream.read(EVIDENCE_MAX_BYTES + 1)
            assessments.add_file(card, line, read_evidence(upload.filename, data), today)
            n += 1
    return n


def _save(card_id: int, mode: str, work):
    card = _card(card_id)
    try:
        work(card)
    except (EvaluationError, TableError, PeriodClosed) as exc:
        db.session.rollback()
        card = _card(card_id)
        page = render_template("evaluation/assess.html", **_context(card, mode, str(exc)))
        return page, 422
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for(f"tenant.scorecard_{mode}", card_id=card_id))


@bp.route("/scorecards/<int:card_id>/assess", methods=["GET", "POST"])
@require("scorecards.view")
def scorecard_assess(card_id: int):
    card = _card(card_id)
    me = viewer_person()
    if me is None or me.id != card.person_id:
        abort(403)
    if request.method == "GET":
        return render_template("evaluation/assess.html", **_context(card, "assess"))

    def work(card):
        today = tenant_today(g.tenant.timezone)
        values = _values(card, "evidence")
        uploaded = _files(card, today)
        if uploaded and not any(a is not None or t.strip() for a, t in values.values()):
            return
        assessments.self_assess(card, values, today)

    return _save(card_id, "assess", work)


@bp.route("/scorecards/<int:card_id>/review", methods=["GET", "POST"])
@require("scorecards.view")
def scorecard_review(card_id: int):
    card = _card(card_id)
    me = viewer_person()
    if not assessments.may_score(g.tenant.id, me, card):
        abort(404)
    if request.method == "GET":
        return render_template("evaluation/assess.html", **_context(card, "review"))

    def work(card):
        today = tenant_today(g.tenant.timezone)
        assessments.manager_score(card, _values(card, "comment"), today, me.name)

    return _save(card_id, "review", work)


@bp.route("/scorecards/<int:card_id>/evidence/<int:evidence_id>")
@require("scorecards.view")
def scorecard_evidence(card_id: int, evidence_id: int):
    card = _card(card_id)
    row = assessments.get_file(card, evidence_id)
    data = assessments.file_bytes(row) if row is not None else None
    if data is None:
        abort(404)
    response = make_response(data)
    response.headers["Content-Type"] = row.content_type or "application/octet-stream"
    response.headers["Content-Disposition"] = "attachment; filename*=UTF-8''" + quote(
        row.name or "evidence", safe=""
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
