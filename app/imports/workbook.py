"""Reading an uploaded workbook without trusting it.

`inspect` looks at the raw zip before anything parses it: not an .xlsx, too big unpacked
(a zip bomb), XML with entity declarations, formulas, far too many columns. It reads each
worksheet's XML once with a regular expression, so it answers within the upload request.
`read` then parses the rows with openpyxl in read-only mode (defusedxml underneath), and
reads what that mode cannot see (merged cells, hidden rows) from the sheet's XML.
"""

import re
import zipfile
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from io import BytesIO
from posixpath import join, normpath
from typing import Any

from defusedxml import ElementTree
from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string, get_column_letter, range_boundaries

from app.core.i18n import _
from app.imports.layout import Kind, Sheet

MAX_UNPACKED = 256 * 1024 * 1024
MAX_RATIO = 100  # unpacked / packed size of one member; real sheets stay well under 20
MAX_MEMBERS = 2_000
MAX_COLUMNS = 64
MAX_ROWS = 100_000

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
FORMULA = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{1,3}[0-9]+)"[^>]*>\s*<(?:\w+:)?f\b')
DIMENSION = re.compile(rb'<(?:\w+:)?dimension\b[^>]*\bref="([A-Z]+\d+)(?::([A-Z]+)(\d+))?"')
DOCTYPE = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.I)
MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*\bref="([A-Z]{1,3}[0-9]+(?::[A-Z]{1,3}[0-9]+)?)"')
ROW = re.compile(rb"<(?:\w+:)?row\b([^>]*)>")
ROW_NUMBER = re.compile(rb'\br="([0-9]+)"')
HIDDEN = re.compile(rb'\bhidden="(?:1|true)"')


class Refused(Exception):
    """The file as a whole cannot be read; the message tells the user why, in Chinese."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.message = message
        self.status = status


def _not_xlsx() -> Refused:
    return Refused(
        _("The file is not an Excel workbook (.xlsx). Download the template and fill it in."), 415
    )


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Maps each sheet's name to its XML part, from the workbook and its relationships."""
    try:
        book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        raise _not_xlsx() from None
    except Exception:  # defusedxml refuses entity declarations and external references
        raise Refused(_("The workbook contains XML that is not allowed.")) from None
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{PKG}Relationship")}
    parts = {}
    for sheet in book.iter(f"{MAIN}sheet"):
        target = targets.get(sheet.get(f"{REL}id"), "")
        part = target.lstrip("/") if target.startswith("/") else normpath(join("xl", target))
        parts[sheet.get("name", "")] = part
    return parts


