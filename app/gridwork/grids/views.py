"""HTML pages of grid work: a grid's page and its status form."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from app.audit import service as audit
from app.core import permissions
from app.core.auth import Who
from app.core.db import SessionDep
from app.core.errors import Invalid
from app.core.templating import LOCAL_TZ, is_htmx, render
from app.core.types import utcnow
from app.enterprises import service as roster
from app.enterprises.models import OWNERSHIP_LABELS, REFORM_TYPE_LABELS, SIZE_LABELS
from app.geo import service as geo
from app.geo.models import GRID_BASIS_LABELS, GRID_STATUS_LABELS, Grid
from app.gridwork.grids import service

router = APIRouter()


def _status_context(session, who, grid: Grid, **extra) -> dict:
    """The whole status panel: the liaison, the form and the change history."""
    liaison = (
        roster.get_liaison(session=session, liaison_id=grid.liaison_id) if grid.liaison_id else None
    )
    return {
        **_current_context(
            grid, can_change=permissions.allows(session, who, "change", Grid, grid.id)
        ),
        "liaison": liaison,
        "history": audit.history(session=session, object_type="Grid", object_id=grid.id),
        **extra,
    }


def _current_context(grid: Grid, *, can_change: bool, **extra) -> dict:
    """The panel's part a save changes (status, last change, notice, form): no query."""
    return {
        "grid": grid,
        "status_labels": GRID_STATUS_LABELS,
        "can_change": can_change,
        "errors": {},
        "form": {},
        **extra,
    }


def _page_context(session, who, grid: Grid, **status_extra) -> dict:
    park = geo.get_park(session=session, who=who, park_id=grid.park_id)
    enterprises = roster.of_grid(session=session, who=who, grid_id=grid.id)
    return _status_context(
        session,
        who,
        grid,
        park=park,
        ancestors=geo.ancestors(session=session, area_id=park.area_id),
        visible=geo.visible(session=session, who=who),
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


@router.get("/my", response_class=HTMLResponse, name="my_grids")
def my_grids(request: Request, session: SessionDep, who: Who):
    """A liaison's home: their grids, each with its status and what is due."""
    today = utcnow().astimezone(LOCAL_TZ).date()
    rows = service.my_grids(session=session, who=who, today=today)
    return render(request, "gridwork/my.html", {"rows": rows, "status_labels": GRID_STATUS_LABELS})


@router.get("/grids/{grid_id}", response_class=HTMLResponse, name="grid")
def grid_page(request: Request, grid_id: int, session: SessionDep, who: Who):
    grid = geo.get_grid(session=session, who=who, grid_id=grid_id)
    return render(request, "gridwork/grid.html", _page_context(session, who, grid))


@router.get("/grids/{grid_id}/status", response_class=HTMLResponse, name="grid_status_panel")
def status_panel(request: Request, grid_id: int, session: SessionDep, who: Who):
    """The status panel alone, as it is now (htmx reloads it after a conflict)."""
    grid = geo.get_grid(session=session, who=who, grid_id=grid_id)
    return render(request, "gridwork/_status.html", _status_context(session, who, grid))


@router.get("/grids/{grid_id}/history", response_class=HTMLResponse, name="grid_status_history")
def status_history(request: Request, grid_id: int, session: SessionDep, who: Who):
    """The status panel's change history alone: a save's answer has htmx fetch it in a
    request of its own, so the save neither reads nor renders the history."""
    grid = geo.get_grid(session=session, who=who, grid_id=grid_id)
    history = audit.history(session=session, object_type="Grid", object_id=grid.id)
    return render(request, "gridwork/_status_history.html", {"grid": grid, "history": history})


@router.post("/grids/{grid_id}/status", response_class=HTMLResponse, name="grid_status")
def change_status(
    request: Request,
    grid_id: int,
    session: SessionDep,
    who: Who,
    status: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    version: Annotated[str, Form()] = "",
):
    """Saves the status. htmx gets the panel's changing part back (status, last change,
    notice or conflict or errors, the form on the new version), not the whole panel."""
    form = {"status": status, "note": note, "version": version}
    try:
        grid = service.update_status(session=session, who=who, grid_id=grid_id, data=form)
    except service.StaleStatus as exc:
        # Show what the other person saved, by whom and when, with the form on the latest
        # version: the user decides whether to save theirs over it.
        if not is_htmx(request):
            context = _page_context(session, who, exc.grid, conflict=exc.message, form=form)
            return render(request, "gridwork/grid.html", context, status_code=409)
        # Only someone allowed to change the grid gets this far; the history gained the
        # other person's change, so it is fetched again.
        context = _current_context(
            exc.grid, can_change=True, conflict=exc.message, form=form, reload_history=True
        )
        return render(request, "gridwork/_status_current.html", context, status_code=409)
    except Invalid as exc:
        grid = geo.get_grid(session=session, who=who, grid_id=grid_id)
        if is_htmx(request):
            # update_status checks the form after the scope: the user may change the grid.
            context = _current_context(grid, can_change=True, errors=exc.errors, form=form)
            return render(request, "gridwork/_status_current.html", context, status_code=422)
        # Without JavaScript the whole page comes back, with the errors in the form.
        context = _page_context(session, who, grid, errors=exc.errors, form=form)
        return render(request, "gridwork/grid.html", context, status_code=422)
    if is_htmx(request):
        # The change went through the "change" scope: the form stays. Nothing is read
        # after the write, so the write lock is held for the write alone.
        context = _current_context(grid, can_change=True, saved=True, reload_history=True)
        return render(request, "gridwork/_status_current.html", context)
    return RedirectResponse(request.url_for("grid", grid_id=grid_id), status_code=303)
