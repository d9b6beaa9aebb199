"""JSON routes of grid work."""

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from app.core.auth import Who
from app.core.db import SessionDep
from app.enterprises.api import GridPublic
from app.gridwork.grids import service

router = APIRouter(prefix="/api/v1", tags=["grid work"])


@router.put("/grids/{grid_id}/status", response_model=GridPublic, name="api_grid_status")
def put_status(grid_id: int, session: SessionDep, who: Who, body: dict = Body()):
    """Sets a grid's status: {"status": "green|amber|red", "note": "...", "version": n}.

    A stale version answers 409 with the grid as it is now.
    """
    try:
        return service.update_status(session=session, who=who, grid_id=grid_id, data=body)
    except service.StaleStatus as exc:
        current = GridPublic.model_validate(exc.grid, from_attributes=True).model_dump(mode="json")
        return JSONResponse({"detail": exc.message, "current": current}, status_code=409)
