"""Writing tables to .xlsx and CSV the way an office reads them: Chinese headers, number
formats, a frozen header row, column widths that fit the content.

No domain knowledge here: a domain gives columns and rows, and gets bytes to send.

Nothing written here runs as code where the file is opened: a text cell that starts like
a formula (OWASP's list: = + - @, tab, carriage return) is a string cell in .xlsx and
carries a leading apostrophe in CSV; numbers stay numbers.
"""

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from copy import copy
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape as xml_escape

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from app.core.i18n import _
from app.core.templating import LOCAL_TZ

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"

# Excel number formats used across the product.
WHOLE = "#,##0"
SCORE = "0.00"
PERCENT = "0.0%"
DATETIME = "yyyy-mm-dd hh:mm"
DATE = "yyyy-mm-dd"
TEXT = "@"

HEADER_FILL = PatternFill("solid", start_color="F1F5F9", end_color="F1F5F9")
MAX_WIDTH = 48
# What a spreadsheet reads as the start of a formula (OWASP, "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def put(ws: Worksheet, row: int, column: int, value: Any = None) -> Cell:
    """Writes a value into a cell as data: text is always a string cell, never a formula
    (openpyxl alone turns any text starting with "=" into one)."""
    cell = ws.cell(row, column)
    set_value(cell, value)
    return cell


def set_value(cell: Cell, value: Any) -> None:
    """Sets a cell's value as data (see `put`)."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"


@dataclass(frozen=True)
class Mark:
    """Who took a download and when: written into a workbook's properties and every
    sheet's footer, and into a CSV's file name (a comment line would be a row in Excel)."""

    by: str  # the person's name as the product shows it
    username: str
    at: datetime  # aware; shown in Beijing time

    @property
    def text(self) -> str:
        return _("Downloaded by {who} at {time}").format(who=self.by, time=self.stamp)

    @property
    def stamp(self) -> str:
        return self.at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")

    def file_name(self, name: str) -> str:
        """`name` with who and when before its extension: 名册-张三-20261204-1015.csv."""
        return _marked(name, self.by, self.at)

    def ascii_file_name(self, name: str) -> str:
        """The same for the ASCII file name, with the username (letters and digits only)."""
        return _marked(name, re.sub(r"[^A-Za-z0-9_.-]", "", self.username) or "user", self.at)


def _marked(name: str, who: str, at: datetime) -> str:
    when = at.astimezone(LOCAL_TZ).strftime("%Y%m%d-%H%M")
    stem, dot, ext = name.rpartition(".")
    return f"{stem}-{who}-{when}.{ext}" if dot else f"{name}-{who}-{when}"


# A workbook made once and kept for many readers (the rankings) is written with PENDING
# as its mark; `stamp` puts each download's own mark in its place as it is sent.
PENDING_BY = "PARKGRID-MARK-BY"
PENDING_TEXT = "PARKGRID-MARK-TEXT"


class _Pending(Mark):
    @property
    def text(self) -> str:
        return PENDING_TEXT


PENDING: Mark = _Pending(PENDING_BY, "", datetime(2000, 1, 1, tzinfo=LOCAL_TZ))


def stamp(body: bytes, mark: Mark) -> bytes:
    """A workbook written with PENDING as its mark, with this download's mark instead: in
    its properties and in every sheet's footer (the rest of the file is copied as it is)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(body)) as zin,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout,
    ):
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == "docProps/core.xml":
                data = data.replace(PENDING_BY.encode(), xml_escape(mark.by).encode())
                data = data.replace(PENDING_TEXT.encode(), xml_escape(mark.text).encode())
            elif item.filename.startswith("xl/worksheets/"):
                # The footer element only: a cell that happens to hold the token stays as is.
                pending = f"<oddFooter>&amp;C{PENDING_TEXT}</oddFooter>".encode()
                footer = xml_escape("&C" + _footer_text(mark.text))
                data = data.replace(pending, f"<oddFooter>{footer}</oddFooter>".encode())
            zout.writestr(item, data)
    return out.getvalue()


def _footer_text(text: str) -> str:
    # "&" starts a code in Excel's header and footer language; "&&" is a literal one.
    return text.replace("&", "&&")


def mark_workbook(wb: Workbook, mark: "Mark | None") -> None:
    """Writes who took the workbook and when into its properties and every sheet's footer."""
    if mark is None:
        return
    wb.properties.creator = mark.by
    wb.properties.lastModifiedBy = mark.by
    wb.properties.description = mark.text
    for ws in wb.worksheets:
        for footer in (ws.oddFooter, ws.evenFooter, ws.firstFooter):
            footer.center.text = _footer_text(mark.text)


