"""The rankings as downloads: a workbook of districts and parks, and the park table as CSV."""

import io
import math
from collections.abc import Sequence
from typing import Any

import xlsxwriter

from app.assessment.rankings.service import ParkRow, Rankings
from app.core import sheets
from app.core.charts import TIER_COLOURS
from app.core.i18n import _
from app.core.sheets import Column
from app.framework.models import Tier
from app.geo.models import PARK_KIND_LABELS, PILOT_LEVEL_LABELS

# The header sits under the title row; freezing below it keeps both on screen.
HEADER_ROW = 2
ARROW_COLOURS = {"↑": "2E7D32", "↓": "C62828"}
HEADER_COLOUR = "#F1F5F9"  # as sheets.HEADER_FILL


def _tier_name(tier: Tier | None) -> str:
    return tier.name if tier else "—"


def _tier_fill(tier: Tier) -> str:
    return TIER_COLOURS.get(tier.colour, TIER_COLOURS["grey"]).upper()


def _score_header(rk: Rankings) -> str:
    if rk.out_of is not None:
        return _("Score (out of {n})").format(n=f"{rk.out_of:g}")
    return _("Score")


def park_columns(rk: Rankings) -> list[Column]:
    """The columns of the park ranking, as both downloads have them."""
    return [
        Column(_("Rank in city")),
        Column(_("Movement")),
        Column(_("Park")),
        Column(_("District")),
        Column(_("Rank in district")),
        Column(_("Movement in district")),
        Column(_("Park kind")),
        Column(_("Pilot level")),
        Column(_score_header(rk), sheets.SCORE),
        Column(_("Tier")),
        Column(_("Note")),
    ]


def _park_row(p: ParkRow) -> list[Any]:
    return [
        p.rank_city,
        p.movement_city,
        p.park.name,
        p.district.name,
        p.rank_district,
        p.movement_district,
        _(PARK_KIND_LABELS[p.park.kind]),
        _(PILOT_LEVEL_LABELS[p.park.pilot_level]) if p.park.pilot_level else "—",
        p.score,
        _tier_name(p.tier),
        "" if p.has_data else _("No data reported"),
    ]


class _Formats:
    """The workbook's cell formats, each made once (xlsxwriter shares a format object)."""

    def __init__(self, wb: xlsxwriter.Workbook):
        self.wb = wb
        self.title = wb.add_format({"bold": True, "font_size": 13, "text_wrap": True})
        self.title.set_align("vcenter")
        self.header = wb.add_format(
            {"bold": True, "bg_color": HEADER_COLOUR, "valign": "vcenter", "text_wrap": False}
        )
        self._made: dict[Any, Any] = {}

    def get(self, key: Any, spec: dict) -> Any:
        if key not in self._made:
            self._made[key] = self.wb.add_format(spec)
        return self._made[key]

    def number(self, number_format: str | None) -> Any:
        return self.get(("number", number_format), {"num_format": number_format})

    def arrow(self, arrow: str) -> Any:
        spec: dict[str, Any] = {"align": "center"}
        if arrow in ARROW_COLOURS:
            spec |= {"font_color": "#" + ARROW_COLOURS[arrow], "bold": True}
        return self.get(("arrow", arrow), spec)

    def tier(self, tier: Tier) -> Any:
        return self.get(
            ("tier", tier.colour),
            {
                "bg_color": _tier_fill(tier),
                "font_color": "#FFFFFF",
                "bold": True,
                "align": "center",
            },
        )


