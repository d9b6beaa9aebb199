"""The rankings as an Excel workbook: a sheet of districts and a sheet of parks."""

import math
import unicodedata
from collections.abc import Sequence
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from app.assessment.rankings_service import Rankings
from app.core.i18n import _
from app.dashboard.charts import TIER_COLOURS
from app.framework.models import Tier
from app.geo.models import PARK_KIND_LABELS, PILOT_LEVEL_LABELS

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SCORE_FORMAT = "0.00"
# The header sits under the title row; freezing below it keeps both on screen.
HEADER_ROW = 2
FREEZE = "A3"
ARROW_COLOURS = {"↑": "2E7D32", "↓": "C62828"}


def _width(value: Any) -> int:
    # A CJK character takes about two columns of a Latin one in Excel's default font.
    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _tier_name(tier: Tier | None) -> str:
    return tier.name if tier else "—"


def _colour_tier(ws: Worksheet, row: int, column: int, tier: Tier | None) -> None:
    cell = ws.cell(row, column)
    if tier is not None:
        colour = TIER_COLOURS.get(tier.colour, TIER_COLOURS["grey"]).lstrip("#").upper()
        cell.fill = PatternFill("solid", start_color=colour, end_color=colour)
        cell.font = Font(color="FFFFFF", bold=True)
        cell.alignment = Alignment(horizontal="center")


def _sheet(
    ws: Worksheet,
    *,
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    tiers: Sequence[Tier | None],
    score_column: int,
    tier_column: int,
    arrow_columns: Sequence[int],
) -> None:
    head = ws.cell(1, 1, title)
    head.font = Font(bold=True, size=13)
    head.alignment = Alignment(wrap_text=True, vertical="center")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    for c, header in enumerate(headers, start=1):
        cell = ws.cell(HEADER_ROW, c, header)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", start_color="F1F5F9", end_color="F1F5F9")
    for r, (values, tier) in enumerate(zip(rows, tiers, strict=True), start=HEADER_ROW + 1):
        for c, value in enumerate(values, start=1):
            cell = ws.cell(r, c, value)
            if c == score_column:
                cell.number_format = SCORE_FORMAT
            if c in arrow_columns:
                cell.alignment = Alignment(horizontal="center")
                if value in ARROW_COLOURS:
                    cell.font = Font(color=ARROW_COLOURS[value], bold=True)
        _colour_tier(ws, r, tier_column, tier)
    ws.freeze_panes = FREEZE
    last = get_column_letter(len(headers))
    ws.auto_filter.ref = f"A{HEADER_ROW}:{last}{HEADER_ROW + len(rows)}"
    for c, header in enumerate(headers, start=1):
        widest = max([_width(header)] + [_width(row[c - 1]) for row in rows])
        # Room for the filter button in the header; capped so a long name wraps, not sprawls.
        ws.column_dimensions[get_column_letter(c)].width = min(max(widest + 4, 8), 48)
    # A merged cell never spills over: give the title the lines it needs to wrap into.
    across = sum(
        ws.column_dimensions[get_column_letter(c)].width for c in range(1, len(headers) + 1)
    )
    ws.row_dimensions[1].height = 20 * max(1, math.ceil(_width(title) * 1.1 / across))


def workbook(rk: Rankings, *, title: str) -> bytes:
    """The rows the rankings page shows, as an .xlsx file's bytes."""
    wb = Workbook()
    score = _("Score")
    if rk.out_of is not None:
        score = _("Score (out of {n})").format(n=f"{rk.out_of:g}")

    districts = wb.active
    districts.title = _("Districts ranked")
    _sheet(
        districts,
        title=f"{title} · {_('District ranking')}",
        headers=[_("Rank"), _("Movement"), _("District"), _("Parks"), score, _("Tier")],
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
        score_column=5,
        tier_column=6,
        arrow_columns=[2],
    )

    parks = wb.create_sheet(_("Parks ranked"))
    _sheet(
        parks,
        title=f"{title} · {_('Park ranking')}",
        headers=[
            _("Rank in city"),
            _("Movement"),
            _("Park"),
            _("District"),
            _("Rank in district"),
            _("Movement in district"),
            _("Park kind"),
            _("Pilot level"),
            score,
            _("Tier"),
            _("Note"),
        ],
        rows=[
            [
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
            for p in rk.parks
        ],
        tiers=[p.tier for p in rk.parks],
        score_column=9,
        tier_column=10,
        arrow_columns=[2, 6],
    )
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()
