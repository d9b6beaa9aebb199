"""Tables of the assessment: reporting periods and park indicator values."""

import enum
from datetime import date, datetime

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
    # The last day to submit: by default 10 working days after the quarter ends.
    deadline: date
    # The framework version the period is scored by. A new version of a locked framework
    # takes over only the year's periods that nobody has submitted for yet.
    framework_id: int | None = Field(default=None, foreign_key="framework.id", index=True)
    # Bumped in the same transaction as every store of the period's results, so a download
    # made from them can be kept until they change.
    results_version: int = 0

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
    updated_by: str = Field(default="", max_length=40)
    # For a computed value: which rows it was computed from, in words and counts.
    basis: str = Field(default="", max_length=300)
    note: str = Field(default="", max_length=500)  # the park's explanation
    review_comment: str = Field(default="", max_length=500)  # the district's question


class ReportState(enum.StrEnum):
    draft = "draft"
    submitted = "submitted"
    returned = "returned"
    approved = "approved"
    reopened = "reopened"


REPORT_STATE_LABELS = {
    ReportState.draft: N_("Draft"),
    ReportState.submitted: N_("Submitted, awaiting review"),
    ReportState.returned: N_("Returned for changes"),
    ReportState.approved: N_("Approved"),
    ReportState.reopened: N_("Reopened"),
}


class ParkReport(SQLModel, table=True):
    """A park's quarterly report: its reported values for a period, submitted and reviewed."""

    __tablename__ = "park_report"
    __table_args__ = (sa.UniqueConstraint("park_id", "period_id", name="uq_park_report"),)

    id: int | None = Field(default=None, primary_key=True)
    park_id: int = Field(foreign_key="park.id", index=True)
    period_id: int = Field(foreign_key="period.id", index=True)
    state: ReportState = Field(default=ReportState.draft, sa_type=str_enum(ReportState))
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    submitted_by: str = Field(default="", max_length=40)
    # The first submission decides timeliness; a resubmission after a return does not.
    first_submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reviewed_by: str = Field(default="", max_length=40)
    review_comment: str = Field(default="", max_length=1000)
    # Bumped by every state change; a form carrying an older version is refused (409).
    version: int = Field(default=1)


class Evidence(SQLModel, table=True):
    """A file backing a reported value (佐证材料), stored on disk under its hash."""

    id: int | None = Field(default=None, primary_key=True)
    value_id: int = Field(foreign_key="indicator_value.id", index=True, ondelete="CASCADE")
    filename: str = Field(max_length=200)
    stored_name: str = Field(max_length=80)
    content_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    uploaded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    uploaded_by: str = Field(default="", max_length=40)


class AdjustmentCount(SQLModel, table=True):
    """How many times a reported bonus or deduction item occurred, for the year so far."""

    __tablename__ = "adjustment_count"
    __table_args__ = (
        sa.UniqueConstraint("park_id", "period_id", "adjustment_id", name="uq_adjustment_count"),
    )

    id: int | None = Field(default=None, primary_key=True)
    park_id: int = Field(foreign_key="park.id", index=True)
    period_id: int = Field(foreign_key="period.id", index=True)
    adjustment_id: int = Field(foreign_key="adjustment.id", index=True, ondelete="CASCADE")
    count: int = Field(default=0, ge=0)
    note: str = Field(default="", max_length=200)


class Score(SQLModel, table=True):
    """A park's stored result for a period, recomputed whenever an input changes.

    Pages read these rows and never score: everything they show is here, or in the
    aspect rows below, so a page reads only the rows it shows.
    """

    __table_args__ = (
        sa.UniqueConstraint("park_id", "period_id", name="uq_score"),
        # A league table is a page of a period's rows in rank order, in the city or a district.
        sa.Index("ix_score_period_rank", "period_id", "rank_city"),
        sa.Index("ix_score_period_district", "period_id", "district_id", "rank_district"),
    )

    id: int | None = Field(default=None, primary_key=True)
    park_id: int = Field(foreign_key="park.id", index=True)
    period_id: int = Field(foreign_key="period.id", index=True)
    # The park's district when scored (a park may hang under a street of it).
    district_id: int = Field(foreign_key="area.id")
    framework_id: int = Field(foreign_key="framework.id")
    base: float  # the indicators' points
    adjustment: float  # bonus minus deduction, capped per item
    total: float
    tier: str = Field(default="", max_length=20)
    rank_city: int
    rank_district: int
    has_data: bool
    # Reports of the year so far first submitted after their deadline.
    late: int = 0
    # Per indicator id: points; per adjustment id: signed points. Keys are strings (JSON).
    points: dict[str, float] = Field(default_factory=dict, sa_type=sa.JSON)
    adjustments: dict[str, float] = Field(default_factory=dict, sa_type=sa.JSON)
    computed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DistrictScore(SQLModel, table=True):
    __tablename__ = "district_score"
    __table_args__ = (sa.UniqueConstraint("area_id", "period_id", name="uq_district_score"),)

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    period_id: int = Field(foreign_key="period.id", index=True)
    score: float | None = None
    tier: str = Field(default="", max_length=20)
    rank: int | None = None
    parks: int = 0


class AspectScore(SQLModel, table=True):
    """A park's points in one aspect of the framework for a period, and its ranks by them."""

    __tablename__ = "aspect_score"
    __table_args__ = (
        sa.UniqueConstraint("park_id", "period_id", "aspect_id", name="uq_aspect_score"),
        sa.Index("ix_aspect_score_rank", "period_id", "aspect_id", "rank_city"),
    )

    # Few indexes: a period's rows are rewritten at every recompute (18,000 at 2,000 parks).
    # The unique key finds a park's rows, the rank index a league table's.
    id: int | None = Field(default=None, primary_key=True)
    park_id: int = Field(foreign_key="park.id")
    period_id: int = Field(foreign_key="period.id")
    aspect_id: int = Field(foreign_key="aspect.id", ondelete="CASCADE")
    district_id: int = Field(foreign_key="area.id")
    points: float
    rank_city: int
    rank_district: int


class DistrictAspectScore(SQLModel, table=True):
    """A district's mean points in one aspect for a period, and its rank by them."""

    __tablename__ = "district_aspect_score"
    __table_args__ = (
        sa.UniqueConstraint("area_id", "period_id", "aspect_id", name="uq_district_aspect_score"),
    )

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    period_id: int = Field(foreign_key="period.id", index=True)
    aspect_id: int = Field(foreign_key="aspect.id", index=True, ondelete="CASCADE")
    score: float | None = None  # the mean, rounded as scores are, which ranks districts
    # The sum of the parks' points: shares of full marks are taken from it unrounded.
    total: float = 0.0
    rank: int | None = None


class YearPublication(SQLModel, table=True):
    """A published year-end result: the year's figures can no longer change."""

    __tablename__ = "year_publication"

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(unique=True)
    published_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    published_by: str = Field(max_length=40)