def inspect(content: bytes, max_bytes: int) -> None:
    """Refuses a file that is not a plain .xlsx of values of a sane size; returns if it is."""
    if len(content) > max_bytes:
        raise Refused(
            _("The file is {size:.1f} MB; at most {max} MB can be imported.").format(
                size=len(content) / 1024 / 1024, max=max_bytes // 1024 // 1024
            ),
            413,
        )
    if content.startswith(OLE2):
        raise Refused(
            _(
                "This is an old Excel file (.xls) or an encrypted workbook. Save it in Excel "
                "as “Excel workbook (.xlsx)” without a password and import that."
            ),
            415,
        )
    if not content.startswith(b"PK\x03\x04"):
        raise _not_xlsx()
    try:
        zf = zipfile.ZipFile(BytesIO(content))
        members = zf.infolist()
    except (zipfile.BadZipFile, ValueError):
        raise _not_xlsx() from None
    names = {m.filename for m in members}
    if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
        raise _not_xlsx()
    unpacked = sum(m.file_size for m in members)
    bomb = len(members) > MAX_MEMBERS or unpacked > MAX_UNPACKED
    bomb = bomb or any(
        m.file_size > 1024 * 1024 and m.file_size > MAX_RATIO * max(m.compress_size, 1)
        for m in members
    )
    if bomb:
        raise Refused(
            _(
                "The file unpacks to far more data than a roster holds ({size} MB): it is "
                "refused as a possible zip bomb."
            ).format(size=unpacked // 1024 // 1024),
            413,
        )
    if any(m.flag_bits & 0x1 for m in members):
        raise Refused(_("The workbook is encrypted. Remove the password and import it again."))
    for m in members:
        xml = m.filename.endswith((".xml", ".rels"))
        if xml and DOCTYPE.search(zf.open(m).read(4096)):
            raise Refused(_("The workbook contains XML that is not allowed."))
    for name, part in _sheet_parts(zf).items():
        if part not in names:
            continue
        xml = zf.read(part)
        if DOCTYPE.search(xml):
            raise Refused(_("The workbook contains XML that is not allowed."))
        found = FORMULA.search(xml)
        if found:
            raise Refused(
                _(
                    "Cell {cell} of sheet “{sheet}” holds a formula. Import values only: copy "
                    "the cells and paste them as values, then import again."
                ).format(cell=found.group(1).decode(), sheet=name)
            )
        dim = DIMENSION.search(xml[:4096])
        if dim and dim.group(2):
            width = column_index_from_string(dim.group(2).decode())
            if width > MAX_COLUMNS:
                raise Refused(_too_wide(name, width))


def _too_wide(sheet: str, width: int) -> str:
    return _(
        "Sheet “{sheet}” has {n} columns; a roster sheet has at most {max}. Delete the "
        "columns that do not belong to the template and import again."
    ).format(sheet=sheet, n=width, max=MAX_COLUMNS)


@dataclass(frozen=True)
class Row:
    number: int  # the Excel row number
    values: dict[str, Any]  # by column key; absent columns are missing


@dataclass(frozen=True)
class Filled:
    """Cells of a column inside a merged range that took the value of its first cell."""

    key: str  # the column
    ref: str  # the merged range, "B10:B14"
    rows: list[int]


@dataclass(frozen=True)
class Table:
    sheet: Sheet
    letters: dict[str, str]  # column key -> Excel column letter
    rows: list[Row]
    # Grid cells that took their value from a merged range's first cell.
    filled: list[Filled] = field(default_factory=list)
    # Cells inside a merged range that are not its first cell and were not filled (so they
    # read blank, as the clerk sees them), by (row, column key): the range's reference.
    merged: dict[tuple[int, str], str] = field(default_factory=dict)
    hidden: list[int] = field(default_factory=list)  # rows read that are hidden in Excel


Progress = Callable[[int, int], None]  # (rows read, rows expected)


def _header_keys(sheet: Sheet, header: Sequence[Any]) -> dict[int, str]:
    by_title = {re.sub(r"\s", "", c.title): c.key for c in sheet.columns}
    keys: dict[int, str] = {}
    for i, value in enumerate(header):
        title = re.sub(r"[\s*＊]", "", str(value or ""))
        if title in by_title:
            if by_title[title] in keys.values():
                raise Refused(
                    _("Sheet “{sheet}” has the column “{column}” twice.").format(
                        sheet=sheet.title, column=title
                    )
                )
            keys[i] = by_title[title]
    missing = [c.title for c in sheet.columns if c.required and c.key not in keys.values()]
    if missing:
        raise Refused(
            _("Sheet “{sheet}” lacks the column(s) {columns}. Use the import template.").format(
                sheet=sheet.title, columns="、".join(f"“{m}”" for m in missing)
            )
        )
    return keys


def _rows(ws, sheet: Sheet, keys: dict[int, str]) -> Iterator[Row]:
    for number, values in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
        if len(values) > MAX_COLUMNS:
            raise Refused(_too_wide(sheet.title, len(values)))
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        if number > MAX_ROWS + 1:
            raise Refused(
                _("Sheet “{sheet}” has more than {max} rows; split it into several files.").format(
                    sheet=sheet.title, max=MAX_ROWS
                )
            )
        yield Row(number, {key: values[i] if i < len(values) else None for i, key in keys.items()})


def _open(content: bytes):
    try:
        return load_workbook(BytesIO(content), read_only=True, data_only=False, keep_links=False)
    except Exception:
        raise _not_xlsx() from None


def _present(wb, layout: Sequence[Sheet]) -> list[tuple[Sheet, dict[int, str]]]:
    """The layout's sheets the workbook has, each with its header read; refuses a workbook
    with none of them, or a sheet without a required column."""
    present = [s for s in layout if s.title in wb.sheetnames]
    if not present:
        raise Refused(
            _("The workbook has none of the sheets {sheets}. Use the import template.").format(
                sheets="、".join(f"“{s.title}”" for s in layout)
            )
        )
    out = []
    for sheet in present:
        header = next(wb[sheet.title].iter_rows(min_row=1, max_row=1, values_only=True), ())
        out.append((sheet, _header_keys(sheet, header)))
    return out


def check_layout(content: bytes, layout: Sequence[Sheet]) -> None:
    """Refuses an inspected workbook whose sheets or headers are not the layout's."""
    wb = _open(content)
    try:
        _present(wb, layout)
    finally:
        wb.close()


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _marks(content: bytes) -> dict[str, tuple[list[str], set[int]]]:
    """Each sheet's merged ranges and hidden rows, by sheet name.

    openpyxl's read-only mode, which keeps memory flat on a large roster, sees neither
    (its worksheets have no merged_cells or row_dimensions), and the full mode holds every
    cell in memory. The XML was inspected already, so a scan of its tags is safe and cheap.
    """
    out: dict[str, tuple[list[str], set[int]]] = {}
    with zipfile.ZipFile(BytesIO(content)) as zf:
        names = set(zf.namelist())
        for name, part in _sheet_parts(zf).items():
            if part not in names:
                continue
            xml = zf.read(part)
            merges = [m.group(1).decode() for m in MERGE.finditer(xml)]
            hidden, number = set(), 0
            if b"hidden=" in xml:
                for m in ROW.finditer(xml):
                    found = ROW_NUMBER.search(m.group(1))
                    # A row without its number follows the one before (as openpyxl reads it).
                    number = int(found.group(1)) if found else number + 1
                    if HIDDEN.search(m.group(1)):
                        hidden.add(number)
            out[name] = (merges, hidden)
    return out


def _merge(
    sheet: Sheet, keys: dict[int, str], rows: list[Row], merges: list[str]
) -> tuple[list[Filled], dict[tuple[int, str], str]]:
    """Applies a sheet's merged ranges to its rows, as Excel shows them: a grid merged down
    several rows is that grid on each of them (filled from the range's first cell); any
    other cell a merge covers is blank, whatever it held before it was merged."""
    by_number = {r.number: r for r in rows}
    numbers = sorted(by_number)
    key_of = {i + 1: key for i, key in keys.items()}  # Excel column number -> key
    grid_keys = {c.key for c in sheet.columns if c.kind is Kind.grid}
    filled: list[Filled] = []
    merged: dict[tuple[int, str], str] = {}
    # Merged ranges never overlap in a file Excel wrote, so they cover each cell once at
    # most: more work than the cells read is a hostile file, refused before it costs more.
    budget = (len(numbers) + 1) * (len(key_of) + 1) + 10_000
    # In the sheet's order, whatever order the file lists them in.
    ranges = sorted((range_boundaries(ref), ref) for ref in merges if ":" in ref)
    for (min_col, min_row, max_col, max_row), ref in ranges:
        budget -= 1
        top = by_number.get(min_row)
        first = top.values.get(key_of.get(min_col, "")) if top else None
        # Only the rows read (the others are empty) and the template's columns.
        inside = numbers[bisect_left(numbers, min_row) : bisect_right(numbers, max_row)]
        for c in range(min_col, min(max_col, MAX_COLUMNS) + 1):
            key = key_of.get(c)
            if key is None:
                continue
            budget -= len(inside)
            if budget < 0:
                raise Refused(
                    _("Sheet “{sheet}” has merged cells that overlap ({ref}).").format(
                        sheet=sheet.title, ref=ref
                    )
                )
            took = []
            for r in inside:
                row = by_number[r]
                if (r, c) == (min_row, min_col):
                    continue
                if key in grid_keys and c == min_col and min_row >= 2 and not _blank(first):
                    row.values[key] = first
                    took.append(r)
                else:
                    row.values[key] = None
                    merged[(r, key)] = ref
            if took:
                filled.append(Filled(key, ref, took))
    return filled, merged


def read(content: bytes, layout: Sequence[Sheet], progress: Progress | None = None) -> list[Table]:
    """The rows of the layout's sheets present in the workbook; empty rows are skipped.
    Merged cells read as Excel shows them (see `_merge`); hidden rows are read and named."""
    wb = _open(content)
    try:
        present = _present(wb, layout)
        expected = sum(max((wb[s.title].max_row or 1) - 1, 0) for s, _keys in present)
        marks = _marks(content)
        tables, done = [], 0
        for sheet, keys in present:
            rows = []
            for row in _rows(wb[sheet.title], sheet, keys):
                rows.append(row)
                done += 1
                if progress and done % 500 == 0:
                    progress(done, max(expected, done))
            letters = {key: get_column_letter(i + 1) for i, key in keys.items()}
            merges, hidden = marks.get(sheet.title, ([], set()))
            filled, merged = _merge(sheet, keys, rows, merges)
            shown = [r.number for r in rows if r.number in hidden]
            tables.append(Table(sheet, letters, rows, filled, merged, shown))
        if progress:
            progress(done, done)
        return tables
    finally:
        wb.close()
