"""Pages of worker demands: a grid's list and form, one demand and its steps, the office list."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import Session

from app.audit import service as audit
from app.core import permissions
from app.core.auth import Who
from app.core.db import SessionDep
from app.core.errors import Conflict, Invalid, NotFound
from app.core.forms import PostedForm
from app.core.i18n import _
from app.core.inputs import MAX_ID, MAX_PAGE, MAX_VERSION, MAX_YEAR, bounded_int, is_id
from app.core.permissions import Principal
from app.core.templating import is_htmx, render
from app.enterprises import service as roster
from app.geo import service as geo
from app.geo.models import Grid, Park
from app.gridwork.demands import service
from app.gridwork.models import (
    DEMAND_CATEGORY_LABELS,
    DEMAND_CHANNEL_LABELS,
    DEMAND_STATE_LABELS,
    Demand,
    DemandState,
)

router = APIRouter()

NEW_FIELDS = ("channel", "category", "enterprise_id", "summary", "contact", "received_on")
STEP_FIELDS = ("assignee", "handling_note", "verification_note")
PER_PAGE = 50
# A grid page lists this many; the office list pages through the rest.
GRID_PAGE = 200


def _labels() -> dict:
    return {
        "state_labels": DEMAND_STATE_LABELS,
        "channel_labels": DEMAND_CHANNEL_LABELS,
        "category_labels": DEMAND_CATEGORY_LABELS,
        "is_overdue": service.is_overdue,
        "due_known": service.due_known,
        "due_days": service.DUE_WORKING_DAYS,
    }


def _card_context(session: Session, demands: list[Demand]) -> dict:
    grids, parks = service.places(session=session, demands=demands)
    return {
        "demands": demands,
        "grids": grids,
        "parks": parks,
        "enterprises": service.enterprise_names(session=session, demands=demands),
        "today": service.local_today(),
    }


# ---- a grid's demands ---------------------------------------------------------------


def _grid_context(session: Session, who: Principal, grid: Grid, **extra) -> dict:
    demands, total = service.search(
        session=session, who=who, f=service.DemandFilter(grid_id=grid.id), per_page=GRID_PAGE
    )
    today = service.local_today()
    return {
        **_labels(),
        **_card_context(session, demands),
        "grid": grid,
        "grid_total": total,
        "counts": service.counts(
            session=session, who=who, f=service.DemandFilter(grid_id=grid.id), today=today
        ),
        "can_change": permissions.allows(session, who, "change", Grid, grid.id),
        "grid_enterprises": roster.of_grid(session=session, who=who, grid_id=grid.id),
        "errors": {},
        "form": {"received_on": today.isoformat()},
        "field_labels": service.LABELS,
        **extra,
    }


def _grid_page(request: Request, session: Session, who: Principal, grid: Grid, status=200, **kw):
    park = geo.get_park(session=session, who=who, park_id=grid.park_id)
    context = _grid_context(
        session,
        who,
        grid,
        park=park,
        ancestors=geo.ancestors(session=session, area_id=park.area_id),
        visible=geo.visible(session=session, who=who),
        **kw,
    )
    return render(request, "gridwork/demands/grid.html", context, status_code=status)


@router.get("/grids/{grid_id}/demands", response_class=HTMLResponse, name="demands_grid")
def grid_demands(request: Request, grid_id: int, session: SessionDep, who: Who):
    grid = geo.get_grid(session=session, who=who, grid_id=grid_id)
    recorded = request.query_params.get("recorded", "")
    return _grid_page(
        request, session, who, grid, recorded=int(recorded) if is_id(recorded) else None
    )


@router.post("/grids/{grid_id}/demands", response_class=HTMLResponse, name="demands_create")
def grid_demand_create(
    request: Request, grid_id: int, session: SessionDep, who: Who, posted: PostedForm
):
    form = {k: str(posted.get(k, "")) for k in NEW_FIELDS}
    try:
        demand = service.record(session=session, who=who, grid_id=grid_id, data=form)
    except Invalid as exc:
        # Nothing of the attempt may be committed with the error page.
        session.rollback()
        grid = geo.get_grid(session=session, who=who, grid_id=grid_id)
        if is_htmx(request):
            context = _grid_context(session, who, grid, errors=exc.errors, form=form)
            return render(request, "gridwork/demands/_grid.html", context, status_code=422)
        return _grid_page(request, session, who, grid, 422, errors=exc.errors, form=form)
    if is_htmx(request):
        grid = geo.get_grid(session=session, who=who, grid_id=grid_id)
        context = _grid_context(session, who, grid, recorded=demand.id)
        return render(request, "gridwork/demands/_grid.html", context)
    url = request.url_for("demands_grid", grid_id=grid_id).include_query_params(recorded=demand.id)
    return RedirectResponse(str(url), status_code=303)


# ---- one demand -----------------------------------------------------------------------


def _demand_context(session: Session, who: Principal, demand: Demand, **extra) -> dict:
    step = service.next_step(demand)
    can_change = permissions.allows(session, who, "change", Demand, demand.id)
    return {
        **_labels(),
        "demand": demand,
        "grid": session.get(Grid, demand.grid_id),
        "enterprise_name": service.enterprise_names(session=session, demands=[demand]).get(
            demand.enterprise_id
        ),
        "step": step,
        "can_step": service.may_take(session=session, who=who, demand=demand, step=step),
        # A liaison sees why the loop waits: verification is the park office's.
        "waits_for_office": can_change and step is not None and step.name == "verify",
        "overdue": service.is_overdue(demand),
        "history": audit.history(session=session, object_type="Demand", object_id=demand.id),
        "field_labels": service.LABELS,
        "errors": {},
        "form": {},
        **extra,
    }


def _demand_page(request, session, who, demand: Demand, status=200, **extra):
    grid = session.get(Grid, demand.grid_id)
    park = session.get(Park, grid.park_id)
    context = _demand_context(
        session,
        who,
        demand,
        park=park,
        ancestors=geo.ancestors(session=session, area_id=park.area_id),
        visible=geo.visible(session=session, who=who),
        **extra,
    )
    return render(request, "gridwork/demands/demand.html", context, status_code=status)


@router.get("/demands/{demand_id}", response_class=HTMLResponse, name="demand")
def demand_page(request: Request, demand_id: int, session: SessionDep, who: Who):
    demand = service.get(session=session, who=who, demand_id=demand_id)
    return _demand_page(request, session, who, demand)


@router.post("/demands/{demand_id}/{step}", response_class=HTMLResponse, name="demand_step")
def demand_step(
    request: Request, demand_id: int, step: str, session: SessionDep, who: Who, posted: PostedForm
):
    if step not in service.STEPS:
        raise NotFound
    form = {k: str(posted[k]) for k in STEP_FIELDS if k in posted}
    raw_version = str(posted.get("version", ""))
    version = bounded_int(raw_version, low=0, high=MAX_VERSION)
    try:
        service.advance(
            session=session, who=who, demand_id=demand_id, step=step, data=form, version=version
        )
    except (Invalid, Conflict) as exc:
        session.rollback()
        demand = service.get(session=session, who=who, demand_id=demand_id)
        if isinstance(exc, Invalid):
            status, extra = 422, {"errors": exc.errors, "form": form}
        else:
            status, extra = 409, {"conflict": exc.message}
        if is_htmx(request):
            context = _demand_context(session, who, demand, **extra)
            return render(request, "gridwork/demands/_demand.html", context, status_code=status)
        return _demand_page(request, session, who, demand, status, **extra)
    demand = service.get(session=session, who=who, demand_id=demand_id)
    if is_htmx(request):
        context = _demand_context(session, who, demand, done=step)
        return render(request, "gridwork/demands/_demand.html", context)
    return RedirectResponse(request.url_for("demand", demand_id=demand_id), status_code=303)


# ---- the office list ------------------------------------------------------------------


def _number(raw: str, field: str, label: str, high: int = MAX_ID) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    value = bounded_int(raw, low=1, high=high)
    if value is None:
        raise Invalid({field: _("{field} is not valid.").format(field=label)})
    return value


def _filter(request: Request) -> tuple[service.DemandFilter, int]:
    q = request.query_params
    state = q.get("state", "").strip() or None
    if state is not None and state != service.OPEN and state not in DemandState.__members__:
        raise Invalid({"state": _("{field} is not valid.").format(field=_("State"))})
    f = service.DemandFilter(
        park_id=_number(q.get("park_id", ""), "park_id", _("Park")),
        grid_id=_number(q.get("grid_id", ""), "grid_id", _("Grid")),
        year=_number(q.get("year", ""), "year", _("Year"), MAX_YEAR),
        state=state,
        overdue=q.get("overdue", "") in ("1", "on", "true"),
    )
    return f, _number(q.get("page", ""), "page", _("Page"), MAX_PAGE) or 1


@router.get("/demands", response_class=HTMLResponse, name="demands")
def demands_page(request: Request, session: SessionDep, who: Who):
    f, page = _filter(request)
    today = service.local_today()
    rows, total = service.search(
        session=session, who=who, f=f, today=today, page=page, per_page=PER_PAGE
    )
    grid = geo.get_grid(session=session, who=who, grid_id=f.grid_id) if f.grid_id else None
    context = {
        **_labels(),
        **_card_context(session, rows),
        "f": f,
        "total": total,
        "page": page,
        "pages": service.pages(total, PER_PAGE),
        "counts": service.counts(session=session, who=who, f=f, today=today),
        "park_choices": geo.parks(session=session, who=who),
        "grid": grid,
        "years": list(range(today.year, today.year - 3, -1)),
        "open_state": service.OPEN,
        "show_place": True,
        # A liaison records demands from their grids' pages.
        "own_grids": [(gid, name) for gid, name in who.grids if who.can("change")],
    }
    if is_htmx(request) and request.headers.get("HX-Target") == "demand-results":
        return render(request, "gridwork/demands/_results.html", context)
    return render(request, "gridwork/demands/list.html", context)
