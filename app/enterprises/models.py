"""Tables of the roster: enterprises and liaison people."""

import enum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.i18n import N_
from app.core.types import str_enum


class Ownership(enum.StrEnum):
    state = "state"
    private = "private"
    foreign = "foreign"


class Size(enum.StrEnum):
    large = "large"
    medium = "medium"
    small = "small"
    micro = "micro"


class ReformType(enum.StrEnum):
    party_building = "party_building"
    growth = "growth"
    rights = "rights"


class LiaisonRole(enum.StrEnum):
    grid_liaison = "grid_liaison"
    enterprise_liaison = "enterprise_liaison"
    guidance_officer = "guidance_officer"
    observer = "observer"


OWNERSHIP_LABELS = {
    Ownership.state: N_("State-owned"),
    Ownership.private: N_("Private"),
    Ownership.foreign: N_("Foreign-invested"),
}
SIZE_LABELS = {
    Size.large: N_("Large"),
    Size.medium: N_("Medium"),
    Size.small: N_("Small"),
    Size.micro: N_("Micro"),
}
REFORM_TYPE_LABELS = {
    ReformType.party_building: N_("Party-building-led"),
    ReformType.growth: N_("Growth"),
    ReformType.rights: N_("Rights protection"),
}
LIAISON_ROLE_LABELS = {
    LiaisonRole.grid_liaison: N_("Grid liaison"),
    LiaisonRole.enterprise_liaison: N_("Enterprise liaison"),
    LiaisonRole.guidance_officer: N_("Guidance officer"),
    LiaisonRole.observer: N_("Observer"),
}


class Liaison(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    park_id: int | None = Field(default=None, foreign_key="park.id", index=True)
    name: str = Field(max_length=40)
    mobile: str = Field(max_length=11, index=True)
    role: LiaisonRole = Field(sa_type=str_enum(LiaisonRole))


class Enterprise(SQLModel, table=True):
    __table_args__ = (
        # The node enterprise is a flag on the enterprise itself, so "it belongs to the
        # grid" holds by construction, and this partial index keeps it to one per grid.
        sa.Index(
            "uq_enterprise_one_node_per_grid",
            "grid_id",
            unique=True,
            sqlite_where=sa.text("is_node"),
            postgresql_where=sa.text("is_node"),
        ),
        # Roster totals (per grid, per park, the city's) are read from this index alone.
        sa.Index("ix_enterprise_totals", "grid_id", "worker_count", "in_reform"),
    )

    id: int | None = Field(default=None, primary_key=True)
    credit_code: str = Field(max_length=18, unique=True)
    name: str = Field(max_length=100, index=True)
    grid_id: int = Field(foreign_key="grid.id", index=True)
    ownership: Ownership = Field(sa_type=str_enum(Ownership))
    size: Size = Field(sa_type=str_enum(Size))
    industry: str = Field(default="", max_length=60)
    worker_count: int = Field(default=0, ge=0)
    union_founded: bool = False
    collective_contract: bool = False
    in_reform: bool = False
    reform_type: ReformType | None = Field(default=None, sa_type=str_enum(ReformType))
    liaison_id: int | None = Field(default=None, foreign_key="liaison.id", index=True)
    is_node: bool = False
