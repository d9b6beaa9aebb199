"""JSON routes of the assessment: a period's rankings."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from sqlmodel import SQLModel

from app.assessment.results import service
from app.core.auth import Who
from app.core.db import SessionDep
from app.core.i18n import _

router = APIRouter(prefix="/api/v1", tags=["assessment"])


class ParkRank(SQLModel):
    park_id: int
    park: str
    district_id: int
    score: float
    tier: str | None
    rank_city: int
    rank_district: int
    has_data: bool


class DistrictRank(SQLModel):
    district_id: int
    district: str
    score: float | None
    tier: str | None
    rank: int | None
    parks: int


class Rankings(SQLModel):
    period: str
    districts: list[DistrictRank]
    parks: list[ParkRank]


@router.get("/rankings", response_model=Rankings, name="api_rankings")
def rankings(
    session: SessionDep, _who: Who, period: Annotated[str | None, Query(max_length=7)] = None
):
    p = service.get_period(session=session, label=period)
    if p is None:
        raise HTTPException(404, _("No such period: {p}").format(p=period or "—"))
    res = service.results(session=session, period=p)
    return Rankings(
        period=p.label,
        districts=[
            DistrictRank(
                district_id=d.district.id,
                district=d.district.name,
                score=d.score,
                tier=d.tier.name if d.tier else None,
                rank=d.rank,
                parks=d.park_count,
            )
            for d in res.districts
        ],
        parks=[
            ParkRank(
                park_id=r.park.id,
                park=r.park.name,
                district_id=r.district.id,
                score=r.total,
                tier=r.tier.name if r.tier else None,
                rank_city=r.rank_city,
                rank_district=r.rank_district,
                has_data=r.has_data,
            )
            for r in res.parks()
        ],
    )
