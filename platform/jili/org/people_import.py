"""Importing people from CSV or XLSX: all rows or none, with a row/column/reason for each error."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from jili import uploads
from jili.extensions import db
from jili.money import MONEY_LIMIT, NumberError, parse_decimal, shorten
from jili.org.models import Level, Person, Team

# Column headers accepted, English and Chinese (simplified and traditional).
HEADERS = {
    "employee_no": {"employee_no", "employee number", "工号", "員工編號", "员工编号", "工號"},
    "name": {"name", "full name", "姓名"},
    "level": {"level", "级别", "級別", "职级", "職級"},
    "hire_date": {"hire_date", "hire date", "入职日期", "入職日期", "到職日期"},
    "team": {"team", "团队", "團隊", "小组", "小組"},
    "manager_no": {
        "manager",
        "manager_no",
        "manager employee_no",
        "manager's employee number",
        "上级工号",
        "上級工號",
        "经理工号",
        "經理工號",
    },
    "mentor_no": {
        "mentor",
        "mentor_no",
        "mentor's employee number",
        "导师工号",
        "導師工號",
        "师傅工号",
        "師傅工號",
    },
    "base_salary": {"base_salary", "base salary", "底薪", "月底薪", "基本工资", "基本工資"},
    # Optional: used only to send invitations when the import page asks for them.
    "email": {"email", "e-mail", "邮箱", "電子郵件", "电子邮件", "郵箱", "電郵", "邮件地址"},
}
REQUIRED = ("employee_no", "name")
# A column the file does not have, named in the reader's language: each
# translation is one of HEADERS, so the user can add it as named.
COLUMN_TITLES = {
    "employee_no": _l("Employee number"),
    "name": _l("Full name"),
    "level": _l("Level"),
    "hire_date": _l("Hire date"),
    "team": _l("Team"),
    "manager_no": _l("Manager's employee number"),
    "mentor_no": _l("Mentor's employee number"),
    "base_salary": _l("Base salary"),
}
LEVEL_WORDS = {
    "newcomer": Level.NEWCOMER, "新人": Level.NEWCOMER, "新員工": Level.NEWCOMER, "新员工": Level.NEWCOMER,
    "core": Level.CORE, "骨干": Level.CORE, "骨幹": Level.CORE, "核心": Level.CORE,
    "manager": Level.MANAGER, "经理": Level.MANAGER, "經理": Level.MANAGER, "主管": Level.MANAGER,
}  # fmt: skip


@dataclass
class RowError:
    row: int | None  # as the user sees it in the file: the header is row 1 (None: the file)
    column: str
    message: str


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    # (row, person, e-mail) of every written row with an e-mail, in file order
    emails: list[tuple[int, Person, str]] = field(default_factory=list)
    email_column: str = ""  # the file's own header of the e-mail column
    source: str = ""  # the file's name (a job's import)
    unchanged: int = 0  # (every written row counts as created or updated)

    @property
    def ok(self) -> bool:
        return not self.errors


def read_rows(filename: str, data: bytes) -> list[list[str]]:
    """The file as rows of strings; raises ValueError with a readable reason
    (see :mod:`jili.uploads` for the limits)."""
    return uploads.read_rows(filename, data)


def import_people_file(tenant, filename: str, data: bytes) -> ImportResult:
    """The people import of a background job (a large file, no invitations):
    read, validate and write all rows or none, with the audit entry; the caller
    commits when ``ok``."""
    from jili.audit import services as audit

    result = ImportResult(source=filename)
    try:
        rows = read_rows(filename, data)
    except ValueError as exc:
        result.errors.append(RowError(None, "", str(exc)))
        return result
    found = import_people(tenant.id, rows)
    found.source = filename
    if found.ok:
        audit.record(
            "people.import",
            tenant_id=tenant.id,
            object_type="Person",
            after={"file": filename, "created": found.created, "updated": found.updated},
        )
    return found


def _map_headers(header: list[str]) -> tuple[dict[str, int], list[RowError]]:
    mapping: dict[str, int] = {}
    errors: list[RowError] = []
    for idx, raw in enumerate(header):
        key = raw.strip().lower()
        for field_name, names in HEADERS.items():
            if key in {n.lower() for n in names}:
                if field_name in mapping:
                    errors.append(RowError(1, raw, _("This column appears twice.")))
                mapping[field_name] = idx
    for req in REQUIRED:
        if req not in mapping:
            errors.append(RowError(1, str(COLUMN_TITLES[req]), _("Required column is missing.")))
    return mapping, errors


# The longest text each column takes: as the person form allows (PersonForm).
MAX_LENGTH = {"employee_no": 40, "name": 120, "manager_no": 40, "mentor_no": 40, "email": 254}


class _Rows:
    """The file's data rows with their numbers as the user sees them (the
    header is row 1), and the errors found reading them."""

    def __init__(self, rows: list[list[str]], mapping: dict[str, int], labels: dict[str, str]):
        self.mapping, self.labels = mapping, labels
        self.errors: list[RowError] = []
        self.width = uploads.last_filled(rows[0])
        self.rows = [(line, row) for line, row in enumerate(rows[1:], start=2)]

    def error(self, line: int, key: str, message: str) -> None:
        self.errors.append(RowError(line, self.labels.get(key, key), message))

    def cell(self, row: list[str], key: str) -> str:
        idx = self.mapping.get(key)
        return row[idx].strip() if idx is not None and idx < len(row) else ""


def import_people(tenant_id: int, rows: list[list[str]]) -> ImportResult:
    """Validate every row, then create or update people by employee number, or change nothing."""
    result = ImportResult()
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        result.errors.append(RowError(1, "", _("The file is empty.")))
        return result
    mapping, result.errors = _map_headers(rows[0])
    if result.errors:
        return result
    labels = {key: rows[0][idx].strip() for key, idx in mapping.items()}
    table = _Rows(rows, mapping, labels)
    teams = {t.name: t for t in db.session.scalars(select(Team).where(Team.tenant_id == tenant_id))}
    existing = {
        p.employee_no: p
        for p in db.session.scalars(select(Person).where(Person.tenant_id == tenant_id))
    }
    parsed = _parse_rows(table, teams)
    _check_references(table, parsed, existing)
    result.errors = sorted(table.errors, key=lambda e: e.row)
    if result.errors:
        return result
    _write(tenant_id, parsed, existing, result)
    result.email_column = labels.get("email", "")
    return result


def _parse_rows(table: _Rows, teams: dict[str, Team]) -> list[tuple[int, dict]]:
    parsed: list[tuple[int, dict]] = []
    seen: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    for line, row in table.rows:
        extra = uploads.extra_cells(row, table.width)
        if extra is not None:
            table.errors.append(
                RowError(
                    line,
                    uploads.column_letter(extra),
                    uploads.extra_cells_message(row, table.width),
                )
            )
        rec = _parse_row(table, line, row, teams)
        emp = rec["employee_no"]
        if emp and emp in seen:
            table.error(line, "employee_no", _("Duplicate of row %(row)d.", row=seen[emp]))
        elif emp:
            seen[emp] = line
        email = rec["email"]
        if email and email in seen_emails:
            table.error(line, "email", _("Same e-mail as row %(row)d.", row=seen_emails[email]))
        elif email:
            seen_emails[email] = line
        parsed.append((line, rec))
    return parsed


def _parse_row(table: _Rows, line: int, row: list[str], teams: dict[str, Team]) -> dict:
    rec: dict = {}
    for key in HEADERS:
        text = table.cell(row, key)
        if uploads.has_bad_characters(text):
            table.error(line, key, uploads.bad_character_message())
            text = ""
        elif key in MAX_LENGTH and len(text) > MAX_LENGTH[key]:
            table.error(line, key, _("Longer than %(n)d characters.", n=MAX_LENGTH[key]))
            text = ""
        rec[key] = text
    if not rec["employee_no"] and not _reported(table, line, "employee_no"):
        table.error(line, "employee_no", _("Employee number is empty."))
    if not rec["name"] and not _reported(table, line, "name"):
        table.error(line, "name", _("Name is empty."))
    for key, parse in (("level", _level), ("hire_date", _hire_date), ("base_salary", _salary)):
        text, rec[key] = rec[key], None
        if text:
            try:
                rec[key] = parse(text)
            except ValueError as exc:
                table.error(line, key, str(exc))
    if rec["email"]:
        try:
            rec["email"] = _email(rec["email"])
        except ValueError as exc:
            table.error(line, "email", str(exc))
            rec["email"] = ""
    team, rec["team"] = rec["team"], None
    if team:
        if team not in teams:
            table.error(line, "team", _("No team named %(v)s.", v=team))
        else:
            rec["team_id"] = teams[team].id
    return rec


def _reported(table: _Rows, line: int, key: str) -> bool:
    label = table.labels.get(key, key)
    return any(e.row == line and e.column == label for e in table.errors)


def _level(text: str) -> Level:
    level = LEVEL_WORDS.get(text.lower()) or LEVEL_WORDS.get(text)
    if level is None:
        raise ValueError(_("Unknown level %(v)s: use newcomer, core or manager.", v=text))
    return level


def _email(text: str) -> str:
    """The address in lower case, or ValueError: the same check as the invitation form."""
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise ValueError(_("Not an e-mail address %(v)s.", v=shorten(text))) from None
    return checked.normalized.lower()


def _hire_date(text: str) -> date:
    try:
        return date.fromisoformat(text.replace("/", "-"))
    except ValueError:
        raise ValueError(_("Not a date %(v)s: use YYYY-MM-DD.", v=shorten(text))) from None


def _salary(text: str) -> Decimal:
    try:
        return parse_decimal(text, places=2, limit=MONEY_LIMIT, minimum=Decimal(0))
    except NumberError as exc:
        if exc.reason == "large":
            raise ValueError(str(exc)) from None
        raise ValueError(_("Not an amount %(v)s: e.g. 8000 or 8000.50.", v=shorten(text))) from None


def _check_references(
    table: _Rows, parsed: list[tuple[int, dict]], existing: dict[str, Person]
) -> None:
    """Managers and mentors are people in the file or already in the company,
    never the person themself; and no chain of managers comes back round."""
    known = set(existing) | {rec["employee_no"] for _line, rec in parsed}
    for line, rec in parsed:
        for key in ("manager_no", "mentor_no"):
            ref = rec[key]
            if ref and ref not in known:
                table.error(line, key, _("No person with employee number %(v)s.", v=ref))
            elif ref and ref == rec["employee_no"]:
                table.error(line, key, _("A person cannot refer to themself."))
    if table.errors:
        return
    # Everyone's manager after the import: the file's rows over the company's.
    ids = {p.id: no for no, p in existing.items()}
    manager = {no: ids.get(p.manager_id) for no, p in existing.items()}
    lines: dict[str, int] = {}
    for line, rec in parsed:
        lines[rec["employee_no"]] = line
        if rec["manager_no"]:
            manager[rec["employee_no"]] = rec["manager_no"]
    for line, rec in parsed:
        cycle = _manager_cycle(rec["employee_no"], manager)
        if cycle:
            table.error(
                line,
                "manager_no",
                _(
                    "Managers would go round in a circle: %(chain)s. Give one of them "
                    "another manager.",
                    chain=" → ".join(cycle),
                ),
            )


def _manager_cycle(start: str, manager: dict[str, str | None]) -> list[str] | None:
    """The circle of managers ``start`` is part of (``[A, B, A]``), or None."""
    chain = [start]
    current = manager.get(start)
    while current is not None and len(chain) <= len(manager):
        chain.append(current)
        if current == start:
            return chain
        current = manager.get(current)
    return None


def _write(
    tenant_id: int, parsed: list[tuple[int, dict]], existing: dict[str, Person], result
) -> None:
    """All rows valid: write them in the caller's transaction."""
    people = dict(existing)
    for _line, rec in parsed:
        person = people.get(rec["employee_no"])
        if person is None:
            person = Person(tenant_id=tenant_id, employee_no=rec["employee_no"], name=rec["name"])
            db.session.add(person)
            people[rec["employee_no"]] = person
            result.created += 1
        else:
            result.updated += 1
        person.name = rec["name"]
        for key in ("level", "hire_date", "team_id", "base_salary"):
            if key in rec and rec[key] is not None:
                setattr(person, key, rec[key])
    db.session.flush()
    for line, rec in parsed:
        person = people[rec["employee_no"]]
        if rec["email"]:
            result.emails.append((line, person, rec["email"]))
        if rec["manager_no"]:
            person.manager_id = people[rec["manager_no"]].id
        if rec["mentor_no"]:
            person.mentor_id = people[rec["mentor_no"]].id
