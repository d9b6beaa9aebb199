"""HTML pages of the roster: a grid's enterprises, adding, editing, moving, the node enterprise."""

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import pass_context
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.core import permissions, privacy
from app.core.auth import Who
from app.core.db import SessionDep
from app.core.errors import Invalid
from app.core.forms import PostedForm, fields
from app.core.i18n import N_, _
from app.core.params import query_id
from app.core.permissions import Principal
from app.core.templating import env, is_htmx, render
from app.enterprises import service as roster
from app.enterprises.models import (
    OWNERSHIP_LABELS,
    REFORM_TYPE_LABELS,
    SIZE_LABELS,
    Enterprise,
    Liaison,
)
from app.enterprises.service import liaisons_by_id
from app.geo import service as geo
from app.geo.models import Grid, Park

router = APIRouter()


@pass_context
def _sees_numbers(context, park_id: int, grid_id: int | None = None) -> bool:
    """For a template: whether the page's viewer sees this grid's (or park's) numbers in full."""
    who = getattr(context["request"].state, "principal", None)
    grid_ids = {grid_id} if grid_id is not None else None
    return who is not None and privacy.sees_in_full(who, park_id=park_id, grid_ids=grid_ids)


# Every page shows people's numbers through these (enterprises/_phone.html): in full in the
# viewer's own place, masked elsewhere.
env.globals.update(mask_number=privacy.mask, sees_numbers=_sees_numbers)

Q = Annotated[str, Query(max_length=100)]


def _values(e: Enterprise | None) -> dict[str, str]:
    """An enterprise as its form shows it (checkboxes "on" or empty), or a blank form."""
    if e is None:
        return {}
    return {
        "credit_code": e.credit_code,
        "name": e.name,
        "ownership": e.ownership.value,
        "size": e.size.value,
        "industry": e.industry,
        "worker_count": str(e.worker_count),
        "union_founded": "on" if e.union_founded else "",
        "collective_contract": "on" if e.collective_contract else "",
        "in_reform": "on" if e.in_reform else "",
        "reform_type": e.reform_type.value if e.reform_type else "",
        "liaison_id": str(e.liaison_id) if e.liaison_id else "",
    }


def _form_context(session: Session, park_id: int, full_numbers: bool) -> dict[str, Any]:
    return {
        "full_numbers": full_numbers,
        "L": roster.labels(),
        "ownership_labels": OWNERSHIP_LABELS,
        "size_labels": SIZE_LABELS,
        "reform_labels": REFORM_TYPE_LABELS,
        "liaison_choices": roster.liaison_choices(session=session, park_id=park_id),
        "served": roster.served_by(session=session, park_id=park_id),
    }


def _place(session: Session, who: Principal, park: Park) -> dict[str, Any]:
    return {
        "park": park,
        "ancestors": geo.ancestors(session=session, area_id=park.area_id),
        "visible": geo.visible(session=session, who=who),
    }


# ---- the grid's roster -------------------------------------------------------------


def _roster_context(
    session: Session, who: Principal, grid_id: int, q: str, notice: list[str] | None = None
) -> dict[str, Any]:
    r = roster.roster(session=session, who=who, grid_id=grid_id, query=q)
    return {
        "r": r,
        "grid": r.grid,
        "q": r.query,
        **_place(session, who, r.park),
        "can_change": permissions.allows(session, who, "change", Grid, r.grid.id),
        "full_numbers": privacy.sees_in_full(who, park_id=r.park.id, grid_ids={r.grid.id}),
        "liaisons": liaisons_by_id(
            session=session, ids=[e.liaison_id for e in r.enterprises if e.liaison_id]
        ),
        "ownership_labels": OWNERSHIP_LABELS,
        "size_labels": SIZE_LABELS,
        "reform_labels": REFORM_TYPE_LABELS,
        "notice": notice or [],
    }


def _visible_enterprise(session: Session, who: Principal, enterprise_id: int | None):
    if enterprise_id is None or not permissions.allows(
        session, who, "view", Enterprise, enterprise_id
    ):
        return None
    return session.get(Enterprise, enterprise_id)


def _node_notice(e: Enterprise, grid: Grid, previous: Enterprise | None) -> list[str]:
    lines = [_("{name} is now the node enterprise of {grid}.").format(name=e.name, grid=grid.name)]
    if previous is not None:
        lines.append(_("{name} is no longer the node enterprise.").format(name=previous.name))
    return lines


