"""One-off awards (``awards.approve``): granting and withdrawing them, by period."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from jili.accounts.roles import require
from jili.extensions import db
from jili.i18n import AWARD_KINDS, award_kind_label, format_money
from jili.inputs.forms import AwardForm
from jili.inputs.models import OneOffAwardGrant
from jili.inputs.services.common import money_places, parse_money
from jili.inputs.services.entries import award_errors, award_kinds, delete_award, grant_award
from jili.inputs.views._common import kind_name, period_arg, tenant_people, tenant_periods
from jili.org.models import Person
from jili.org.visibility import person_condition
from jili.periods.models import Period
from jili.schemes import OneOffAward
from jili.tenancy import get_scoped_or_404
from jili.web import bp
from jili.web._helpers import saved


def _award_form(fresh_for: Period | None = None) -> AwardForm:
    """The grant form; ``fresh_for``: an empty form for that period (after a change)."""
    form = AwardForm(formdata=None) if fresh_for is not None else AwardForm()
    open_periods = [p for p in tenant_periods() if not p.is_closed]
    form.period_id.choices = [(p.id, f"{p.label} · {kind_name(p.kind)}") for p in open_periods]
    form.person_id.choices = [(p.id, f"{p.name} ({p.employee_no})") for p in tenant_people()]
    form.kind.choices = _kind_choices(open_periods)
    if fresh_for is not None:
        if any(p.id == fresh_for.id for p in open_periods):
            form.period_id.data = fresh_for.id
    elif request.method == "GET":
        chosen = request.args.get("period_id", type=int)
        if chosen and any(p.id == chosen for p in open_periods):
            form.period_id.data = chosen
        else:
            today = date.today()
            current = [p for p in open_periods if p.start_date <= today <= p.end_date]
            current.sort(key=lambda p: p.end_date - p.start_date)
            if current:
                form.period_id.data = current[0].id
    return form


def _kind_choices(open_periods: list[Period]) -> list[tuple[str, str]]:
    """The kinds the special-awards plans in force configure, in the reader's
    language; Jili's usual kinds when no plan configures any."""
    labels: dict[str, str] = {}
    for period in open_periods:
        for k in award_kinds(g.tenant.id, period)[0]:
            labels.setdefault(k.key, award_kind_label(k.key, k.label))
    if not labels:
        labels = {key: award_kind_label(key) for key in AWARD_KINDS}
    return sorted(labels.items(), key=lambda kv: kv[1])


def _awards_context(form: AwardForm, period: Period | None) -> dict:
    stmt = select(OneOffAwardGrant).where(OneOffAwardGrant.tenant_id == g.tenant.id)
    if period is not None:
        stmt = stmt.where(OneOffAwardGrant.period_id == period.id)
    condition = person_condition(OneOffAwardGrant.person_id)
    if condition is not None:  # a manager: their people's awards only
        stmt = stmt.where(condition)
    awards = list(db.session.scalars(stmt.order_by(OneOffAwardGrant.created_at.desc()).limit(500)))
    periods = {p.id: p for p in tenant_periods()}
    kinds: dict[str, object] = {key: award_kind_label(key) for key in AWARD_KINDS}
    plan_kinds = []
    form_period = periods.get(form.period_id.data) if form.period_id.data else None
    if form_period is not None:
        plan_kinds, _entries = award_kinds(g.tenant.id, form_period)
        for k in plan_kinds:
            kinds[k.key] = award_kind_label(k.key, k.label)
    return {
        "form": form,
        "awards": awards,
        "period": period,
        "periods": periods,
        "period_list": tenant_periods(),
        "people": {p.id: p for p in tenant_people()},
        "kinds": kinds,
        "plan_kinds": plan_kinds,
    }


@bp.route("/awards")
@require("inputs.view")
def awards():
    return render_template("inputs/awards.html", **_awards_context(_award_form(), period_arg()))


@bp.route("/awards/new", methods=["POST"])
@require("awards.approve")
def award_new():
    form = _award_form()
    if form.validate_on_submit():
        period = get_scoped_or_404(Period, form.period_id.data, g.tenant.id)
        person = get_scoped_or_404(Person, form.person_id.data, g.tenant.id)
        amount = parse_money(form.amount.data, money_places(g.tenant), negative=False)
        errors = award_errors(
            g.tenant.id,
            period,
            OneOffAward(person.id, form.kind.data, amount, form.reason.data),
        )
        for field_name, message in errors.items():
            getattr(form, field_name, form.kind).errors.append(message)
        if not errors:
            grant_award(
                g.tenant.id,
                period,
                person,
                form.kind.data,
                amount,
                form.reason.data,
                current_user,
            )
            db.session.commit()
            flash(
                _(
                    "Award of %(amount)s to %(name)s in %(label)s saved.",
                    amount=format_money(amount),
                    name=person.name,
                    label=period.label,
                ),
                "success",
            )
            url = url_for("tenant.awards", period_id=period.id)
            return saved(
                url,
                "inputs/awards.html",
                **_awards_context(_award_form(fresh_for=period), period),
            )
    return render_template("inputs/awards.html", **_awards_context(form, period_arg())), 422


@bp.route("/awards/<int:award_id>/delete", methods=["POST"])
@require("awards.approve")
def award_delete(award_id: int):
    award = get_scoped_or_404(OneOffAwardGrant, award_id, g.tenant.id)
    period = get_scoped_or_404(Period, award.period_id, g.tenant.id)
    if period.is_closed:
        abort(409, _("Period %(label)s is closed: its awards cannot change.", label=period.label))
    delete_award(award, period)
    db.session.commit()
    flash(_("Award withdrawn."), "success")
    url = url_for("tenant.awards", period_id=period.id)
    return saved(
        url, "inputs/awards.html", **_awards_context(_award_form(fresh_for=period), period)
    )
