"""Input shapes of grid work. The status itself lives on the grid (geo.models.Grid)."""

from pydantic import field_validator
from sqlmodel import Field, SQLModel

from app.core.i18n import N_
from app.geo.models import GridStatus

STATUS_LABELS = {
    "status": N_("Status"),
    "note": N_("Note"),
}


class GridStatusUpdate(SQLModel):
    status: GridStatus
    note: str = Field(default="", max_length=500)

    @field_validator("note", mode="before")
    @classmethod
    def _strip(cls, v: object) -> object:
        return v.strip() if isinstance(v, str) else v