def _sheet(
    wb: xlsxwriter.Workbook,
    formats: _Formats,
    *,
    name: str,
    title: str,
    columns: Sequence[Column],
    rows: Sequence[Sequence[Any]],
    tiers: Sequence[Tier | None],
    tier_column: int,
    arrow_columns: Sequence[int],
    mark: sheets.Mark | None = None,
) -> None:
    """A sheet as every export of the product has it: a title row, a header row with a
    filter, frozen panes, widths that fit the content. Columns are counted from 1."""
    ws = wb.add_worksheet(name)
    header = HEADER_ROW - 1  # xlsxwriter counts rows and columns from 0
    # Widths first: the workbook streams its rows (constant memory), top to bottom.
    widths = [sheets.display_width(c.header) for c in columns]
    for c in range(len(columns)):
        # Distinct values only: a column of 2,000 rows holds a few dozen districts or tiers.
        widths[c] = max([widths[c], *map(sheets.display_width, {row[c] for row in rows})])
    # Room for the filter button; capped so a long name wraps rather than sprawls.
    fitted = [
        column.width or min(max(width + 4, 8), sheets.MAX_WIDTH)
        for column, width in zip(columns, widths, strict=True)
    ]
    for c, width in enumerate(fitted):
        ws.set_column(c, c, width)
    # A merged cell never spills over: give the title the lines it needs to wrap into.
    lines = math.ceil(sheets.display_width(title) * 1.1 / sum(fitted))
    ws.set_row(0, 20 * max(1, lines))
    # Merged over blanks, then written as a string: a title carries the filters as typed.
    ws.merge_range(0, 0, 0, len(columns) - 1, "", formats.title)
    ws.write_string(0, 0, title, formats.title)
    if mark is not None:
        ws.set_footer("&C" + mark.text.replace("&", "&&"))
    for c, column in enumerate(columns):
        ws.write_string(header, c, column.header, formats.header)
    arrows = {c - 1 for c in arrow_columns}
    for r, (values, tier) in enumerate(zip(rows, tiers, strict=True), start=header + 1):
        for c, (column, value) in enumerate(zip(columns, values, strict=True)):
            if c in arrows:
                fmt = formats.arrow(value)
            elif c == tier_column - 1 and tier is not None:
                fmt = formats.tier(tier)
            elif column.number_format and value not in (None, ""):
                fmt = formats.number(column.number_format)
            else:
                fmt = None
            # The typed writers: the generic write() guesses each value's type again.
            if value is None:
                ws.write_blank(r, c, None, fmt)
            elif isinstance(value, str):
                ws.write_string(r, c, value, fmt)
            else:
                ws.write_number(r, c, value, fmt)
    ws.freeze_panes(header + 1, 0)
    ws.autofilter(header, 0, max(header + len(rows), header), len(columns) - 1)


def workbook(rk: Rankings, *, title: str, mark: sheets.Mark | None = None) -> bytes:
    """The rows the rankings page shows, as an .xlsx file's bytes.

    Written with xlsxwriter: at 2,000 parks openpyxl took most of a second, this a tenth.
    Text goes in by write_string, and the generic writes are told never to make formulas.
    """
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False})
    if mark is not None:
        wb.set_properties({"author": mark.by, "comments": mark.text})
    formats = _Formats(wb)
    _sheet(
        wb,
        formats,
        name=_("Districts ranked"),
        title=f"{title} · {_('District ranking')}",
        columns=[
            Column(_("Rank")),
            Column(_("Movement")),
            Column(_("District")),
            Column(_("Parks")),
            Column(_score_header(rk), sheets.SCORE),
            Column(_("Tier")),
        ],
        rows=[
            [
                d.rank if d.rank is not None else "—",
                d.movement,
                d.district.name,
                d.parks,
                d.score,
                _tier_name(d.tier),
            ]
            for d in rk.districts
        ],
        tiers=[d.tier for d in rk.districts],
        tier_column=6,
        arrow_columns=[2],
        mark=mark,
    )
    _sheet(
        wb,
        formats,
        name=_("Parks ranked"),
        title=f"{title} · {_('Park ranking')}",
        columns=park_columns(rk),
        rows=[_park_row(p) for p in rk.parks],
        tiers=[p.tier for p in rk.parks],
        tier_column=10,
        arrow_columns=[2, 6],
        mark=mark,
    )
    wb.close()
    return out.getvalue()


def park_csv(rk: Rankings) -> bytes:
    """The park ranking the page shows, as CSV (the district table is the workbook's)."""
    return sheets.csv_bytes(park_columns(rk), [_park_row(p) for p in rk.parks])
