"""One workbook, one sheet per table: headers in bold, amounts as numbers in the
tenant currency's format (two decimals for CNY, none for JPY), percentages and
counts as numbers, every text cell safe from being run as a formula."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from io import BytesIO

from jili.money import CURRENCIES

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Sheet:
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)
    money_cols: Sequence[int] = ()  # 0-based columns holding amounts
    number_cols: Sequence[int] = ()  # 0-based columns holding other decimals (0.00)


def _cell(value):
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def places_of(currency: str) -> int:
    return CURRENCIES.get(currency, 2)


def workbook(sheets: Sequence[Sheet], currency: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    places = places_of(currency)
    money_format = "#,##0" + ("." + "0" * places if places else "")
    quantum = Decimal(1).scaleb(-places)
    bold = Font(bold=True)
    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for sheet in sheets:
        title = sheet.title[:31]
        while title in used:  # Excel refuses two sheets of one name
            title = title[:28] + f"~{len(used)}"
        used.add(title)
        ws = wb.create_sheet(title)
        ws.append([_cell(h) for h in sheet.headers])
        for cell in ws[1]:
            cell.font = bold
        for row in sheet.rows:
            out = []
            for i, value in enumerate(row):
                if i in sheet.money_cols and isinstance(value, Decimal):
                    value = value.quantize(quantum)
                out.append(_cell(value))
            ws.append(out)
        for col in sheet.money_cols:
            for (cell,) in ws.iter_rows(min_row=2, min_col=col + 1, max_col=col + 1):
                cell.number_format = money_format
        for col in sheet.number_cols:
            for (cell,) in ws.iter_rows(min_row=2, min_col=col + 1, max_col=col + 1):
                cell.number_format = "0.00"
        for i, header in enumerate(sheet.headers, start=1):
            width = max([len(str(header))] + [len(str(r[i - 1])) for r in sheet.rows] + [8])
            ws.column_dimensions[get_column_letter(i)].width = min(width * 1.6 + 2, 48)
        ws.freeze_panes = "A2"
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
