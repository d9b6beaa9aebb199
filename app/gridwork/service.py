"""Operations of grid work."""

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from app.core.errors import NotFound
from app.core.forms import parse
from app.core.i18n import gettext
from app.core.types import utcnow
from app.geo.models import Grid
from app.gridwork.models import STATUS_LABELS, GridStatusUpdate


def update_status(*, session: Session, grid_id: int, data: Mapping[str, Any]) -> Grid:
    """Sets a grid's status and note, stamped with when and by whom; raises Invalid or NotFound."""
    grid = session.get(Grid, grid_id)
    if grid is None:
        raise NotFound
    change = parse(GridStatusUpdate, data, {k: gettext(v) for k, v in STATUS_LABELS.items()})
    grid.status = change.status
    grid.status_note = change.note
    grid.status_changed_by = change.changed_by
    grid.status_changed_at = utcnow()
    session.add(grid)
    session.flush()
    return grid
