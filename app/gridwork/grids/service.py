"""Operations of grid work: the grid's status, changed only by someone who saw the latest one."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, func, select, update

from app.audit import service as audit
from app.audit.models import AuditAction
from app.core import permissions
from app.core.errors import Conflict, Invalid
from app.core.forms import parse
from app.core.i18n import _, gettext
from app.core.inputs import MAX_VERSION, bounded_int
from app.core.permissions import Principal
from app.core.types import utcnow
from app.geo.models import Grid, Park
from app.gridwork.models import (
    STATUS_LABELS,
    Demand,
    DemandState,
    GridStatusUpdate,
    MonthlyReport,
    MonthlyState,
    NoticeTarget,
)


class StaleStatus(Conflict):
    """Someone changed the status since this form was loaded; `grid` is how it is now."""

    def __init__(self, grid: Grid):
        super().__init__(
            _("{who} changed this grid's status while you were editing it.").format(
                who=grid.status_changed_by or "—"
            )
        )
        self.grid = grid


def _version(raw: Any) -> int:
    # JSON may carry a float, a bool or a number beyond any row's version: none is one.
    version = None if isinstance(raw, bool | float) else bounded_int(raw, low=0, high=MAX_VERSION)
    if version is None:
        raise Invalid({"version": _("The form is missing the status version; reload the page.")})
    return version


def update_status(
    *, session: Session, who: Principal, grid_id: int, data: Mapping[str, Any]
) -> Grid:
    """Sets a grid's status and note if `data["version"]` is still current; audited.

    The write is one conditional UPDATE (… WHERE status_version = the form's version), so of
    several people saving at once exactly one wins, on SQLite and PostgreSQL alike; the
    others get StaleStatus with what the winner saved. The principal's scope is part of the
    same WHERE: the row cannot be changed out of scope, which is the re-check after the
    write that `permissions.recheck` would otherwise do with another query.
    """
    grid = permissions.get(session, who, "change", Grid, grid_id)
    change = parse(GridStatusUpdate, data, {k: gettext(v) for k, v in STATUS_LABELS.items()})
    version = _version(data.get("version"))
    before = audit.snapshot(grid)
    values = {
        "status": change.status,
        "status_note": change.note,
        "status_changed_by": who.display_name,
        "status_changed_at": utcnow(),
        # The WHERE below holds the version at the form's: the new one is known already.
        "status_version": version + 1,
    }
    result = session.execute(
        permissions.restrict(
            update(Grid).where(col(Grid.id) == grid_id, col(Grid.status_version) == version),
            who,
            "change",
            Grid,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        # Lost the race (or the grid left the scope meanwhile): read it as it is now. Out
        # of scope is NotFound (audited) like any fetch; otherwise show what the other
        # person saved.
        session.expire(grid)
        raise StaleStatus(permissions.get(session, who, "change", Grid, grid_id))
    # What the UPDATE stored, set as the loaded state: no SELECT to read it back.
    for key, value in values.items():
        set_committed_value(grid, key, value)
    audit.record(session=session, who=who, action=AuditAction.update, obj=grid, before=before)
    return grid


@dataclass(frozen=True)
class GridDue:
    """What a grid's liaison has to do, for the 'my grids' home."""

    grid: Grid
    park_name: str
    monthly_missing: tuple[str, ...]  # months (YYYY-MM) without a submitted report
    notices_to_acknowledge: int
    demands_open: int
    demands_overdue: int

    @property
    def anything_due(self) -> bool:
        return bool(self.monthly_missing or self.notices_to_acknowledge or self.demands_open)


def _previous_month(day: date) -> tuple[int, int]:
    return (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)


def my_grids(*, session: Session, who: Principal, today: date) -> list[GridDue]:
    """The principal's own grids with what is due in each: last month's report, notices, demands."""
    grids = list(
        session.exec(
            permissions.restrict(
                select(Grid).where(col(Grid.id).in_(who.grid_ids)).order_by(col(Grid.id)),
                who,
                "change",
                Grid,
            )
        )
    )
    ids = [g.id for g in grids]
    parks = {
        p.id: p.name
        for p in session.exec(select(Park).where(col(Park.id).in_({g.park_id for g in grids})))
    }
    year, month = _previous_month(today)
    reported = {
        gid
        for gid, state in session.exec(
            select(MonthlyReport.grid_id, MonthlyReport.state).where(
                col(MonthlyReport.grid_id).in_(ids),
                MonthlyReport.year == year,
                MonthlyReport.month == month,
            )
        )
        if state is not MonthlyState.draft
    }
    unacknowledged = dict(
        session.exec(
            select(NoticeTarget.grid_id, func.count(col(NoticeTarget.id)))
            .where(col(NoticeTarget.grid_id).in_(ids), col(NoticeTarget.acknowledged_at).is_(None))
            .group_by(col(NoticeTarget.grid_id))
        ).all()
    )
    open_demands: dict[int, int] = {}
    overdue: dict[int, int] = {}
    for gid, due_on in session.exec(
        select(Demand.grid_id, Demand.due_on).where(
            col(Demand.grid_id).in_(ids), Demand.state != DemandState.closed
        )
    ):
        open_demands[gid] = open_demands.get(gid, 0) + 1
        overdue[gid] = overdue.get(gid, 0) + (due_on < today)
    label = f"{year}-{month:02d}"
    return [
        GridDue(
            grid=g,
            park_name=parks.get(g.park_id, ""),
            monthly_missing=() if g.id in reported else (label,),
            notices_to_acknowledge=unacknowledged.get(g.id, 0),
            demands_open=open_demands.get(g.id, 0),
            demands_overdue=overdue.get(g.id, 0),
        )
        for g in grids
    ]
