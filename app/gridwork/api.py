"""JSON routes of grid work."""

from fastapi import APIRouter, HTTPException
from fastapi.responses import JSONResponse

from app.core.db import SessionDep
from app.core.errors import Invalid, NotFound
from app.core.i18n import _
from app.geo.api import GridPublic
from app.gridwork import service

router = APIRouter(prefix="/api/v1", tags=["grid work"])


@router.put("/grids/{grid_id}/status", response_model=GridPublic)
def put_status(grid_id: int, body: dict, session: SessionDep):
    """Sets a grid's status; the body is validated by the service to name bad fields in Chinese."""
    try:
        return service.update_status(session=session, grid_id=grid_id, data=body)
    except NotFound:
        raise HTTPException(404, _("No such grid.")) from None
    except Invalid as exc:
        return JSONResponse({"detail": _("Some fields are not valid."), "errors": exc.errors}, 422)
