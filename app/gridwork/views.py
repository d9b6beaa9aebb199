"""HTML pages of grid work: a grid's page and its status form."""

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from app.core.db import SessionDep
from app.core.errors import Invalid, NotFound
from app.core.i18n import _
from app.core.templating import is_htmx, render
from app.enterprises import service as roster
from app.enterprises.models import OWNERSHIP_LABELS, REFORM_TYPE_LABELS, SIZE_LABELS
from app.geo import service as geo
from app.geo.models import GRID_BASIS_LABELS, GRID_STATUS_LABELS, Grid
from app.gridwork import service

router = APIRouter()


def _status_context(grid: Grid, session, **extra) -> dict:
    liaison = (
        roster.get_liaison(session=session, liaison_id=grid.liaison_id) if grid.liaison_id else None
    )
    return {
        "grid": grid,
        "liaison": liaison,
        "status_labels": GRID_STATUS_LABELS,
        "errors": {},
        "form": {},
        **extra,
    }


def _page_context(session, grid: Grid, **status_extra) -> dict:
    park = geo.get_park(session=session, park_id=grid.park_id)
    enterprises = roster.of_grid(session=session, grid_id=grid.id)
    return _status_context(
        grid,
        session,
        park=park,
        ancestors=geo.ancestors(session=session, area_id=park.area_id),
        enterprises=enterprises,
        liaisons=roster.liaisons_by_id(
            session=session, ids=[e.liaison_id for e in enterprises if e.liaison_id]
        ),
        totals=roster.totals_by_grid(session=session, grid_ids=[grid.id]).get(
            grid.id, roster.RosterTotals()
        ),
        basis_labels=GRID_BASIS_LABELS,
        ownership_labels=OWNERSHIP_LABELS,
        size_labels=SIZE_LABELS,
        reform_labels=REFORM_TYPE_LABELS,
        **status_extra,
    )


@router.get("/grids/{grid_id}", response_class=HTMLResponse, name="grid")
def grid_page(request: Request, grid_id: int, session: SessionDep):
    grid = geo.get_grid(session=session, grid_id=grid_id)
    if grid is None:
        raise HTTPException(404, _("No such grid."))
    return render(request, "gridwork/grid.html", _page_context(session, grid))


@router.post("/grids/{grid_id}/status", response_class=HTMLResponse, name="grid_status")
def change_status(
    request: Request,
    grid_id: int,
    session: SessionDep,
    status: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    changed_by: Annotated[str, Form()] = "",
):
    form = {"status": status, "note": note, "changed_by": changed_by}
    try:
        grid = service.update_status(session=session, grid_id=grid_id, data=form)
    except NotFound:
        raise HTTPException(404, _("No such grid.")) from None
    except Invalid as exc:
        grid = geo.get_grid(session=session, grid_id=grid_id)
        if is_htmx(request):
            context = _status_context(grid, session, errors=exc.errors, form=form)
            return render(request, "gridwork/_status.html", context, status_code=422)
        # Without JavaScript the whole page comes back, with the errors in the form.
        context = _page_context(session, grid, errors=exc.errors, form=form)
        return render(request, "gridwork/grid.html", context, status_code=422)
    if is_htmx(request):
        return render(request, "gridwork/_status.html", _status_context(grid, session, saved=True))
    return RedirectResponse(request.url_for("grid", grid_id=grid_id), status_code=303)
