"""JSON routes of places: parks and their grids."""

from fastapi import APIRouter, HTTPException
from sqlmodel import SQLModel

from app.core.db import SessionDep
from app.core.i18n import _
from app.enterprises import service as roster
from app.geo import service
from app.geo.models import GridBasis, GridStatus, ParkKind, PilotLevel

router = APIRouter(prefix="/api/v1", tags=["places"])


class GridPublic(SQLModel):
    id: int
    park_id: int
    name: str
    basis: GridBasis
    status: GridStatus
    status_note: str
    liaison_id: int | None


class ParkPublic(SQLModel):
    id: int
    area_id: int
    district_id: int
    name: str
    kind: ParkKind
    multi_theme: bool
    pilot_level: PilotLevel | None
    pilot_year: int | None
    enterprises: int
    workers: int


class ParkDetail(ParkPublic):
    grids: list[GridPublic]


def _public(session, park, district_of, totals) -> dict:
    t = totals.get(park.id, roster.RosterTotals())
    return {
        **park.model_dump(),
        "district_id": district_of[park.id].id,
        "enterprises": t.enterprises,
        "workers": t.workers,
    }


@router.get("/parks", response_model=list[ParkPublic])
def list_parks(session: SessionDep):
    district_of = service.district_of(session=session)
    totals = roster.totals_by_park(session=session)
    return [_public(session, p, district_of, totals) for p in service.parks(session=session)]


@router.get("/parks/{park_id}", response_model=ParkDetail)
def read_park(park_id: int, session: SessionDep):
    park = service.get_park(session=session, park_id=park_id)
    if park is None:
        raise HTTPException(404, _("No such park."))
    data = _public(
        session, park, service.district_of(session=session), roster.totals_by_park(session=session)
    )
    data["grids"] = [
        g.model_dump() for g in service.grids_of_park(session=session, park_id=park_id)
    ]
    return data
