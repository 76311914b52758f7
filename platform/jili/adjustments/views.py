"""Target adjustment pages: the list and history, asking, one request with its
review and decision, its evidence file, and the tenant's rule."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import undefer

from jili.accounts.models import User
from jili.accounts.roles import require
from jili.adjustments import services
from jili.adjustments.forms import DecideForm, RequestForm, ReviewForm, RuleForm
from jili.adjustments.models import AdjustmentRequest, AdjustmentStatus
from jili.alerts import tasks as alert_tasks
from jili.extensions import db
from jili.i18n import format_money
from jili.org.models import Person, Team
from jili.org.visibility import (
    may_see,
    person_condition,
    viewer_person,
    visible_person_ids,
    visible_team_ids,
)
from jili.periods.models import Period
from jili.targets import services as targets
from jili.tenancy import get_scoped_or_404
from jili.uploads import EVIDENCE_MAX_BYTES, TableError, read_evidence
from jili.web import bp


def status_text(status: AdjustmentStatus) -> str:
    return {
        AdjustmentStatus.REVIEW: _("Waiting for data review"),
        AdjustmentStatus.APPROVAL: _("Waiting for approval"),
        AdjustmentStatus.APPROVED: _("Approved"),
        AdjustmentStatus.REJECTED: _("Rejected"),
    }[status]


def _names(ids) -> dict[int, str]:
    ids = sorted({i for i in ids if i})
    if not ids:
        return {}
    return {
        u.id: u.name or u.email for u in db.session.scalars(select(User).where(User.id.in_(ids)))
    }


def _context_helpers() -> dict:
    return {
        "status_text": status_text,
        "metric_label": lambda code: services.metric_label(g.tenant.id, code),
        "change_pct": services.change_pct,
        "show_target": show_target,
    }


def show_target(metric: str, value):
    """Money in the company's currency; a count or number with the decimals it has."""
    from jili.targets.services.metrics import by_code, plain_value

    found = by_code(g.tenant.id).get(metric)
    if found is None or found.is_money:
        return format_money(value)
    text = plain_value(value, found.kind)
    return f"{text} {found.unit}".strip()


@bp.route("/adjustments")
@require("tenant.view")
def adjustments():
    tid = g.tenant.id
    query = select(AdjustmentRequest).where(AdjustmentRequest.tenant_id == tid)
    condition = person_condition(AdjustmentRequest.person_id)
    teams = visible_team_ids()
    if condition is not None:  # people along the visibility rule; teams in the subtree
        query = query.where(
            (AdjustmentRequest.person_id.is_not(None) & condition)
            | AdjustmentRequest.team_id.in_(sorted(teams or ()) or [-1])
        )
    found = db.session.scalars(query.order_by(AdjustmentRequest.requested_at.desc())).all()
    rows = [(r, subject_of(r)) for r in found]
    me = viewer_person()
    todo = [
        (r, p)
        for r, p in rows
        if services.may_review(g.role, current_user.id, me, r)
        or services.may_decide(tid, g.role, current_user.id, me, r)
    ]
    periods = {p.id: p for p in db.session.scalars(select(Period).where(Period.tenant_id == tid))}
    rule_form = RuleForm(formdata=None, limit_pct=str(services.limit_pct(tid)))
    users = _names(x for r, _p in rows for x in (r.requested_by_id, r.decided_by_id))
    return render_template(
        "adjustments/list.html", rows=rows, todo=todo, periods=periods, users=users,
        limit=services.limit_pct(tid), rule_form=rule_form, **_context_helpers(),
    )  # fmt: skip


@dataclass(frozen=True)
class Subject:
    """Whose target a request is about, as the pages name it."""

    name: str
    employee_no: str
    team_id: int | None = None


def subject_of(req: AdjustmentRequest) -> Subject:
    tid = g.tenant.id
    if req.team_id is not None:
        team = get_scoped_or_404(Team, req.team_id, tid)
        return Subject(team.name, _("Team"), team.id)
    person = get_scoped_or_404(Person, req.person_id, tid)
    return Subject(person.name, person.employee_no)


