"""The city overview: where the reform stands across the districts."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from app.accounts.deps import Who
from app.assessment import service as assessment
from app.core.db import SessionDep
from app.core.i18n import _
from app.core.templating import is_htmx, render
from app.dashboard import charts
from app.dashboard.common import PeriodParam, period_results
from app.enterprises import service as roster
from app.geo import service as geo

router = APIRouter()


@router.get("/", response_class=HTMLResponse, name="overview")
def overview(request: Request, session: SessionDep, who: Who, period: PeriodParam = None):
    if who.role == "grid_liaison" and not is_htmx(request):
        # A liaison's home is their grids, not the city's league tables.
        return RedirectResponse(request.url_for("my_grids"), status_code=303)
    # The league tables are published to every user; links open only what is in scope.
    res = period_results(session, period)
    context = {
        "res": res,
        "periods": assessment.periods(session=session),
        "visible": geo.visible(session=session, who=who),
    }
    if res is not None:
        context["figure"] = charts.ranking_bar(
            [d.district.name for d in res.districts if d.score is not None],
            [d.score for d in res.districts if d.score is not None],
            [d.tier.colour if d.tier else "grey" for d in res.districts if d.score is not None],
            urls=[
                str(request.url_for("district", area_id=d.district.id))
                if d.district.id in context["visible"].districts
                else ""
                for d in res.districts
                if d.score is not None
            ],
            axis_title=_("Mean score of the district's parks"),
        )
    if is_htmx(request):
        return render(request, "dashboard/_overview_results.html", context)
    totals = roster.totals_by_park(session=session).values()
    context["kpi"] = {
        "districts": len(geo.districts(session=session)),
        "parks": len(geo.parks(session=session)),
        "grids": sum(geo.grids_per_park(session=session).values()),
        "enterprises": sum(t.enterprises for t in totals),
        "workers": sum(t.workers for t in totals),
        "in_reform": sum(t.in_reform for t in totals),
    }
    return render(request, "dashboard/overview.html", context)
