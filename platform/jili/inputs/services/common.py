"""What the period's input imports share: reading a file into rows keyed by
column, row/column/reason errors, and parsing of money, dates, yes/no and
numbers exactly as the user wrote them (never through float)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from jili.accounts.models import Tenant
from jili.extensions import db
from jili.money import CURRENCIES, MONEY_LIMIT, NumberError, parse_decimal, shorten, to_decimal
from jili.periods.models import Period, PeriodStatus
from jili.tenancy import TenantMismatch, bound_tenant, current_tenant_id
from jili.uploads import (
    bad_character_message,
    column_letter,
    extra_cells,
    extra_cells_message,
    has_bad_characters,
    last_filled,
    read_rows,
)

# The largest amount we accept in a cell: far above any deal, far below what a
# BIGINT of hundredths holds.
MAX_AMOUNT = MONEY_LIMIT


@dataclass
class RowError:
    """One problem: the row as the user sees it in the file (the header is row
    1; ``None`` for a problem with the whole file), the column, the reason."""

    row: int | None
    column: str
    message: str


@dataclass
class Outcome:
    """What an import did, or why it did nothing."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    source: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, row: int | None, column: str, message: str) -> None:
        self.errors.append(RowError(row, column, message))


class CellError(ValueError):
    """A cell that cannot be read; the message is for the user."""


# What an error calls a column the file does not have, in the reader's language;
# each translation is one of the headers the imports accept (a test checks it),
# so the user can add the column as named. A column the file has is named as
# the file named it.
COLUMN_TITLES = {
    "period": _l("Period"),
    "employee_no": _l("Employee number"),
    "team": _l("Team"),
    "revenue_target": _l("Revenue target"),
    "collected_target": _l("Collected target"),
    "margin_target": _l("Margin target"),
    "metric": _l("Metric"),
    "weight": _l("Weight"),
    "actual": _l("Actual"),
    "target": _l("Target"),
    "higher_is_better": _l("Higher is better"),
    "external_id": _l("External id"),
    "deal_date": _l("Deal date"),
    "customer": _l("Customer"),
    "product_line": _l("Product line"),
    "region": _l("Region"),
    "amount": _l("Amount"),
    "collected_amount": _l("Collected amount"),
    "margin": _l("Margin"),
    "new_customer": _l("New customer"),
    "strategic": _l("Strategic customer"),
    "credits": _l("Credits"),
}


def column_name(key: str, labels: Mapping[str, str] | None = None) -> str:
    """A column as the user knows it: as their file named it, or else its name
    in the reader's language (never the internal key)."""
    if labels and key in labels:
        return labels[key]
    title = COLUMN_TITLES.get(key)
    return str(title) if title is not None else key.replace("_", " ")


def normalise_header(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text.replace("\ufeff", "").strip().lower()).strip()