def _team_choices(tid: int) -> list[Team]:
    """The teams whose own target the viewer may ask to change."""
    me = viewer_person()
    teams = db.session.scalars(select(Team).where(Team.tenant_id == tid).order_by(Team.name))
    return [t for t in teams if services.may_request_team(tid, g.role, me, t)]


def _request_form() -> RequestForm:
    tid = g.tenant.id
    form = RequestForm()
    teams = _team_choices(tid)
    form.team_id.choices = [(0, "—")] + [(t.id, t.name) for t in teams]
    form.period_id.choices = [
        (p.id, p.label)
        for p in db.session.scalars(
            select(Period).where(Period.tenant_id == tid).order_by(Period.start_date)
        )
        if not p.is_closed and targets.targets_version(tid, p.id) > 0
    ]
    me = viewer_person()
    people = []
    if g.role.value == "manager" and me is not None:
        visible = visible_person_ids() or set()
        people = db.session.scalars(
            select(Person)
            .where(Person.tenant_id == tid, Person.id.in_(sorted(visible) or [-1]))
            .order_by(Person.employee_no)
        ).all()
    elif me is not None:
        people = [me]
    form.person_id.choices = [(0, "—")] * bool(teams) + [
        (p.id, f"{p.name} ({p.employee_no})") for p in people
    ]
    form.metric.choices = services.metric_choices(tid)
    if request.method == "GET":
        form.team_id.data = request.args.get("team_id", type=int) or 0
        form.period_id.data = request.args.get("period_id", type=int)
        form.person_id.data = request.args.get("person_id", type=int) or (me.id if me else None)
        form.metric.data = request.args.get("metric")
    return form


@bp.route("/adjustments/new", methods=["GET", "POST"])
@require("tenant.view")
def adjustment_new():
    tid = g.tenant.id
    form = _request_form()
    if request.method == "POST" and form.validate_on_submit():
        period = get_scoped_or_404(Period, form.period_id.data, tid)
        person, team = _asked_subject(form)
        try:
            evidence = _evidence()
            req = services.request_adjustment(
                tid, current_user, period=period, person=person, metric=form.metric.data,
                new_value=form.value(), reason=form.reason.data, evidence=evidence, team=team,
            )  # fmt: skip
        except (services.AdjustmentError, TableError) as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Request sent for data review."), "success")
            return redirect(url_for("tenant.adjustment", request_id=req.id))
    return render_template("adjustments/new.html", form=form)


def _asked_subject(form) -> tuple[Person | None, Team | None]:
    """The person or team the request is about (a team when one is chosen),
    after checking the viewer may ask for it."""
    tid, me = g.tenant.id, viewer_person()
    if form.team_id.data:
        team = get_scoped_or_404(Team, form.team_id.data, tid)
        if not services.may_request_team(tid, g.role, me, team):
            abort(403)
        return None, team
    if not form.person_id.data:
        abort(400)
    person = get_scoped_or_404(Person, form.person_id.data, tid)
    if not services.may_request(tid, g.role, me, person):
        abort(403)
    return person, None


def _evidence():
    upload = request.files.get("evidence")
    if upload is None or not upload.filename:
        return None
    data = upload.stream.read(EVIDENCE_MAX_BYTES + 1)
    return read_evidence(upload.filename, data)


def _visible_request(request_id: int, *, evidence: bool = False) -> AdjustmentRequest:
    query = select(AdjustmentRequest).where(
        AdjustmentRequest.tenant_id == g.tenant.id, AdjustmentRequest.id == request_id
    )
    if evidence:
        query = query.options(undefer(AdjustmentRequest.evidence_data))
    req = db.session.scalar(query)
    if req is None:
        abort(404)
    if req.team_id is not None:
        teams = visible_team_ids()
        if teams is not None and req.team_id not in teams:
            abort(404)
    elif not may_see(req.person_id):
        abort(404)
    return req


