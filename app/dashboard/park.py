"""The park dashboard: indicators against targets, grids, the park's facts."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.accounts.deps import Who
from app.assessment import service as assessment
from app.audit import service as audit
from app.core import permissions
from app.core.db import SessionDep
from app.core.i18n import _
from app.core.templating import is_htmx, render
from app.dashboard import charts
from app.dashboard.common import PeriodParam, completion_rows, period_results
from app.enterprises import service as roster
from app.geo import service as geo
from app.geo.models import GRID_STATUS_LABELS, PARK_KIND_LABELS, PILOT_LEVEL_LABELS, Park
from app.geo.models import SERVICE_POSITIONS as POSITIONS

router = APIRouter()


@router.get("/parks/{park_id}", response_class=HTMLResponse, name="park")
def park(request: Request, park_id: int, session: SessionDep, who: Who, period: PeriodParam = None):
    p = geo.get_park(session=session, who=who, park_id=park_id)
    res = period_results(session, period)
    presult = res.park(park_id) if res else None
    rows = completion_rows(res, presult) if presult else []
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
