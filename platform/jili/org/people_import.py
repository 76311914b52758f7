"""Importing people from CSV or XLSX: all rows or none, with a row/column/reason for each error."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from jili.extensions import db
from jili.money import MoneyError, to_decimal
from jili.org.models import Level, Person, Team

# Column headers accepted, English and Chinese (simplified and traditional).
HEADERS = {
    "employee_no": {"employee_no", "employee number", "工号", "員工編號", "员工编号", "工號"},
    "name": {"name", "姓名"},
    "level": {"level", "级别", "級別", "职级", "職級"},
    "hire_date": {"hire_date", "hire date", "入职日期", "入職日期", "到職日期"},
    "team": {"team", "团队", "團隊", "小组", "小組"},
    "manager_no": {
        "manager",
        "manager_no",
        "manager employee_no",
        "上级工号",
        "上級工號",
        "经理工号",
        "經理工號",
    },
    "mentor_no": {"mentor", "mentor_no", "导师工号", "導師工號", "师傅工号", "師傅工號"},
    "base_salary": {"base_salary", "base salary", "底薪", "月底薪", "基本工资", "基本工資"},
}
REQUIRED = ("employee_no", "name")
LEVEL_WORDS = {
    "newcomer": Level.NEWCOMER, "新人": Level.NEWCOMER, "新員工": Level.NEWCOMER, "新员工": Level.NEWCOMER,
    "core": Level.CORE, "骨干": Level.CORE, "骨幹": Level.CORE, "核心": Level.CORE,
    "manager": Level.MANAGER, "经理": Level.MANAGER, "經理": Level.MANAGER, "主管": Level.MANAGER,
}  # fmt: skip


@dataclass
class RowError:
    row: int  # as the user sees it in the file: the header is row 1
    column: str
    message: str


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def read_rows(filename: str, data: bytes) -> list[list[str]]:
    """The file as rows of strings; raises ValueError with a readable reason."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a broken file
            raise ValueError(_("The file is not a readable XLSX workbook.")) from exc
        ws = wb.worksheets[0]
        rows = []
        for values in ws.iter_rows(values_only=True):
            rows.append([_cell_text(v) for v in values])
        wb.close()
        return rows
    if name.endswith(".csv") or name.endswith(".txt"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ValueError(_("The file is neither UTF-8 nor GB18030 text."))
        return [row for row in csv.reader(io.StringIO(text))]
    raise ValueError(_("Upload a .csv or .xlsx file."))


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(
        value, float
    ):  # float ok: openpyxl hands numbers as float; go via repr to Decimal
        return format(Decimal(repr(value)).normalize(), "f")
    return str(value).strip()


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
            errors.append(RowError(1, req, _("Required column is missing.")))
    return mapping, errors


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

    teams = {t.name: t for t in db.session.scalars(select(Team).where(Team.tenant_id == tenant_id))}
    existing = {
        p.employee_no: p
        for p in db.session.scalars(select(Person).where(Person.tenant_id == tenant_id))
    }

    def cell(row: list[str], key: str) -> str:
        idx = mapping.get(key)
        return row[idx].strip() if idx is not None and idx < len(row) else ""

    parsed: list[tuple[int, dict]] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        rec: dict = {}
        emp = cell(row, "employee_no")
        if not emp:
            result.errors.append(RowError(line, "employee_no", _("Employee number is empty.")))
        elif emp in seen:
            result.errors.append(
                RowError(line, "employee_no", _("Duplicate of row %(row)d.", row=seen[emp]))
            )
        else:
            seen[emp] = line
        rec["employee_no"] = emp
        rec["name"] = cell(row, "name")
        if not rec["name"]:
            result.errors.append(RowError(line, "name", _("Name is empty.")))
        level = cell(row, "level")
        if level:
            lv = LEVEL_WORDS.get(level.lower()) or LEVEL_WORDS.get(level)
            if lv is None:
                result.errors.append(
                    RowError(
                        line,
                        "level",
                        _("Unknown level %(v)s: use newcomer, core or manager.", v=level),
                    )
                )
            rec["level"] = lv
        hire = cell(row, "hire_date")
        if hire:
            try:
                rec["hire_date"] = date.fromisoformat(hire.replace("/", "-"))
            except ValueError:
                result.errors.append(
                    RowError(line, "hire_date", _("Not a date %(v)s: use YYYY-MM-DD.", v=hire))
                )
        team = cell(row, "team")
        if team:
            if team not in teams:
                result.errors.append(RowError(line, "team", _("No team named %(v)s.", v=team)))
            else:
                rec["team_id"] = teams[team].id
        salary = cell(row, "base_salary")
        if salary:
            try:
                amount = to_decimal(salary)
                if amount < 0 or amount != amount.quantize(Decimal("0.01")):
                    raise MoneyError(salary)
                rec["base_salary"] = amount
            except MoneyError:
                result.errors.append(
                    RowError(
                        line,
                        "base_salary",
                        _("Not an amount %(v)s: e.g. 8000 or 8000.50.", v=salary),
                    )
                )
        rec["manager_no"] = cell(row, "manager_no")
        rec["mentor_no"] = cell(row, "mentor_no")
        parsed.append((line, rec))

    known = set(existing) | set(seen)
    for line, rec in parsed:
        for key in ("manager_no", "mentor_no"):
            ref = rec[key]
            if ref and ref not in known:
                result.errors.append(
                    RowError(line, key, _("No person with employee number %(v)s.", v=ref))
                )
            if ref and ref == rec["employee_no"]:
                result.errors.append(RowError(line, key, _("A person cannot refer to themself.")))
    if result.errors:
        return result

    # All rows valid: write them in the caller's transaction.
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
    for _line, rec in parsed:
        person = people[rec["employee_no"]]
        if rec["manager_no"]:
            person.manager_id = people[rec["manager_no"]].id
        if rec["mentor_no"]:
            person.mentor_id = people[rec["mentor_no"]].id
    return result
