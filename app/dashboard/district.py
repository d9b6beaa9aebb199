"""The district dashboard: its parks ranked, the park x indicator scorecard."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.accounts.deps import Who
from app.assessment import service as assessment
from app.core.db import SessionDep
from app.core.templating import is_htmx, render
from app.dashboard.common import PeriodParam, completion_rows, period_results
from app.enterprises import service as roster
from app.geo import service as geo

router = APIRouter()


@router.get("/districts/{area_id}", response_class=HTMLResponse, name="district")
def district(
    request: Request, area_id: int, session: SessionDep, who: Who, period: PeriodParam = None
):
    area = geo.get_district(session=session, who=who, area_id=area_id)
    res = period_results(session, period)
    dres = res.district(area_id) if res else None
    scorecard = [(r, completion_rows(res, r)) for r in dres.parks] if dres else []
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
