"""Plotly figures built from plain data as JSON-ready dicts; static/app.js mounts them."""

from collections.abc import Sequence

# The tier palette, shared with app.css (.tier-green, …) so a tier looks the same everywhere.
TIER_COLOURS = {
    "green": "#2e7d32",
    "blue": "#1565c0",
    "amber": "#ef8f00",
    "red": "#c62828",
    "grey": "#9e9e9e",
}
FONT = {"family": "PingFang SC, Microsoft YaHei, Noto Sans CJK SC, sans-serif", "size": 13}


def _layout(**extra) -> dict:
    base = {
        "font": FONT,
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "showlegend": False,
    }
    base.update(extra)
    return base


def ranking_bar(
    names: Sequence[str],
    scores: Sequence[float],
    colours: Sequence[str],
    *,
    urls: Sequence[str] = (),
    axis_title: str = "",
) -> dict:
    """A horizontal bar per entry, best on top, coloured by tier; bars carry their link."""
    n = len(names)
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": list(names)[::-1],
                "x": list(scores)[::-1],
                "marker": {"color": [TIER_COLOURS.get(c, c) for c in colours][::-1]},
                "text": [f"{s:.2f}" for s in scores][::-1],
                "textposition": "outside",
                "cliponaxis": False,
                "customdata": list(urls)[::-1],
                "hovertemplate": "%{y}：%{x:.2f}<extra></extra>",
            }
        ],
        "layout": _layout(
            height=max(220, 34 * n + 40),
            xaxis={"range": [0, 110], "title": {"text": axis_title}, "fixedrange": True},
            yaxis={"automargin": True, "fixedrange": True},
            margin={"l": 10, "r": 30, "t": 10, "b": 40},
        ),
    }


def progress_bar(
    labels: Sequence[str], completion: Sequence[float | None], *, no_data: str
) -> dict:
    """Completion of each indicator against its target in %, with the 100 % line drawn."""
    shown = [min(c, 150.0) if c is not None else 0.0 for c in completion]
    colours = [
        TIER_COLOURS["grey"]
        if c is None
        else TIER_COLOURS["green"]
        if c >= 100
        else TIER_COLOURS["amber"]
        if c >= 60
        else TIER_COLOURS["red"]
        for c in completion
    ]
    text = [no_data if c is None else f"{c:.0f}%" for c in completion]
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": list(labels)[::-1],
                "x": shown[::-1],
                "marker": {"color": colours[::-1]},
                "text": text[::-1],
                "textposition": "outside",
                "cliponaxis": False,
                "hovertemplate": "%{y}：%{text}<extra></extra>",
            }
        ],
        "layout": _layout(
            height=max(260, 30 * len(labels) + 60),
            xaxis={"range": [0, 165], "ticksuffix": "%", "fixedrange": True},
            yaxis={"automargin": True, "fixedrange": True},
            shapes=[
                {
                    "type": "line",
                    "x0": 100,
                    "x1": 100,
                    "yref": "paper",
                    "y0": 0,
                    "y1": 1,
                    "line": {"color": "#555", "dash": "dot", "width": 1},
                }
            ],
            margin={"l": 10, "r": 30, "t": 10, "b": 30},
        ),
    }