@router.get("/grids/{grid_id}/roster", response_class=HTMLResponse, name="roster")
def roster_page(
    request: Request,
    grid_id: int,
    session: SessionDep,
    who: Who,
    q: Q = "",
    done: Annotated[str, Query(max_length=20)] = "",
    e: query_id(N_("Enterprise")) = None,
):
    notice: list[str] = []
    shown = _visible_enterprise(session, who, e)
    if shown is not None and done == "added":
        notice = [_("{name} was added to the roster.").format(name=shown.name)]
    elif shown is not None and done == "node":
        notice = _node_notice(shown, session.get(Grid, shown.grid_id), None)
    context = _roster_context(session, who, grid_id, q, notice)
    if is_htmx(request):
        # The search box asks for the list alone, as the user types.
        return render(request, "enterprises/_roster_list.html", context)
    return render(request, "enterprises/roster.html", context)


# ---- adding ------------------------------------------------------------------------


def _add_page(
    request: Request,
    session: Session,
    who: Principal,
    grid: Grid,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    added: Enterprise | None = None,
    status_code: int = 200,
):
    park = session.get(Park, grid.park_id)
    full_numbers = privacy.sees_in_full(who, park_id=park.id, grid_ids={grid.id})
    context = {
        "grid": grid,
        **_place(session, who, park),
        **_form_context(session, park.id, full_numbers),
        "values": values or {},
        "errors": errors or {},
        "added": added,
    }
    return render(request, "enterprises/add.html", context, status_code=status_code)


@router.get("/grids/{grid_id}/enterprises", response_class=HTMLResponse, name="roster_add_form")
def add_form(request: Request, grid_id: int, session: SessionDep, who: Who):
    grid = permissions.get(session, who, "change", Grid, grid_id)
    return _add_page(request, session, who, grid)


@router.post("/grids/{grid_id}/enterprises", response_class=HTMLResponse, name="roster_add")
def add(request: Request, grid_id: int, session: SessionDep, who: Who, posted: PostedForm):
    data = fields(posted)
    try:
        e = roster.add(session=session, who=who, grid_id=grid_id, data=data)
    except Invalid as exc:
        grid = permissions.get(session, who, "change", Grid, grid_id)
        return _add_page(
            request, session, who, grid, values=data, errors=exc.errors, status_code=422
        )
    if is_htmx(request):
        # Between two visits a liaison often records several enterprises: a fresh form.
        grid = session.get(Grid, e.grid_id)
        return _add_page(request, session, who, grid, added=e)
    url = request.url_for("roster", grid_id=e.grid_id)
    return RedirectResponse(f"{url}?{urlencode({'done': 'added', 'e': e.id})}", status_code=303)


# ---- one enterprise: edit, move, node ----------------------------------------------


def _enterprise_page(
    request: Request,
    session: Session,
    who: Principal,
    enterprise_id: int,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    move_errors: dict[str, str] | None = None,
    move_value: str = "",
    notice: list[str] | None = None,
    status_code: int = 200,
):
    e = roster.get(session=session, who=who, enterprise_id=enterprise_id)
    grid = session.get(Grid, e.grid_id)
    park = session.get(Park, grid.park_id)
    can_change = permissions.allows(session, who, "change", Enterprise, e.id)
    full_numbers = privacy.sees_in_full(who, park_id=park.id, grid_ids={grid.id})
    node = None
    if not e.is_node:
        node = session.exec(
            select(Enterprise).where(Enterprise.grid_id == grid.id, col(Enterprise.is_node))
        ).first()
    context = {
        "e": e,
        "grid": grid,
        **_place(session, who, park),
        **_form_context(session, park.id, full_numbers),
        "liaison": session.get(Liaison, e.liaison_id) if e.liaison_id else None,
        "can_change": can_change,
        "values": values if values is not None else _values(e),
        "errors": errors or {},
        "move_errors": move_errors or {},
        "move_value": move_value,
        "move_grids": roster.movable_to(session=session, who=who, enterprise=e)
        if can_change
        else [],
        "node": node,
        "notice": notice or [],
        "history": audit.history(session=session, object_type="Enterprise", object_id=e.id),
    }
    return render(request, "enterprises/enterprise.html", context, status_code=status_code)


def _enterprise_url(request: Request, enterprise_id: int, **query: Any) -> str:
    url = str(request.url_for("roster_enterprise", enterprise_id=enterprise_id))
    return f"{url}?{urlencode(query)}" if query else url


def _moved_notice(moved: roster.Moved) -> list[str]:
    e = moved.enterprise
    lines = [
        _("{name} moved from {source} to {target}.").format(
            name=e.name, source=moved.source.name, target=moved.target.name
        )
    ]
    if moved.was_node:
        lines.append(
            _(
                "It was the node enterprise of {grid} and no longer is one: designate a new "
                "node enterprise for {grid}."
            ).format(grid=moved.source.name)
        )
    return lines


