"""The city overview: where the reform stands across the districts, with drill-down.

One URL answers the whole page and each of its fragments: htmx names the fragment it wants
in HX-Target (the period's results, the district opened below the ranking, a park of it,
the radar), and a full page of the same URL shows everything the fragments would, so a
drilled-down view can be shared as a link.
"""

import enum
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from app.assessment.results import service as assessment
from app.core import charts, crumbs
from app.core.auth import Who
from app.core.db import SessionDep
from app.core.errors import NotFound
from app.core.i18n import N_, _
from app.core.inputs import Blank
from app.core.params import query_id
from app.core.templating import is_htmx, render
from app.dashboard.city import charts as city_charts
from app.dashboard.city import service as city
from app.dashboard.common import PeriodParam, completion_rows, period_results
from app.geo import service as geo
from app.geo.models import PILOT_LEVEL_LABELS

router = APIRouter()

# Ids in the query; bounded so that no typed number overflows an integer column.

# The overview's park table shows the city's best parks and the reader's own; the whole
# table, searchable and in pages, is on the rankings page.
TOP_PARKS = 10
OWN_PARKS = 20

# The fragments of the page by the id of the element htmx swaps (its HX-Target).
FRAGMENTS = {
    "city-detail": "dashboard/_city_detail.html",
    "park-detail": "dashboard/_city_park.html",
    "city-radar": "dashboard/_city_radar.html",
    "results": "dashboard/_overview_results.html",
    "city-trend": "dashboard/_city_trend.html",
}


class Trend(enum.StrEnum):
    """What the district trend shows: the stored year-to-date scores, or each quarter's own
    gain (year-to-date scores fall back every first quarter, which reads like a collapse)."""

    ytd = "ytd"
    quarter = "quarter"


TREND_LABELS = {Trend.ytd: N_("Year to date"), Trend.quarter: N_("Each quarter's own gain")}
TREND_HINTS = {
    Trend.ytd: N_(
        "Shown: each district's mean park score for the year so far, against the annual "
        "targets, so it starts again every first quarter (the dotted line is the new year). "
        "Click a point to see the district below."
    ),
    Trend.quarter: N_(
        "Shown: what each quarter added to the district's score for the year: its score "
        "minus the previous quarter's of the same year; a first quarter is its own score. "
        "Click a point to see the district below."
    ),
}
TrendParam = Annotated[Trend | None, Blank, Query(title=N_("Trend view"))]


class Links:
    """Links to this page with a district, a park or a radar district open, keeping the
    period only where the reader asked for one (so a shared link follows the latest)."""

    def __init__(self, request: Request, period: str | None, visible: geo.Visible):
        self.base = str(request.url_for("overview"))
        self.period = period
        self.visible = visible

    def district(self, area_id: int) -> str:
        """The drill-down into a district; empty for one outside the reader's scope."""
        if area_id not in self.visible.districts:
            return ""
        return self._url(district=area_id)

    def park(self, area_id: int, park_id: int) -> str:
        if area_id not in self.visible.districts or park_id not in self.visible.parks:
            return ""
        return self._url(district=area_id, park=park_id)

    def _url(self, **params: Any) -> str:
        query = {"period": self.period, **params}
        return self.base + "?" + urlencode({k: v for k, v in query.items() if v})


