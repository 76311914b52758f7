"""Reading an uploaded CSV or XLSX table into rows of text, within limits.

Every import (people, transactions, targets, KPI values) reads its file here,
so each gets the same guards: at most ``IMPORT_MAX_ROWS`` rows (configurable,
``JILI_IMPORT_MAX_ROWS``), an XLSX workbook opened read-only and refused before
it is unpacked when it declares more rows or more bytes than an import may
have (a "zip bomb"), and no cell with a character that text columns refuse.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date, datetime
from decimal import Decimal

from flask import current_app, has_app_context
from flask_babel import gettext as _

DEFAULT_MAX_ROWS = 200_000
# What an XLSX may unpack to, per row allowed: generous for a dozen columns of
# text (a real sheet takes 300–600 bytes a row), far below what a bomb unpacks to.
XLSX_BYTES_PER_ROW = 1024
XLSX_MIN_BYTES = 16 * 1024 * 1024
# NUL, which PostgreSQL text refuses, and lone surrogates, which no encoding holds.
BAD_CHARACTERS = re.compile("[\x00\ud800-\udfff]")


class TableError(ValueError):
    """The file cannot be read as a table; the message is for the user."""


#: The pages whose upload may be a large file for a background import job: they
#: take up to ``JOB_IMPORT_MAX_BYTES`` (other requests ``MAX_CONTENT_LENGTH``).
IMPORT_ENDPOINTS = frozenset(
    {
        "tenant.transactions_import",
        "tenant.targets_import",
        "tenant.metrics_import",
        "tenant.people_import",
    }
)
JOB_IMPORT_MAX_BYTES = 256 * 1024 * 1024


def allow_large_imports(endpoint: str | None, _values) -> None:
    """(a URL value preprocessor, the first: ahead of anything that reads the
    form) An import page's upload may be as large as a job imports; werkzeug
    spools it to a temporary file, never into memory."""
    from flask import request

    if request.method == "POST" and endpoint in IMPORT_ENDPOINTS:
        limit = current_app.config.get("JOB_IMPORT_MAX_BYTES") or JOB_IMPORT_MAX_BYTES
        request.max_content_length = max(int(limit), current_app.config["MAX_CONTENT_LENGTH"] or 0)


def max_rows() -> int:
    """Data rows an import may have (``IMPORT_MAX_ROWS``, default 200,000)."""
    if has_app_context():
        return int(current_app.config.get("IMPORT_MAX_ROWS") or DEFAULT_MAX_ROWS)
    return DEFAULT_MAX_ROWS


def has_bad_characters(text: str) -> bool:
    return BAD_CHARACTERS.search(text) is not None


def too_many_rows(limit: int) -> TableError:
    return TableError(
        _(
            "The file has more than %(n)s data rows, the most one import takes. "
            "Split it into smaller files and import them one after the other.",
            n=f"{limit:,}",
        )
    )


def read_rows(filename: str, data: bytes) -> list[list[str]]:
    """The file as rows of strings (the header row included, blank rows kept
    so numbers match the user's view); raises :class:`TableError`."""
    name = filename.lower()
    limit = max_rows()
    if name.endswith(".xlsx"):
        return _read_xlsx(data, limit)
    if name.endswith(".csv") or name.endswith(".txt"):
        return _read_csv(data, limit)
    raise TableError(_("Upload a .csv or .xlsx file."))


def _read_csv(data: bytes, limit: int) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise TableError(_("The file is neither UTF-8 nor GB18030 text."))
    rows: list[list[str]] = []
    try:
        for row in csv.reader(io.StringIO(text)):
            rows.append(row)
            # The header and blank lines are counted too: a little slack, never a bomb.
            if len(rows) > limit + 1:
                raise too_many_rows(limit)
    except csv.Error as exc:
        raise TableError(
            _("Row %(row)d cannot be read as CSV: %(reason)s", row=len(rows) + 1, reason=exc)
        ) from exc
    return rows


def _read_xlsx(data: bytes, limit: int) -> list[list[str]]:
    _check_zip(data, limit)
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise TableError(_("The file is not a readable XLSX workbook.")) from exc
    try:
        ws = wb.worksheets[0]
        declared = ws.max_row  # from the sheet's <dimension>, before any row is read
        if declared is not None and declared > limit + 1:
            raise too_many_rows(limit)
        rows = []
        for values in ws.iter_rows(values_only=True):
            rows.append([cell_text(v) for v in values])
            if len(rows) > limit + 1:
                raise too_many_rows(limit)
        return rows
    except TableError:
        raise
    except Exception as exc:
        raise TableError(_("The file is not a readable XLSX workbook.")) from exc
    finally:
        wb.close()


def _check_zip(data, limit: int) -> None:
    """Refuse a workbook whose parts declare more bytes than ``limit`` rows can
    need, before unpacking anything (``data``: the bytes, or a path)."""
    try:
        source = io.BytesIO(data) if isinstance(data, bytes) else data
        with zipfile.ZipFile(source) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise TableError(_("The file is not a readable XLSX workbook.")) from exc
    if unpacked > max(XLSX_MIN_BYTES, limit * XLSX_BYTES_PER_ROW):
        raise too_many_rows(limit)


# --- a large file, streamed from disk (a background import job) -----------------------


def file_lines(path, filename: str, limit: int) -> tuple[int, str | None]:
    """Before streaming ``path``: its line count (an upper bound on its rows,
    for the progress shown and the row limit) and its text encoding (None for
    an XLSX). Reads the file once in chunks, never whole; raises :class:`TableError`."""
    import codecs

    name = filename.lower()
    if name.endswith(".xlsx"):
        _check_zip(path, limit)
        return 0, None
    if not (name.endswith(".csv") or name.endswith(".txt")):
        raise TableError(_("Upload a .csv or .xlsx file."))
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        lines = 0
        try:
            with open(path, "rb") as f:
                while chunk := f.read(1 << 20):
                    decoder.decode(chunk)
                    lines += chunk.count(b"\n")
                    if lines > limit + 1:
                        raise too_many_rows(limit)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return lines + 1, encoding
    raise TableError(_("The file is neither UTF-8 nor GB18030 text."))


def stream_rows(path, encoding: str | None, limit: int):
    """The rows of the file at ``path`` one by one, as :func:`read_rows` reads
    them (blank rows kept); ``encoding`` from :func:`file_lines` (None: XLSX).
    Raises :class:`TableError` when a row cannot be read."""
    if encoding is None:
        yield from _stream_xlsx(path, limit)
        return
    count = 0
    with open(path, encoding=encoding, newline="") as f:
        try:
            for row in csv.reader(f):
                count += 1
                if count > limit + 1:
                    raise too_many_rows(limit)
                yield row
        except csv.Error as exc:
            raise TableError(
                _("Row %(row)d cannot be read as CSV: %(reason)s", row=count + 1, reason=exc)
            ) from exc


def _stream_xlsx(path, limit: int):
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise TableError(_("The file is not a readable XLSX workbook.")) from exc
    try:
        ws = wb.worksheets[0]
        if ws.max_row is not None and ws.max_row > limit + 1:
            raise too_many_rows(limit)
        for count, values in enumerate(ws.iter_rows(values_only=True), start=1):
            if count > limit + 1:
                raise too_many_rows(limit)
            yield [cell_text(v) for v in values]
    except TableError:
        raise
    except Exception as exc:
        raise TableError(_("The file is not a readable XLSX workbook.")) from exc
    finally:
        wb.close()


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):  # openpyxl hands numbers as float: via repr, never binary
        return format(Decimal(repr(value)).normalize(), "f")
    return str(value).strip()


