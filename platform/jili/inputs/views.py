"""The period's inputs: transactions (deals, refunds) with their credits,
targets, KPI metric values, profit and one-off awards."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from flask import Response, abort, flash, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from jili.accounts.models import User
from jili.accounts.roles import can, require
from jili.extensions import db
from jili.inputs.models import (
    MetricValue,
    OneOffAwardGrant,
    ProfitEntry,
    SalesCredit,
    SalesTarget,
    Transaction,
)
from jili.inputs.services import metrics as metric_rows
from jili.inputs.services import targets as target_rows
from jili.inputs.services import transactions as txn_import
from jili.inputs.services.common import money_places, parse_money
from jili.inputs.services.entries import (
    KIND_RE,
    award_errors,
    award_kinds,
    delete_award,
    grant_award,
    normalise_kind,
    set_profit,
)
from jili.org.models import Person, Team
from jili.periods.models import Period, PeriodKind
from jili.schemes import OneOffAward, fmt_number, kpi_score, kpi_total_score, quantize
from jili.schemes.kpi import KpiResult
from jili.tenancy import get_scoped_or_404
from jili.web import bp
from jili.web._helpers import saved

PAGE_SIZE = 50
MAX_ERRORS_SHOWN = 200
KIND_ORDER = {PeriodKind.YEAR: 0, PeriodKind.QUARTER: 1, PeriodKind.MONTH: 2, PeriodKind.WEEK: 3}


# --- shared -----------------------------------------------------------------------


def _periods() -> list[Period]:
    """The tenant's periods for choosing: the latest fiscal year first, each
    year in calendar order (the year, Q1, its months, Q2, …)."""
    rows = list(db.session.scalars(select(Period).where(Period.tenant_id == g.tenant.id)))
    by_id = {p.id: p for p in rows}

    def root(p: Period) -> Period:
        seen = set()
        while p.parent_id in by_id and p.id not in seen:
            seen.add(p.id)
            p = by_id[p.parent_id]
        return p

    return sorted(
        rows,
        key=lambda p: (-root(p).start_date.toordinal(), p.start_date, KIND_ORDER[p.kind]),
    )


def _period_arg() -> Period | None:
    pid = request.args.get("period_id", type=int)
    if not pid:
        return None
    return db.session.scalar(
        select(Period).where(Period.tenant_id == g.tenant.id, Period.id == pid)
    )


def _people() -> list[Person]:
    return list(
        db.session.scalars(
            select(Person).where(Person.tenant_id == g.tenant.id).order_by(Person.employee_no)
        )
    )


def _upload_and_import(importer):
    """Run ``importer(tenant, filename, data)`` on the uploaded file; commit on
    success. Returns (outcome or None, errors for the template)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return None, [{"row": "", "column": "", "message": _("Choose a file to upload.")}]
    try:
        outcome = importer(g.tenant, upload.filename, upload.read())
        if outcome.ok:
            db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None, [
            {
                "row": "",
                "column": "",
                "message": _(
                    "Another import saved some of the same rows at the same moment; "
                    "nothing was imported from this file. Import it again."
                ),
            }
        ]
    if not outcome.ok:
        db.session.rollback()
        return outcome, [
            {"row": e.row or "", "column": e.column, "message": e.message}
            for e in outcome.errors[:MAX_ERRORS_SHOWN]
        ]
    return outcome, []


def _import_page(kind: str, importer, **context):
    outcome, errors = None, []
    if request.method == "POST":
        if not can("inputs.edit"):
            abort(403)
        outcome, errors = _upload_and_import(importer)
    total_errors = len(outcome.errors) if outcome is not None and outcome.errors else len(errors)
    status = 422 if errors else 200
    return render_template(
        "inputs/import.html",
        kind=kind,
        outcome=outcome if outcome is not None and outcome.ok else None,
        errors=errors,
        total_errors=total_errors,
        **context,
    ), status