@router.get("/", response_class=HTMLResponse, name="overview")
def overview(
    request: Request,
    session: SessionDep,
    who: Who,
    period: PeriodParam = None,
    # Empty selects ("all") mean no choice.
    district: query_id(N_("District")) = None,
    park: query_id(N_("Park")) = None,
    radar: query_id(N_("Park")) = None,
    trend: TrendParam = None,
):
    # The same answer the menu and the breadcrumb ask for (worked out once per request).
    home = crumbs.home_of(request) or crumbs.OVERVIEW
    if not home.overview and not is_htmx(request):
        # Not one of this viewer's pages (a liaison's home is their grids): sent home.
        return RedirectResponse(request.url_for(home.route, **home.params), status_code=303)
    # The league tables are published to every user; links open only what is in scope.
    res = period_results(session, period)
    visible = geo.visible(session=session, who=who)
    links = Links(request, period, visible)
    # A drill-down opens only what the reader may open: anything else is not found.
    area = geo.get_district(session=session, who=who, area_id=district) if district else None
    if park is not None:
        opened = geo.get_park(session=session, who=who, park_id=park)
        home = geo.district_of_park(session=session, park=opened)
        if area is not None and home.id != area.id:
            raise NotFound
        area = area or geo.get_district(session=session, who=who, area_id=home.id)
    if radar is not None and radar not in {d.id for d in geo.districts(session=session)}:
        raise NotFound
    context: dict[str, Any] = {
        "res": res,
        "visible": visible,
        "links": links,
        "asked": {"period": period, "district": district, "park": park, "radar": radar},
    }
    target = request.headers.get("HX-Target") if is_htmx(request) else None
    if target == "city-trend" and res is not None:
        # The trend's toggle: the chart alone, none of the page's other reads.
        periods = assessment.periods(session=session)
        context.update(_trend_part(session, res, periods, links, trend, context["asked"]))
        return _vary(render(request, FRAGMENTS[target], context))
    if res is not None:
        context.update(_park_part(res, park, links))
        if target != "park-detail":
            context.update(_radar_part(session, res, radar or (area.id if area else None)))
            context.update(_district_part(res, area, links))
    if target in FRAGMENTS and target not in ("results", "city-trend"):
        return _vary(render(request, FRAGMENTS[target], context))
    context.update(_pilot_part(request, session))
    context["periods"] = assessment.periods(session=session)
    if res is not None:
        context["figure"] = _ranking_figure(res, links)
        periods = context["periods"]
        context.update(_trend_part(session, res, periods, links, trend, context["asked"]))
        context.update(_parks_part(res, visible))
    if is_htmx(request):
        return _vary(render(request, FRAGMENTS["results"], context))
    # Report timeliness is for the latest period, whatever period the reader is looking at.
    latest = (
        res.period if res and not period else assessment.get_period(session=session, label=None)
    )
    context["kpi"] = city.kpis(session=session, period=latest)
    return _vary(render(request, "dashboard/overview.html", context))


def _vary(response):
    # The same URL answers several fragments: a cache must tell them apart.
    response.headers["Vary"] = "HX-Request, HX-Target"
    return response


def _ranking_figure(res: assessment.PeriodResults, links: Links) -> dict:
    scored = [d for d in res.districts if d.score is not None]
    return charts.ranking_bar(
        [d.district.name for d in scored],
        [d.score for d in scored],
        [d.tier.colour if d.tier else "grey" for d in scored],
        urls=[links.district(d.district.id) for d in scored],
        axis_title=_("Mean score of the district's parks"),
    )


def _trend_figure(
    session, res: assessment.PeriodResults, periods, links: Links, view: Trend = Trend.ytd
) -> dict:
    periods = assessment.up_to(periods, res.period)
    # Districts in this period's ranking order, so the legend reads as the league table.
    order = [d.district for d in res.districts]
    rows = city.district_trend(session=session, periods=periods, district_ids=[a.id for a in order])
    axis_title = _("Mean score of the district's parks")
    if view is Trend.quarter:
        # The stored scores are year-to-date only: a quarter's own is the difference.
        rows = city_charts.quarter_gains([(p.year, p.quarter) for p in periods], rows)
        axis_title = _("Gain in the quarter")
    figure = charts.trend(
        [p.label for p in periods],
        [(a.name, row) for a, row in zip(order, rows, strict=True)],
        urls=[links.district(a.id) for a in order],
        axis_title=axis_title,
    )
    return city_charts.mark_years(figure, [p.year for p in periods], _("Year {year}"))


def _trend_part(session, res, periods, links: Links, view: Trend | None, asked: dict) -> dict:
    view = view or Trend.ytd
    return {
        "trend": _trend_figure(session, res, periods, links, view),
        "trend_view": view,
        "trend_hint": _(TREND_HINTS[view]),
        "trend_choices": [(v.value, _(TREND_LABELS[v])) for v in Trend],
        # The toggle keeps what else the reader asked for, so its address can be shared.
        "trend_keep": {k: v for k, v in asked.items() if v},
    }


