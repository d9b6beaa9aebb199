"""Tables of the place tree: areas, parks and the grids a park is split into."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.i18n import N_
from app.core.types import UTCDateTime, str_enum


class AreaLevel(enum.StrEnum):
    province = "province"
    city = "city"
    district = "district"
    street = "street"


class ParkKind(enum.StrEnum):
    high_tech_zone = "high_tech_zone"
    economic_zone = "economic_zone"
    park_in_park = "park_in_park"
    market = "market"
    building = "building"
    rural_chain = "rural_chain"


class PilotLevel(enum.StrEnum):
    national = "national"
    provincial = "provincial"
    city = "city"
    district = "district"
    street = "street"


class GridBasis(enum.StrEnum):
    cluster = "cluster"
    area = "area"


class GridStatus(enum.StrEnum):
    green = "green"
    amber = "amber"
    red = "red"


AREA_LEVEL_LABELS = {
    AreaLevel.province: N_("Province"),
    AreaLevel.city: N_("City"),
    AreaLevel.district: N_("District"),
    AreaLevel.street: N_("Street or town"),
}
PARK_KIND_LABELS = {
    ParkKind.high_tech_zone: N_("High-tech zone"),
    ParkKind.economic_zone: N_("Economic development zone"),
    ParkKind.park_in_park: N_("Park within a park"),
    ParkKind.market: N_("Market"),
    ParkKind.building: N_("Office building"),
    ParkKind.rural_chain: N_("Rural industry chain"),
}
PILOT_LEVEL_LABELS = {
    PilotLevel.national: N_("National pilot"),
    PilotLevel.provincial: N_("Provincial pilot"),
    PilotLevel.city: N_("City pilot"),
    PilotLevel.district: N_("District pilot"),
    PilotLevel.street: N_("Street pilot"),
}
GRID_BASIS_LABELS = {
    GridBasis.cluster: N_("Industry cluster"),
    GridBasis.area: N_("Area"),
}
GRID_STATUS_LABELS = {
    GridStatus.green: N_("Green: on track"),
    GridStatus.amber: N_("Amber: needs attention"),
    GridStatus.red: N_("Red: stalled"),
}

# The service positions a park is expected to have (indicator 10 counts them).
SERVICE_POSITIONS = (
    ("has_guidance_station", N_("Reform guidance station")),
    ("has_service_centre", N_("Worker service centre")),
    ("has_mother_baby_room", N_("Mother-and-baby room")),
    ("has_workers_library", N_("Workers' library")),
    ("has_counselling_room", N_("Counselling room")),
    ("has_activity_room", N_("Culture and sports room")),
)


class Area(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    parent_id: int | None = Field(default=None, foreign_key="area.id", index=True)
    level: AreaLevel = Field(sa_type=str_enum(AreaLevel))
    name: str = Field(max_length=60)
    # Administrative division code (GB/T 2260), e.g. 320213 for 梁溪区.
    code: str | None = Field(default=None, max_length=12, unique=True)
    sort_order: int = 0


class Park(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    name: str = Field(max_length=80, unique=True)
    kind: ParkKind = Field(sa_type=str_enum(ParkKind))
    multi_theme: bool = False
    leading_industries: str = Field(default="", max_length=200)
    pilot_level: PilotLevel | None = Field(default=None, sa_type=str_enum(PilotLevel))
    pilot_year: int | None = None
    has_guidance_station: bool = False
    has_service_centre: bool = False
    has_mother_baby_room: bool = False
    has_workers_library: bool = False
    has_counselling_room: bool = False
    has_activity_room: bool = False
    internal_training_bases: int = Field(default=0, ge=0)
    external_training_bases: int = Field(default=0, ge=0)


class Grid(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("park_id", "name", name="uq_grid_park_name"),)

    id: int | None = Field(default=None, primary_key=True)
    park_id: int = Field(foreign_key="park.id", index=True)
    name: str = Field(max_length=60)
    basis: GridBasis = Field(sa_type=str_enum(GridBasis))
    sort_order: int = 0
    liaison_id: int | None = Field(default=None, foreign_key="liaison.id", index=True)
    status: GridStatus = Field(default=GridStatus.green, sa_type=str_enum(GridStatus))
    status_note: str = Field(default="", max_length=500)
    status_changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status_changed_by: str | None = Field(default=None, max_length=60)
    # Bumped by every status change: a form carrying an older version gets 409, not a
    # silent overwrite of what someone else just saved.
    status_version: int = Field(default=1)