class Counted:
    """Rows counted as they pass into a file: a download records how many it held."""

    def __init__(self, rows: Iterable[Sequence[Any]]):
        self._rows = rows
        self.n = 0

    def __iter__(self):
        for row in self._rows:
            self.n += 1
            yield row


@dataclass(frozen=True)
class Column:
    header: str
    number_format: str | None = None
    # A fixed width in Excel's units; None fits the widest value (capped at MAX_WIDTH).
    width: float | None = None


class Styles:
    """Cell styles made once and then copied: openpyxl looks a style up in the workbook's
    registry each time one is set, which at thousands of cells costs more than writing
    them. `apply(cell, key, make)` styles the first cell of a key with `make(cell)` and
    every later one with a copy of its style."""

    def __init__(self) -> None:
        self._made: dict[Any, Any] = {}

    def apply(self, cell, key: Any, make) -> None:
        made = self._made.get(key)
        if made is None:
            make(cell)
            self._made[key] = cell._style
        else:
            cell._style = copy(made)


def display_width(value: Any) -> int:
    """How many Latin-character columns a value takes: a CJK character takes about two."""
    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def write_table(
    ws: Worksheet,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    header_row: int = 1,
    autofilter: bool = True,
) -> int:
    """Writes a header row and the rows below it; freezes the header; returns the last row."""
    widths = [display_width(c.header) for c in columns]
    for c, column in enumerate(columns, start=1):
        cell = put(ws, header_row, c, column.header)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="center")
    r = header_row
    styles = Styles()
    for r, values in enumerate(rows, start=header_row + 1):
        for c, (column, value) in enumerate(zip(columns, values, strict=True), start=1):
            cell = put(ws, r, c, value)
            if column.number_format and value is not None and value != "":
                fmt = column.number_format
                styles.apply(cell, fmt, lambda cell, fmt=fmt: setattr(cell, "number_format", fmt))
            widths[c - 1] = max(widths[c - 1], display_width(value))
    ws.freeze_panes = ws.cell(header_row + 1, 1)
    last = get_column_letter(len(columns))
    if autofilter:
        ws.auto_filter.ref = f"A{header_row}:{last}{max(r, header_row)}"
    for c, column in enumerate(columns, start=1):
        # Room for the filter button; capped so a long name wraps rather than sprawls.
        fitted = min(max(widths[c - 1] + 4, 8), MAX_WIDTH)
        ws.column_dimensions[get_column_letter(c)].width = column.width or fitted
    return r


def workbook(
    sheets: Sequence[tuple[str, Sequence[Column], Iterable[Sequence[Any]]]],
    *,
    mark: Mark | None = None,
) -> bytes:
    """A workbook of one table per sheet: (sheet name, columns, rows) each."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, columns, rows in sheets:
        write_table(wb.create_sheet(name[:31]), columns, rows)
    return to_bytes(wb, mark=mark)


def to_bytes(wb: Workbook, *, mark: Mark | None = None) -> bytes:
    mark_workbook(wb, mark)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _csv_value(value: Any) -> Any:
    # Written as Excel shows and reads them back: times as "2026-11-21 09:30:05" (not
    # Python's isoformat with its "T" and microseconds), whole numbers without ".0".
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        # OWASP's advice: the apostrophe makes Excel and WPS read the cell as text.
        return "'" + value
    return value


def unprotected(text: str) -> str:
    """The text a CSV cell written here stood for: the apostrophe `csv_bytes` puts before
    text that starts like a formula taken off again (for a file that comes back in)."""
    if text.startswith("'") and text[1:2] and text[1] in FORMULA_STARTS:
        return text[1:]
    return text


def csv_bytes(columns: Sequence[Column], rows: Iterable[Sequence[Any]]) -> bytes:
    """CSV in UTF-8 with a byte-order mark, which Excel needs to read Chinese correctly."""
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\r\n")
    out.writerow([c.header for c in columns])
    for values in rows:
        out.writerow([_csv_value(v) for v in values])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def attachment(ascii_name: str, name: str) -> dict[str, str]:
    """A download header every browser reads: an ASCII name, and the UTF-8 one (RFC 5987)."""
    return {
        "Content-Disposition": f'attachment; filename="{ascii_name}"; '
        f"filename*=UTF-8''{quote(name)}"
    }
