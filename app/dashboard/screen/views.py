"""The big screen (大屏) for a meeting-room display: the city at a glance, refreshed each minute."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from app.assessment.results import service as assessment
from app.core import charts
from app.core.auth import Who
from app.core.db import SessionDep
from app.core.i18n import _
from app.core.templating import LOCAL_TZ, is_htmx, render
from app.core.types import utcnow
from app.dashboard.city import charts as city_charts
from app.dashboard.city import service as city

router = APIRouter()

# How often the screen asks for fresh figures, in seconds (the page's hx-trigger).
REFRESH_SECONDS = 60


@router.get("/screen", response_class=HTMLResponse, name="screen")
def screen(
    request: Request,
    session: SessionDep,
    who: Who,
    part: Annotated[Literal["figures"] | None, Query()] = None,
):
    # Open to every role, a grid liaison too: it shows only the published league tables
    # and city totals, with no link into anything.
    period = assessment.get_period(session=session, label=None)
    res = assessment.results(session=session, period=period) if period else None
    context: dict[str, Any] = {
        "res": res,
        "kpi": city.kpis(session=session, period=period),
        "refreshed": utcnow().astimezone(LOCAL_TZ),
        "refresh_seconds": REFRESH_SECONDS,
    }
    if res is not None:
        context.update(_figures(session, res))
    # The timer asks for the figures alone; the same URL in a browser is the whole screen.
    template = (
        "dashboard/_screen_figures.html"
        if part == "figures" and is_htmx(request)
        else "dashboard/screen.html"
    )
    response = render(request, template, context)
    # A display left on for days must never show a cached minute.
    response.headers["Cache-Control"] = "no-store"
    return response


def _figures(session, res: assessment.PeriodResults) -> dict:
    scored = [d for d in res.districts if d.score is not None]
    ranking = charts.ranking_bar(
        [d.district.name for d in scored],
        [d.score for d in scored],
        [d.tier.colour if d.tier else "grey" for d in scored],
        axis_title=_("Mean score of the district's parks"),
    )
    periods = assessment.up_to(assessment.periods(session=session), res.period)
    order = [d.district for d in res.districts]
    rows = city.district_trend(session=session, periods=periods, district_ids=[a.id for a in order])
    trend = charts.trend(
        [p.label for p in periods],
        [(a.name, row) for a, row in zip(order, rows, strict=True)],
        axis_title=_("Mean score of the district's parks"),
    )
    top, bottom = city.ends_of_ranking(res)
    return {
        "ranking": city_charts.on_screen(ranking),
        "trend": city_charts.on_screen(trend),
        "top": top,
        "bottom": bottom,
    }
