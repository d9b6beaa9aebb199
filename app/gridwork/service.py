"""Operations of grid work."""

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from app.audit import service as audit
from app.audit.models import AuditAction
from app.core import permissions
from app.core.forms import parse
from app.core.i18n import gettext
from app.core.permissions import Principal
from app.core.types import utcnow
from app.geo.models import Grid
from app.gridwork.models import STATUS_LABELS, GridStatusUpdate


def update_status(
    *, session: Session, who: Principal, grid_id: int, data: Mapping[str, Any]
) -> Grid:
    """Sets a grid's status and note, stamped with when and by whom, and audited."""
    grid = permissions.get(session, who, "change", Grid, grid_id)
    change = parse(GridStatusUpdate, data, {k: gettext(v) for k, v in STATUS_LABELS.items()})
    before = audit.snapshot(grid)
    grid.status = change.status
    grid.status_note = change.note
    grid.status_changed_by = who.display_name
    grid.status_changed_at = utcnow()
    session.add(grid)
    permissions.recheck(session, who, "change", grid)
    audit.record(session=session, who=who, action=AuditAction.update, obj=grid, before=before)
    return grid
