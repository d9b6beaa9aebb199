"""Downloads of the district tables: the park × indicator scorecard, the parks and grids."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response
from sqlmodel import Session

from app.accounts.deps import Who
from app.assessment import service as assessment
from app.audit.downloads import DownloadDep
from app.core import sheets
from app.core.db import SessionDep
from app.core.i18n import _
from app.core.permissions import Principal
from app.core.templating import LOCAL_TZ
from app.dashboard import tables
from app.dashboard.common import period_results
from app.geo import service as geo
from app.geo.models import Area

router = APIRouter()
PeriodParam = Annotated[str | None, Query(alias="period")]


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
    area_id: int, session: SessionDep, who: Who, dl: DownloadDep, period: PeriodParam = None
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
    area_id: int, session: SessionDep, who: Who, dl: DownloadDep, period: PeriodParam = None
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
    area_id: int, session: SessionDep, who: Who, dl: DownloadDep, period: PeriodParam = None
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