@router.get("/enterprises/{enterprise_id}", response_class=HTMLResponse, name="roster_enterprise")
def enterprise_page(
    request: Request,
    enterprise_id: int,
    session: SessionDep,
    who: Who,
    done: Annotated[str, Query(max_length=20)] = "",
    source: query_id(N_("Grid")) = None,
    was_node: bool = False,
):
    notice: list[str] = []
    e = roster.get(session=session, who=who, enterprise_id=enterprise_id)
    if done == "saved":
        notice = [_("Changes saved.")]
    elif done == "node":
        notice = _node_notice(e, session.get(Grid, e.grid_id), None)
    elif done == "moved" and source and permissions.allows(session, who, "view", Grid, source):
        moved = roster.Moved(e, session.get(Grid, source), session.get(Grid, e.grid_id), was_node)
        notice = _moved_notice(moved)
    return _enterprise_page(request, session, who, enterprise_id, notice=notice)


@router.post("/enterprises/{enterprise_id}", response_class=HTMLResponse, name="roster_save")
def save(request: Request, enterprise_id: int, session: SessionDep, who: Who, posted: PostedForm):
    data = fields(posted)
    try:
        roster.update(session=session, who=who, enterprise_id=enterprise_id, data=data)
    except Invalid as exc:
        return _enterprise_page(
            request,
            session,
            who,
            enterprise_id,
            values=data,
            errors=exc.errors,
            status_code=422,
        )
    if is_htmx(request):
        return _enterprise_page(request, session, who, enterprise_id, notice=[_("Changes saved.")])
    return RedirectResponse(_enterprise_url(request, enterprise_id, done="saved"), status_code=303)


@router.post("/enterprises/{enterprise_id}/move", response_class=HTMLResponse, name="roster_move")
def move(
    request: Request,
    enterprise_id: int,
    session: SessionDep,
    who: Who,
    grid_id: Annotated[str, Form(max_length=12)] = "",
):
    try:
        moved = roster.move(session=session, who=who, enterprise_id=enterprise_id, grid_id=grid_id)
    except Invalid as exc:
        return _enterprise_page(
            request,
            session,
            who,
            enterprise_id,
            move_errors=exc.errors,
            move_value=grid_id,
            status_code=422,
        )
    if is_htmx(request):
        return _enterprise_page(request, session, who, enterprise_id, notice=_moved_notice(moved))
    query: dict[str, Any] = {"done": "moved", "source": moved.source.id}
    if moved.was_node:
        query["was_node"] = "true"
    return RedirectResponse(_enterprise_url(request, enterprise_id, **query), status_code=303)


@router.post("/enterprises/{enterprise_id}/node", response_class=HTMLResponse, name="roster_node")
def node(
    request: Request,
    enterprise_id: int,
    session: SessionDep,
    who: Who,
    back: Annotated[str, Form(max_length=20)] = "",
    q: Annotated[str, Form(max_length=100)] = "",
):
    switch = roster.designate_node(session=session, who=who, enterprise_id=enterprise_id)
    e = switch.enterprise
    notice = _node_notice(e, session.get(Grid, e.grid_id), switch.previous)
    if back == "roster":
        if is_htmx(request):
            context = _roster_context(session, who, e.grid_id, q, notice)
            return render(request, "enterprises/_roster_list.html", context)
        url = request.url_for("roster", grid_id=e.grid_id)
        query = urlencode({"q": q, "done": "node", "e": e.id} if q else {"done": "node", "e": e.id})
        return RedirectResponse(f"{url}?{query}", status_code=303)
    if is_htmx(request):
        return _enterprise_page(request, session, who, enterprise_id, notice=notice)
    return RedirectResponse(_enterprise_url(request, enterprise_id, done="node"), status_code=303)


# ---- a person's number in full ------------------------------------------------------


@router.post("/liaisons/{liaison_id}/mobile", response_class=HTMLResponse, name="liaison_mobile")
def reveal_mobile(request: Request, liaison_id: int, session: SessionDep, who: Who):
    """One person's mobile in full, for a viewer who sees it masked: asked for explicitly
    (the 显示完整号码 button) and audited."""
    person = permissions.get(session, who, "view", Liaison, liaison_id)
    audit.record_reveal(
        session=session,
        who=who,
        object_type="Liaison",
        object_id=person.id,
        label=person.name,
        field="mobile",
    )
    return render(request, "enterprises/_phone_full.html", {"person": person})
