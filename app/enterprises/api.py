"""JSON routes of places: parks and their grids.

In enterprises rather than geo: a park's answer carries its roster totals (enterprises
and workers), and geo sits below the roster.
"""

from fastapi import APIRouter
from sqlmodel import SQLModel

from app.core.auth import Who
from app.core.db import SessionDep
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
    status_version: int
    status_changed_by: str | None
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


@router.get("/parks", response_model=list[ParkPublic], name="api_parks")
def list_parks(session: SessionDep, who: Who):
    district_of = service.district_of(session=session)
    totals = roster.totals_by_park(session=session)
    parks = service.parks(session=session, who=who)
    return [_public(session, p, district_of, totals) for p in parks]


@router.get("/parks/{park_id}", response_model=ParkDetail, name="api_park")
def read_park(park_id: int, session: SessionDep, who: Who):
    park = service.get_park(session=session, who=who, park_id=park_id)
    data = _public(
        session, park, service.district_of(session=session), roster.totals_by_park(session=session)
    )
    grids = service.grids_of_park(session=session, who=who, park_id=park_id)
    data["grids"] = [g.model_dump() for g in grids]
    return data
