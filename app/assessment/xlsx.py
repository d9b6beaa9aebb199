"""The rankings as downloads: a workbook of districts and parks, and the park table as CSV."""

import math
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from app.assessment.rankings_service import ParkRow, Rankings
from app.core import sheets
from app.core.i18n import _
from app.core.sheets import Column
from app.dashboard.charts import TIER_COLOURS
from app.framework.models import Tier
from app.geo.models import PARK_KIND_LABELS, PILOT_LEVEL_LABELS

# The header sits under the title row; freezing below it keeps both on screen.
HEADER_ROW = 2
ARROW_COLOURS = {"↑": "2E7D32", "↓": "C62828"}


def _tier_name(tier: Tier | None) -> str:
    return tier.name if tier else "—"


def _colour_tier(cell, tier: Tier) -> None:
    colour = TIER_COLOURS.get(tier.colour, TIER_COLOURS["grey"]).lstrip("#").upper()
    cell.fill = PatternFill("solid", start_color=colour, end_color=colour)
    cell.font = Font(color="FFFFFF", bold=True)
    cell.alignment = Alignment(horizontal="center")


def _arrow(cell, arrow: str) -> None:
    cell.alignment = Alignment(horizontal="center")
    if arrow in ARROW_COLOURS:
        cell.font = Font(color=ARROW_COLOURS[arrow], bold=True)


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


def _sheet(
    ws: Worksheet,
    *,
    title: str,
    columns: Sequence[Column],
    rows: Sequence[Sequence[Any]],
    tiers: Sequence[Tier | None],
    tier_column: int,
    arrow_columns: Sequence[int],
) -> None:
    head = ws.cell(1, 1, title)
    head.font = Font(bold=True, size=13)
    head.alignment = Alignment(wrap_text=True, vertical="center")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
    sheets.write_table(ws, columns, rows, header_row=HEADER_ROW)
    styles = sheets.Styles()
    for r, (values, tier) in enumerate(zip(rows, tiers, strict=True), start=HEADER_ROW + 1):
        for c in arrow_columns:
            arrow = values[c - 1]
            styles.apply(ws.cell(r, c), ("arrow", arrow), lambda cell, a=arrow: _arrow(cell, a))
        if tier is not None:
            styles.apply(
                ws.cell(r, tier_column),
                ("tier", tier.colour),
                lambda cell, t=tier: _colour_tier(cell, t),
            )
    # A merged cell never spills over: give the title the lines it needs to wrap into.
    across = sum(
        ws.column_dimensions[get_column_letter(c)].width for c in range(1, len(columns) + 1)
    )
    lines = math.ceil(sheets.display_width(title) * 1.1 / across)
    ws.row_dimensions[1].height = 20 * max(1, lines)


def workbook(rk: Rankings, *, title: str) -> bytes:
    """The rows the rankings page shows, as an .xlsx file's bytes."""
    wb = Workbook()
    districts = wb.active
    districts.title = _("Districts ranked")
    _sheet(
        districts,
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
    )

    parks = wb.create_sheet(_("Parks ranked"))
    _sheet(
        parks,
        title=f"{title} · {_('Park ranking')}",
        columns=park_columns(rk),
        rows=[_park_row(p) for p in rk.parks],
        tiers=[p.tier for p in rk.parks],
        tier_column=10,
        arrow_columns=[2, 6],
    )
    return sheets.to_bytes(wb)


def park_csv(rk: Rankings) -> bytes:
    """The park ranking the page shows, as CSV (the district table is the workbook's)."""
    return sheets.csv_bytes(park_columns(rk), [_park_row(p) for p in rk.parks])