def column_letter(index: int) -> str:
    """``0`` → ``A``, ``26`` → ``AA``: the column as Excel shows it."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def extra_cells(row: list[str], width: int) -> int | None:
    """The index of the first non-empty cell at or beyond ``width`` (the
    header's columns), or None. Trailing empty cells are harmless."""
    for idx in range(width, len(row)):
        if row[idx].strip():
            return idx
    return None


def last_filled(row: list[str]) -> int:
    """The number of cells up to the last non-empty one."""
    for idx in range(len(row) - 1, -1, -1):
        if row[idx].strip():
            return idx + 1
    return 0


def extra_cells_message(row: list[str], width: int) -> str:
    return _(
        "This row has %(cells)d cells but the header has %(columns)d columns. "
        'Put a value that contains a comma in quotes, e.g. "6,500".',
        cells=last_filled(row),
        columns=width,
    )


def bad_character_message() -> str:
    return _(
        "This cell contains a character that cannot be stored (a NUL byte or a broken "
        "character). Remove it and import again."
    )


# --- evidence files (an adjustment request's attachment) ------------------------------

EVIDENCE_MAX_BYTES = 5 * 1024 * 1024
#: extension → (content type, how the file starts)
EVIDENCE_TYPES = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        (b"PK\x03\x04",),
    ),
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (b"PK\x03\x04",),
    ),
    ".csv": ("text/csv", ()),
    ".txt": ("text/plain", ()),
}


def read_evidence(filename: str, data: bytes) -> tuple[str, str, bytes]:
    """An uploaded evidence file checked: (safe name, content type, bytes); raises
    :class:`TableError` (its message is for the user) when it is too large, of a
    kind not accepted, or not what its name says."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = BAD_CHARACTERS.sub("", name)[-200:]
    ext = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if ext not in EVIDENCE_TYPES:
        raise TableError(
            _(
                "Attach a PDF, an image (PNG, JPG), a spreadsheet (XLSX, CSV), "
                "a Word document (DOCX) or a text file."
            )
        )
    if not data:
        raise TableError(_("The file is empty."))
    if len(data) > EVIDENCE_MAX_BYTES:
        raise TableError(
            _("The file is larger than %(n)s MB.", n=EVIDENCE_MAX_BYTES // (1024 * 1024))
        )
    content_type, starts = EVIDENCE_TYPES[ext]
    if starts and not any(data.startswith(s) for s in starts):
        raise TableError(_("The file's content does not match its name (%(ext)s).", ext=ext))
    if not starts:
        try:
            data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                data.decode("gb18030")
            except UnicodeDecodeError:
                raise TableError(_("The file is neither UTF-8 nor GB18030 text.")) from None
    return name, content_type, data
