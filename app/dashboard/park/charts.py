"""The park dashboard's own figures: grid tiles, the demand funnel, and paper-sized copies."""

import copy
import math
from collections.abc import Sequence

from app.core.charts import SERIES_COLOURS, TIER_COLOURS, _layout, trend

# Status to the heatmap's z: the colour scale below is a step per value, so each status
# keeps the tier palette's colour exactly (no blending between neighbours).
STATUS_Z = {"green": 0, "amber": 1, "red": 2}
STATUS_SCALE = [
    [0.0, TIER_COLOURS["green"]],
    [1 / 3, TIER_COLOURS["green"]],
    [1 / 3, TIER_COLOURS["amber"]],
    [2 / 3, TIER_COLOURS["amber"]],
    [2 / 3, TIER_COLOURS["red"]],
    [1.0, TIER_COLOURS["red"]],
]
TILE_COLUMNS = 5
# Chinese grid names run to nine characters; a tile shows them in lines of this many.
TILE_LINE = 5


def _wrap(name: str, width: int = TILE_LINE) -> str:
    return "<br>".join(name[i : i + width] for i in range(0, len(name), width)) or name


def grid_tiles(
    names: Sequence[str],
    statuses: Sequence[str],
    status_labels: Sequence[str],
    *,
    urls: Sequence[str] = (),
    columns: int = TILE_COLUMNS,
) -> dict:
    """One square tile per grid, row by row in display order, coloured by its status.

    A heatmap rather than markers: its cells grow with the page and stay square (the y axis
    is anchored to the x axis), and a click on a tile carries the grid's URL (customdata).
    """
    n = len(names)
    cols = max(1, min(columns, n))
    rows = max(1, math.ceil(n / cols))
    z: list[list[int | None]] = [[None] * cols for _ in range(rows)]
    text = [[""] * cols for _ in range(rows)]
    hover = [[""] * cols for _ in range(rows)]
    links = [[""] * cols for _ in range(rows)]
    for i, (name, status) in enumerate(zip(names, statuses, strict=True)):
        r, c = divmod(i, cols)
        z[r][c] = STATUS_Z.get(status, 0)
        text[r][c] = _wrap(name)
        hover[r][c] = f"{name}：{status_labels[i]}"
        links[r][c] = urls[i] if urls else ""
    return {
        "data": [
            {
                "type": "heatmap",
                "z": z,
                "text": text,
                "hovertext": hover,
                "customdata": links,
                "texttemplate": "%{text}",
                "textfont": {"color": "#fff", "size": 13},
                "hovertemplate": "%{hovertext}<extra></extra>",
                "colorscale": STATUS_SCALE,
                "zmin": 0,
                "zmax": 2,
                "showscale": False,
                "xgap": 6,
                "ygap": 6,
                "hoverongaps": False,
            }
        ],
        "layout": _layout(
            height=max(160, 110 * rows + 20),
            xaxis={"visible": False, "fixedrange": True, "constrain": "domain"},
            # Row 0 on top, and square tiles whatever the width.
            yaxis={
                "visible": False,
                "fixedrange": True,
                "autorange": "reversed",
                "scaleanchor": "x",
                "constrain": "domain",
            },
            margin={"l": 0, "r": 0, "t": 0, "b": 0},
        ),
    }


def demand_funnel(stages: Sequence[str], counts: Sequence[int]) -> dict:
    """The demands that reached each stage of the loop, from received down to closed."""
    total = counts[0] if counts else 0
    return {
        "data": [
            {
                "type": "funnel",
                "y": list(stages),
                "x": list(counts),
                # With nothing received a share of the first stage means nothing: counts only.
                "textinfo": "value+percent initial" if total else "value",
                # Every stage in one colour, the closed ones (the loop's end) in green.
                "marker": {
                    "color": [SERIES_COLOURS[1]] * (len(stages) - 1) + [TIER_COLOURS["green"]]
                },
                "connector": {"line": {"color": "#b0bec5", "width": 1}},
                "hovertemplate": "%{y}：%{x}<extra></extra>",
            }
        ],
        "layout": _layout(
            height=300,
            yaxis={"automargin": True, "fixedrange": True},
            # Zeros everywhere: a fixed axis, or Plotly would stretch nothing over the width.
            xaxis={"fixedrange": True, **({} if total else {"range": [0, 1]})},
            margin={"l": 10, "r": 10, "t": 10, "b": 10},
        ),
    }


def score_trend(
    periods: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    urls: Sequence[str],
    axis_title: str = "",
) -> dict:
    """The score over the periods (charts.trend), each point opening its own period (`urls`,
    one per period) rather than one link per line; the lines can overlap (a district of one
    park), so every series carries them."""
    figure = trend(periods, series, axis_title=axis_title)
    for trace in figure["data"]:
        trace["customdata"] = list(urls)
    return figure


def on_paper(figure: dict, *, width: int, height: int | None = None) -> dict:
    """A copy of a figure at a fixed size for the printed page (A4 portrait holds ~680 px)."""
    paper = copy.deepcopy(figure)
    paper["layout"]["width"] = width
    if height is not None:
        paper["layout"]["height"] = height
    paper["layout"]["autosize"] = False
    # A click on paper goes nowhere: drop the links.
    for trace in paper["data"]:
        trace.pop("customdata", None)
    return paper
