"""HTML pages of monthly grid reports (网格月报): the liaison's form, the park's confirmation."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from starlette.datastructures import FormData

from app.audit import service as audit
from app.core import files, permissions
from app.core.auth import Who, allowed
from app.core.db import SessionDep
from app.core.errors import Conflict, Invalid, NotFound
from app.core.forms import PostedForm, fields
from app.core.i18n import N_
from app.core.inputs import MAX_VERSION, bounded_int
from app.core.templating import is_htmx, render
from app.geo import service as geo
from app.geo.models import Grid, Park
from app.gridwork.models import MONTHLY_STATE_LABELS
from app.gridwork.monthly import service
from app.gridwork.monthly.service import Month

router = APIRouter()

# What the page says after an action went through (?done=… after a redirect).
DONE = {
    "saved": N_("Draft saved."),
    "submitted": N_("Submitted to the park for confirmation."),
    "confirmed": N_("Confirmed: its figures now count in the park's indicators."),
    "returned": N_("Returned to the grid with your reason."),
    "photo": N_("Photos added."),
    "photo_removed": N_("Photo removed."),
}
# What htmx swaps after each action: the photos alone keep a half-typed form intact.
REPORT_PART = "gridwork/monthly/_report.html"
PHOTOS_PART = "gridwork/monthly/_photos.html"


def _month(text: str) -> Month:
    month = Month.parse(text)
    if month is None:
        raise NotFound
    return month


def _url(request: Request, grid_id: int, month: Month) -> str:
    return str(request.url_for("monthly_report", grid_id=grid_id, month=month.label))


def _differences(view: service.MonthView, form: dict[str, str]) -> list[tuple[str, str, int]]:
    """Fields whose typed value differs from the stored one (shown when a form was stale)."""
    out = []
    for name in service.FIGURES:
        mine = form.get(name)
        if mine is not None and service.plain(mine) != str(view.figure(name)):
            out.append((name, mine, view.figure(name)))
    if "notes" in form and form["notes"].strip() != (view.report.notes if view.report else ""):
        out.append(("notes", form["notes"], view.report.notes if view.report else ""))
    return out


def _render(
    request: Request,
    session,
    who,
    grid_id: int,
    month: Month,
    status_code: int = 200,
    part: str = REPORT_PART,
    **extra,
) -> HTMLResponse:
    view = service.load(session=session, who=who, grid_id=grid_id, month=month)
    history = (
        audit.history(session=session, object_type="MonthlyReport", object_id=view.report.id)
        if view.report
        else []
    )
    form = extra.pop("form", {})
    conflict = extra.pop("conflict", None)
    settings = request.app.state.settings
    context = {
        "view": view,
        "grid": view.grid,
        "park": view.park,
        "month": month,
        "groups": service.GROUPS,
        "labels": service.FIGURE_LABELS,
        "units": service.FIGURE_UNITS,
        "hints": service.FIGURE_HINTS,
        "notes_label": service.NOTES_LABEL,
        "state_labels": MONTHLY_STATE_LABELS,
        "can_change": permissions.allows(session, who, "change", Grid, view.grid.id),
        "can_confirm": permissions.allows(session, who, "report", Park, view.park.id),
        "history": history,
        "last_change": history[0] if history else None,
        "max_photos": service.MAX_PHOTOS,
        "max_mb": settings.evidence_max_mb,
        "errors": {},
        # After a conflict the form shows what is stored now; what was typed is listed apart.
        "form": {} if conflict else form,
        "conflict": conflict,
        "differences": _differences(view, form) if conflict else [],
        "done": None,
        "done_messages": DONE,
        "photos_alone": is_htmx(request) and part == PHOTOS_PART,
        **extra,
    }
    if is_htmx(request):
        return render(request, part, context, status_code=status_code)
    context |= {
        "ancestors": geo.ancestors(session=session, area_id=view.park.area_id),
        "visible": geo.visible(session=session, who=who),
    }
    return render(request, "gridwork/monthly/report.html", context, status_code=status_code)


def _after(
    request,
    session,
    who,
    grid_id: int,
    month: Month,
    fn,
    form: dict,
    done: str,
    part: str = REPORT_PART,
    **kw,
):
    """Runs an action; errors come back in the form, success in place (htmx) or by redirect."""
    try:
        fn(session=session, who=who, grid_id=grid_id, month=month, **kw)
    except Invalid as exc:
        if "month" in exc.errors:
            raise  # a month that has not begun has no form to show the error in
        return _render(
            request, session, who, grid_id, month, 422, part, errors=exc.errors, form=form
        )
    except Conflict as exc:
        return _render(
            request, session, who, grid_id, month, 409, part, conflict=exc.message, form=form
        )
    if is_htmx(request):
        return _render(request, session, who, grid_id, month, part=part, done=done)
    return RedirectResponse(_url(request, grid_id, month) + f"?done={done}", status_code=303)


def _form(posted: FormData) -> tuple[dict[str, str], int | None]:
    form = fields(posted)
    raw = form.pop("version", "")
    return form, bounded_int(raw, low=0, high=MAX_VERSION)


# ---- pages -------------------------------------------------------------------------


@router.get("/grids/{grid_id}/monthly", response_class=HTMLResponse, name="monthly_months")
def months_page(request: Request, grid_id: int, session: SessionDep, who: Who):
    grid, rows = service.months(session=session, who=who, grid_id=grid_id)
    park = session.get(Park, grid.park_id)
    current = service.this_month()
    context = {
        "grid": grid,
        "park": park,
        "rows": rows,
        "current": current,
        "year_sums": service.grid_year_sums(session=session, grid_id=grid.id, year=current.year),
        "labels": service.FIGURE_LABELS,
        "units": service.FIGURE_UNITS,
        "figures": service.FIGURES,
        "state_labels": MONTHLY_STATE_LABELS,
        "can_change": permissions.allows(session, who, "change", Grid, grid.id),
        "ancestors": geo.ancestors(session=session, area_id=park.area_id),
        "visible": geo.visible(session=session, who=who),
    }
    return render(request, "gridwork/monthly/months.html", context)


@router.get("/grids/{grid_id}/monthly/{month}", response_class=HTMLResponse, name="monthly_report")
def report_page(request: Request, grid_id: int, month: str, session: SessionDep, who: Who):
    m = _month(month)
    permissions.get(session, who, "view", Grid, grid_id)  # out of scope is 404 before all else
    service.check_month(m)
    done = request.query_params.get("done")
    return _render(request, session, who, grid_id, m, done=done if done in DONE else None)


# What each step takes from its form: the fields shown again after an error, and the
# keyword arguments of its service call.
Read = tuple[dict[str, str], dict]


def _saved(form: dict[str, str]) -> Read:
    return form, {"data": form}


def _submitted(form: dict[str, str]) -> Read:
    # From the filled form the figures come along and are saved with the submission.
    return form, {"data": form if service.has_figures(form) else None}


def _confirmed(_form: dict[str, str]) -> Read:
    return {}, {}  # confirming takes nothing from the form but its version


def _returned(form: dict[str, str]) -> Read:
    comment = form.get("comment", "")
    return {"comment": comment}, {"comment": comment}


def _step(fn, done: str, read):
    """A handler of a step posted from the report's page, at the version its form was read at."""

    def handler(
        request: Request,
        grid_id: int,
        month: str,
        session: SessionDep,
        who: Who,
        posted: PostedForm,
    ):
        form, version = _form(posted)
        shown, kw = read(form)
        return _after(
            request, session, who, grid_id, _month(month), fn, shown, done, version=version, **kw
        )

    return handler


