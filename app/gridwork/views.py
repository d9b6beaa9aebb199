"""HTML pages of grid work: a grid's page and its status form."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from app.accounts.deps import Who
from app.audit import service as audit
from app.core import permissions
from app.core.db import SessionDep
from app.core.errors import Invalid
from app.core.templating import LOCAL_TZ, is_htmx, render
from app.core.types import utcnow
from app.enterprises import service as roster
from app.enterprises.models import OWNERSHIP_LABELS, REFORM_TYPE_LABELS, SIZE_LABELS
from app.geo import service as geo
from app.geo.models import GRID_BASIS_LABELS, GRID_STATUS_LABELS, Grid
from app.gridwork import service

router = APIRouter()


def _status_context(session, who, grid: Grid, **extra) -> dict:
    liaison = (
        roster.get_liaison(session=session, liaison_id=grid.liaison_id) if grid.liaison_id else None
    )
    return {
        "grid": grid,
        "liaison": liaison,
        "status_labels": GRID_STATUS_LABELS,
        "can_change": permissions.allows(session, who, "change", Grid, grid.id),
        "errors": {},
        "form": {},
        "history": audit.history(session=session, object_type="Grid", object_id=grid.id),
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
    form = {"status": status, "note": note, "version": version}
    try:
        grid = service.update_status(session=session, who=who, grid_id=grid_id, data=form)
    except service.StaleStatus as exc:
        # Show what the other person saved, by whom and when, with the form on the latest
        # version: the user decides whether to save theirs over it.
        context = _status_context(session, who, exc.grid, conflict=exc.message, form=form)
        template = "gridwork/_status.html" if is_htmx(request) else "gridwork/grid.html"
        if not is_htmx(request):
            context = _page_context(session, who, exc.grid, conflict=exc.message, form=form)
        return render(request, template, context, status_code=409)
    except Invalid as exc:
        grid = geo.get_grid(session=session, who=who, grid_id=grid_id)
        if is_htmx(request):
            context = _status_context(session, who, grid, errors=exc.errors, form=form)
            return render(request, "gridwork/_status.html", context, status_code=422)
        # Without JavaScript the whole page comes back, with the errors in the form.
        context = _page_context(session, who, grid, errors=exc.errors, form=form)
        return render(request, "gridwork/grid.html", context, status_code=422)
    if is_htmx(request):
        context = _status_context(session, who, grid, saved=True)
        return render(request, "gridwork/_status.html", context)
    return RedirectResponse(request.url_for("grid", grid_id=grid_id), status_code=303)