def _district_part(res: assessment.PeriodResults, area, links: Links) -> dict:
    dres = res.district(area.id) if area is not None else None
    if dres is None:
        return {"dres": None}
    links.visible.parks.preload(r.park.id for r in dres.parks)
    return {
        "dres": dres,
        "parks_figure": charts.ranking_bar(
            [r.park.name for r in dres.parks],
            [r.total for r in dres.parks],
            [r.tier.colour if r.tier else "grey" for r in dres.parks],
            urls=[links.park(dres.district.id, r.park.id) for r in dres.parks],
            axis_title=_("Score"),
        ),
    }


def _park_part(res: assessment.PeriodResults, park_id: int | None, links: Links) -> dict:
    pres = res.park(park_id) if park_id is not None else None
    if pres is None:
        return {"pres": None}
    rows = completion_rows(res, pres)
    return {
        "pres": pres,
        "district_size": res.district(pres.district.id).park_count,
        "park_figure": charts.progress_bar(
            [f"{r['indicator'].code} {r['indicator'].name}" for r in rows],
            [r["completion"] for r in rows],
            no_data=_("No data"),
        ),
    }


def _parks_part(res: assessment.PeriodResults, visible: geo.Visible) -> dict:
    top = res.parks(assessment.ParkQuery(limit=TOP_PARKS))
    own: list[assessment.ParkResult] = []
    # A reader with a few parks (a district's, a park's, a liaison's) sees where they stand
    # below the leaders; a city-wide reader's own parks are the whole table.
    # Noted first, so that one statement answers which of them link and the reader's own.
    visible.parks.preload(r.park.id for r in top)
    mine = visible.parks.few(min(OWN_PARKS, res.park_count - 1))
    if mine:
        shown = {r.park.id for r in top}
        own = [
            r
            for r in res.parks(assessment.ParkQuery(park_ids=tuple(sorted(mine))))
            if r.park.id not in shown
        ]
    return {"top_parks": top, "own_parks": own}


def _radar_part(session, res: assessment.PeriodResults, chosen: int | None) -> dict:
    # Aspect scores per district are published like the league tables (the rankings page
    # ranks districts by each aspect), so any district may be compared here.
    scored = [d for d in res.districts if d.score is not None]
    rdres = res.district(chosen) if chosen else None
    rdres = rdres or (scored[0] if scored else None)
    if rdres is None:
        return {"radar_district": None}
    shares = city.aspect_shares(session=session, res=res)
    figure = charts.radar(
        [a.name for a in shares.aspects],
        [
            (rdres.district.name, shares.districts.get(rdres.district.id, [])),
            (_("City average"), shares.city),
        ],
        range_max=100,
    )
    axis = figure["layout"]["polar"]["radialaxis"]
    # The scale runs between the first two aspects, not over the first one's label.
    axis.update(ticksuffix="%", angle=90 - 180 / max(len(shares.aspects), 1), tickfont={"size": 10})
    return {
        "radar_district": rdres,
        "radar_figure": figure,
        "radar_choices": res.districts,
        "radar_rows": list(
            zip(
                shares.aspects,
                shares.districts.get(rdres.district.id, [None] * len(shares.aspects)),
                shares.city,
                strict=True,
            )
        ),
    }


def _pilot_part(request: Request, session) -> dict:
    counts = city.pilot_counts(session=session)
    base = str(request.url_for("rankings"))
    return {
        "pilots": [(_(PILOT_LEVEL_LABELS[level]), n) for level, n in counts],
        "pyramid": city_charts.pilot_pyramid(
            [_(PILOT_LEVEL_LABELS[level]) for level, _n in counts],
            [n for _level, n in counts],
            # A band opens the park rankings filtered to its level.
            urls=[f"{base}?{urlencode({'pilot': level.value})}" for level, _n in counts],
        ),
    }
