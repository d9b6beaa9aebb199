"""Operations of grid work: the grid's status, changed only by someone who saw the latest one."""

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, col, update

from app.audit import service as audit
from app.audit.models import AuditAction
from app.core import permissions
from app.core.errors import Conflict, Invalid
from app.core.forms import parse
from app.core.i18n import _, gettext
from app.core.permissions import Principal
from app.core.types import utcnow
from app.geo.models import Grid
from app.gridwork.models import STATUS_LABELS, GridStatusUpdate


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
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise Invalid(
            {"version": _("The form is missing the status version; reload the page.")}
        ) from None


def update_status(
    *, session: Session, who: Principal, grid_id: int, data: Mapping[str, Any]
) -> Grid:
    """Sets a grid's status and note if `data["version"]` is still current; audited.

    The write is one conditional UPDATE (… WHERE status_version = the form's version), so of
    several people saving at once exactly one wins, on SQLite and PostgreSQL alike; the
    others get StaleStatus with what the winner saved.
    """
    grid = permissions.get(session, who, "change", Grid, grid_id)
    change = parse(GridStatusUpdate, data, {k: gettext(v) for k, v in STATUS_LABELS.items()})
    version = _version(data.get("version"))
    before = audit.snapshot(grid)
    result = session.execute(
        update(Grid)
        .where(col(Grid.id) == grid_id, col(Grid.status_version) == version)
        .values(
            status=change.status,
            status_note=change.note,
            status_changed_by=who.display_name,
            status_changed_at=utcnow(),
            status_version=Grid.status_version + 1,
        )
    )
    session.refresh(grid)
    if result.rowcount != 1:
        raise StaleStatus(grid)
    permissions.recheck(session, who, "change", grid)
    audit.record(session=session, who=who, action=AuditAction.update, obj=grid, before=before)
    return grid