def header_index(headers: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """``{normalised header text: canonical key}`` from ``{key: names}``."""
    index: dict[str, str] = {}
    for key, names in headers.items():
        for name in (key, *names):
            index[normalise_header(name)] = key
    return index


NumberedRow = tuple[int, dict[str, str]]


def read_table(
    filename: str,
    data: bytes,
    headers: Mapping[str, Iterable[str]],
    required: Iterable[str],
    outcome: Outcome,
) -> tuple[list[NumberedRow], dict[str, str]]:
    """Read a CSV/XLSX upload into ``(row number, {key: text})`` pairs and the
    header text the file used for each key. Problems go to ``outcome``.

    Blank rows are skipped but keep the numbering, so row numbers match what
    the user sees in Excel. An unknown column is an error rather than ignored:
    a misspelt optional column (say, the credits) would otherwise be dropped
    without a word, and money would go to the wrong person.
    """
    try:
        table = read_rows(filename, data)
    except ValueError as exc:
        outcome.error(None, "", str(exc))
        return [], {}
    first = next((i for i, row in enumerate(table) if any(c.strip() for c in row)), None)
    if first is None:
        outcome.error(None, "", _("The file is empty."))
        return [], {}
    mapping, labels = map_header(table[first], first + 1, headers, required, outcome)
    if outcome.errors:
        return [], labels
    rows = _data_rows(table, first, mapping, labels, outcome)
    if not rows and not outcome.errors:
        outcome.error(None, "", _("The file has a header row but no data rows."))
    return rows, labels


def map_header(
    header: list[str],
    header_row: int,
    headers: Mapping[str, Iterable[str]],
    required: Iterable[str],
    outcome: Outcome,
) -> tuple[dict[str, int], dict[str, str]]:
    """``({key: column index}, {key: the header text the file used})`` from the
    header row (row ``header_row`` as the user sees it); problems go to ``outcome``."""
    index = header_index(headers)
    mapping: dict[str, int] = {}
    labels: dict[str, str] = {}
    for idx, raw in enumerate(header):
        text = raw.replace("\ufeff", "").strip()
        if not text:
            continue
        if has_bad_characters(text):
            outcome.error(header_row, column_letter(idx), bad_character_message())
            continue
        key = index.get(normalise_header(text))
        if key is None:
            outcome.error(
                header_row,
                text,
                _(
                    "Unknown column. Rename it to one of the expected columns "
                    "(see the template) or remove it."
                ),
            )
        elif key in mapping:
            outcome.error(header_row, text, _("This column appears twice."))
        else:
            mapping[key] = idx
            labels[key] = text
    for key in required:
        if key not in mapping:
            outcome.error(header_row, column_name(key), _("Required column is missing."))
    return mapping, labels


def data_row(
    number: int,
    row: list[str],
    width: int,
    mapping: dict[str, int],
    labels: dict[str, str],
    outcome: Outcome,
) -> dict[str, str]:
    """One data row keyed by column; a cell right of the header's ``width``
    columns and a cell with a character that cannot be stored go to ``outcome``."""
    extra = extra_cells(row, width) if len(row) > width else None
    if extra is not None:
        outcome.error(number, column_letter(extra), extra_cells_message(row, width))
    size = len(row)
    cells = {key: row[idx].strip() if idx < size else "" for key, idx in mapping.items()}
    if has_bad_characters("".join(row)):  # (rare: then find the cells)
        for key, text in cells.items():
            if has_bad_characters(text):
                outcome.error(number, labels.get(key, key), bad_character_message())
    return cells


def _data_rows(
    table: list[list[str]],
    first: int,
    mapping: dict[str, int],
    labels: dict[str, str],
    outcome: Outcome,
) -> list[NumberedRow]:
    """The rows under the header at ``table[first]``, numbered as the user sees
    them. A filled cell right of the header's last column is an error (an
    unquoted ``6,500`` would otherwise import 6), as is a cell with a character
    that cannot be stored."""
    width = last_filled(table[first])
    rows: list[NumberedRow] = []
    for number, row in enumerate(table[first + 1 :], start=first + 2):
        if not any(c.strip() for c in row):
            continue
        rows.append((number, data_row(number, row, width, mapping, labels, outcome)))
    return rows


def number_rows(rows: list[dict[str, str]], first_row: int) -> list[NumberedRow]:
    return [
        (first_row + i, {k: (v or "").strip() for k, v in row.items()})
        for i, row in enumerate(rows)
    ]


def known_rows(
    rows: list[dict[str, str]], first_row: int, headers: Mapping[str, object], outcome: Outcome
) -> list[NumberedRow]:
    """``rows`` numbered as the user sees them; a key that is not one of
    ``headers`` is an error on its row (nothing is ignored silently)."""
    numbered = number_rows(rows, first_row)
    for number, row in numbered:
        for key, text in row.items():
            if key not in headers:
                outcome.error(number, key, _("Unknown column."))
            elif has_bad_characters(text):
                outcome.error(number, key, bad_character_message())
    return numbered


# --- cells ----------------------------------------------------------------------


def money_places(tenant: Tenant) -> int:
    """Decimal places an amount may have: the currency's minor unit, at most 2
    (what the money columns keep)."""
    return min(2, CURRENCIES.get(tenant.currency, 2))


# A plain amount (at most 13 digits before the point, so below MAX_AMOUNT, and at
# most 2 after): read at once, without the general parser's checks.
_PLAIN_AMOUNT = re.compile(r"-?[0-9]{1,13}(?:\.[0-9]{1,2})?")
_UNITS = {n: Decimal(1).scaleb(-n) for n in range(3)}


def parse_money(text: str, places: int = 2, *, negative: bool = True) -> Decimal:
    """An exact amount: ``1234.5``, ``1,234.50``, ``¥1,234.50``, ``-500``; in
    the currency's minor units, as stored (``1,000`` → ``1000.00``)."""
    unit = _UNITS.get(places)
    if unit is not None and _PLAIN_AMOUNT.fullmatch(text) and (negative or text[0] != "-"):
        number = Decimal(text)
        rounded = number.quantize(unit)
        if rounded == number:
            return rounded + 0  # (-0 becomes 0)
    cleaned = text.replace(" ", "").replace("\u00a0", "").replace("\u2212", "-")
    text = shorten(text)
    try:
        return parse_decimal(
            cleaned, places=places, limit=MAX_AMOUNT, minimum=None if negative else Decimal(0)
        )
    except NumberError as exc:
        if exc.reason == "number":
            raise CellError(_("Not an amount %(v)s: e.g. 12500 or 12,500.50.", v=text)) from exc
        if exc.reason == "places" and places == 0:
            raise CellError(_("%(v)s: this currency has no decimal places.", v=text)) from exc
        if exc.reason == "large":
            raise CellError(_("%(v)s is too large for an amount.", v=text)) from exc
        if exc.reason == "small":
            raise CellError(_("%(v)s: the amount cannot be negative.", v=text)) from exc
        raise CellError(str(exc)) from exc


def parse_number(text: str, places: int = 4, limit: Decimal = MAX_AMOUNT) -> Decimal:
    """A plain number for metrics and weights: ``96``, ``97.5``, ``88%`` (read
    as 88, the same unit as the target); below ``limit`` (the column's range)."""
    cleaned = text.replace(" ", "").replace(",", "").removesuffix("%").removesuffix("％")
    text = shorten(text)
    try:
        parse_decimal(cleaned, places=places, limit=limit)
    except NumberError as exc:
        if exc.reason == "number":
            raise CellError(_("Not a number %(v)s.", v=text)) from exc
        if exc.reason == "large":
            raise CellError(_("%(v)s is too large.", v=text)) from exc
        raise CellError(str(exc)) from exc
    # As the user wrote it (96 stays 96, not 96.0000).
    return to_decimal(cleaned) + 0


_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


def parse_date(text: str) -> date:
    """``2024-07-15``, ``2024/7/15``, ``2024.7.15``, ``2024年7月15日``; an XLSX
    date cell arrives as ISO text already."""
    m = _DATE.match(text.strip())
    if m:
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            pass
    raise CellError(_("Not a date %(v)s: use YYYY-MM-DD, e.g. 2024-07-15.", v=text))


YES = {"yes", "y", "true", "1", "是", "x", "✓", "√", "對", "对"}
NO = {"no", "n", "false", "0", "否", ""}


def parse_yes_no(text: str, default: bool = False) -> bool:
    value = text.strip().lower()
    if not value:
        return default
    if value in YES:
        return True
    if value in NO:
        return False
    raise CellError(_("%(v)s: write yes or no (also 1/0, 是/否).", v=text))


def check_length(text: str, limit: int) -> str:
    if len(text) > limit:
        raise CellError(_("Longer than %(n)d characters.", n=limit))
    return text


# --- tenant context -------------------------------------------------------------


def tenant_scope(tenant: Tenant):
    """Bind ``tenant`` for an import called outside a request (CLI, TOML
    importer); refuses to run under another tenant's binding."""
    bound = current_tenant_id()
    if bound is not None and bound != tenant.id:
        raise TenantMismatch(f"importing for tenant {tenant.id} while {bound} is bound")
    return bound_tenant(tenant.id)


def closed_periods(tenant_id: int) -> list[Period]:
    """The tenant's closed periods, shortest first (so a date names its month
    rather than its year)."""
    periods = db.session.scalars(
        select(Period).where(Period.tenant_id == tenant_id, Period.status == PeriodStatus.CLOSED)
    )
    return sorted(periods, key=lambda p: (p.end_date - p.start_date, p.start_date))


def closed_period_for(day: date, closed: list[Period]) -> Period | None:
    for period in closed:
        if period.start_date <= day <= period.end_date:
            return period
    return None


def periods_by_label(tenant_id: int) -> dict[str, Period]:
    """Periods keyed by upper-cased label, so ``2024-q3`` finds ``2024-Q3``."""
    return {
        p.label.upper(): p
        for p in db.session.scalars(select(Period).where(Period.tenant_id == tenant_id))
    }


# --- periods and people in target / metric files ---------------------------------

PERIOD_HEADERS = {"period label", "期间", "期間", "周期", "週期", "考核期", "考核周期", "考核週期"}
EMPLOYEE_HEADERS = {"employee no", "employee number", "工号", "工號", "员工编号", "員工編號"}
TEAM_HEADERS = {"team name", "团队", "團隊", "小组", "小組"}


@dataclass
class Who:
    person_id: int | None
    team_id: int | None
    label: str  # employee number or team name, for the audit log


class Directory:
    """The tenant's periods, people and teams, loaded once per import."""

    def __init__(self, tenant_id: int):
        from jili.org.models import Person, Team

        self.periods = periods_by_label(tenant_id)
        self.people = dict(
            db.session.execute(
                select(Person.employee_no, Person.id).where(Person.tenant_id == tenant_id)
            ).all()
        )
        self.teams = dict(
            db.session.execute(select(Team.name, Team.id).where(Team.tenant_id == tenant_id)).all()
        )
        self.person_no = {v: k for k, v in self.people.items()}
        self.team_name = {v: k for k, v in self.teams.items()}

    def period(self, text: str) -> Period:
        """The open (not closed) period labelled ``text``."""
        if not text:
            raise CellError(_("Period is empty."))
        period = self.periods.get(text.strip().upper())
        if period is None:
            raise CellError(_("No period %(v)s: use a label from Periods, e.g. 2024-Q3.", v=text))
        if period.is_closed:
            raise CellError(_("Period %(label)s is closed.", label=period.label))
        return period

    def who(self, employee_no: str, team: str) -> Who:
        if employee_no and team:
            raise CellError(_("Give an employee number or a team, not both."))
        if employee_no:
            if employee_no not in self.people:
                raise CellError(_("No person with employee number %(v)s.", v=employee_no))
            return Who(self.people[employee_no], None, employee_no)
        if team:
            if team not in self.teams:
                raise CellError(_("No team named %(v)s.", v=team))
            return Who(None, self.teams[team], team)
        raise CellError(_("Give an employee number or a team."))

    def label(self, person_id: int | None, team_id: int | None) -> str:
        if person_id is not None:
            return self.person_no.get(person_id, str(person_id))
        return self.team_name.get(team_id, str(team_id))


def who_column(row: dict[str, str]) -> str:
    """The column a person-or-team problem is reported in."""
    return "team" if row.get("team") and not row.get("employee_no") else "employee_no"


def period_and_who(
    directory: Directory, row: dict[str, str], err
) -> tuple[Period | None, Who | None]:
    """The row's period and person-or-team; each problem reported through ``err``."""
    period = who = None
    try:
        period = directory.period(row.get("period", ""))
    except CellError as exc:
        err("period", str(exc))
    try:
        who = directory.who(row.get("employee_no", ""), row.get("team", ""))
    except CellError as exc:
        err(who_column(row), str(exc))
    return period, who
