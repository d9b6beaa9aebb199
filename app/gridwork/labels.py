"""How the audit trail names grid work and its fields: monthly reports, demands, notices
(registered with app.core.labels)."""

from sqlmodel import Session, col, select

from app.core import labels
from app.core.i18n import N_
from app.core.labels import Named
from app.geo.models import Grid, Park
from app.gridwork.demands.service import LABELS as DEMAND_LABELS
from app.gridwork.models import (
    DEMAND_CATEGORY_LABELS,
    DEMAND_CHANNEL_LABELS,
    DEMAND_STATE_LABELS,
    MONTHLY_STATE_LABELS,
    NOTICE_KIND_LABELS,
    Demand,
    MonthlyPhoto,
    MonthlyReport,
    Notice,
    NoticeAttachment,
)
from app.gridwork.monthly.service import COMMENT_LABEL, FIGURE_LABELS, NOTES_LABEL, Month
from app.gridwork.notices.service import LABELS as NOTICE_LABELS


def _monthly(session: Session, ids: set[int]) -> dict[int, Named]:
    rows = session.exec(
        select(MonthlyReport.id, MonthlyReport.grid_id, MonthlyReport.year, MonthlyReport.month)
        .add_columns(Grid.name, Park.name)
        .join(Grid, col(Grid.id) == MonthlyReport.grid_id)
        .join(Park, col(Park.id) == Grid.park_id)
        .where(col(MonthlyReport.id).in_(ids))
    )
    out = {}
    for i, grid_id, y, m, grid, park in rows:
        month = Month(y, m)
        out[i] = Named(
            f"{park} {grid} {month.name}",
            "monthly_report",
            {"grid_id": grid_id, "month": month.label},
        )
    return out


labels.register(
    "MonthlyReport",
    N_("Monthly grid report"),
    fields={
        "grid_id": N_("Grid"),
        "year": N_("Year"),
        "month": N_("Month"),
        "state": N_("Status"),
        **FIGURE_LABELS,
        "notes": NOTES_LABEL,
        "submitted_at": N_("Submitted at"),
        "confirmed_at": N_("Confirmed at"),
        "return_comment": COMMENT_LABEL,
    },
    values={"state": MONTHLY_STATE_LABELS},
    refs={"grid_id": "Grid"},
    names=_monthly,
)
labels.register(
    "MonthlyPhoto",
    N_("Monthly report photo"),
    fields={"filename": N_("File name"), "size": N_("Size in bytes")},
    names=labels.by_name(MonthlyPhoto, "filename", route="monthly_photo", param="photo_id"),
)
labels.register(
    "Demand",
    N_("Worker demand"),
    fields={
        "grid_id": N_("Grid"),
        **DEMAND_LABELS,
        "state": N_("Status"),
        "due_on": N_("Due date"),
        "handled_at": N_("Handled at"),
        "verified_at": N_("Verified at"),
        "closed_at": N_("Closed at"),
        "closed_on_time": N_("Closed on time"),
    },
    values={
        "channel": DEMAND_CHANNEL_LABELS,
        "category": DEMAND_CATEGORY_LABELS,
        "state": DEMAND_STATE_LABELS,
    },
    refs={"grid_id": "Grid", "enterprise_id": "Enterprise"},
    names=labels.by_name(Demand, "summary", route="demand"),
)
labels.register(
    "Notice",
    N_("Notice or task"),
    fields={
        "kind": NOTICE_LABELS["kind"],
        "title": NOTICE_LABELS["title"],
        "body": NOTICE_LABELS["content"],
        "due_on": NOTICE_LABELS["due_on"],
        "sender_name": N_("Sender"),
        "sent_at": N_("Sent at"),
    },
    values={"kind": NOTICE_KIND_LABELS},
    names=labels.by_name(Notice, "title", route="notices_notice"),
)
labels.register(
    "NoticeTarget",
    N_("Notice recipient"),
    fields={
        "notice_id": N_("Notice or task"),
        "grid_id": N_("Grid"),
        "read_at": N_("Read at"),
        "acknowledged_at": N_("Acknowledged at"),
        "acknowledged_by": N_("Acknowledged by"),
        "completed_at": N_("Completed at"),
        "completed_by": N_("Completed by"),
        "completion_note": NOTICE_LABELS["note"],
        "reminded_at": N_("Reminded at"),
        "reminders": N_("Reminders"),
    },
    refs={"notice_id": "Notice", "grid_id": "Grid"},
)
labels.register(
    "NoticeAttachment",
    N_("Notice attachment"),
    fields={
        "filename": N_("File name"),
        "size": N_("Size in bytes"),
        "notice_id": N_("Notice or task"),
    },
    refs={"notice_id": "Notice"},
    names=labels.by_name(
        NoticeAttachment, "filename", route="notices_attachment", param="attachment_id"
    ),
)
