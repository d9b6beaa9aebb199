"""HTML pages of the overviews: the city, a district, a park."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from app.accounts.deps import Who
from app.assessment import scoring
from app.assessment import service as assessment
from app.audit import service as audit
from app.core import permissions
from app.core.db import SessionDep
from app.core.i18n import _
from app.core.templating import is_htmx, render
from app.dashboard import charts
from app.enterprises import service as roster
from app.geo import service as geo
from app.geo.models import GRID_STATUS_LABELS, PARK_KIND_LABELS, PILOT_LEVEL_LABELS, Park
from app.geo.models import SERVICE_POSITIONS as POSITIONS

router = APIRouter()
PeriodParam = Annotated[str | None, Query(alias="period", max_length=7)]


def period_results(session, label: str | None) -> assessment.PeriodResults | None:
    """The results of the period asked for (404 for none such), or of the latest one."""
    period = assessment.get_period(session=session, label=label)
    if period is None:
        if label:
            raise HTTPException(404, _("No such period: {p}").format(p=label))
        return None
    return assessment.results(session=session, period=period)


def _completion_rows(res: assessment.PeriodResults, park_result) -> list[dict]:
    rows = []
    for ind, rule in zip(res.indicators, assessment.rules(res.indicators), strict=True):
        value = park_result.values.get(ind.id)
        rows.append(
            {
                "indicator": ind,
                "value": value,
                "completion": scoring.completion(rule, value),
                "points": park_result.score.points[ind.id],
            }
        )
    return rows


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


@router.get("/districts/{area_id}", response_class=HTMLResponse, name="district")
def district(
    request: Request, area_id: int, session: SessionDep, who: Who, period: PeriodParam = None
):
    area = geo.get_district(session=session, who=who, area_id=area_id)
    res = period_results(session, period)
    dres = res.district(area_id) if res else None
    scorecard = [(r, _completion_rows(res, r)) for r in dres.parks] if dres else []
    totals = roster.totals_by_park(session=session)
    grids = geo.grids_per_park(session=session)
    context = {
        "area": area,
        "res": res,
        "dres": dres,
        "scorecard": scorecard,
        "totals": totals,
        "grids": grids,
        "periods": assessment.periods(session=session),
        "district_count": len(res.districts) if res else 0,
        "visible": geo.visible(session=session, who=who),
    }
    template = "dashboard/_district_results.html" if is_htmx(request) else "dashboard/district.html"
    return render(request, template, context)


@router.get("/parks/{park_id}", response_class=HTMLResponse, name="park")
def park(request: Request, park_id: int, session: SessionDep, who: Who, period: PeriodParam = None):
    p = geo.get_park(session=session, who=who, park_id=park_id)
    res = period_results(session, period)
    presult = res.park(park_id) if res else None
    rows = _completion_rows(res, presult) if presult else []
    context = {
        "park": p,
        "res": res,
        "pr": presult,
        "rows": rows,
        "periods": assessment.periods(session=session),
        "district_size": len(res.district(presult.district.id).parks) if presult else 0,
    }
    if presult:
        context["figure"] = charts.progress_bar(
            [f"{r['indicator'].code} {r['indicator'].name}" for r in rows],
            [r["completion"] for r in rows],
            no_data=_("No data"),
        )
    if is_htmx(request):
        return render(request, "dashboard/_park_results.html", context)
    grids = geo.grids_of_park(session=session, who=who, park_id=park_id)
    grid_ids = [g.id for g in grids]
    context.update(
        grids=grids,
        nodes=roster.node_of_grids(session=session, grid_ids=grid_ids),
        liaisons=roster.liaisons_by_id(
            session=session, ids=[g.liaison_id for g in grids if g.liaison_id]
        ),
        grid_totals=roster.totals_by_grid(session=session, grid_ids=grid_ids),
        park_totals=roster.totals_by_park(session=session).get(park_id, roster.RosterTotals()),
        ancestors=geo.ancestors(session=session, area_id=p.area_id),
        visible=geo.visible(session=session, who=who),
        history=audit.history(session=session, object_type="Park", object_id=park_id),
        can_import=permissions.allows(session, who, "change", Park, park_id),
        positions=POSITIONS,
        kind_labels=PARK_KIND_LABELS,
        pilot_labels=PILOT_LEVEL_LABELS,
        status_labels=GRID_STATUS_LABELS,
    )
    return render(request, "dashboard/park.html", context)
