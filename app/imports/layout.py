"""The roster workbook: its sheets and columns, how a cell is read, and how the template
and the roster export are written (the same layout, so an export imports back unchanged).
"""

import enum
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from app.core import sheets
from app.core.i18n import N_, gettext
from app.enterprises.models import (
    LIAISON_ROLE_LABELS,
    OWNERSHIP_LABELS,
    REFORM_TYPE_LABELS,
    SIZE_LABELS,
    LiaisonRole,
    Ownership,
    ReformType,
    Size,
)
from app.enterprises.service import InvalidCode, check_credit_code, check_mobile
from app.geo.models import GRID_BASIS_LABELS, GridBasis

# Enough rows of drop-downs for a large park; Excel applies them lazily, so this costs nothing.
VALIDATED_ROWS = 20_000
MAX_WHOLE = 9_999_999


class CellError(ValueError):
    """A cell that cannot be read as its column requires; the message says why, in Chinese."""


class Kind(enum.StrEnum):
    text = "text"
    whole = "whole"
    choice = "choice"
    flag = "flag"
    mobile = "mobile"
    code = "code"
    grid = "grid"  # the name of one of the park's grids


@dataclass(frozen=True)
class Col:
    key: str
    header: str  # message id
    kind: Kind = Kind.text
    required: bool = False
    max_length: int | None = None
    choices: Mapping[enum.Enum, str] | None = None  # value -> label message id
    note: str = ""  # message id, shown in the instructions and as the header's comment
    width: float | None = None

    @property
    def title(self) -> str:
        return gettext(self.header)


@dataclass(frozen=True)
class Sheet:
    key: str
    name: str  # message id of the sheet's name
    columns: tuple[Col, ...]
    note: str

    @property
    def title(self) -> str:
        return gettext(self.name)

    def column(self, key: str) -> Col:
        return next(c for c in self.columns if c.key == key)


GRIDS = Sheet(
    "grids",
    N_("Grids"),
    (
        Col("name", N_("Grid name"), required=True, max_length=60, width=28),
        Col("basis", N_("Division basis"), Kind.choice, True, choices=GRID_BASIS_LABELS),
        Col("sort_order", N_("Sort order"), Kind.whole, note=N_("Grids are listed in this order.")),
        Col(
            "liaison_mobile",
            N_("Grid liaison's mobile"),
            Kind.mobile,
            note=N_("The mobile number of a liaison on the Liaisons sheet or already registered."),
        ),
    ),
    N_("One row per grid. A grid is known by its name within the park."),
)
LIAISONS = Sheet(
    "liaisons",
    N_("Liaisons"),
    (
        Col("name", N_("Name"), required=True, max_length=40),
        Col("mobile", N_("Mobile number"), Kind.mobile, required=True, width=16),
        Col("role", N_("Role"), Kind.choice, True, choices=LIAISON_ROLE_LABELS),
    ),
    N_("One row per person. A liaison is known by their mobile number within the park."),
)
ENTERPRISES = Sheet(
    "enterprises",
    N_("Enterprises"),
    (
        Col("credit_code", N_("Unified social credit code"), Kind.code, True, width=24),
        Col("name", N_("Enterprise name"), required=True, max_length=100, width=34),
        Col(
            "grid",
            N_("Grid"),
            Kind.grid,
            True,
            note=N_("A grid of the park, or one on the Grids sheet."),
            width=24,
        ),
        Col("ownership", N_("Ownership"), Kind.choice, True, choices=OWNERSHIP_LABELS),
        Col("size", N_("Size"), Kind.choice, True, choices=SIZE_LABELS),
        Col("industry", N_("Industry"), max_length=60, width=16),
        Col("worker_count", N_("Number of workers"), Kind.whole),
        Col("union_founded", N_("Union founded"), Kind.flag),
        Col(
            "collective_contract",
            N_("Collective contract signed"),
            Kind.flag,
            note=N_("Only with a union founded."),
        ),
        Col("in_reform", N_("Taking part in the reform"), Kind.flag),
        Col(
            "reform_type",
            N_("Reform type"),
            Kind.choice,
            choices=REFORM_TYPE_LABELS,
            note=N_("Only for an enterprise taking part in the reform."),
        ),
        Col(
            "liaison_mobile",
            N_("Enterprise liaison's mobile"),
            Kind.mobile,
            note=N_("The mobile number of a liaison on the Liaisons sheet or already registered."),
            width=16,
        ),
        Col(
            "is_node",
            N_("Node enterprise"),
            Kind.flag,
            note=N_("At most one node enterprise per grid."),
        ),
    ),
    N_(
        "One row per enterprise. An enterprise is known by its unified social credit code: "
        "a code already in the park updates that enterprise."
    ),
)
SHEETS = (GRIDS, LIAISONS, ENTERPRISES)
INSTRUCTIONS = N_("Instructions")
LISTS = N_("Lists")

