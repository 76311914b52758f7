"""Transactions (deals, refunds) with their sales credits: the list, one
transaction, importing a file and its CSV template."""

from __future__ import annotations

from decimal import Decimal

from flask import abort, g, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import exists, func, or_, select

from jili.accounts.roles import require
from jili.extensions import db
from jili.inputs.models import SalesCredit, Transaction
from jili.inputs.services import transactions as txn_import
from jili.inputs.views._common import (
    csv_response,
    import_page,
    period_arg,
    tenant_people,
    tenant_periods,
    visible_people,
    zh_headers,
)
from jili.org.visibility import may_see, visible_person_ids
from jili.periods.models import Period, PeriodKind
from jili.tenancy import get_scoped_or_404
from jili.web import bp

PAGE_SIZE = 50

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
        stmt = stmt.where(_involves([person_id]))
    visible = visible_person_ids()
    if visible is not None:  # a manager: deals of their people only (staff: their own)
        stmt = stmt.where(_involves(sorted(visible) or [-1]))
    return stmt


def _involves(person_ids: list[int]):
    """The transaction was sold by, or credits, one of ``person_ids``."""
    credited = exists().where(
        SalesCredit.tenant_id == g.tenant.id,
        SalesCredit.transaction_id == Transaction.id,
        SalesCredit.person_id.in_(person_ids),
    )
    return or_(Transaction.person_id.in_(person_ids), credited)


def _shown_amounts(rows: list[Transaction], shares: dict[int, list]) -> dict[int, tuple]:
    """transaction id → (amount, collected, margin) the viewer may see: the whole
    deal for those who see everyone, else the part credited to people they see
    (the deal itself when it has no credits: then its seller is one of them)."""
    visible = visible_person_ids()
    shown = {}
    for t in rows:
        mine = [c for c in shares.get(t.id, []) if visible is None or c.person_id in visible]
        if visible is None or not shares.get(t.id):
            shown[t.id] = (t.amount, t.collected_amount, t.margin)
        else:
            shown[t.id] = tuple(
                sum((getattr(c, f) for c in mine), Decimal(0))
                for f in ("amount", "collected_amount", "margin")
            )
    return shown


def _totals(period: Period | None, person_id: int | None) -> tuple:
    """(count, amount, collected, margin) over the listed transactions, as shown."""
    tid = g.tenant.id
    sums = (
        func.sum(Transaction.amount),
        func.sum(Transaction.collected_amount),
        func.sum(Transaction.margin),
    )
    count_and_sums = select(func.count(Transaction.id), *sums).where(Transaction.tenant_id == tid)
    totals = db.session.execute(_transaction_filters(count_and_sums, period, person_id)).one()
    visible = visible_person_ids()
    if visible is None:
        return tuple(totals)
    listed = _transaction_filters(
        select(Transaction.id).where(Transaction.tenant_id == tid), period, person_id
    )
    has_credits = exists().where(
        SalesCredit.tenant_id == tid, SalesCredit.transaction_id == Transaction.id
    )
    uncredited = db.session.execute(
        select(*sums).where(Transaction.tenant_id == tid, Transaction.id.in_(listed), ~has_credits)
    ).one()
    credited = db.session.execute(
        select(
            func.sum(SalesCredit.amount),
            func.sum(SalesCredit.collected_amount),
            func.sum(SalesCredit.margin),
        ).where(
            SalesCredit.tenant_id == tid,
            SalesCredit.transaction_id.in_(listed),
            SalesCredit.person_id.in_(sorted(visible) or [-1]),
        )
    ).one()
    return (totals[0],) + tuple(
        (a or 0) + (b or 0) for a, b in zip(uncredited, credited, strict=True)
    )


def _credits(transaction_ids: list[int]) -> dict[int, list]:
    out: dict[int, list] = {}
    if transaction_ids:
        for c in db.session.scalars(
            select(SalesCredit)
            .where(
                SalesCredit.tenant_id == g.tenant.id,
                SalesCredit.transaction_id.in_(transaction_ids),
            )
            .order_by(SalesCredit.share_bp.desc(), SalesCredit.id)
        ):
            out.setdefault(c.transaction_id, []).append(c)
    return out


@bp.route("/transactions")
@require("inputs.view")
def transactions():
    tid = g.tenant.id
    period = period_arg()
    person_id = request.args.get("person_id", type=int) or None
    if person_id is not None and not may_see(person_id):
        abort(404)
    page = max(1, request.args.get("page", 1, type=int) or 1)
    base = _transaction_filters(
        select(Transaction).where(Transaction.tenant_id == tid), period, person_id
    )
    totals = _totals(period, person_id)
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
    shares = _credits([t.id for t in rows])
    visible = visible_person_ids()
    return render_template(
        "inputs/transactions.html",
        rows=rows,
        credits={
            t: [c for c in cs if visible is None or c.person_id in visible]
            for t, cs in shares.items()
        },
        shown=_shown_amounts(rows, shares),
        share_pct=share_pct,
        people={p.id: p for p in tenant_people()},
        choices=visible_people(),
        periods=tenant_periods(),
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
    """One transaction; a manager sees it only if it involves one of their people,
    and then only those people's credits (another team's share stays hidden)."""
    txn = get_scoped_or_404(Transaction, transaction_id, g.tenant.id)
    shares = _credits([txn.id]).get(txn.id, [])
    visible = visible_person_ids()
    shown_credits = [c for c in shares if visible is None or c.person_id in visible]
    if visible is not None and txn.person_id not in visible and not shown_credits:
        abort(404)
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
        credits=shown_credits,
        hidden_credits=len(shares) - len(shown_credits),
        shown=_shown_amounts([txn], {txn.id: shares})[txn.id],
        people={p.id: p for p in tenant_people()},
        period=period,
        share_pct=share_pct,
    )


@bp.route("/transactions/import", methods=["GET", "POST"])
@require("inputs.edit")
def transactions_import():
    return import_page(
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
    header = TRANSACTION_HEADERS.get(zh_headers() or "", list(txn_import.COLUMNS))
    rows = [
        ["D-2024-0001", "2024-07-15", "E001", "华东电子", "设备", "华东", "120000.00",
         "80000.00", "30000.00", "yes", "no", ""],
        ["D-2024-0002", "2024-07-20", "E002", "北方物流", "服务", "华北", "50000.00",
         "50000.00", "12000.00", "no", "yes", "E002:60;E005:40"],
        ["R-2024-0001", "2024-08-03", "E001", "华东电子", "设备", "华东", "-20000.00",
         "-20000.00", "-5000.00", "no", "no", ""],
    ]  # fmt: skip
    return csv_response("transactions.csv", header, rows)


def share_pct(bp: int) -> str:
    """Basis points as a percent for display: 6000 → 60, 3333 → 33.33."""
    return format((Decimal(bp) / 100).normalize(), "f")
