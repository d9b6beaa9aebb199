"""The district dashboard: its parks ranked, the park × indicator heat map, its reports, and
the drill-down from a park to one of its indicators, all at one shareable URL; and the
downloads of its tables (the park × indicator scorecard, the parks and grids).

/districts/{id}?period=&park=&indicator= answers the whole page with the drill-down open;
htmx asks the same URL for a fragment: #district-detail (a click on a chart) or #results
(the period picker).
"""

from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.assessment.models import REPORT_STATE_LABELS
from app.assessment.results import service as assessment
from app.audit.deps import DownloadDep
from app.core import charts, sheets
from app.core.auth import Who
from app.core.db import SessionDep
from app.core.errors import NotFound
from app.core.i18n import N_, _
from app.core.params import query_id
from app.core.permissions import Principal
from app.core.templating import LOCAL_TZ, is_htmx, render
from app.dashboard.common import PeriodParam, period_results
from app.dashboard.district import charts as district_charts
from app.dashboard.district import exports as tables
from app.dashboard.district import service
from app.enterprises import service as roster
from app.framework.models import SCORING_RULE_LABELS, VALUE_SOURCE_LABELS
from app.geo import service as geo
from app.geo.models import GRID_STATUS_LABELS, PARK_KIND_LABELS, PILOT_LEVEL_LABELS, Area

router = APIRouter()
ParkParam = query_id(N_("Park"))
IndicatorParam = Annotated[str | None, Query(alias="indicator", max_length=10)]
DETAIL = "district-detail"  # the id of the element the drill-down loads into


class Links:
    """The URLs of the page's drill-down, each carrying the period shown."""

    def __init__(self, request: Request, area_id: int, res: assessment.PeriodResults | None):
        self.base = str(request.url_for("district", area_id=area_id))
        self.period = {"period": res.period.label} if res else {}
        self._parks: dict[int, str] = {}

    def park(self, park_id: int) -> str:
        return f"{self.base}?{urlencode(self.period | {'park': park_id})}"

    def indicator(self, park_id: int, code: str) -> str:
        # Called for every cell of the heat map: the query is encoded once per park.
        if park_id not in self._parks:
            self._parks[park_id] = self.park(park_id)
        return f"{self._parks[park_id]}&{urlencode({'indicator': code})}"


def _detail(session, who, area_id, res, links, park_id, code, card=None) -> dict:
    """The drill-down: a park's facts and indicator progress, and one indicator opened."""
    park = service.park_in_district(session=session, who=who, area_id=area_id, park_id=park_id)
    detail: dict = {
        "park": park,
        "facts": service.park_facts(
            session=session, who=who, park=park, period=res.period if res else None
        ),
    }
    result = res.park(park_id) if res else None
    if result is None:
        if code:
            raise NotFound  # no results to open an indicator in
        return detail
    row = next((r for r in card or [] if r.result.park.id == park_id), None)
    row = row or service.scorecard(session=session, res=res, parks=[result])[0]
    detail["row"] = row
    detail["progress"] = district_charts.linked(
        charts.progress_bar(
            [f"{c.indicator.code} {c.indicator.name}" for c in row.cells],
            [c.completion for c in row.cells],
            no_data=_("No data"),
        ),
        [links.indicator(park_id, c.indicator.code) for c in row.cells],
    )
    if code:
        indicator = service.find_indicator(res, code)
        found = service.indicator_detail(
            session=session, who=who, res=res, row=row, indicator=indicator
        )
        detail["indicator"] = found
        unit = f"（{indicator.unit}）" if indicator.unit else ""
        detail["trend"] = charts.trend(
            found.periods,
            [(_("Value"), found.values), (_("Target"), found.targets)],
            axis_title=f"{indicator.code} {indicator.name}{unit}",
        )
    return detail


@router.get("/districts/{area_id}", response_class=HTMLResponse, name="district")
def district(
    request: Request,
    area_id: int,
    session: SessionDep,
    who: Who,
    period: PeriodParam = None,
    park: ParkParam = None,
    indicator: IndicatorParam = None,
):
    area = geo.get_district(session=session, who=who, area_id=area_id)
    if indicator and park is None:
        raise NotFound  # an indicator is opened within a park
    res = period_results(session, period)
    links = Links(request, area_id, res)
    htmx = is_htmx(request)
    target = request.headers.get("HX-Target") if htmx else None
    context: dict = {
        "area": area,
        "res": res,
        "links": links,
        "detail_id": DETAIL,
        "kind_labels": PARK_KIND_LABELS,
        "pilot_labels": PILOT_LEVEL_LABELS,
        "status_labels": GRID_STATUS_LABELS,
        "report_labels": REPORT_STATE_LABELS,
        "source_labels": VALUE_SOURCE_LABELS,
        "rule_labels": SCORING_RULE_LABELS,
    }
    if target == DETAIL:
        # A click on a chart: only the drill-down, for the parks' figures are on the page.
        context["detail"] = (
            _detail(session, who, area_id, res, links, park, indicator) if park else None
        )
        return _vary(render(request, "dashboard/_district_detail.html", context))

    parks = service.ranked_parks(session=session, who=who, res=res, area_id=area_id) if res else []
    card = service.scorecard(session=session, res=res, parks=parks) if res else []
    context.update(
        dres=res.district(area_id) if res else None,
        parks=parks,
        scorecard=card,
        totals=roster.totals_by_park(session=session, park_ids=[r.park.id for r in parks]),
        grids=geo.grids_per_park(session=session, park_ids=[r.park.id for r in parks]),
        district_count=len(res.districts) if res else 0,
        detail=_detail(session, who, area_id, res, links, park, indicator, card) if park else None,
    )
    if res:
        context["reports"] = service.report_status(
            session=session, period=res.period, area_id=area_id, parks=[r.park for r in parks]
        )
        context["ranking"] = charts.ranking_bar(
            [r.park.name for r in parks],
            [r.total for r in parks],
            [r.tier.colour if r.tier else "grey" for r in parks],
            urls=[links.park(r.park.id) for r in parks],
            axis_title=_("Score"),
        )
        context["heatmap"] = district_charts.scorecard_heatmap(card, links.indicator)
    if htmx:
        return _vary(render(request, "dashboard/_district_results.html", context))
    context["periods"] = assessment.periods(session=session)
    return _vary(render(request, "dashboard/district.html", context))


