"""The facts table (:class:`SalesFact`) kept equal to the credits.

Every write of credits marks the (tenant, month, person) buckets it touches as
pending in the session; before the transaction commits — or before anything
reads the facts in it — the pending buckets are recomputed from the credits
(delete the bucket's rows, insert its grouped sums), so the table always says
what the credits say, inside the same transaction:

* ORM objects (``SalesCredit`` added, changed or deleted; a ``Transaction``
  whose new-customer flag changes or that is deleted) through flush events;
* ORM-enabled statements run through the session (``insert(SalesCredit)`` with
  many rows, as the importer does; ``delete``/``update`` of credits) through
  ``do_orm_execute``;
* anything else that writes the table behind the session's back (raw SQL, the
  benchmark generator) must call :func:`rebuild` — ``jili facts verify`` finds
  such a drift and ``jili facts rebuild`` repairs it.

Recomputing a bucket rather than adding deltas keeps refunds, splits,
re-imports and deletions exact, the earliest deal of a month included.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Date, case, delete, event, func, insert, literal, select
from sqlalchemy.orm import Session, attributes

from jili.inputs.models import SalesCredit, SalesFact, Transaction
from jili.tenancy import bound_tenant, current_tenant_id

_PENDING = "jili.facts_pending"  # session.info: {(tenant, month): set(person) | None}
_ALL = None  # every person of the month
#: Above this many people in a month, recompute the whole month of the tenant.
WHOLE_MONTH = 900


def month_of(day: date) -> date:
    return day.replace(day=1)


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


# -- marking ----------------------------------------------------------------------


def mark(session: Session, tenant_id: int, person_id: int | None, day: date | None) -> None:
    """Mark the bucket of ``person_id`` (None: everyone) in the month of ``day``."""
    if day is None or tenant_id is None:
        return
    if isinstance(day, str):
        day = date.fromisoformat(day)
    pending = session.info.setdefault(_PENDING, {})
    key = (tenant_id, month_of(day))
    if person_id is None:
        pending[key] = _ALL
        return
    people = pending.setdefault(key, set())
    if people is not _ALL:
        people.add(person_id)
        if len(people) > WHOLE_MONTH:
            pending[key] = _ALL


def mark_tenant(session: Session, tenant_id: int) -> None:
    """Mark every month the tenant has credits or facts in (a full rebuild)."""
    conn = session.connection()
    for table in (SalesCredit.__table__, SalesFact.__table__):
        col = table.c.deal_date if table is SalesCredit.__table__ else table.c.month
        row = conn.execute(
            select(func.min(col), func.max(col)).where(table.c.tenant_id == tenant_id)
        ).one()
        if row[0] is not None:
            month = month_of(_as_date(row[0]))
            while month <= _as_date(row[1]):
                mark(session, tenant_id, None, month)
                month = month_end(month) + timedelta(days=1)


def _as_date(value) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


# -- applying ---------------------------------------------------------------------


def apply_pending(session: Session) -> int:
    """Recompute the pending buckets now (flushing first); the number of months."""
    session.flush()
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return 0
    conn = session.connection()
    by_tenant: dict[int, list] = defaultdict(list)
    for (tid, month), people in pending.items():
        by_tenant[tid].append((month, people))
    for tid, months in sorted(by_tenant.items()):
        # the session wrote these credits, so it may write their facts
        with bound_tenant(tid):
            for month, people in sorted(months, key=lambda m: m[0]):
                _recompute(conn, tid, month, people)
    return len(pending)


def _recompute(conn, tenant_id: int, month: date, people: set[int] | None) -> None:
    chunks = [None] if people is _ALL else _chunks(sorted(people), 500)
    for chunk in chunks:
        fact_where = [SalesFact.tenant_id == tenant_id, SalesFact.month == month]
        credit_where = [
            SalesCredit.tenant_id == tenant_id,
            SalesCredit.deal_date >= month,
            SalesCredit.deal_date <= month_end(month),
        ]
        if chunk is not None:
            fact_where.append(SalesFact.person_id.in_(chunk))
            credit_where.append(SalesCredit.person_id.in_(chunk))
        conn.execute(delete(SalesFact).where(*fact_where))
        conn.execute(
            insert(SalesFact).from_select(
                FACT_COLUMNS, grouped_credits(tenant_id, month, credit_where)
            )
        )


FACT_COLUMNS = (
    "tenant_id", "month", "person_id", "region", "product_line", "new_customer",
    "amount", "collected_amount", "margin", "deals", "credits", "first_deal",
)  # fmt: skip


def grouped_credits(tenant_id: int, month: date, where: list):
    """The credits under ``where`` summed into fact rows of ``month``."""
    positive = SalesCredit.amount > 0
    return (
        select(
            literal(tenant_id),
            literal(month, Date),
            SalesCredit.person_id,
            SalesCredit.region,
            SalesCredit.product_line,
            Transaction.new_customer,
            func.sum(SalesCredit.amount),
            func.sum(SalesCredit.collected_amount),
            func.sum(SalesCredit.margin),
            func.sum(case((positive, 1), else_=0)),
            func.count(),
            func.min(case((positive, SalesCredit.deal_date), else_=None)),
        )
        .join(
            Transaction,
            (Transaction.tenant_id == SalesCredit.tenant_id)
            & (Transaction.id == SalesCredit.transaction_id),
        )
        .where(*where)
        .group_by(
            SalesCredit.person_id,
            SalesCredit.region,
            SalesCredit.product_line,
            Transaction.new_customer,
        )
    )


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i : i + size]


# -- events -----------------------------------------------------------------------


def _credit_keys(obj: SalesCredit) -> Iterable[tuple[int, date]]:
    """The (person, day) buckets a credit is in now and was in when loaded."""
    yield obj.person_id, obj.deal_date
    state = attributes.instance_state(obj)
    people = state.committed_state.get("person_id", obj.person_id)
    day = state.committed_state.get("deal_date", obj.deal_date)
    if people is not attributes.NO_VALUE and day is not attributes.NO_VALUE:
        yield people, day


def _before_flush(session: Session, _context, _instances) -> None:
    for obj in list(session.new) + list(session.deleted) + list(session.dirty):
        if isinstance(obj, SalesCredit):
            for person, day in _credit_keys(obj):
                mark(session, obj.tenant_id, person, day)
        elif isinstance(obj, Transaction) and obj.id is not None:
            history = attributes.get_history(obj, "new_customer")
            if obj in session.deleted or history.has_changes():
                _mark_transaction(session, obj)


def _mark_transaction(session: Session, txn: Transaction) -> None:
    with session.no_autoflush:
        rows = session.connection().execute(
            select(SalesCredit.person_id, SalesCredit.deal_date).where(
                SalesCredit.tenant_id == txn.tenant_id, SalesCredit.transaction_id == txn.id
            )
        )
        for person, day in rows:
            mark(session, txn.tenant_id, person, _as_date(day))


def _do_orm_execute(state) -> None:
    """Mark what ORM-enabled DML statements on credits touch."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) != SalesCredit.__tablename__:
        return  # (an ORM statement's table is an annotated copy: compare names)
    session = state.session
    if state.is_insert:
        params = state.parameters
        rows = params if isinstance(params, list) else [params or {}]
        for row in rows:
            mark(session, row.get("tenant_id"), row.get("person_id"), row.get("deal_date"))
        return
    where = state.statement.whereclause
    found = session.connection().execute(
        select(SalesCredit.tenant_id, SalesCredit.deal_date)
        .where(*([where] if where is not None else []))
        .distinct()
    )
    for tid, day in found:
        mark(session, tid, None, _as_date(day))
    if state.is_update:
        tid = current_tenant_id()
        if tid is not None:
            mark_tenant(session, tid)  # an update may move credits anywhere


