"""Tables of the assessment: reporting periods and park indicator values."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.i18n import N_
from app.core.types import UTCDateTime, str_enum, utcnow


class ValueOrigin(enum.StrEnum):
    computed = "computed"
    reported = "reported"


VALUE_ORIGIN_LABELS = {
    ValueOrigin.computed: N_("Computed"),
    ValueOrigin.reported: N_("Reported"),
}


class Period(SQLModel, table=True):
    """A quarter. Values in a period are cumulative for the year so far."""

    __table_args__ = (
        sa.UniqueConstraint("year", "quarter", name="uq_period_year_quarter"),
        sa.CheckConstraint("quarter BETWEEN 1 AND 4", name="quarter"),
    )

    id: int | None = Field(default=None, primary_key=True)
    year: int
    quarter: int

    @property
    def label(self) -> str:
        return f"{self.year}Q{self.quarter}"


class IndicatorValue(SQLModel, table=True):
    __tablename__ = "indicator_value"
    __table_args__ = (
        sa.UniqueConstraint("park_id", "period_id", "indicator_id", name="uq_indicator_value"),
    )

    id: int | None = Field(default=None, primary_key=True)
    park_id: int = Field(foreign_key="park.id", index=True)
    period_id: int = Field(foreign_key="period.id", index=True)
    indicator_id: int = Field(foreign_key="indicator.id", index=True)
    value: float
    origin: ValueOrigin = Field(sa_type=str_enum(ValueOrigin))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
