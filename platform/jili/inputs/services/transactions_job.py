"""A large transactions file imported by a background job: streamed from disk,
never held whole, all rows or none.

The file is read row by row (a CSV through :mod:`csv`, an XLSX through openpyxl's
read-only mode); every row is checked exactly as the inline importer checks it
(:mod:`jili.inputs.services.transactions`: same messages, same row numbers) and
the good rows are written in batches of :data:`BATCH` into the job's one
transaction, with plain driver-level ``INSERT`` statements (so database triggers
apply) — on PostgreSQL a ``COPY`` into a temporary table and one
``INSERT … SELECT`` per batch, as the payout lines are stored (COPY FROM cannot
write a table under row-level security; the INSERT can, and its policy checks
every row). The facts table is recomputed once at the end for the months the
file touched (:func:`jili.inputs.services.facts.apply_pending`). Any bad row
leaves the transaction to be rolled back by the caller: nothing changes, and the
first :data:`KEEP_ERRORS` problems are kept with their row numbers.

What is kept in memory grows by 16 bytes a written row (the ids written and
their row numbers, to name the earlier row of a duplicate found in a later
batch), plus the ids of rows already imported with the same values.
"""

from __future__ import annotations

import time
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable
from pathlib import Path

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import select, text

from jili import uploads
from jili.accounts.models import Tenant
from jili.dbtypes import utcnow
from jili.extensions import db
from jili.inputs.models import SalesCredit, Transaction
from jili.inputs.services import facts
from jili.inputs.services.common import (
    RowError,
    closed_period_for,
    closed_periods,
    data_row,
    map_header,
    money_places,
    tenant_scope,
)
from jili.inputs.services.transactions import (
    HEADERS,
    REQUIRED,
    ImportOutcome,
    _parse_row,
    _Row,
    record_import,
    split_credit_amounts,
)
from jili.org.models import Person

BATCH = 5_000
KEEP_ERRORS = 1_000
#: The most data rows a job imports (``JOB_IMPORT_MAX_ROWS``).
DEFAULT_MAX_ROWS = 2_000_000

TXN_COLUMNS = (
    "tenant_id", "id", "external_id", "deal_date", "person_id", "customer", "product_line",
    "region", "amount", "collected_amount", "margin", "new_customer", "strategic", "row_hash",
    "imported_at",
)  # fmt: skip
CREDIT_COLUMNS = (
    "tenant_id", "transaction_id", "person_id", "share_bp", "deal_date", "region",
    "product_line", "amount", "collected_amount", "margin",
)  # fmt: skip

Progress = Callable[[str, int], None]


def max_rows() -> int:
    if has_app_context():
        return int(current_app.config.get("JOB_IMPORT_MAX_ROWS") or DEFAULT_MAX_ROWS)
    return DEFAULT_MAX_ROWS


def import_transaction_path(
    tenant: Tenant, path: Path, filename: str, progress: Progress | None = None
) -> ImportOutcome:
    """Import the CSV or XLSX file at ``path`` (named ``filename`` by the user)
    for ``tenant``, all rows or none; the caller commits when ``outcome.ok``
    and rolls back otherwise (rows may have been written before a bad one)."""
    outcome = ImportOutcome(source=filename)
    limit = max_rows()
    with tenant_scope(tenant):
        loader = _Loader(tenant, outcome, progress or (lambda _phase, _percent: None))
        try:
            lines, encoding = uploads.file_lines(path, filename, limit)
            loader.lines = lines
            loader.load(uploads.stream_rows(path, encoding, limit))
        except uploads.TableError as exc:
            outcome.errors.insert(0, RowError(None, "", str(exc)))
        loader.finish()
        if not outcome.ok:
            return outcome
        for month in sorted(loader.months):
            facts.mark(db.session(), tenant.id, None, month)
        loader.progress("committing", 92)
        facts.apply_pending(db.session())  # the months this file touched, recomputed
        record_import(tenant, outcome)
    return outcome


