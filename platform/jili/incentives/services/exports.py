"""Payroll export of a calculation run: CSV (UTF-8 with BOM, so Excel reads
Chinese) and XLSX (amounts as numbers with the currency's decimals).

The CSV is one table, one row per person × plan line, so a payroll system
reads it as is. The XLSX has the same lines, the totals per person on a second
sheet, and the run on a third, its time in the tenant's time zone as on the
pages. Amounts are the stored ``Decimal`` values written as they are: no float
anywhere, so the rows add up to the run's total to the cent.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import gettext as _
from sqlalchemy import select

from jili.extensions import db
from jili.incentives.engine import corrections, run_lines
from jili.incentives.models import CalculationRun, Plan
from jili.incentives.services.authors import run_author
from jili.money import CURRENCIES
from jili.org.models import Person, Team

ZERO = Decimal(0)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportLine:
    employee_no: str
    name: str
    team: str
    plan: str
    component: str
    amount: Decimal
    amount_before_budget: Decimal


@dataclass(frozen=True)
class PersonTotal:
    employee_no: str
    name: str
    team: str
    total: Decimal


@dataclass(frozen=True)
class PayrollExport:
    run: CalculationRun
    lines: list[ExportLine]
    totals: list[PersonTotal]
    places: int

    @property
    def total(self) -> Decimal:
        return sum((t.total for t in self.totals), ZERO)


def payroll(run: CalculationRun, component_label=lambda key: key) -> PayrollExport:
    """The run's lines with names, teams and plan names, ordered by employee
    number then plan; ``component_label`` turns a component key into words."""
    tenant_id = run.tenant_id
    people = {
        p.id: p for p in db.session.scalars(select(Person).where(Person.tenant_id == tenant_id))
    }
    teams = dict(
        db.session.execute(select(Team.id, Team.name).where(Team.tenant_id == tenant_id)).all()
    )
    plan_names = dict(
        db.session.execute(select(Plan.id, Plan.name).where(Plan.tenant_id == tenant_id)).all()
    )
    # The name the plan had when the run was made wins over today's.
    plan_names.update({p["plan_id"]: p["plan_name"] for p in run.plans or [] if "plan_id" in p})
    plan_names[corrections.CORRECTIONS_PLAN_ID] = corrections.plan_name()
    lines: list[ExportLine] = []
    sums: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for line in run_lines(run):
        person = people.get(line.person_id)
        lines.append(
            ExportLine(
                employee_no=person.employee_no if person else "",
                name=person.name if person else f"#{line.person_id}",
                team=teams.get(person.team_id, "") if person else "",
                plan=plan_names.get(line.plan_id, f"#{line.plan_id}"),
                component=component_label(line.component),
                amount=line.amount,
                amount_before_budget=line.amount_before_budget,
            )
        )
        sums[line.person_id] += line.amount
    lines.sort(key=lambda r: (r.employee_no, r.plan, r.component))
    totals = []
    for pid, total in sums.items():
        person = people.get(pid)
        totals.append(
            PersonTotal(
                employee_no=person.employee_no if person else "",
                name=person.name if person else f"#{pid}",
                team=teams.get(person.team_id, "") if person else "",
                total=total,
            )
        )
    totals.sort(key=lambda t: (t.employee_no, t.name))
    from jili.accounts.models import Tenant

    tenant = db.session.get(Tenant, tenant_id)
    places = CURRENCIES.get(tenant.currency if tenant else "CNY", 2)
    return PayrollExport(run, lines, totals, places)


def _text(value: str) -> str:
    """A text cell Excel will not run as a formula."""
    if value and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _amount(value: Decimal, places: int) -> str:
    return format(value.quantize(Decimal(1).scaleb(-places)), "f")


def line_headers() -> list[str]:
    return [
        _("Employee number"),
        _("Full name"),
        _("Team"),
        _("Plan"),
        _("Component"),
        _("Amount"),
        _("Amount before budget"),
    ]


def total_headers() -> list[str]:
    return [_("Employee number"), _("Full name"), _("Team"), _("Total")]


def to_csv(export: PayrollExport) -> bytes:
    """The lines as one table (the totals per person are the XLSX's second
    sheet); UTF-8 with BOM."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(line_headers())
    for r in export.lines:
        writer.writerow(
            [
                _text(r.employee_no),
                _text(r.name),
                _text(r.team),
                _text(r.plan),
                _text(r.component),
                _amount(r.amount, export.places),
                _amount(r.amount_before_budget, export.places),
            ]
        )
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def local_time(moment: datetime, timezone: str) -> str:
    """``moment`` (UTC) in the tenant's time zone, named: "2024-10-08 17:05 (Asia/Shanghai)"."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone, timezone = ZoneInfo("UTC"), "UTC"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M} ({timezone})"


def to_xlsx(export: PayrollExport, period_label: str, timezone: str = "UTC") -> bytes:
    """Three sheets: payout lines, totals per person, and the run itself
    (its time in ``timezone``, the tenant's)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    number_format = "#,##0" + ("." + "0" * export.places if export.places else "")
    bold = Font(bold=True)
    wb = Workbook()

    def sheet(ws, title, headers, rows, money_cols):
        ws.title = title[:31]
        ws.append(headers)
        for cell in ws[1]:
            cell.font = bold
        for row in rows:
            ws.append(row)
        for col in money_cols:
            for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
                cell.number_format = number_format
        for i, header in enumerate(headers, start=1):
            width = max([len(str(header))] + [len(str(r[i - 1])) for r in rows] + [8])
            ws.column_dimensions[get_column_letter(i)].width = min(width * 1.6 + 2, 48)
        ws.freeze_panes = "A2"

    q = Decimal(1).scaleb(-export.places)
    sheet(
        wb.active,
        _("Payout lines"),
        line_headers(),
        [
            [
                _text(r.employee_no),
                _text(r.name),
                _text(r.team),
                _text(r.plan),
                _text(r.component),
                r.amount.quantize(q),
                r.amount_before_budget.quantize(q),
            ]
            for r in export.lines
        ],
        (6, 7),
    )
    sheet(
        wb.create_sheet(),
        _("Totals per person"),
        total_headers(),
        [
            [_text(t.employee_no), _text(t.name), _text(t.team), t.total.quantize(q)]
            for t in export.totals
        ],
        (4,),
    )
    run = export.run
    info = wb.create_sheet(_("Run")[:31])
    for key, value in (
        (_("Period"), period_label),
        (_("Run"), run.number),
        (_("Calculated at"), local_time(run.created_at, timezone)),
        (_("Calculated by"), run_author(run)),
        (_("Fingerprint"), run.fingerprint),
        (_("Total"), run.total.quantize(q)),
    ):
        info.append([key, value])
        info.cell(row=info.max_row, column=1).font = bold
    info.cell(row=info.max_row, column=2).number_format = number_format
    info.column_dimensions["A"].width = 18
    info.column_dimensions["B"].width = 70
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
