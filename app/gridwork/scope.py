"""Scope rules of grid work: reports, demands and a notice's targets by their grid."""

import sqlalchemy as sa
from sqlmodel import col, select

from app.core.permissions import Principal, register, scope_rule
from app.geo.scope import by_grid, grid_ids
from app.gridwork.models import Demand, MonthlyReport, Notice, NoticeTarget

register(Demand, by_grid(Demand))
register(MonthlyReport, by_grid(MonthlyReport))
register(NoticeTarget, by_grid(NoticeTarget))


@scope_rule(Notice)
def _notice_clause(p: Principal, action: str):
    # A notice is the sender's, and reaches the grids it was sent to.
    reached = (
        select(NoticeTarget.id)
        .where(
            NoticeTarget.notice_id == Notice.id,
            col(NoticeTarget.grid_id).in_(grid_ids(p, action)),
        )
        .exists()
    )
    return sa.or_(col(Notice.sender_id) == p.user_id, reached)
