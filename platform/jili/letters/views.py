"""Responsibility letter pages: the list (own, team's, or everyone's by role), one
letter as a printable page and a PDF, acknowledging it, issuing a period's
letters and the tenant's template."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import abort, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from jili.accounts.models import User
from jili.accounts.roles import can, require
from jili.extensions import db
from jili.i18n import format_money
from jili.letters import services
from jili.letters.forms import AcknowledgeForm, IssueForm, TemplateForm
from jili.letters.models import ResponsibilityLetter
from jili.org.models import Person
from jili.org.visibility import may_see, person_condition, viewer_person
from jili.periods.models import Period
from jili.targets import services as targets
from jili.tenancy import get_scoped_or_404
from jili.web import bp


def show_value(row: services.TargetRow, value: Decimal | None) -> str:
    """A target value as a reader sees it: money in the company's currency, a count
    or number with its unit."""
    if value is None:
        return "—"
    if row.kind == "money":
        return format_money(value)
    text = format_decimal(value.normalize() if value == value.to_integral() else value)
    return f"{text} {row.unit}".strip()


def _periods() -> dict[int, Period]:
    return {
        p.id: p
        for p in db.session.scalars(
            select(Period).where(Period.tenant_id == g.tenant.id).order_by(Period.start_date)
        )
    }


def _issue_form(periods: dict[int, Period]) -> IssueForm:
    form = IssueForm()
    form.period_id.choices = [
        (p.id, p.label)
        for p in periods.values()
        if not p.is_closed and targets.targets_version(g.tenant.id, p.id) > 0
    ]
    return form


@bp.route("/letters")
@require("tenant.view")
def letters():
    """Current letters the viewer may see: their own, their team's, or everyone's."""
    periods = _periods()
    query = (
        select(ResponsibilityLetter, Person)
        .join(
            Person,
            (Person.id == ResponsibilityLetter.person_id)
            & (Person.tenant_id == ResponsibilityLetter.tenant_id),
        )
        .where(
            ResponsibilityLetter.tenant_id == g.tenant.id, ResponsibilityLetter.current.is_(True)
        )
    )
    condition = person_condition(ResponsibilityLetter.person_id)
    if condition is not None:
        query = query.where(condition)
    period_id = request.args.get("period_id", type=int)
    if period_id in periods:
        query = query.where(ResponsibilityLetter.period_id == period_id)
    waiting = request.args.get("waiting") == "1"
    if waiting:
        query = query.where(ResponsibilityLetter.acknowledged_at.is_(None))
    rows = db.session.execute(query).all()
    rows.sort(key=lambda r: (-periods[r[0].period_id].start_date.toordinal(), r[1].employee_no))
    context = {
        "rows": rows, "periods": periods, "period_id": period_id, "waiting": waiting,
        "ack_by": {r[0].id: services.acknowledge_by(r[0]) for r in rows},
        "issue_form": _issue_form(periods) if can("letters.manage") else None,
    }  # fmt: skip
    return render_template("letters/list.html", **context)


@bp.route("/letters/issue", methods=["POST"])
@require("letters.manage")
def letters_issue():
    periods = _periods()
    form = _issue_form(periods)
    if not form.validate_on_submit():
        flash(_("Choose a period whose targets are published."), "error")
        return redirect(url_for("tenant.letters"))
    issued = services.issue_letters(g.tenant.id, form.period_id.data, current_user.id)
    db.session.commit()
    label = periods[form.period_id.data].label
    if issued:
        flash(_("%(n)d letters issued for %(period)s.", n=len(issued), period=label), "success")
    else:
        flash(_("Every letter of %(period)s is up to date: none issued.", period=label), "info")
    return redirect(url_for("tenant.letters", period_id=form.period_id.data))


def _visible_letter(letter_id: int) -> ResponsibilityLetter:
    letter = get_scoped_or_404(ResponsibilityLetter, letter_id, g.tenant.id)
    if not may_see(letter.person_id):
        abort(404)
    return letter


def _letter_context(letter: ResponsibilityLetter) -> dict:
    rows = services.target_rows(letter)
    users = {
        u.id: u.name or u.email
        for u in db.session.scalars(
            select(User).where(
                User.id.in_([i for i in (letter.acknowledged_by_id, letter.issued_by_id) if i])
            )
        )
    }
    return {
        "letter": letter, "c": letter.content, "rows": rows, "show_value": show_value,
        "team_rows": services.target_rows(letter, "team_targets"),
        "ack_by": services.acknowledge_by(letter), "users": users,
        "dates": {
            "start": date.fromisoformat(letter.content["period"]["start"]),
            "end": date.fromisoformat(letter.content["period"]["end"]),
            "deadline": date.fromisoformat(letter.content["deadline"]),
        },
    }  # fmt: skip


@bp.route("/letters/<int:letter_id>")
@require("tenant.view")
def letter(letter_id: int):
    letter = _visible_letter(letter_id)
    me = viewer_person()
    versions = db.session.scalars(
        select(ResponsibilityLetter)
        .where(
            ResponsibilityLetter.tenant_id == g.tenant.id,
            ResponsibilityLetter.period_id == letter.period_id,
            ResponsibilityLetter.person_id == letter.person_id,
        )
        .order_by(ResponsibilityLetter.version.desc())
    ).all()
    mine = me is not None and me.id == letter.person_id
    return render_template(
        "letters/letter.html",
        **_letter_context(letter),
        versions=versions,
        may_acknowledge=mine and letter.current and letter.acknowledged_at is None,
        form=AcknowledgeForm(),
    )


@bp.route("/letters/<int:letter_id>/letter.pdf")
@require("tenant.view")
def letter_pdf(letter_id: int):
    letter = _visible_letter(letter_id)
    html = render_template("letters/print.html", **_letter_context(letter))
    pdf = services.render_pdf(html, base_url=request.url_root)
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    name = f"letter-{letter.content['person']['employee_no']}-v{letter.version}.pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@bp.route("/letters/<int:letter_id>/acknowledge", methods=["POST"])
@require("tenant.view")
def letter_acknowledge(letter_id: int):
    letter = _visible_letter(letter_id)
    form = AcknowledgeForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.acknowledge(g.tenant.id, letter, current_user)
    except services.LetterError as exc:
        flash(str(exc), "error")
        return redirect(url_for("tenant.letter", letter_id=letter.id))
    db.session.commit()
    flash(
        _("Thank you: you acknowledged version %(n)d of your letter.", n=letter.version), "success"
    )
    return redirect(url_for("tenant.letter", letter_id=letter.id))


@bp.route("/letters/template", methods=["GET", "POST"])
@require("letters.template")
def letter_template():
    if request.method == "GET":
        form = TemplateForm(formdata=None, data=services.template_values(g.tenant.id))
        return render_template("letters/template.html", form=form)
    form = TemplateForm()
    values = form.clean() if form.validate_on_submit() else None
    if values is None:
        return render_template("letters/template.html", form=form)
    services.save_template(g.tenant.id, values, current_user)
    db.session.commit()
    flash(
        _("Template saved. Letters issued from now on use it; issue again to update letters."),
        "success",
    )
    return redirect(url_for("tenant.letter_template"))
