"""Figures of the city overview and the big screen, built on the shared chart palette."""

import copy
from collections.abc import Sequence

from app.core.charts import FONT, _layout

# The pyramid's bands from its top (national) to its base (street): deep red to pale, so
# the rarer honour reads as the stronger colour.
PILOT_COLOURS = ("#7f0000", "#b71c1c", "#e53935", "#ef6c57", "#f4a391")


def pilot_pyramid(
    labels: Sequence[str], counts: Sequence[int], *, urls: Sequence[str] = ()
) -> dict:
    """Parks per pilot level as centred bars, the highest level on top; each band carries
    its count and, with `urls`, a link (e.g. the rankings filtered to that level)."""
    return {
        "data": [
            {
                "type": "funnel",
                "y": list(labels),
                "x": list(counts),
                "text": [str(c) for c in counts],
                "textinfo": "text",
                "textposition": "outside",
                "cliponaxis": False,
                "marker": {"color": list(PILOT_COLOURS[: len(labels)])},
                "connector": {"fillcolor": "rgba(183,28,28,0.08)", "line": {"width": 0}},
                "customdata": list(urls),
                "hovertemplate": "%{y}：%{x}<extra></extra>",
            }
        ],
        "layout": _layout(
            height=max(220, 44 * len(labels) + 40),
            xaxis={"visible": False, "fixedrange": True},
            yaxis={"automargin": True, "fixedrange": True},
            margin={"l": 10, "r": 30, "t": 10, "b": 10},
        ),
    }


# The big screen's look: light ink on the dark page of static/screen.css, larger type.
SCREEN_INK = "#e8eef5"
SCREEN_GRID = "rgba(232,238,245,0.15)"


def on_screen(figure: dict, *, font_size: int = 18) -> dict:
    """A copy of a figure restyled for the dark meeting-room screen. It has no height of
    its own: static/screen.css sizes its panel to the display and Plotly fills it."""
    fig = copy.deepcopy(figure)
    layout = fig["layout"]
    layout.pop("height", None)
    layout["autosize"] = True
    layout["font"] = {**FONT, "size": font_size, "color": SCREEN_INK}
    for axis in ("xaxis", "yaxis"):
        if axis in layout:
            layout[axis] = {
                **layout[axis],
                # The larger type needs room for tick labels and titles alike.
                "automargin": True,
                "gridcolor": SCREEN_GRID,
                "zerolinecolor": SCREEN_GRID,
                "linecolor": SCREEN_GRID,
            }
    if "legend" in layout:
        layout["legend"] = {**layout["legend"], "font": {"color": SCREEN_INK}}
    for trace in fig["data"]:
        # Nothing on the screen is clicked: links would only be noise in the JSON.
        trace.pop("customdata", None)
        if trace.get("type") == "scatter":
            trace["line"] = {**trace.get("line", {}), "width": 4}
            trace["marker"] = {"size": 9}
    return fig


# ---- the districts' trend ---------------------------------------------------------------

YEAR_LINE = {"color": "#90a4ae", "width": 1, "dash": "dot"}


def quarter_gains(
    quarters: Sequence[tuple[int, int]], rows: Sequence[Sequence[float | None]]
) -> list[list[float | None]]:
    """Each quarter's own gain from year-to-date scores: this quarter's score minus the
    previous quarter's of the same year; a first quarter is its own. None where either
    score is missing (or the previous quarter is not a period)."""
    index = {q: i for i, q in enumerate(quarters)}
    out = []
    for row in rows:
        gains: list[float | None] = []
        for (year, quarter), value in zip(quarters, row, strict=True):
            if quarter == 1 or value is None:
                gains.append(value)
                continue
            before = index.get((year, quarter - 1))
            previous = row[before] if before is not None else None
            gains.append(None if previous is None else round(value - previous, 2))
        out.append(gains)
    return out


def mark_years(figure: dict, years: Sequence[int], label: str) -> dict:
    """The figure (over one category per quarter) with a dotted line where the year
    changes and each year's label over its quarters: a first quarter's fall in
    year-to-date scores reads as a new year, not a collapse. `label` formats {year}."""
    shapes, notes = [], []
    start = 0
    for i in range(1, len(years) + 1):
        if i < len(years) and years[i] == years[start]:
            continue
        notes.append(
            {
                # Category axes place the i-th category at i: the label centres on its year.
                "x": (start + i - 1) / 2,
                "xref": "x",
                "y": 1,
                "yref": "paper",
                "yanchor": "bottom",
                "text": label.format(year=years[start]),
                "showarrow": False,
                "font": {"size": 12, "color": "#546e7a"},
            }
        )
        if i < len(years):
            shapes.append(
                {
                    "type": "line",
                    "xref": "x",
                    "yref": "paper",
                    "x0": i - 0.5,
                    "x1": i - 0.5,
                    "y0": 0,
                    "y1": 1,
                    "line": YEAR_LINE,
                }
            )
        start = i
    layout = figure["layout"]
    layout["shapes"] = [*layout.get("shapes", []), *shapes]
    layout["annotations"] = [*layout.get("annotations", []), *notes]
    layout["margin"] = {**layout.get("margin", {}), "t": 28}  # room for the year labels
    return figure