def _before_commit(session: Session) -> None:
    apply_pending(session)


def install(session_class) -> None:
    """Keep the facts table in step with every session of ``session_class``."""
    if event.contains(session_class, "before_flush", _before_flush):
        return
    event.listen(session_class, "before_flush", _before_flush)
    event.listen(session_class, "do_orm_execute", _do_orm_execute)
    event.listen(session_class, "before_commit", _before_commit)


# -- verify and rebuild ------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """One bucket where the table and the credits disagree (None: no row)."""

    key: tuple
    stored: tuple | None
    computed: tuple | None


_KEY = ("month", "person_id", "region", "product_line", "new_customer")
_VALUES = ("amount", "collected_amount", "margin", "deals", "credits", "first_deal")


def stored_facts(session: Session, tenant_id: int) -> dict[tuple, tuple]:
    apply_pending(session)
    rows = session.connection().execute(
        select(*(SalesFact.__table__.c[c] for c in _KEY + _VALUES)).where(
            SalesFact.tenant_id == tenant_id
        )
    )
    return {_norm_key(r[:5]): _norm_values(r[5:]) for r in rows}


def computed_facts(session: Session, tenant_id: int) -> dict[tuple, tuple]:
    """The facts as the credits say, computed in Python from the raw rows."""
    rows = session.connection().execute(
        select(
            SalesCredit.deal_date,
            SalesCredit.person_id,
            SalesCredit.region,
            SalesCredit.product_line,
            Transaction.new_customer,
            SalesCredit.amount,
            SalesCredit.collected_amount,
            SalesCredit.margin,
        )
        .join(
            Transaction,
            (Transaction.tenant_id == SalesCredit.tenant_id)
            & (Transaction.id == SalesCredit.transaction_id),
        )
        .where(SalesCredit.tenant_id == tenant_id)
    )
    out: dict[tuple, list] = {}
    for day, pid, region, product, new, amount, collected, margin in rows:
        day = _as_date(day)
        key = _norm_key((month_of(day), pid, region, product, new))
        acc = out.setdefault(key, [Decimal(0), Decimal(0), Decimal(0), 0, 0, None])
        acc[0] += amount
        acc[1] += collected
        acc[2] += margin
        acc[4] += 1
        if amount > 0:
            acc[3] += 1
            acc[5] = day if acc[5] is None else min(acc[5], day)
    return {k: tuple(v) for k, v in out.items()}


def _norm_key(row) -> tuple:
    month, pid, region, product, new = row
    return (_as_date(month), pid, region or "", product or "", bool(new))


def _norm_values(row) -> tuple:
    amount, collected, margin, deals, count, first = row
    return (amount, collected, margin, int(deals), int(count), first and _as_date(first))


def verify(session: Session, tenant_id: int) -> list[Difference]:
    """Every bucket where the facts table differs from the credits (sorted)."""
    stored = stored_facts(session, tenant_id)
    computed = computed_facts(session, tenant_id)
    return [
        Difference(key, stored.get(key), computed.get(key))
        for key in sorted(set(stored) | set(computed))
        if stored.get(key) != computed.get(key)
    ]


def rebuild(session: Session, tenant_id: int) -> int:
    """Recompute the tenant's whole facts table from its credits; the months."""
    apply_pending(session)
    mark_tenant(session, tenant_id)
    return apply_pending(session)