@bp.route("/adjustments/<int:request_id>")
@require("tenant.view")
def adjustment(request_id: int):
    tid = g.tenant.id
    req = _visible_request(request_id)
    me = viewer_person()
    person = subject_of(req)
    period = get_scoped_or_404(Period, req.period_id, tid)
    same = (
        AdjustmentRequest.team_id == req.team_id
        if req.team_id is not None
        else AdjustmentRequest.person_id == req.person_id
    )
    history = db.session.scalars(
        select(AdjustmentRequest)
        .where(
            AdjustmentRequest.tenant_id == tid,
            same,
            AdjustmentRequest.period_id == req.period_id,
        )
        .order_by(AdjustmentRequest.requested_at)
    ).all()
    users = _names(
        x for r in history for x in (r.requested_by_id, r.reviewed_by_id, r.decided_by_id)
    )
    return render_template(
        "adjustments/detail.html", req=req, person=person, period=period, history=history,
        users=users, may_review=services.may_review(g.role, current_user.id, me, req),
        may_decide=services.may_decide(tid, g.role, current_user.id, me, req),
        review_form=ReviewForm(formdata=None), decide_form=DecideForm(formdata=None),
        **_context_helpers(),
    )  # fmt: skip


def _act(request_id: int, form, allowed, act):
    """A review or decision: checks who may, applies it, tells the user what happened."""
    req = _visible_request(request_id)
    if not allowed(req):
        abort(403)
    if not form.validate_on_submit():
        flash(_("Choose a decision."), "error")
        return redirect(url_for("tenant.adjustment", request_id=req.id))
    try:
        act(req, form)
    except services.AdjustmentError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("tenant.adjustment", request_id=request_id))
    db.session.commit()
    if req.status == AdjustmentStatus.APPROVED:  # one target changed: re-evaluate now
        alert_tasks.after_change(
            req.tenant_id,
            person_ids=[req.person_id] if req.person_id else [],
            team_ids=[req.team_id] if req.team_id else [],
            queued=False,
        )
    flash(status_text(req.status), "success")
    return redirect(url_for("tenant.adjustment", request_id=req.id))


@bp.route("/adjustments/<int:request_id>/review", methods=["POST"])
@require("adjustments.review")
def adjustment_review(request_id: int):
    me = viewer_person()
    return _act(
        request_id, ReviewForm(),
        lambda req: services.may_review(g.role, current_user.id, me, req),
        lambda req, f: services.review(
            g.tenant.id, req, current_user, passed=f.decision.data == "pass", note=f.note.data
        ),
    )  # fmt: skip


@bp.route("/adjustments/<int:request_id>/decide", methods=["POST"])
@require("tenant.view")
def adjustment_decide(request_id: int):
    me, tid = viewer_person(), g.tenant.id
    return _act(
        request_id, DecideForm(),
        lambda req: services.may_decide(tid, g.role, current_user.id, me, req),
        lambda req, f: services.decide(
            tid, req, current_user, approved=f.decision.data == "approve", note=f.note.data
        ),
    )  # fmt: skip


@bp.route("/adjustments/<int:request_id>/evidence")
@require("tenant.view")
def adjustment_evidence(request_id: int):
    req = _visible_request(request_id, evidence=True)
    if not req.evidence_data:
        abort(404)
    response = make_response(req.evidence_data)
    response.headers["Content-Type"] = req.evidence_type or "application/octet-stream"
    response.headers["Content-Disposition"] = "attachment; filename*=UTF-8''" + _quote(
        req.evidence_name
    )
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name or "evidence", safe="")


@bp.route("/adjustments/rule", methods=["POST"])
@require("adjustments.rule")
def adjustment_rule():
    form = RuleForm()
    if form.validate_on_submit():
        try:
            services.set_limit(g.tenant.id, form.value(), current_user)
        except (services.AdjustmentError, ValueError) as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Rule saved."), "success")
    else:
        flash(_("Enter a percentage, e.g. 10."), "error")
    return redirect(url_for("tenant.adjustments"))