ENUM_OF = {
    "basis": GridBasis,
    "role": LiaisonRole,
    "ownership": Ownership,
    "size": Size,
    "reform_type": ReformType,
}
YES, NO = N_("Yes"), N_("No")
YES_OR_NO = N_("Yes / No")
TRUE_WORDS = frozenset({"是", "y", "yes", "true", "1", "√", "✓"})
FALSE_WORDS = frozenset({"否", "n", "no", "false", "0", ""})
WHOLE = re.compile(r"^\d{1,7}$")


# ---- reading a cell -------------------------------------------------------------------


def compact(text: str) -> str:
    """A code or a number as its characters alone: full-width digits and letters of a
    Chinese keyboard (１３８, ＭＡ) read as ASCII, spaces and dashes of any width dropped
    (138-1234-5678, １３８　１２３４), letters upper-case. Credit codes and mobile numbers
    alike, so one typed either way is the same key everywhere in an import."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(
        ch for ch in text if not ch.isspace() and unicodedata.category(ch) != "Pd"
    ).upper()


def shown(value: Any) -> str:
    """A cell's value as the user typed it, for messages: 200.0 reads back as 200."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _msg(template: str, col: Col, value: Any = None) -> CellError:
    return CellError(gettext(template).format(field=col.title, value=shown(value)))


def read_cell(col: Col, value: Any) -> Any:
    """The value a cell holds for its column, normalised, or CellError saying what is wrong.

    Blank optional cells read as the column's empty value: "", 0, False or None. A cell
    copied from one of our CSV files reads without the apostrophe the CSV added.
    """
    text = sheets.unprotected(shown(value))
    if not text:
        if col.required:
            raise _msg(N_("“{field}” is required."), col)
        return {Kind.whole: 0, Kind.flag: False, Kind.text: ""}.get(col.kind)
    if col.kind is Kind.whole:
        return _whole(col, value, text)
    if col.kind is Kind.flag:
        word = text.lower()
        if isinstance(value, bool):
            return value
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise _msg(N_("“{field}” must be 是 or 否, not “{value}”."), col, value)
    if col.kind is Kind.choice:
        return _choice(col, text)
    if col.kind is Kind.code:
        try:
            return check_credit_code(compact(text))
        except InvalidCode as exc:
            raise CellError(f"“{col.title}”“{text}”：{exc}") from None
    if col.kind is Kind.mobile:
        try:
            return check_mobile(compact(text))
        except ValueError as exc:
            raise CellError(f"“{col.title}”“{text}”：{exc}") from None
    if col.max_length and len(text) > col.max_length:
        raise CellError(
            gettext("“{field}” has {n} characters; at most {max} are allowed.").format(
                field=col.title, n=len(text), max=col.max_length
            )
        )
    return text


def _whole(col: Col, value: Any, text: str) -> int:
    if isinstance(value, bool):
        raise _msg(N_("“{field}” must be a whole number of 0 or more, not “{value}”."), col, value)
    if isinstance(value, int | float):
        if float(value).is_integer() and 0 <= value <= MAX_WHOLE:
            return int(value)
    elif WHOLE.match(text.replace(",", "")):
        return int(text.replace(",", ""))
    raise _msg(N_("“{field}” must be a whole number of 0 or more, not “{value}”."), col, value)


def _choice(col: Col, text: str) -> enum.Enum:
    assert col.choices is not None
    for member, label in col.choices.items():
        if text in (gettext(label), member.value):
            return member
    options = "、".join(gettext(label) for label in col.choices.values())
    raise CellError(
        gettext("“{field}” must be one of {options}, not “{value}”.").format(
            field=col.title, options=options, value=text
        )
    )


def label_of(col: Col, value: Any) -> Any:
    """How a stored value is written into its cell: labels for choices, 是/否 for flags."""
    if col.choices is not None:
        return gettext(col.choices[value]) if value is not None else None
    if col.kind is Kind.flag:
        return gettext(YES) if value else gettext(NO)
    if col.kind is Kind.whole:
        return int(value or 0)
    return value if value not in ("", None) else None


# ---- writing the template and the roster export -------------------------------------


@dataclass
class Filled:
    """The rows to write into each sheet (empty for a blank template), by sheet key."""

    grid_names: Sequence[str]
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def _instructions(wb: Workbook, park_name: str) -> None:
    ws = wb.create_sheet(gettext(INSTRUCTIONS))
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 90
    title = gettext("Roster import: {park}").format(park=park_name)
    sheets.put(ws, 1, 1, title).font = Font(bold=True, size=14)
    general = [
        N_("Fill in the sheets Grids, Liaisons and Enterprises; a sheet may be left out."),
        N_("Columns marked in red are required. Choose fixed values from the drop-down lists."),
        N_("Type values, not formulas: a workbook with formulas is refused."),
        N_("Rows not in the file stay as they are: an import adds and updates, it never deletes."),
        N_("Every row is checked first; nothing is imported while any row has an error."),
    ]
    r = 3
    for line in general:
        ws.cell(r, 1, "•")
        ws.cell(r, 2, gettext(line)).alignment = Alignment(wrap_text=True)
        r += 1
    for sheet in SHEETS:
        r += 1
        ws.cell(r, 1, sheet.title).font = Font(bold=True)
        ws.cell(r, 2, gettext(sheet.note)).alignment = Alignment(wrap_text=True)
        for col in sheet.columns:
            r += 1
            ws.cell(r, 1, col.title).font = Font(color="C62828" if col.required else "000000")
            ws.cell(r, 2, _column_help(col)).alignment = Alignment(wrap_text=True)


