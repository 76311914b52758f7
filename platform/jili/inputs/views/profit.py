"""A period's profit, entered by hand (``profit.edit``). The company's profit is the
whole company's pay input (profit sharing): ``profit.view`` is for the roles that see
everyone's pay, not for managers."""

from __future__ import annotations

from flask import abort, flash, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from jili.accounts.models import User
from jili.accounts.roles import can, require
from jili.extensions import db
from jili.i18n import format_money
from jili.inputs.forms import ProfitForm
from jili.inputs.models import ProfitEntry
from jili.inputs.services.common import money_places, parse_money
from jili.inputs.services.entries import set_profit
from jili.inputs.views._common import kind_name, tenant_periods
from jili.periods.models import Period, PeriodKind
from jili.tenancy import get_scoped_or_404
from jili.web import bp
from jili.web._helpers import saved


def _profit_context(form: ProfitForm) -> dict:
    periods = {p.id: p for p in tenant_periods()}
    entries = sorted(
        db.session.scalars(select(ProfitEntry).where(ProfitEntry.tenant_id == g.tenant.id)),
        key=lambda e: (-periods[e.period_id].start_date.toordinal(), periods[e.period_id].label),
    )
    users = _user_labels({e.entered_by_id for e in entries})
    return {"form": form, "entries": entries, "periods": periods, "users": users}


def _user_labels(ids: set) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {
        u.id: u.name or u.email for u in db.session.scalars(select(User).where(User.id.in_(ids)))
    }


def _profit_form(fresh: bool = False) -> ProfitForm:
    form = ProfitForm(formdata=None) if fresh else ProfitForm()
    open_periods = [p for p in tenant_periods() if not p.is_closed]
    form.period_id.choices = [(p.id, f"{p.label} · {kind_name(p.kind)}") for p in open_periods]
    if request.method == "GET" or fresh:
        years = [p for p in open_periods if p.kind == PeriodKind.YEAR]
        chosen = request.args.get("period_id", type=int)
        if chosen and any(p.id == chosen for p in open_periods):
            form.period_id.data = chosen
        elif years:
            form.period_id.data = years[0].id
    return form


@bp.route("/profit", methods=["GET", "POST"])
@require("profit.view")
def profit():
    form = _profit_form()
    if request.method == "POST":
        if not can("profit.edit"):
            abort(403)
        if form.validate_on_submit():
            period = get_scoped_or_404(Period, form.period_id.data, g.tenant.id)
            amount = parse_money(form.amount.data, money_places(g.tenant))
            set_profit(g.tenant.id, period, amount, (form.note.data or "").strip(), current_user)
            db.session.commit()
            flash(
                _(
                    "Profit for %(label)s saved: %(amount)s.",
                    label=period.label,
                    amount=format_money(amount),
                ),
                "success",
            )
            return saved(
                url_for("tenant.profit"),
                "inputs/profit.html",
                **_profit_context(_profit_form(fresh=True)),
            )
        return render_template("inputs/profit.html", **_profit_context(form)), 422
    return render_template("inputs/profit.html", **_profit_context(form))
