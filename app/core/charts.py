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


# A fixed palette for series that are not tiers (districts over the quarters, the radar).
SERIES_COLOURS = (
    "#b71c1c",
    "#1565c0",
    "#2e7d32",
    "#ef8f00",
    "#6a1b9a",
    "#00838f",
    "#5d4037",
    "#ad1457",
    "#455a64",
)


def trend(
    periods: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    urls: Sequence[str] = (),
    axis_title: str = "",
) -> dict:
    """One line per series (a district, a park) over the periods; a gap where there is no
    score. With `urls`, a click on a series' point opens its url (one per series)."""
    data = []
    for i, (name, values) in enumerate(series):
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": name,
                "x": list(periods),
                "y": list(values),
                "line": {"color": SERIES_COLOURS[i % len(SERIES_COLOURS)], "width": 2},
                "customdata": [urls[i]] * len(periods) if urls else [],
                "hovertemplate": f"{name} %{{x}}：%{{y:.2f}}<extra></extra>",
                "connectgaps": False,
            }
        )
    return {
        "data": data,
        "layout": _layout(
            height=320,
            showlegend=len(series) > 1,
            legend={"orientation": "h", "y": -0.2},
            xaxis={"type": "category", "fixedrange": True},
            yaxis={"title": {"text": axis_title}, "fixedrange": True, "rangemode": "tozero"},
            margin={"l": 50, "r": 10, "t": 10, "b": 40},
        ),
    }


def radar(
    axes: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    range_max: float = 100.0,
) -> dict:
    """A radar (spider) chart, one closed shape per series over the same axes, e.g. the 9
    aspects in % of their weight for a district against the city average."""
    labels = [*axes, axes[0]] if axes else []
    data = []
    for i, (name, values) in enumerate(series):
        shown = [v if v is not None else 0 for v in values]
        colour = SERIES_COLOURS[i % len(SERIES_COLOURS)]
        data.append(
            {
                "type": "scatterpolar",
                "name": name,
                "r": shown + shown[:1],
                "theta": labels,
                "fill": "toself" if i == 0 else "none",
                "line": {"color": colour, "dash": "solid" if i == 0 else "dash"},
                "opacity": 0.85,
                "hovertemplate": f"{name} %{{theta}}：%{{r:.1f}}<extra></extra>",
            }
        )
    return {
        "data": data,
        "layout": _layout(
            height=380,
            showlegend=True,
            legend={"orientation": "h", "y": -0.1},
            polar={
                "radialaxis": {"range": [0, range_max], "ticksuffix": "", "angle": 90},
                "angularaxis": {"direction": "clockwise"},
            },
            margin={"l": 40, "r": 40, "t": 20, "b": 40},
        ),
    }