def _column_help(col: Col) -> str:
    parts = [gettext("Required.") if col.required else gettext("Optional.")]
    if col.choices:
        parts.append(
            gettext("One of: {options}.").format(
                options="、".join(gettext(v) for v in col.choices.values())
            )
        )
    if col.kind is Kind.flag:
        parts.append(gettext("是 or 否; blank means 否."))
    if col.kind is Kind.whole:
        parts.append(gettext("A whole number of 0 or more."))
    if col.kind is Kind.mobile:
        parts.append(gettext("11 digits, starting with 13 to 19."))
    if col.kind is Kind.code:
        parts.append(gettext("18 characters; the last one is a check character."))
    if col.max_length:
        parts.append(gettext("At most {n} characters.").format(n=col.max_length))
    if col.note:
        parts.append(gettext(col.note))
    return " ".join(parts)


def _lists(wb: Workbook, grid_names: Sequence[str]) -> dict[str, str]:
    """The drop-down choices on a hidden sheet (long Chinese lists do not fit inline)."""
    ws = wb.create_sheet(gettext(LISTS))
    ws.sheet_state = "hidden"
    ranges: dict[str, str] = {}
    # Each list headed by the column it serves, in Chinese: a clerk who unhides the sheet
    # reads 网格 and 所有制, not the code's keys.
    lists: list[tuple[str, str, list[str]]] = [
        ("grid", ENTERPRISES.column("grid").title, list(grid_names) or [""]),
        ("flag", gettext(YES_OR_NO), [gettext(YES), gettext(NO)]),
    ]
    for key in ENUM_OF:
        col = next(c for s in SHEETS for c in s.columns if c.key == key)
        assert col.choices is not None
        lists.append((key, col.title, [gettext(v) for v in col.choices.values()]))
    for c, (key, title, values) in enumerate(lists, start=1):
        letter = get_column_letter(c)
        ws.cell(1, c, title)
        for r, value in enumerate(values, start=2):
            # A grid's name as typed: text, never a formula.
            sheets.put(ws, r, c, value)
        ranges[key] = f"{quote_sheetname(ws.title)}!${letter}$2:${letter}${max(len(values), 1) + 1}"
    return ranges


def _validation(col: Col, ranges: Mapping[str, str]) -> DataValidation | None:
    source = {Kind.grid: "grid", Kind.flag: "flag"}.get(col.kind) or (
        col.key if col.choices else None
    )
    if source is None:
        return None
    dv = DataValidation(type="list", formula1=f"={ranges[source]}", allow_blank=not col.required)
    dv.error = gettext("Choose a value from the list.")
    dv.errorTitle = col.title
    dv.showErrorMessage = True
    return dv


def write(park_name: str, filled: Filled, *, mark: sheets.Mark | None = None) -> bytes:
    """The roster workbook of a park: the import template, filled with rows for an export."""
    wb = Workbook()
    wb.remove(wb.active)
    _instructions(wb, park_name)
    ranges = _lists(wb, filled.grid_names)
    for sheet in SHEETS:
        ws = wb.create_sheet(sheet.title)
        columns = [
            sheets.Column(
                c.title,
                sheets.TEXT if c.kind in (Kind.mobile, Kind.code) else None,
                c.width,
            )
            for c in sheet.columns
        ]
        rows = [
            [label_of(c, row.get(c.key)) for c in sheet.columns]
            for row in filled.rows.get(sheet.key, [])
        ]
        sheets.write_table(ws, columns, rows, autofilter=False)
        for i, col in enumerate(sheet.columns, start=1):
            head = ws.cell(1, i)
            if col.required:
                head.font = Font(bold=True, color="C62828")
            head.comment = Comment(_column_help(col), "ParkGrid", width=260, height=120)
            letter = get_column_letter(i)
            # Codes and mobile numbers stay text, so Excel keeps their leading digits.
            if col.kind in (Kind.mobile, Kind.code):
                for r in range(2, len(rows) + 2):
                    ws.cell(r, i).number_format = sheets.TEXT
            dv = _validation(col, ranges)
            if dv is not None:
                ws.add_data_validation(dv)
                dv.add(f"{letter}2:{letter}{max(VALIDATED_ROWS, len(rows) + 1)}")
    wb.active = wb.sheetnames.index(ENTERPRISES.title) if filled.rows else 0
    return sheets.to_bytes(wb, mark=mark)