class _Loader:
    """Reads, checks and writes the rows, a batch at a time."""

    def __init__(self, tenant: Tenant, outcome: ImportOutcome, progress: Progress):
        self.tid = tenant.id
        self.places = money_places(tenant)
        self.outcome = outcome
        self.progress = progress
        self.lines = 0
        self.labels: dict[str, str] = {}
        self.people: dict[str, int] = dict(
            db.session.execute(
                select(Person.employee_no, Person.id).where(Person.tenant_id == self.tid)
            ).all()
        )
        self.closed = closed_periods(self.tid)
        self.written_ids = array("q")  # ascending: the ids this import wrote …
        self.written_rows = array("q")  # … and the row each came from
        self.earlier: dict[str, int] = {}  # external id → row, of rows not written
        self.more_errors = 0
        self.next_progress = 0.0
        self.months: set = set()
        self.conn = db.session.connection()
        self.sql = _Statements(self.conn)

    # -- reading ---------------------------------------------------------------------

    def load(self, rows: Iterable[list[str]]) -> None:
        numbered = enumerate(rows, start=1)
        filled = ((n, row) for n, row in numbered if any(c.strip() for c in row))
        header_row, header = next(filled, (0, None))  # the first filled row
        if header is None:
            self.outcome.error(None, "", _("The file is empty."))
            return
        mapping, self.labels = map_header(header, header_row, HEADERS, REQUIRED, self.outcome)
        if self.outcome.errors:
            return
        width = uploads.last_filled(header)
        batch: list[_Row] = []
        seen: dict[str, int] = {}
        any_rows = False
        for number, row in numbered:
            if not any(c.strip() for c in row):
                continue
            any_rows = True
            cells = data_row(number, row, width, mapping, self.labels, self.outcome)
            rec = _parse_row(number, cells, self.people, seen, self.places, self._err(number))
            if rec is None:
                ext = cells.get("external_id", "")
                if ext and len(self.earlier) < 100_000:
                    self.earlier.setdefault(ext, number)
            else:
                batch.append(rec)
            if len(batch) >= BATCH:
                self._flush(batch)
                batch, seen = [], {}
                self._progress(number)
        self._flush(batch)
        if not any_rows and not self.outcome.errors:
            self.outcome.error(None, "", _("The file has a header row but no data rows."))

    def _progress(self, number: int) -> None:
        """The share of the file read, at most every few seconds. Not on SQLite
        once rows are written: this transaction holds its only write lock, so
        the progress could not be written beside it and would only wait."""
        now = time.monotonic()
        if now < self.next_progress or (self.written_ids and not self.sql.pg):
            return
        self.next_progress = now + 3
        self.progress("checking", 5 + 85 * number // max(self.lines, number))

    def _err(self, number: int):
        labels, outcome = self.labels, self.outcome

        def err(key: str, message: str) -> None:
            outcome.error(number, labels.get(key, key), message)

        return err

    def _keep_errors(self) -> None:
        errors = self.outcome.errors
        if len(errors) > KEEP_ERRORS:
            errors.sort(key=lambda e: e.row or 0)
            self.more_errors += len(errors) - KEEP_ERRORS
            del errors[KEEP_ERRORS:]

    def finish(self) -> None:
        self._keep_errors()
        self.outcome.errors.sort(key=lambda e: e.row or 0)
        self.outcome.more_errors = self.more_errors
        if self.outcome.errors:
            self.outcome.unchanged = 0

    # -- checking against what is stored ---------------------------------------------

    def _flush(self, batch: list[_Row]) -> None:
        if not batch:
            return
        existing = self._existing([r.external_id for r in batch])
        fresh = [rec for rec in batch if self._is_fresh(rec, existing.get(rec.external_id))]
        self._write(fresh)
        self._keep_errors()

    def _is_fresh(self, rec: _Row, known: tuple[str, int] | None) -> bool:
        labels, outcome = self.labels, self.outcome
        ext_col = labels.get("external_id", "external_id")
        earlier = self.earlier.get(rec.external_id)
        if known is not None and earlier is None:
            earlier = self._written_row(known[1])
        if earlier is not None:
            outcome.error(rec.number, ext_col, _("Duplicate of row %(row)d.", row=earlier))
            return False
        if known is None:
            period = closed_period_for(rec.deal_date, self.closed)
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
                return False
            rec.seller_id = self.people[rec.seller_no]
            rec.credit_ids = [(self.people[no], bp) for no, bp in rec.credits]
            return True
        if known[0] == rec.row_hash:
            outcome.unchanged += 1
            self.earlier[rec.external_id] = rec.number
        else:
            outcome.error(
                rec.number,
                ext_col,
                _(
                    "External id %(id)s was already imported with different values; "
                    "import a correcting row with a new id.",
                    id=rec.external_id,
                ),
            )
        return False

    def _written_row(self, txn_id: int) -> int | None:
        i = bisect_left(self.written_ids, txn_id)
        if i < len(self.written_ids) and self.written_ids[i] == txn_id:
            return self.written_rows[i]
        return None

    def _existing(self, external_ids: list[str]) -> dict[str, tuple[str, int]]:
        """``{external id: (row hash, id)}`` of the batch's rows already stored —
        one plain query a batch (PostgreSQL: ``= ANY`` of an array, no statement
        of thousands of parameters to parse)."""
        found: dict[str, tuple[str, int]] = {}
        head = "SELECT external_id, row_hash, id FROM sales_transaction WHERE tenant_id = "
        if self.sql.pg:
            rows = self.conn.exec_driver_sql(
                head + "%(t)s AND external_id = ANY(%(ids)s)", {"t": self.tid, "ids": external_ids}
            )
            return {ext: (row_hash, txn_id) for ext, row_hash, txn_id in rows}
        for start in range(0, len(external_ids), 5000):
            chunk = external_ids[start : start + 5000]
            marks = ", ".join(["?"] * len(chunk))
            rows = self.conn.exec_driver_sql(
                f"{head}? AND external_id IN ({marks})", (self.tid, *chunk)
            )
            found.update((ext, (row_hash, txn_id)) for ext, row_hash, txn_id in rows)
        return found

    # -- writing -------------------------------------------------------------------

    def _write(self, rows: list[_Row]) -> None:
        """Write ``rows`` (all good so far): even after a bad row elsewhere, so a
        later duplicate of them is still found; the caller then rolls back."""
        if not rows:
            return
        outcome, sql, tid, places = self.outcome, self.sql, self.tid, self.places
        money, day = sql.money, sql.day
        ids = sql.new_ids(len(rows))
        txns, credit_rows = [], []
        for txn_id, r in zip(ids, rows, strict=True):
            self.written_rows.append(r.number)
            self.months.add(facts.month_of(r.deal_date))
            txns.append(
                (tid, txn_id, r.external_id, day(r.deal_date), r.seller_id, r.customer)
                + (r.product_line, r.region, money(r.amount), money(r.collected_amount))
                + (money(r.margin), r.new_customer, r.strategic, r.row_hash, sql.now)
            )
            if len(r.credit_ids) == 1:  # the whole deal to one person
                ((pid, bp),) = r.credit_ids
                credit_rows.append(
                    (tid, txn_id, pid, bp, day(r.deal_date), r.region, r.product_line)
                    + (money(r.amount), money(r.collected_amount), money(r.margin))
                )
                continue
            for part in split_credit_amounts(r, places):
                credit_rows.append(
                    (tid, txn_id, part["person_id"], part["share_bp"], day(r.deal_date))
                    + (r.region, r.product_line, money(part["amount"]))
                    + (money(part["collected_amount"]), money(part["margin"]))
                )
        sql.insert(Transaction.__tablename__, TXN_COLUMNS, txns)
        sql.insert(SalesCredit.__tablename__, CREDIT_COLUMNS, credit_rows)
        self.written_ids.extend(ids)
        outcome.created += len(rows)
        outcome.credits += len(credit_rows)
        low = min(r.deal_date for r in rows)
        high = max(r.deal_date for r in rows)
        outcome.first_date = low if outcome.first_date is None else min(low, outcome.first_date)
        outcome.last_date = high if outcome.last_date is None else max(high, outcome.last_date)


class _Statements:
    """Plain SQL on the session's connection, per database."""

    def __init__(self, conn):
        self.conn = conn
        self.dialect = conn.dialect
        self.pg = self.dialect.name == "postgresql"
        assert Transaction.__table__.c.amount.type.scale == 2  # (money() below)
        now_type = Transaction.__table__.c.imported_at.type
        self.now = now_type._cached_bind_processor(self.dialect) or (lambda v: v)
        self.now = self.now(now_type.process_bind_param(utcnow(), self.dialect))
        self.day = (lambda d: d) if self.pg else (lambda d: d.isoformat())

    @staticmethod
    def money(value) -> int:
        """A checked amount (at most 2 places, within the column) in hundredths,
        as :class:`jili.money.Money` stores it."""
        return int(value.scaleb(2))

    def new_ids(self, n: int) -> list[int]:
        """``n`` transaction ids, ascending, no other writer can take."""
        if self.pg:
            return list(
                self.conn.execute(
                    text(
                        "SELECT nextval(pg_get_serial_sequence('sales_transaction', 'id')) "
                        "FROM generate_series(1, :n)"
                    ),
                    {"n": n},
                ).scalars()
            )
        # SQLite: the first write of the job's transaction takes the write lock,
        # so max(id) read after it stays ours (a no-op UPDATE takes it here).
        self.conn.exec_driver_sql("UPDATE sales_transaction SET id = id WHERE 0")
        top = self.conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM sales_transaction")
        first = top.scalar() + 1
        return list(range(first, first + n))

    def insert(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        names = ", ".join(columns)
        if self.pg:
            self._copy(table, names, rows)
            return
        marks = ", ".join(["?"] * len(columns))
        self.conn.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)

    def _copy(self, table: str, names: str, rows: list[tuple]) -> None:
        driver = self.conn.connection.driver_connection  # psycopg 3, this transaction
        load = f"{table}_load"
        with driver.cursor() as cur:
            cur.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {load} "
                f"ON COMMIT DROP AS SELECT {names} FROM {table} WITH NO DATA"
            )
            with cur.copy(f"COPY {load} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cur.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {load}")
            cur.execute(f"TRUNCATE {load}")
