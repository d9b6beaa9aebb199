"""Figures of the district dashboard: the park × indicator heat map, linked indicator bars."""

from collections.abc import Callable, Sequence
from html import escape

from app.core import charts
from app.core.i18n import _
from app.dashboard.district.service import CATEGORY_LABELS, Cell, ScorecardRow

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


def heatmap(
    rows: Sequence[str],
    columns: Sequence[str],
    categories: Sequence[Sequence[int]],
    text: Sequence[Sequence[str]],
    hover: Sequence[Sequence[str]],
    *,
    urls: Sequence[Sequence[str]] = (),
) -> dict:
    """A grid of cells, one row per entry top-down in the order given, coloured by category
    (0..3: reached, progressing, not on track, no data), each cell showing its text; a cell
    carries its link in customdata."""
    n = len(rows)
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
                "textfont": {"size": 11, "color": "#263238"},
                "hovertext": [list(r) for r in hover],
                "hovertemplate": "%{hovertext}<extra></extra>",
                "customdata": [list(r) for r in urls],
            }
        ],
        "layout": charts._layout(
            height=max(160, 38 * n + 50),
            xaxis={"side": "top", "type": "category", "fixedrange": True, "ticks": ""},
            # First entry on top, as in the ranking.
            yaxis={
                "type": "category",
                "autorange": "reversed",
                "automargin": True,
                "fixedrange": True,
                "ticks": "",
            },
            margin={"l": 10, "r": 10, "t": 30, "b": 10},
        ),
    }


def linked(figure: dict, urls: Sequence[str]) -> dict:
    """A one-trace bar figure of charts.py (drawn bottom-up) whose bars open `urls`, given
    top-down in the order of its labels."""
    figure["data"][0]["customdata"] = list(urls)[::-1]
    return figure


def value_text(cell: Cell) -> str:
    """A value as a cell shows it: rates with their "%", counts whole where they are."""
    v = cell.value
    if v is None:
        return "—"
    if cell.indicator.unit == "%":
        return f"{v:.1f}%"
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"


def _cell_text(cell: Cell) -> str:
    # A cell with no value has nothing to move: one dash, not two.
    return "—" if cell.value is None else f"{value_text(cell)} {cell.arrow}"


def _with_unit(text: str, unit: str) -> str:
    return text if unit in ("", "%") else f"{text} {unit}"


def _hover(row: ScorecardRow, cell: Cell) -> str:
    ind = cell.indicator
    # Plotly reads hover text as a little HTML: names are escaped, lines joined by <br>.
    lines = [escape(row.result.park.name), escape(f"{ind.code} {ind.name}")]
    if cell.value is None:
        lines.append(_("No value counted this quarter"))
    else:
        target = f"{cell.target:,g}%" if ind.unit == "%" else f"{cell.target:,g}"
        lines.append(
            _("Value {value}, target {target}").format(
                value=_with_unit(value_text(cell), ind.unit),
                target=_with_unit(target, ind.unit),
            )
        )
        lines.append(
            _("Completion {pct}: {state}").format(
                pct=f"{cell.completion:.0f}%", state=_(CATEGORY_LABELS[cell.category])
            )
        )
    if cell.previous is not None:
        lines.append(
            _("Previous quarter {pct} {arrow}").format(
                pct=f"{cell.previous:.0f}%", arrow=cell.arrow
            )
        )
    return "<br>".join(lines)


def scorecard_heatmap(card: Sequence[ScorecardRow], url_of: Callable[[int, str], str]) -> dict:
    """The scorecard as a heat map: parks in rank order × indicator codes, each cell its
    traffic light, its value and its movement; a click opens that park's indicator."""
    columns = [c.indicator.code for c in card[0].cells] if card else []
    return heatmap(
        [r.result.park.name for r in card],
        columns,
        [[c.category for c in r.cells] for r in card],
        [[_cell_text(c) for c in r.cells] for r in card],
        [[_hover(r, c) for c in r.cells] for r in card],
        urls=[[url_of(r.result.park.id, c.indicator.code) for c in r.cells] for r in card],
    )
