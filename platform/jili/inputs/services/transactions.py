"""Importing deals and refunds with their sales credits: all rows or none,
idempotent by external id.

Each row becomes one :class:`Transaction` and one :class:`SalesCredit` per
credited person, with the amount, collected amount and margin split by share
(largest remainder, so the credits add up exactly to the deal). A row is
fingerprinted (``row_hash``): importing the same row again changes nothing,
the same external id with other values is refused — a correction is a new
row with a new id (for example a refund with negative amounts).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import insert, select

from jili.accounts.models import Tenant
from jili.audit import services as audit
from jili.dbtypes import utcnow
from jili.extensions import db
from jili.inputs.models import SalesCredit, Transaction
from jili.inputs.services import facts
from jili.inputs.services.common import (
    CellError,
    NumberedRow,
    Outcome,
    check_length,
    closed_period_for,
    closed_periods,
    known_rows,
    money_places,
    parse_date,
    parse_money,
    parse_yes_no,
    read_table,
    tenant_scope,
)
from jili.org.models import Person
from jili.schemes.split import split_largest_remainder

# Canonical keys (also the English headers) and the other headers accepted.
HEADERS: dict[str, set[str]] = {
    "external_id": {"external id", "deal id", "外部编号", "外部編號", "单号", "單號"},
    "deal_date": {"deal date", "date", "成交日期", "日期"},
    "employee_no": {
        "employee no", "employee number", "seller", "工号", "工號", "员工编号", "員工編號",
    },
    "customer": {"customer", "客户", "客戶"},
    "product_line": {"product line", "product", "产品线", "產品線"},
    "region": {"region", "区域", "區域", "大区", "大區"},
    "amount": {"amount", "金额", "金額", "成交金额", "成交金額"},
    "collected_amount": {"collected amount", "collected", "回款金额", "回款金額", "回款"},
    "margin": {"margin", "毛利"},
    "new_customer": {"new customer", "新客户", "新客戶"},
    "strategic": {"strategic", "strategic customer", "战略客户", "戰略客戶"},
    "credits": {"credits", "credit split", "分成"},
}  # fmt: skip
COLUMNS = tuple(HEADERS)
REQUIRED = ("external_id", "deal_date", "employee_no", "amount")
FULL_SHARE = 10_000  # basis points


@dataclass
class ImportOutcome(Outcome):
    """``created`` transactions written, ``unchanged`` rows already imported
    with the same values; ``errors`` non-empty means nothing was written."""

    credits: int = 0
    more_errors: int = 0  # problems found beyond those kept in ``errors`` (a job's import)
    first_date: date | None = None
    last_date: date | None = None


@dataclass
class _Row:
    number: int
    external_id: str
    deal_date: date
    seller_no: str
    customer: str
    product_line: str
    region: str
    amount: Decimal
    collected_amount: Decimal
    margin: Decimal
    new_customer: bool
    strategic: bool
    credits: list[tuple[str, int]]  # (employee_no, basis points), sorted
    row_hash: str = ""
    seller_id: int = 0
    credit_ids: list[tuple[int, int]] = field(default_factory=list)  # (person id, bp)


def import_transaction_rows(
    tenant: Tenant,
    rows: list[dict[str, str]],
    *,
    source: str = "rows",
    first_row: int = 2,
) -> ImportOutcome:
    """Import ``rows`` (canonical English keys, string values as from a CSV)
    for ``tenant``; all rows or none.

    Row numbers in errors start at ``first_row`` (2: the row under a header).
    On success the rows and one audit entry are flushed into the current
    session; the caller commits. On errors nothing is added to the session.
    Binds ``tenant`` when no tenant is bound (CLI); refuses another binding.
    """
    outcome = ImportOutcome(source=source)
    numbered = known_rows(rows, first_row, HEADERS, outcome)
    if outcome.errors:
        return outcome
    return _import(tenant, numbered, {}, outcome)


def import_transaction_file(tenant: Tenant, filename: str, data: bytes) -> ImportOutcome:
    """Import an uploaded CSV or XLSX file; see :func:`import_transaction_rows`."""
    outcome = ImportOutcome(source=filename)
    rows, labels = read_table(filename, data, HEADERS, REQUIRED, outcome)
    if outcome.errors:
        return outcome
    return _import(tenant, rows, labels, outcome)


def _import(
    tenant: Tenant, rows: list[NumberedRow], labels: dict[str, str], outcome: ImportOutcome
) -> ImportOutcome:
    with tenant_scope(tenant):
        parsed = _validate(tenant, rows, labels, outcome)
        if outcome.errors:
            return outcome
        _write(tenant, parsed, outcome)
        facts.apply_pending(db.session())  # the facts table, while the tenant is bound
        record_import(tenant, outcome)
    return outcome


def record_import(tenant: Tenant, outcome: ImportOutcome) -> None:
    """The audit entry of an import (inline or as a job), in the same transaction."""
    audit.record(
        "transactions.import",
        tenant_id=tenant.id,
        object_type="Transaction",
        after={
            "source": outcome.source,
            "created": outcome.created,
            "unchanged": outcome.unchanged,
            "credits": outcome.credits,
            "first_date": outcome.first_date,
            "last_date": outcome.last_date,
        },
    )
    db.session.flush()


def _validate(
    tenant: Tenant, rows: list[NumberedRow], labels: dict[str, str], outcome: ImportOutcome
) -> list[_Row]:
    """The rows to write; every problem goes to ``outcome`` (sorted by row)."""
    tid = tenant.id
    places = money_places(tenant)
    people: dict[str, int] = dict(
        db.session.execute(
            select(Person.employee_no, Person.id).where(Person.tenant_id == tid)
        ).all()
    )
    seen: dict[str, int] = {}
    parsed: list[_Row] = []
    for number, row in rows:

        def err(key: str, message: str, number=number) -> None:
            outcome.error(number, labels.get(key, key), message)

        rec = _parse_row(number, row, people, seen, places, err)
        if rec is not None:
            parsed.append(rec)
    fresh = _fresh_rows(tid, parsed, people, labels, outcome)
    outcome.errors.sort(key=lambda e: e.row or 0)
    return fresh


def _parse_row(
    number: int, row: dict[str, str], people: dict[str, int], seen: dict[str, int], places, err
) -> _Row | None:
    """One row read into a :class:`_Row`, or None after its errors went to ``err``."""
    ok = True

    def fail(key: str, message: str) -> None:
        nonlocal ok
        ok = False
        err(key, message)

    values: dict = {}
    ext = row.get("external_id", "")
    if not ext:
        fail("external_id", _("External id is empty."))
    elif len(ext) > 80:
        fail("external_id", _("Longer than %(n)d characters.", n=80))
    elif ext in seen:
        fail("external_id", _("Duplicate of row %(row)d.", row=seen[ext]))
    else:
        seen[ext] = number
    seller = row.get("employee_no", "")
    if not seller:
        fail("employee_no", _("Employee number is empty."))
    elif seller not in people:
        fail("employee_no", _("No person with employee number %(v)s.", v=seller))
    _parse_cells(row, places, values, fail)
    try:
        shares = parse_credits(row.get("credits", ""), seller)
    except CellError as exc:
        fail("credits", str(exc))
        shares = []
    for no, _bp in shares:
        if no != seller and no not in people:
            fail("credits", _("No person with employee number %(v)s.", v=no))
    if not ok:
        return None
    rec = _Row(number=number, external_id=ext, seller_no=seller, credits=shares, **values)
    rec.row_hash = row_hash(rec)
    return rec


def _parse_cells(row: dict[str, str], places: int, values: dict, fail) -> None:
    """The date, texts, amounts and yes/no cells of a row into ``values``."""
    text = row.get("deal_date", "")
    if not text:
        fail("deal_date", _("Deal date is empty."))
    else:
        try:
            values["deal_date"] = parse_date(text)
        except CellError as exc:
            fail("deal_date", str(exc))
    for key, limit in (("customer", 200), ("product_line", 80), ("region", 80)):
        try:
            values[key] = check_length(row.get(key, ""), limit)
        except CellError as exc:
            fail(key, str(exc))
    for key in ("amount", "collected_amount", "margin"):
        text = row.get(key, "")
        if not text:
            if key == "amount":
                fail(key, _("Amount is empty."))
            values[key] = Decimal(0)
            continue
        try:
            values[key] = parse_money(text, places)
        except CellError as exc:
            fail(key, str(exc))
    for key in ("new_customer", "strategic"):
        try:
            values[key] = parse_yes_no(row.get(key, ""))
        except CellError as exc:
            fail(key, str(exc))


def _fresh_rows(
    tid: int,
    parsed: list[_Row],
    people: dict[str, int],
    labels: dict[str, str],
    outcome: ImportOutcome,
) -> list[_Row]:
    """Rows already imported: the same values are a no-op, other values an error.
    Only rows to be written must fall outside closed periods, so a file can be
    imported again after some of its months were closed."""
    closed = closed_periods(tid)
    existing = _existing_hashes(tid, [r.external_id for r in parsed]) if parsed else {}
    fresh, unchanged = [], 0
    for rec in parsed:
        known = existing.get(rec.external_id)
        if known is None:
            period = closed_period_for(rec.deal_date, closed)
            if period is not None:
                outcome.error(
                    rec.number,
                    labels.get("deal_date", "deal_date"),
                    _(
                        "%(date)s falls in period %(label)s, which is closed.",
                        date=rec.deal_date.isoformat(),
                        label=period.label,
                    ),
                )
                continue
            rec.seller_id = people[rec.seller_no]
            rec.credit_ids = [(people[no], bp) for no, bp in rec.credits]
            fresh.append(rec)
        elif known == rec.row_hash:
            unchanged += 1
        else:
            outcome.error(
                rec.number,
                labels.get("external_id", "external_id"),
                _(
                    "External id %(id)s was already imported with different values; "
                    "import a correcting row with a new id.",
                    id=rec.external_id,
                ),
            )
    if not outcome.errors:
        outcome.unchanged = unchanged
    return fresh


_CREDIT = re.compile(r"^(.+?)\s*[:：=]\s*([0-9]+(?:\.[0-9]+)?)\s*[%％]?$")


def parse_credits(text: str, seller_no: str) -> list[tuple[str, int]]:
    """``E002:60;E005:40`` → ``[("E002", 6000), ("E005", 4000)]`` (basis
    points, sorted by employee number); empty → everything to the seller.
    Shares have at most two decimals and add up to exactly 100 %."""
    text = text.strip()
    if not text:
        return [(seller_no, FULL_SHARE)] if seller_no else []
    shares: dict[str, int] = {}
    for part in re.split(r"[;；,，\n|]", text):
        part = part.strip()
        if not part:
            continue
        m = _CREDIT.match(part)
        if not m:
            raise CellError(
                _(
                    "%(v)s: write each credit as employee number and percent, "
                    "e.g. E002:60;E005:40.",
                    v=part,
                )
            )
        no = m[1].strip()
        try:
            bp = Decimal(m[2]) * 100
        except InvalidOperation as exc:  # pragma: no cover - the pattern allows digits only
            raise CellError(_("%(v)s is not a percent.", v=m[2])) from exc
        if bp != bp.to_integral_value():
            raise CellError(_("%(v)s: a share has at most two decimal places.", v=part))
        if bp <= 0:
            raise CellError(_("%(v)s: a share must be more than 0.", v=part))
        if no in shares:
            raise CellError(_("%(v)s is credited twice.", v=no))
        shares[no] = int(bp)
    if not shares:
        return [(seller_no, FULL_SHARE)] if seller_no else []
    total = sum(shares.values())
    if total != FULL_SHARE:
        raise CellError(
            _(
                "The shares add up to %(total)s%%; they must add up to exactly 100%%.",
                total=format(Decimal(total) / 100, "f"),
            )
        )
    return sorted(shares.items())


def row_hash(rec: _Row) -> str:
    """The fingerprint of a row's content: same values, however written
    (``1,000`` or ``1000.00``, ``是`` or ``yes``, no credits or ``E001:100``),
    give the same hash."""
    cent = Decimal("0.01")
    parts = [
        rec.external_id,
        rec.deal_date.isoformat(),
        rec.seller_no,
        rec.customer,
        rec.product_line,
        rec.region,
        format(rec.amount.quantize(cent), "f"),
        format(rec.collected_amount.quantize(cent), "f"),
        format(rec.margin.quantize(cent), "f"),
        "1" if rec.new_customer else "0",
        "1" if rec.strategic else "0",
        ";".join(f"{no}:{bp}" for no, bp in rec.credits),
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _existing_hashes(tenant_id: int, external_ids: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for start in range(0, len(external_ids), 500):
        chunk = external_ids[start : start + 500]
        found.update(
            db.session.execute(
                select(Transaction.external_id, Transaction.row_hash).where(
                    Transaction.tenant_id == tenant_id, Transaction.external_id.in_(chunk)
                )
            ).all()
        )
    return found


def split_credit_amounts(rec, places: int) -> list[dict]:
    """The credited amounts of each credit; each column adds up to the row."""
    weights = {pid: bp for pid, bp in rec.credit_ids}
    if len(weights) == 1:
        (pid,) = weights
        return [
            {
                "person_id": pid,
                "share_bp": weights[pid],
                "amount": rec.amount,
                "collected_amount": rec.collected_amount,
                "margin": rec.margin,
            }
        ]
    zero = dict.fromkeys(weights, Decimal(0))
    # The odd cent goes by employee number, never by person id (creation order).
    number_of = {pid: no for (pid, _bp), (no, _b) in zip(rec.credit_ids, rec.credits, strict=True)}
    parts = {
        key: split_largest_remainder(total, weights, places, tie_key=number_of.__getitem__)
        if total
        else zero
        for key in ("amount", "collected_amount", "margin")
        for total in (getattr(rec, key),)
    }
    return [
        {
            "person_id": pid,
            "share_bp": bp,
            "amount": parts["amount"][pid],
            "collected_amount": parts["collected_amount"][pid],
            "margin": parts["margin"][pid],
        }
        for pid, bp in rec.credit_ids
    ]


def _write(tenant: Tenant, rows: list[_Row], outcome: ImportOutcome) -> None:
    if not rows:
        return
    places = money_places(tenant)
    now = utcnow()
    for start in range(0, len(rows), 5000):
        batch = rows[start : start + 5000]
        ids = db.session.scalars(
            insert(Transaction).returning(Transaction.id, sort_by_parameter_order=True),
            [
                {
                    "tenant_id": tenant.id,
                    "external_id": r.external_id,
                    "deal_date": r.deal_date,
                    "person_id": r.seller_id,
                    "customer": r.customer,
                    "product_line": r.product_line,
                    "region": r.region,
                    "amount": r.amount,
                    "collected_amount": r.collected_amount,
                    "margin": r.margin,
                    "new_customer": r.new_customer,
                    "strategic": r.strategic,
                    "row_hash": r.row_hash,
                    "imported_at": now,
                }
                for r in batch
            ],
        ).all()
        credit_rows = []
        for txn_id, r in zip(ids, batch, strict=True):
            for part in split_credit_amounts(r, places):
                part.update(
                    tenant_id=tenant.id,
                    transaction_id=txn_id,
                    deal_date=r.deal_date,
                    region=r.region,
                    product_line=r.product_line,
                )
                credit_rows.append(part)
        db.session.execute(insert(SalesCredit), credit_rows)
        outcome.credits += len(credit_rows)
    outcome.created = len(rows)
    outcome.first_date = min(r.deal_date for r in rows)
    outcome.last_date = max(r.deal_date for r in rows)
