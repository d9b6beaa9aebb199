"""Writing tables to .xlsx and CSV the way an office reads them: Chinese headers, number
formats, a frozen header row, column widths that fit the content.

No domain knowledge here: a domain gives columns and rows, and gets bytes to send.
"""

import csv
import io
import unicodedata
from collections.abc import Iterable, Sequence
from copy import copy
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

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
        cell = ws.cell(header_row, c, column.header)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="center")
    r = header_row
    styles = Styles()
    for r, values in enumerate(rows, start=header_row + 1):
        for c, (column, value) in enumerate(zip(columns, values, strict=True), start=1):
            cell = ws.cell(r, c, value)
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


def workbook(sheets: Sequence[tuple[str, Sequence[Column], Iterable[Sequence[Any]]]]) -> bytes:
    """A workbook of one table per sheet: (sheet name, columns, rows) each."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, columns, rows in sheets:
        write_table(wb.create_sheet(name[:31]), columns, rows)
    return to_bytes(wb)


def to_bytes(wb: Workbook) -> bytes:
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
    return value


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
