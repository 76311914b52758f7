"""The grid of a period as a file (CSV or XLSX): one row per team or person and
metric, with the baseline, the challenge and the actual to date. Money has its
two decimals; a count (new customers, deals, visits) or number shows as it is —
12, not 12.00 (:func:`jili.targets.services.metrics.plain_value`)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from flask_babel import gettext as _

from jili.targets.models import MetricKind
from jili.targets.services.grid import Grid
from jili.targets.services.metrics import plain_value


def headers() -> list[str]:
    return [
        _("Period"), _("Team or person"), _("Employee no."), _("Metric"), _("Unit"),
        _("Baseline"), _("Challenge"), _("Actual to date"),
    ]  # fmt: skip


def rows(grid: Grid) -> list[list]:
    """Each target of the grid: its cells as values (Decimal, or '' when none)."""
    out = []
    for row in grid.rows:
        for m in grid.metrics:
            target = row.cells.get(m.code)
            if target is None:
                continue
            progress = row.progress.get(m.code)
            actual = progress.actual if progress is not None else None
            out.append([
                grid.period.label, row.label, row.sub if row.person_id else "", str(m.label),
                m.unit, target.baseline, target.challenge, actual, m.kind,
            ])  # fmt: skip
    return out


def _text(value, kind: MetricKind) -> str:
    return "" if value is None else plain_value(value, kind)


def to_csv(grid: Grid) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(headers())
    for *cells, kind in rows(grid):
        writer.writerow([*cells[:5], *(_text(v, kind) for v in cells[5:])])
    return ("\ufeff" + buf.getvalue()).encode()  # a BOM: Excel reads the Chinese as UTF-8


def _cell(value, kind: MetricKind):
    """An XLSX number: money as Decimal to the fen, a whole count as an integer."""
    if value is None:
        return None
    value = Decimal(value)
    if kind != MetricKind.MONEY and value == value.to_integral_value():
        return int(value)
    return value


def to_xlsx(grid: Grid) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = grid.period.label[:31]
    ws.append(headers())
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for *cells, kind in rows(grid):
        ws.append([*cells[:5], *(_cell(v, kind) for v in cells[5:])])
        for cell in ws[ws.max_row][5:8]:
            if cell.value is None:
                continue
            if kind == MetricKind.MONEY:
                cell.number_format = "#,##0.00"
            elif isinstance(cell.value, int):
                cell.number_format = "#,##0"
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