def _vary(response: HTMLResponse) -> HTMLResponse:
    # One URL, three answers: the page, the results, or the drill-down alone.
    response.headers["Vary"] = "HX-Request, HX-Target"
    return response


# ---- downloads of the district's tables ------------------------------------------

DownloadPeriod = Annotated[str | None, Query(alias="period")]


def _results(session: Session, label: str | None) -> assessment.PeriodResults | None:
    """The results of the period asked for, or of the latest; an unknown period is 404."""
    if label and len(label) > 7:
        # Longer than any label ("2026Q3"): not a period, and not worth parsing or echoing.
        raise HTTPException(404, _("No such period: {p}").format(p=label[:12]))
    return period_results(session, label)


def _scorecard(
    session: Session, who: Principal, area_id: int, period: str | None
) -> tuple[Area, str, tuple[tables.Table, tables.Table]]:
    # The district first: out of scope is 404 whatever the period.
    area = geo.get_district(session=session, who=who, area_id=area_id)
    res = _results(session, period)
    if res is None:
        raise HTTPException(404, _("No indicator values have been recorded yet."))
    card = tables.scorecard(session=session, who=who, res=res, area_id=area_id)
    return area, res.period.label, card


def _today() -> str:
    """Today in Beijing, for the names of files that are a snapshot of the roster."""
    return datetime.now(LOCAL_TZ).date().isoformat()


@router.get("/districts/{area_id}/scorecard.xlsx", name="district_scorecard_xlsx")
def scorecard_xlsx(
    area_id: int, session: SessionDep, who: Who, dl: DownloadDep, period: DownloadPeriod = None
) -> Response:
    area, label, (values, points) = _scorecard(session, who, area_id, period)
    return dl.send(
        sheets.workbook([values.sheet, points.sheet], mark=dl.mark),
        media_type=sheets.XLSX_MEDIA_TYPE,
        ascii_name=f"scorecard-{area.code or area.id}-{label}.xlsx",
        name=f"{area.name}{_('Park scorecard')}-{label}.xlsx",
        object_type="DistrictScorecard",
        object_id=area.id,
        label=f"{area.name} {label}",
        rows=len(values.rows),
    )


@router.get("/districts/{area_id}/scorecard.csv", name="district_scorecard_csv")
def scorecard_csv(
    area_id: int, session: SessionDep, who: Who, dl: DownloadDep, period: DownloadPeriod = None
) -> Response:
    area, label, (values, _points) = _scorecard(session, who, area_id, period)
    return dl.send(
        sheets.csv_bytes(values.columns, values.rows),
        media_type=sheets.CSV_MEDIA_TYPE,
        ascii_name=f"scorecard-{area.code or area.id}-{label}.csv",
        name=f"{area.name}{_('Park scorecard')}-{label}.csv",
        object_type="DistrictScorecard",
        object_id=area.id,
        label=f"{area.name} {label}",
        rows=len(values.rows),
    )


@router.get("/districts/{area_id}/parks.xlsx", name="district_parks_xlsx")
def parks_xlsx(
    area_id: int, session: SessionDep, who: Who, dl: DownloadDep, period: DownloadPeriod = None
) -> Response:
    area = geo.get_district(session=session, who=who, area_id=area_id)
    # The parks' score is that of the period the page shows (the latest, unless asked).
    res = _results(session, period)
    parks, grids = tables.parks_and_grids(session=session, who=who, area_id=area_id, res=res)
    today = _today()
    return dl.send(
        sheets.workbook([parks.sheet, grids.sheet], mark=dl.mark),
        media_type=sheets.XLSX_MEDIA_TYPE,
        ascii_name=f"parks-{area.code or area.id}-{today}.xlsx",
        name=f"{area.name}{_('Parks and grids')}-{today}.xlsx",
        object_type="DistrictParks",
        object_id=area.id,
        label=area.name,
        rows=len(parks.rows) + len(grids.rows),
    )


@router.get("/districts/{area_id}/grids.csv", name="district_grids_csv")
def grids_csv(area_id: int, session: SessionDep, who: Who, dl: DownloadDep) -> Response:
    area = geo.get_district(session=session, who=who, area_id=area_id)
    _parks, grids = tables.parks_and_grids(session=session, who=who, area_id=area_id)
    today = _today()
    return dl.send(
        sheets.csv_bytes(grids.columns, grids.rows),
        media_type=sheets.CSV_MEDIA_TYPE,
        ascii_name=f"grids-{area.code or area.id}-{today}.csv",
        name=f"{area.name}{_('Grids')}-{today}.csv",
        object_type="DistrictGrids",
        object_id=area.id,
        label=area.name,
        rows=len(grids.rows),
    )