# The steps posted from a report's page: the path after the report's, the route's name, the
# service call, what ?done= says after it, and what it takes from the form.
for _tail, _name, _fn, _done, _read in (
    ("", "monthly_save", service.save, "saved", _saved),
    ("/submit", "monthly_submit", service.submit, "submitted", _submitted),
    ("/confirm", "monthly_confirm", service.confirm, "confirmed", _confirmed),
    ("/return", "monthly_return", service.return_report, "returned", _returned),
):
    router.post(
        "/grids/{grid_id}/monthly/{month}" + _tail, response_class=HTMLResponse, name=_name
    )(_step(_fn, _done, _read))


@router.post(
    "/grids/{grid_id}/monthly/{month}/photos",
    response_class=HTMLResponse,
    name="monthly_photo_add",
)
def photo_add(
    request: Request,
    grid_id: int,
    month: str,
    session: SessionDep,
    who: Who,
    photo: Annotated[list[UploadFile] | None, File()] = None,
):
    settings = request.app.state.settings
    max_bytes = settings.evidence_max_mb * 1024 * 1024
    # Read one byte past the limit: enough to know a file is too large, never all of it.
    uploads = [(f.filename or "", f.file.read(max_bytes + 1)) for f in photo or []]
    return _after(
        request,
        session,
        who,
        grid_id,
        _month(month),
        service.add_photos,
        {},
        "photo",
        PHOTOS_PART,
        storage=files.storage_for(settings),
        max_bytes=max_bytes,
        uploads=uploads,
    )


@router.get("/monthly/photos/{photo_id}", name="monthly_photo")
def photo_download(request: Request, photo_id: int, session: SessionDep, who: Who):
    photo = service.get_photo(session=session, who=who, photo_id=photo_id)
    path = files.storage_for(request.app.state.settings).path(photo.stored_name)
    if path is None:
        raise NotFound
    return FileResponse(
        path,
        media_type=photo.content_type,
        headers={
            # Checked JPG/PNG only (app.core.files), so the browser may show it in the page.
            "Content-Disposition": f"inline; filename*=UTF-8''{quote(photo.filename)}",
            "Cache-Control": "private, max-age=3600",
        },
    )


@router.post(
    "/monthly/photos/{photo_id}/delete", response_class=HTMLResponse, name="monthly_photo_delete"
)
def photo_delete(request: Request, photo_id: int, session: SessionDep, who: Who):
    photo = service.get_photo(session=session, who=who, photo_id=photo_id)
    report = session.get(service.MonthlyReport, photo.report_id)
    month = Month(report.year, report.month)
    try:
        service.remove_photo(session=session, who=who, photo_id=photo_id)
    except Conflict as exc:
        return _render(
            request, session, who, report.grid_id, month, 409, PHOTOS_PART, conflict=exc.message
        )
    if is_htmx(request):
        return _render(
            request, session, who, report.grid_id, month, part=PHOTOS_PART, done="photo_removed"
        )
    return RedirectResponse(
        _url(request, report.grid_id, month) + "?done=photo_removed", status_code=303
    )


@router.get(
    "/monthly",
    response_class=HTMLResponse,
    name="monthly_waiting",
    dependencies=[allowed("report")],
)
def waiting_page(request: Request, session: SessionDep, who: Who, month: str | None = None):
    current = service.this_month()
    # By default the overview shows last month: the one every grid should have reported.
    shown = Month.parse(month or "") or current.previous()
    if shown > current:
        shown = current
    context = {
        "waiting": service.waiting(session=session, who=who),
        "shown": shown,
        "current": current,
        "grid_months": service.park_month(session=session, who=who, month=shown),
        "state_labels": MONTHLY_STATE_LABELS,
    }
    return render(request, "gridwork/monthly/waiting.html", context)
