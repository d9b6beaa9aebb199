"""Tables and input shapes of grid work: monthly grid reports, worker demands, notices.

The grid's status itself lives on the grid (geo.models.Grid).
"""

import enum
from datetime import date, datetime

import sqlalchemy as sa
from pydantic import field_validator
from sqlmodel import Field, SQLModel

from app.core.i18n import N_
from app.core.inputs import MultiLine
from app.core.types import UTCDateTime, str_enum, utcnow
from app.geo.models import GridStatus

STATUS_LABELS = {
    "status": N_("Status"),
    "note": N_("Note"),
}


class GridStatusUpdate(SQLModel):
    status: GridStatus
    note: MultiLine = Field(default="", max_length=500)

    @field_validator("note", mode="before")
    @classmethod
    def _strip(cls, v: object) -> object:
        return v.strip() if isinstance(v, str) else v


# ---- monthly grid work reports (网格月报) --------------------------------------------


class MonthlyState(enum.StrEnum):
    draft = "draft"
    submitted = "submitted"
    returned = "returned"
    confirmed = "confirmed"


MONTHLY_STATE_LABELS = {
    MonthlyState.draft: N_("Draft"),
    MonthlyState.submitted: N_("Submitted, awaiting the park"),
    MonthlyState.returned: N_("Returned for changes"),
    MonthlyState.confirmed: N_("Confirmed"),
}


class MonthlyReport(SQLModel, table=True):
    """A grid's work in one month; confirmed reports feed the park's computed indicators."""

    __tablename__ = "monthly_report"
    __table_args__ = (
        sa.UniqueConstraint("grid_id", "year", "month", name="uq_monthly_report"),
        sa.CheckConstraint("month BETWEEN 1 AND 12", name="month"),
    )

    id: int | None = Field(default=None, primary_key=True)
    grid_id: int = Field(foreign_key="grid.id", index=True)
    year: int
    month: int
    state: MonthlyState = Field(default=MonthlyState.draft, sa_type=str_enum(MonthlyState))
    guidance_sessions: int = 0  # 思想引领宣讲活动场次
    guidance_attendance: int = 0  # their attendance (person-times)
    training_sessions: int = 0
    training_person_times: int = 0
    competition_participants: int = 0  # 劳动技能竞赛参与人次
    innovations: int = 0  # "五小", rationalisation proposals, patents
    culture_activities: int = 0
    culture_reach: int = 0  # workers reached (person-times)
    service_actions: int = 0  # 服务职工次数
    notes: str = Field(default="", max_length=2000)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    submitted_by: str = Field(default="", max_length=40)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    confirmed_by: str = Field(default="", max_length=40)
    return_comment: str = Field(default="", max_length=500)
    version: int = Field(default=1)


class MonthlyPhoto(SQLModel, table=True):
    """A photo backing a monthly report, stored on disk under its hash (app.core.files)."""

    __tablename__ = "monthly_photo"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="monthly_report.id", index=True, ondelete="CASCADE")
    filename: str = Field(max_length=200)
    stored_name: str = Field(max_length=80)
    content_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    uploaded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    uploaded_by: str = Field(default="", max_length=40)


# ---- worker demands (职工诉求) --------------------------------------------------------


class DemandState(enum.StrEnum):
    received = "received"
    assigned = "assigned"
    handled = "handled"
    verified = "verified"
    closed = "closed"


class DemandChannel(enum.StrEnum):
    visit = "visit"
    hotline = "hotline"
    online = "online"
    letter = "letter"
    survey = "survey"
    other = "other"


class DemandCategory(enum.StrEnum):
    wages = "wages"
    safety = "safety"
    skills = "skills"
    welfare = "welfare"
    dispute = "dispute"
    other = "other"


DEMAND_STATE_LABELS = {
    DemandState.received: N_("Received"),
    DemandState.assigned: N_("Assigned"),
    DemandState.handled: N_("Handled"),
    DemandState.verified: N_("Verified"),
    DemandState.closed: N_("Closed"),
}
DEMAND_CHANNEL_LABELS = {
    DemandChannel.visit: N_("Visit"),
    DemandChannel.hotline: N_("Hotline"),
    DemandChannel.online: N_("Online"),
    DemandChannel.letter: N_("Letter"),
    DemandChannel.survey: N_("Survey"),
    DemandChannel.other: N_("Other"),
}
DEMAND_CATEGORY_LABELS = {
    DemandCategory.wages: N_("Wages"),
    DemandCategory.safety: N_("Safety"),
    DemandCategory.skills: N_("Skills"),
    DemandCategory.welfare: N_("Welfare"),
    DemandCategory.dispute: N_("Dispute"),
    DemandCategory.other: N_("Other"),
}


class Demand(SQLModel, table=True):
    """A worker's demand: received → assigned → handled → verified → closed."""

    id: int | None = Field(default=None, primary_key=True)
    grid_id: int = Field(foreign_key="grid.id", index=True)
    enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id", index=True)
    channel: DemandChannel = Field(sa_type=str_enum(DemandChannel))
    category: DemandCategory = Field(sa_type=str_enum(DemandCategory))
    summary: str = Field(max_length=500)
    contact: str = Field(default="", max_length=60)  # the worker, as they agreed to be named
    state: DemandState = Field(default=DemandState.received, sa_type=str_enum(DemandState))
    received_on: date
    due_on: date  # counted in Chinese working days from received_on
    assignee: str = Field(default="", max_length=60)
    handling_note: str = Field(default="", max_length=1000)
    verification_note: str = Field(default="", max_length=500)
    handled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_on_time: bool | None = None  # set when closed: closed on or before due_on
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(default="", max_length=40)
    version: int = Field(default=1)


# ---- notices and tasks (上传下达) ------------------------------------------------------


class NoticeKind(enum.StrEnum):
    notice = "notice"  # to read and acknowledge
    task = "task"  # to carry out and report completion


NOTICE_KIND_LABELS = {
    NoticeKind.notice: N_("Notice"),
    NoticeKind.task: N_("Task"),
}


class Notice(SQLModel, table=True):
    """A notice or task an office sends down to chosen parks or grids."""

    id: int | None = Field(default=None, primary_key=True)
    kind: NoticeKind = Field(sa_type=str_enum(NoticeKind))
    title: str = Field(max_length=120)
    body: str = Field(max_length=5000)
    due_on: date | None = None
    sender_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    sender_name: str = Field(max_length=60)  # e.g. 梁溪区产改办, kept as sent
    sent_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class NoticeTarget(SQLModel, table=True):
    """One grid a notice reached (a notice to a park reaches each of its grids)."""

    __tablename__ = "notice_target"
    __table_args__ = (sa.UniqueConstraint("notice_id", "grid_id", name="uq_notice_target"),)

    id: int | None = Field(default=None, primary_key=True)
    notice_id: int = Field(foreign_key="notice.id", index=True, ondelete="CASCADE")
    grid_id: int = Field(foreign_key="grid.id", index=True)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_by: str = Field(default="", max_length=40)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    completed_by: str = Field(default="", max_length=40)
    completion_note: str = Field(default="", max_length=1000)
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reminders: int = 0


class NoticeAttachment(SQLModel, table=True):
    __tablename__ = "notice_attachment"

    id: int | None = Field(default=None, primary_key=True)
    notice_id: int = Field(foreign_key="notice.id", index=True, ondelete="CASCADE")
    filename: str = Field(max_length=200)
    stored_name: str = Field(max_length=80)
    content_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
