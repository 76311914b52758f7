"""Appeal pages: the list (with overdue cases for hr), raising a case, one case
with its thread, files and decision, a file download, the deadline setting."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from jili.accounts.models import User
from jili.accounts.roles import require
from jili.appeals.forms import DecideForm, RaiseForm, ReplyForm, SettingsForm
from jili.appeals.models import AppealCase, AppealFile, CaseKind, CaseStatus
from jili.appeals.services import cases, decisions, rules
from jili.appeals.services import review as _review  # noqa: F401  (registers its section)
from jili.extensions import db
from jili.home.services.progress import tenant_today
from jili.incentives.models import CalculationRun, PayoutLineRecord
from jili.org.models import Person
from jili.org.visibility import viewer_person
from jili.periods.models import Period
from jili.schemes import Explanation, fmt_number
from jili.uploads import EVIDENCE_MAX_BYTES, TableError, read_evidence
from jili.web import bp


def kind_text(kind: CaseKind) -> str:
    return {
        CaseKind.SCORE: _("Score appeal"),
        CaseKind.STATEMENT: _("Question on a statement line"),
        CaseKind.CREDIT: _("Missing deal credit"),
    }[kind]


def status_text(status: CaseStatus) -> str:
    return {
        CaseStatus.OPEN: _("Open"),
        CaseStatus.UPHELD: _("Upheld"),
        CaseStatus.REJECTED: _("Rejected"),
    }[status]


def _today():
    return tenant_today(g.tenant.timezone)


def _helpers() -> dict:
    return {
        "kind_text": kind_text,
        "status_text": status_text,
        "today": _today(),
        "number": lambda v: "—" if v is None else fmt_number(v),
    }


def _lookup(model, ids) -> dict:
    ids = sorted({i for i in ids if i})
    if not ids:
        return {}
    rows = db.session.scalars(
        select(model).where(
            model.id.in_(ids),
            *([model.tenant_id == g.tenant.id] if hasattr(model, "tenant_id") else []),
        )
    )
    return {r.id: r for r in rows}


@bp.route("/appeals")
@require("tenant.view")
def appeals():
    tid, me = g.tenant.id, viewer_person()
    rows = list(
        db.session.scalars(
            rules.visible_cases_query(tid, g.role, me).order_by(AppealCase.raised_at.desc())
        )
    )
    answerer = g.role in rules.ANSWERERS
    overdue = [c for c in rows if c.is_open and c.due_on < _today()] if answerer else []
    return render_template(
        "appeals/list.html", rows=rows, overdue=overdue, answerer=answerer, me=me,
        people=_lookup(Person, [c.person_id for c in rows]),
        periods=_lookup(Period, [c.case_period_id for c in rows]),
        settings_form=SettingsForm(formdata=None, answer_days=rules.answer_days(tid)),
        **_helpers(),
    )  # fmt: skip


def _kind() -> CaseKind:
    try:
        return CaseKind(request.values.get("kind", "score"))
    except ValueError:
        abort(404)


def _raise_form(kind: CaseKind, me: Person) -> RaiseForm:
    tid = g.tenant.id
    form = RaiseForm()
    money = lambda v: f"{v:,.2f}"  # noqa: E731
    if kind == CaseKind.SCORE:
        actual = _("actual")
        form.line_id.choices = [
            (c.line.id, f"{c.period.label} · {c.kpi.name} · {actual} {fmt_number(c.line.actual) if c.line.actual is not None else '—'}")
            for c in cases.score_choices(tid, me.id)
        ]  # fmt: skip
    elif kind == CaseKind.STATEMENT:
        plans = {0: _("Corrections from appeals")}
        for c in cases.statement_choices(tid, me.id):
            plans.update({p["plan_id"]: p["plan_name"] for p in c.run.plans or []})
        form.line_id.choices = [
            (c.line.id, f"{c.period.label} · {plans.get(c.line.plan_id, '')} · {money(c.line.amount)}")
            for c in cases.statement_choices(tid, me.id)
        ]  # fmt: skip
    else:
        form.period_id.choices = [(p.id, p.label) for p in cases.credit_periods(tid)]
    if request.method == "GET" and request.args.get("line_id", type=int):
        form.line_id.data = request.args.get("line_id", type=int)
    return form


def _evidence() -> list:
    out = []
    for upload in request.files.getlist("evidence"):
        if upload is None or not upload.filename:
            continue
        out.append(read_evidence(upload.filename, upload.stream.read(EVIDENCE_MAX_BYTES + 1)))
    return out


@bp.route("/appeals/new", methods=["GET", "POST"])
@require("tenant.view")
def appeal_new():
    me = viewer_person()
    if me is None:
        flash(
            _("Your login is not linked to a person in this company: ask hr to link it."), "error"
        )
        return redirect(url_for("tenant.appeals"))
    kind = _kind()
    form = _raise_form(kind, me)
    if request.method == "POST" and form.validate_on_submit():
        try:
            case = cases.raise_case(
                g.tenant.id, current_user, me, kind, today=_today(), reason=form.reason.data,
                line_id=form.line_id.data, claimed=form.claimed_value(),
                period_id=form.period_id.data, reference=form.reference.data or "",
                amount=form.amount_value(), files=_evidence(),
            )  # fmt: skip
        except (rules.AppealError, TableError) as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Your case was sent to hr. You will be notified of every answer."), "success")
            return redirect(url_for("tenant.appeal", case_id=case.id))
    elif request.method == "POST":
        flash(_("Check the highlighted fields."), "error")
    return render_template("appeals/new.html", form=form, kind=kind, **_helpers())


def _visible(case_id: int) -> AppealCase:
    case = db.session.scalar(
        select(AppealCase).where(AppealCase.tenant_id == g.tenant.id, AppealCase.id == case_id)
    )
    if case is None or not rules.may_see(g.tenant.id, g.role, viewer_person(), case):
        abort(404)
    return case


@bp.route("/appeals/<int:case_id>")
@require("tenant.view")
def appeal(case_id: int):
    tid, me = g.tenant.id, viewer_person()
    case = _visible(case_id)
    messages = cases.thread(tid, case)
    users = _lookup(User, [case.raised_by_id, case.decided_by_id, *(m.author_id for m in messages)])
    correction = decisions.correction_of(tid, case)
    line_plan = ""
    if case.payout_line_id is not None:
        run = db.session.scalar(
            select(CalculationRun).where(
                CalculationRun.tenant_id == tid, CalculationRun.id == case.run_id
            )
        )
        line = db.session.scalar(
            select(PayoutLineRecord).where(
                PayoutLineRecord.tenant_id == tid, PayoutLineRecord.id == case.payout_line_id
            )
        )
        names = {p["plan_id"]: p["plan_name"] for p in (run.plans if run else None) or []}
        names[0] = _("Corrections from appeals")
        line_plan = names.get(line.plan_id, "") if line is not None else ""
    return render_template(
        "appeals/detail.html", case=case, messages=messages, users=users,
        person=db.session.get(Person, case.person_id),
        period=db.session.get(Period, case.case_period_id),
        files=cases.files(tid, case), correction=correction, line_plan=line_plan,
        paid_in=db.session.get(Period, correction.period_id) if correction else None,
        correction_sentence=Explanation.from_dict(correction.explanation).text() if correction else "",
        may_reply=rules.may_reply(tid, g.role, me, case),
        may_decide=rules.may_decide(g.role, current_user.id, me, case),
        may_download=rules.may_download(tid, g.role, me, case),
        reply_form=ReplyForm(formdata=None), decide_form=DecideForm(formdata=None),
        **_helpers(),
    )  # fmt: skip


@bp.route("/appeals/<int:case_id>/reply", methods=["POST"])
@require("tenant.view")
def appeal_reply(case_id: int):
    case = _visible(case_id)
    if not rules.may_reply(g.tenant.id, g.role, viewer_person(), case):
        abort(403)
    form = ReplyForm()
    if not form.validate_on_submit():
        flash(_("Write a message."), "error")
        return redirect(url_for("tenant.appeal", case_id=case.id))
    try:
        cases.reply(g.tenant.id, case, current_user, form.body.data, _evidence())
    except (rules.AppealError, TableError) as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Message sent."), "success")
    return redirect(url_for("tenant.appeal", case_id=case.id))


@bp.route("/appeals/<int:case_id>/decide", methods=["POST"])
@require("tenant.view")
def appeal_decide(case_id: int):
    tid = g.tenant.id
    case = _visible(case_id)
    if not rules.may_decide(g.role, current_user.id, viewer_person(), case):
        abort(403)
    form = DecideForm()
    if not form.validate_on_submit():
        errors = [e for f in (form.decision, form.actual, form.amount) for e in f.errors]
        flash(str(errors[0]) if errors else _("Choose a decision."), "error")
        return redirect(url_for("tenant.appeal", case_id=case.id))
    try:
        if form.decision.data == "reject":
            decisions.reject(tid, case, current_user, form.note.data)
        else:
            decisions.uphold(
                tid, case, current_user, form.note.data, actual=form.actual_value(),
                amount=form.amount_value(), words=form.words.data or "",
            )  # fmt: skip
    except rules.AppealError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Decision saved; the person is notified."), "success")
    return redirect(url_for("tenant.appeal", case_id=case.id))


@bp.route("/appeals/<int:case_id>/files/<int:file_id>")
@require("tenant.view")
def appeal_file(case_id: int, file_id: int):
    tid = g.tenant.id
    case = _visible(case_id)
    if not rules.may_download(tid, g.role, viewer_person(), case):
        abort(404)
    row = db.session.scalar(
        select(AppealFile).where(
            AppealFile.tenant_id == tid, AppealFile.case_id == case.id, AppealFile.id == file_id
        )
    )
    path = cases.file_path(tid, row) if row is not None else None
    if path is None or not path.is_file():
        abort(404)
    return send_file(path, mimetype=row.content_type, as_attachment=True, download_name=row.name)


@bp.route("/appeals/settings", methods=["POST"])
@require("tenant.view")
def appeal_settings():
    if g.role not in rules.ANSWERERS:
        abort(403)
    form = SettingsForm()
    if not form.validate_on_submit() or form.answer_days.data is None:
        flash(
            _("Enter a whole number of working days from 1 to %(n)d.", n=rules.MAX_ANSWER_DAYS),
            "error",
        )
    else:
        rules.set_answer_days(g.tenant.id, form.answer_days.data)
        db.session.commit()
        flash(
            _(
                "Saved. New cases are due %(n)d working days after they are raised.",
                n=form.answer_days.data,
            ),
            "success",
        )
    return redirect(url_for("tenant.appeals"))