def _csv_response(filename: str, header: list[str], rows: list[list[str]]) -> Response:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    # A BOM, so Excel opens the Chinese headers as UTF-8.
    return Response(
        "\ufeff" + buf.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _zh_headers() -> str | None:
    from flask_babel import get_locale

    locale = str(get_locale())
    return locale if locale in ("zh_Hans", "zh_Hant") else None


# --- transactions -------------------------------------------------------------------

TRANSACTION_HEADERS = {
    "zh_Hans": [
        "外部编号", "成交日期", "工号", "客户", "产品线", "区域", "金额", "回款金额", "毛利",
        "新客户", "战略客户", "分成",
    ],
    "zh_Hant": [
        "外部編號", "成交日期", "工號", "客戶", "產品線", "區域", "金額", "回款金額", "毛利",
        "新客戶", "戰略客戶", "分成",
    ],
}  # fmt: skip


def _transaction_filters(stmt, period: Period | None, person_id: int | None):
    if period is not None:
        stmt = stmt.where(
            Transaction.deal_date >= period.start_date, Transaction.deal_date <= period.end_date
        )
    if person_id:
        credited = exists().where(
            SalesCredit.tenant_id == g.tenant.id,
            SalesCredit.transaction_id == Transaction.id,
            SalesCredit.person_id == person_id,
        )
        stmt = stmt.where(or_(Transaction.person_id == person_id, credited))
    return stmt


@bp.route("/transactions")
@require("inputs.view")
def transactions():
    tid = g.tenant.id
    period = _period_arg()
    person_id = request.args.get("person_id", type=int) or None
    page = max(1, request.args.get("page", 1, type=int) or 1)
    base = select(Transaction).where(Transaction.tenant_id == tid)
    base = _transaction_filters(base, period, person_id)
    totals = db.session.execute(
        _transaction_filters(
            select(
                func.count(Transaction.id),
                func.sum(Transaction.amount),
                func.sum(Transaction.collected_amount),
                func.sum(Transaction.margin),
            ).where(Transaction.tenant_id == tid),
            period,
            person_id,
        )
    ).one()
    count = totals[0] or 0
    pages = max(1, -(-count // PAGE_SIZE))
    page = min(page, pages)
    rows = list(
        db.session.scalars(
            base.order_by(Transaction.deal_date.desc(), Transaction.id.desc())
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        )
    )
    people = {p.id: p for p in _people()}
    credits_by_txn: dict[int, list] = {}
    if rows:
        for c in db.session.scalars(
            select(SalesCredit)
            .where(
                SalesCredit.tenant_id == tid,
                SalesCredit.transaction_id.in_([t.id for t in rows]),
            )
            .order_by(SalesCredit.share_bp.desc(), SalesCredit.id)
        ):
            credits_by_txn.setdefault(c.transaction_id, []).append(c)
    return render_template(
        "inputs/transactions.html",
        rows=rows,
        credits=credits_by_txn,
        share_pct=share_pct,
        people=people,
        periods=_periods(),
        period=period,
        person_id=person_id,
        page=page,
        pages=pages,
        count=count,
        totals=totals,
    )


@bp.route("/transactions/<int:transaction_id>")
@require("inputs.view")
def transaction_detail(transaction_id: int):
    txn = get_scoped_or_404(Transaction, transaction_id, g.tenant.id)
    shares = list(
        db.session.scalars(
            select(SalesCredit)
            .where(SalesCredit.tenant_id == g.tenant.id, SalesCredit.transaction_id == txn.id)
            .order_by(SalesCredit.share_bp.desc(), SalesCredit.id)
        )
    )
    people = {p.id: p for p in _people()}
    period = db.session.scalar(
        select(Period)
        .where(
            Period.tenant_id == g.tenant.id,
            Period.start_date <= txn.deal_date,
            Period.end_date >= txn.deal_date,
            Period.kind == PeriodKind.MONTH,
        )
        .limit(1)
    )
    return render_template(
        "inputs/transaction.html",
        txn=txn,
        credits=shares,
        people=people,
        period=period,
        share_pct=share_pct,
    )


@bp.route("/transactions/import", methods=["GET", "POST"])
@require("inputs.edit")
def transactions_import():
    return _import_page(
        "transactions",
        txn_import.import_transaction_file,
        title=_("Import transactions"),
        action=url_for("tenant.transactions_import"),
        template_url=url_for("tenant.transactions_template"),
        back_url=url_for("tenant.transactions"),
        columns=list(txn_import.COLUMNS),
        zh_columns="外部编号, 成交日期, 工号, 客户, 产品线, 区域, 金额, 回款金额, 毛利, 新客户, 战略客户, 分成",
        help=[
            _(
                "Required: external id, deal date, employee number (the seller) and amount. "
                "Amounts like 12500, 12,500.50 or ¥12,500.50; dates like 2024-07-15 or 2024/7/15; "
                "new customer and strategic as yes/no, 1/0 or 是/否."
            ),
            _(
                "Credits: leave empty to credit the seller in full, or split like "
                "E002:60;E005:40 (employee number and percent, adding up to 100). The amounts "
                "are split so the parts add up exactly to the deal."
            ),
            _(
                "A refund or claw-back is a row of its own with negative amounts and a new "
                "external id; it counts in the period of its date. Rows already imported with "
                "the same values are skipped, so the same file can be imported again. If any "
                "row has a problem, nothing is imported."
            ),
        ],
    )


@bp.route("/transactions/template.csv")
@require("inputs.view")
def transactions_template():
    header = TRANSACTION_HEADERS.get(_zh_headers() or "", list(txn_import.COLUMNS))
    rows = [
        ["D-2024-0001", "2024-07-15", "E001", "华东电子", "设备", "华东", "120000.00",
         "80000.00", "30000.00", "yes", "no", ""],
        ["D-2024-0002", "2024-07-20", "E002", "北方物流", "服务", "华北", "50000.00",
         "50000.00", "12000.00", "no", "yes", "E002:60;E005:40"],
        ["R-2024-0001", "2024-08-03", "E001", "华东电子", "设备", "华东", "-20000.00",
         "-20000.00", "-5000.00", "no", "no", ""],
    ]  # fmt: skip
    return _csv_response("transactions.csv", header, rows)


# --- targets -------------------------------------------------------------------------


def _latest_period_with(model) -> Period | None:
    return db.session.scalar(
        select(Period)
        .join(model, and_(model.period_id == Period.id, model.tenant_id == Period.tenant_id))
        .where(Period.tenant_id == g.tenant.id)
        .order_by(Period.start_date.desc(), Period.id.desc())
        .limit(1)
    )


@bp.route("/targets")
@require("inputs.view")
def targets():
    period = _period_arg() or _latest_period_with(SalesTarget)
    rows = []
    if period is not None:
        rows = list(
            db.session.scalars(
                select(SalesTarget).where(
                    SalesTarget.tenant_id == g.tenant.id, SalesTarget.period_id == period.id
                )
            )
        )
    people = {p.id: p for p in _people()}
    teams = {t.id: t for t in db.session.scalars(select(Team).where(Team.tenant_id == g.tenant.id))}
    rows.sort(
        key=lambda t: (
            t.team_id is None,
            teams[t.team_id].name if t.team_id else people[t.person_id].employee_no,
        )
    )
    return render_template(
        "inputs/targets.html",
        rows=rows,
        people=people,
        teams=teams,
        periods=_periods(),
        period=period,
    )


@bp.route("/targets/import", methods=["GET", "POST"])
@require("inputs.edit")
def targets_import():
    return _import_page(
        "targets",
        target_rows.import_target_file,
        title=_("Import targets"),
        action=url_for("tenant.targets_import"),
        template_url=url_for("tenant.targets_template"),
        back_url=url_for("tenant.targets"),
        columns=list(target_rows.HEADERS),
        zh_columns="期间, 工号, 团队, 销售目标, 回款目标, 毛利目标",
        help=[
            _(
                "One row per person (employee number) or team (team name) and period "
                "(its label, e.g. 2024-Q3 or 2024-07). Targets are amounts; an empty "
                "target means none and clears an earlier one."
            ),
            _(
                "A row for a person or team that already has targets for the period "
                "replaces them. Closed periods cannot change. If any row has a problem, "
                "nothing is imported."
            ),
        ],
    )


@bp.route("/targets/template.csv")
@require("inputs.view")
def targets_template():
    zh = _zh_headers()
    header = (
        ["期间", "工号", "团队", "销售目标", "回款目标", "毛利目标"]
        if zh == "zh_Hans"
        else ["期間", "工號", "團隊", "銷售目標", "回款目標", "毛利目標"]
        if zh == "zh_Hant"
        else list(target_rows.HEADERS)
    )
    rows = [
        ["2024-Q3", "E001", "", "500000", "450000", "120000"],
        ["2024-Q3", "", "上海一组", "10000000", "", ""],
    ]
    return _csv_response("targets.csv", header, rows)


# --- metric values --------------------------------------------------------------------


@bp.route("/metrics")
@require("inputs.view")
def metrics():
    period = _period_arg() or _latest_period_with(MetricValue)
    rows = []
    if period is not None:
        rows = list(
            db.session.scalars(
                select(MetricValue)
                .where(MetricValue.tenant_id == g.tenant.id, MetricValue.period_id == period.id)
                .order_by(MetricValue.metric)
            )
        )
    people = {p.id: p for p in _people()}
    teams = {t.id: t for t in db.session.scalars(select(Team).where(Team.tenant_id == g.tenant.id))}
    by_person: dict[int, list[MetricValue]] = {}
    team_rows = []
    for m in rows:
        if m.person_id is not None:
            by_person.setdefault(m.person_id, []).append(m)
        else:
            team_rows.append(m)
    scores, totals = {}, {}
    for pid, values in by_person.items():
        results = []
        for m in values:
            if m.target is not None and m.target > 0 and m.actual >= 0:
                scores[m.id] = kpi_score(
                    Decimal(m.actual), Decimal(m.target), higher_is_better=m.higher_is_better
                )
                if m.weight:
                    results.append(
                        KpiResult(
                            Decimal(m.weight),
                            Decimal(m.actual),
                            Decimal(m.target),
                            m.higher_is_better,
                        )
                    )
        if results:
            totals[pid] = kpi_total_score(results)
    people_order = sorted(by_person, key=lambda pid: people[pid].employee_no)
    team_rows.sort(key=lambda m: teams[m.team_id].name)
    return render_template(
        "inputs/metrics.html",
        by_person=by_person,
        people_order=people_order,
        team_rows=team_rows,
        people=people,
        teams=teams,
        scores=scores,
        totals=totals,
        num=num,
        periods=_periods(),
        period=period,
    )


@bp.route("/metrics/import", methods=["GET", "POST"])
@require("inputs.edit")
def metrics_import():
    return _import_page(
        "metrics",
        metric_rows.import_metric_file,
        title=_("Import KPI values"),
        action=url_for("tenant.metrics_import"),
        template_url=url_for("tenant.metrics_template"),
        back_url=url_for("tenant.metrics"),
        columns=list(metric_rows.HEADERS),
        zh_columns="期间, 工号, 团队, 指标, 权重, 实际值, 目标值, 越高越好",
        help=[
            _(
                "One row per person, period and KPI: its weight, actual value and target, "
                "and whether higher is better (yes) or lower is better (no, e.g. complaints). "
                "Score = actual / target × 100 (target / actual when lower is better), "
                "at most 100; the total is the weighted average."
            ),
            _(
                "A team row (team name instead of employee number) gives the team's "
                "collaboration score: name its metric collaboration (协作) and put the score "
                "in the actual column."
            ),
            _(
                "A row for a KPI already entered for the person and period replaces it. "
                "Closed periods cannot change. If any row has a problem, nothing is imported."
            ),
        ],
    )


@bp.route("/metrics/template.csv")
@require("inputs.view")
def metrics_template():
    zh = _zh_headers()
    header = (
        ["期间", "工号", "团队", "指标", "权重", "实际值", "目标值", "越高越好"]
        if zh == "zh_Hans"
        else ["期間", "工號", "團隊", "指標", "權重", "實際值", "目標值", "越高越好"]
        if zh == "zh_Hant"
        else list(metric_rows.HEADERS)
    )
    rows = [
        ["2024-Q3", "E001", "", "revenue", "50", "480000", "500000", "yes"],
        ["2024-Q3", "E001", "", "complaints", "10", "1", "2", "no"],
        ["2024-Q3", "", "上海一组", "collaboration", "", "92", "", ""],
    ]
    return _csv_response("kpi_values.csv", header, rows)


# --- profit ---------------------------------------------------------------------------


class ProfitForm(FlaskForm):
    period_id = SelectField(_l("Period"), coerce=int, choices=[])
    amount = StringField(
        _l("Profit"),
        validators=[DataRequired()],
        description=_l("A loss is a negative amount, e.g. -250000."),
    )
    note = StringField(_l("Note"), validators=[Length(max=500)])

    def validate_amount(self, field):
        try:
            parse_money(field.data or "", money_places(g.tenant))
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


def _profit_context(form: ProfitForm) -> dict:
    periods = {p.id: p for p in _periods()}
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
    open_periods = [p for p in _periods() if not p.is_closed]
    form.period_id.choices = [(p.id, f"{p.label} · {kind_name(p.kind)}") for p in open_periods]
    if request.method == "GET" or fresh:
        years = [p for p in open_periods if p.kind == PeriodKind.YEAR]
        chosen = request.args.get("period_id", type=int)
        if chosen and any(p.id == chosen for p in open_periods):
            form.period_id.data = chosen
        elif years:
            form.period_id.data = years[0].id
    return form


def kind_name(kind) -> str:
    from jili.i18n import KIND_LABELS

    return str(KIND_LABELS[getattr(kind, "value", kind)])


@bp.route("/profit", methods=["GET", "POST"])
@require("inputs.view")
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
                    amount=_money(amount),
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


def num(value, places: int | None = None) -> str:
    """A KPI number for display: 50.0000 → 50, a score to ``places`` decimals."""
    value = Decimal(value)
    if places is not None:
        return format(quantize(value, places), "f")
    return fmt_number(value)


def share_pct(bp: int) -> str:
    """Basis points as a percent for display: 6000 → 60, 3333 → 33.33."""
    return format((Decimal(bp) / 100).normalize(), "f")


def _money(amount: Decimal) -> str:
    from jili.i18n import format_money

    return format_money(amount)


# --- one-off awards -------------------------------------------------------------------

COMMON_KINDS = [
    ("strategic_client", _l("Strategic client signed")),
    ("monthly_champion", _l("Monthly champion")),
    ("million_club", _l("Million club")),
    ("best_collaboration", _l("Best collaboration group")),
    ("innovation", _l("Innovation")),
]


class AwardForm(FlaskForm):
    period_id = SelectField(_l("Period"), coerce=int, choices=[])
    person_id = SelectField(_l("Person"), coerce=int, choices=[])
    kind = StringField(
        _l("Kind"),
        validators=[DataRequired(), Length(max=60)],
        description=_l("A short key such as strategic_client (lower-case letters, digits, _)."),
    )
    amount = StringField(_l("Amount"), validators=[DataRequired()])
    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(message=_l("Give the reason for the award.")), Length(max=500)],
        description=_l("Shown with the award, e.g. the client and contract signed."),
    )

    def validate_kind(self, field):
        field.data = normalise_kind(field.data)
        if not KIND_RE.match(field.data):
            raise ValidationError(_l("Use lower-case letters, digits and _ only."))

    def validate_amount(self, field):
        try:
            parse_money(field.data or "", money_places(g.tenant), negative=False)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc

    def validate_reason(self, field):
        field.data = (field.data or "").strip()
        if not field.data:
            raise ValidationError(_l("Give the reason for the award."))


def _award_form(fresh_for: Period | None = None) -> AwardForm:
    """The grant form; ``fresh_for``: an empty form for that period (after a change)."""
    form = AwardForm(formdata=None) if fresh_for is not None else AwardForm()
    open_periods = [p for p in _periods() if not p.is_closed]
    form.period_id.choices = [(p.id, f"{p.label} · {kind_name(p.kind)}") for p in open_periods]
    form.person_id.choices = [(p.id, f"{p.name} ({p.employee_no})") for p in _people()]
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


def _awards_context(form: AwardForm, period: Period | None) -> dict:
    stmt = select(OneOffAwardGrant).where(OneOffAwardGrant.tenant_id == g.tenant.id)
    if period is not None:
        stmt = stmt.where(OneOffAwardGrant.period_id == period.id)
    awards = list(db.session.scalars(stmt.order_by(OneOffAwardGrant.created_at.desc()).limit(500)))
    periods = {p.id: p for p in _periods()}
    kinds: dict[str, object] = {key: label for key, label in COMMON_KINDS}
    plan_kinds = []
    form_period = periods.get(form.period_id.data) if form.period_id.data else None
    if form_period is not None:
        plan_kinds, _entries = award_kinds(g.tenant.id, form_period)
        for k in plan_kinds:
            kinds[k.key] = k.label
    return {
        "form": form,
        "awards": awards,
        "period": period,
        "periods": periods,
        "period_list": _periods(),
        "people": {p.id: p for p in _people()},
        "kinds": kinds,
        "plan_kinds": plan_kinds,
    }


@bp.route("/awards")
@require("inputs.view")
def awards():
    return render_template("inputs/awards.html", **_awards_context(_award_form(), _period_arg()))


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
                    amount=_money(amount),
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
    return render_template("inputs/awards.html", **_awards_context(form, _period_arg())), 422


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
