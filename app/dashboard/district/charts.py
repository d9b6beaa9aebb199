"""Figures of the district dashboard: the park × indicator heat map, linked indicator bars."""

import math
from collections.abc import Callable, Sequence
from html import escape

from app.core import charts, numbers
from app.core.i18n import _
from app.dashboard.district.service import CATEGORY_LABELS, Cell, ScorecardRow
from app.framework.models import Indicator

# The traffic lights of static/app.css (.cell.reached, .progressing, .behind, .missing), in
# category order 0..3, so the heat map and its HTML legend chips show the same colours.
CELL_COLOURS = ("#dff0e0", "#fff1d6", "#fbdcdc", "#eceff1")


def _discrete(colours: Sequence[str]) -> list[list]:
    """A colour scale that paints each whole category 0..n-1 in one flat colour.

    With zmin = -0.5 and zmax = n - 0.5, category k spans [k/n, (k+1)/n] of the scale.
    """
    n = len(colours)
    scale: list[list] = []
    for k, c in enumerate(colours):
        scale += [[k / n, c], [(k + 1) / n, c]]
    return scale


# Column heads: the name under the code and unit, in lines of at most this many characters
# (a dozen columns share the width of a desktop screen).
NAME_LINE = 5


def heatmap(
    rows: Sequence[str],
    columns: Sequence[str],
    categories: Sequence[Sequence[int]],
    text: Sequence[Sequence[str]],
    hover: Sequence[Sequence[str]],
    *,
    urls: Sequence[Sequence[str]] = (),
    heads: Sequence[str] = (),
) -> dict:
    """A grid of cells, one row per entry top-down in the order given, coloured by category
    (0..3: reached, progressing, not on track, no data), each cell showing its text; a cell
    carries its link in customdata. `heads`, when given, are the columns' tick labels (the
    columns themselves stay their short keys, which the links and tests use)."""
    n = len(rows)
    lines = max((h.count("<br>") + 1 for h in heads), default=1)
    xaxis: dict = {"side": "top", "type": "category", "fixedrange": True, "ticks": ""}
    if heads:
        # Heads stay level: they are cut into short lines to fit, not turned on their side.
        xaxis |= {
            "tickmode": "array",
            "tickvals": list(columns),
            "ticktext": list(heads),
            "tickangle": 0,
        }
    return {
        "data": [
            {
                "type": "heatmap",
                "x": list(columns),
                "y": list(rows),
                "z": [list(r) for r in categories],
                "zmin": -0.5,
                "zmax": len(CELL_COLOURS) - 0.5,
                "colorscale": _discrete(CELL_COLOURS),
                "showscale": False,
                "xgap": 2,
                "ygap": 2,
                "text": [list(r) for r in text],
                "texttemplate": "%{text}",
                # Read at arm's length on a desktop: no cell text under 12 px.
                "textfont": {"size": 13, "color": "#263238"},
                "hovertext": [list(r) for r in hover],
                "hovertemplate": "%{hovertext}<extra></extra>",
                "customdata": [list(r) for r in urls],
            }
        ],
        "layout": charts._layout(
            height=max(160, 40 * n + 18 * lines + 40),
            xaxis=xaxis,
            # First entry on top, as in the ranking.
            yaxis={
                "type": "category",
                "autorange": "reversed",
                "automargin": True,
                "fixedrange": True,
                "ticks": "",
            },
            # The column heads need room above the cells for all their lines.
            margin={"l": 10, "r": 10, "t": 18 * lines + 14, "b": 10},
        ),
    }


def _name_lines(name: str) -> list[str]:
    """A name cut into lines of at most NAME_LINE characters, as even as they can be."""
    count = max(1, math.ceil(len(name) / NAME_LINE))
    size = math.ceil(len(name) / count)
    return [name[i : i + size] for i in range(0, len(name), size)]


def column_head(ind: Indicator) -> str:
    """A heat-map column's label: the code and the unit of its values on the first line,
    "I03（场）", then the indicator's name in smaller lines below it."""
    unit = ind.unit or _("no unit")
    # Each line its own span: Plotly does not carry a style across a <br>.
    small = '<span style="font-size:11px">{}</span>'
    lines = [small.format(escape(line)) for line in _name_lines(ind.name)]
    return "<br>".join([f"<b>{escape(ind.code)}（{escape(unit)}）</b>", *lines])


def linked(figure: dict, urls: Sequence[str]) -> dict:
    """A one-trace bar figure of charts.py (drawn bottom-up) whose bars open `urls`, given
    top-down in the order of its labels."""
    figure["data"][0]["customdata"] = list(urls)[::-1]
    return figure


def completion_text(completion: float | None) -> str:
    """A completion as a cell shows it: whole per cent, rounded down, so that a cell never
    reads 100% while still short of its target (nor 60% while below 60)."""
    return "—" if completion is None else f"{math.floor(completion)}%"


def _cell_text(cell: Cell) -> str:
    # Every cell reads the same way, completion of the target; its value is in the hover.
    # A cell with no value has nothing to move: one dash, not two.
    return "—" if cell.completion is None else f"{completion_text(cell.completion)} {cell.arrow}"


def _hover(row: ScorecardRow, cell: Cell) -> str:
    ind = cell.indicator
    # Plotly reads hover text as a little HTML: names are escaped, lines joined by <br>.
    lines = [escape(row.result.park.name), escape(f"{ind.code} {ind.name}")]
    if cell.value is None:
        lines.append(_("No value counted this quarter"))
    else:
        lines.append(
            _("Value {value}, target {target}").format(
                value=numbers.amount(cell.value, ind.unit),
                target=numbers.amount(cell.target, ind.unit),
            )
        )
    if cell.completion is not None:
        lines.append(
            _("Completion {pct}: {state}").format(
                pct=completion_text(cell.completion), state=_(CATEGORY_LABELS[cell.category])
            )
        )
    if cell.previous is not None:
        lines.append(
            _("Previous quarter {pct} {arrow}").format(
                pct=completion_text(cell.previous), arrow=cell.arrow
            )
        )
    return "<br>".join(lines)


def scorecard_heatmap(card: Sequence[ScorecardRow], url_of: Callable[[int, str], str]) -> dict:
    """The scorecard as a heat map: parks in rank order × indicators (headed by code, unit
    and name), each cell its traffic light, its completion of the target and its movement;
    a click opens that park's indicator."""
    columns = [c.indicator.code for c in card[0].cells] if card else []
    heads = [column_head(c.indicator) for c in card[0].cells] if card else []
    return heatmap(
        [r.result.park.name for r in card],
        columns,
        [[c.category for c in r.cells] for r in card],
        [[_cell_text(c) for c in r.cells] for r in card],
        [[_hover(r, c) for c in r.cells] for r in card],
        urls=[[url_of(r.result.park.id, c.indicator.code) for c in r.cells] for r in card],
        heads=heads,
    )
