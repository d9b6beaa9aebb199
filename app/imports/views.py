"""HTML routes of the roster in Excel: templates and roster downloads, upload, preview with
its errors, confirmation, and the progress of a running import (polled by htmx)."""

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.audit.deps import DownloadDep
from app.core import permissions, sheets
from app.core.auth import Who, allowed
from app.core.db import SessionDep
from app.core.errors import NotFound
from app.core.i18n import N_, _
from app.core.inputs import MAX_ID
from app.core.params import query_id
from app.core.permissions import Principal
from app.core.templating import render
from app.geo.models import Grid, Park
from app.imports import layout, service, workbook
from app.imports.models import RUNNING, ImportJob, ImportStatus, LineKind

router = APIRouter()
SHOWN_LINES = 500


def _roster_word() -> str:
    # Kept out of the f-strings below: message extraction does not look inside them.
    return _("Roster")


@router.get("/parks/{park_id}/import-template.xlsx", name="import_template")
def template(park_id: int, session: SessionDep, who: Who, dl: DownloadDep) -> Response:
    park = permissions.get(session, who, "change", Park, park_id)
    name = _("roster import template")
    return dl.send(
        service.template(session, park, mark=dl.mark),
        media_type=sheets.XLSX_MEDIA_TYPE,
        ascii_name=f"roster-template-{park.id}.xlsx",
        name=f"{park.name}-{name}.xlsx",
        object_type="ImportTemplate",
        object_id=park.id,
        label=park.name,
        rows=0,
    )


@router.get("/parks/{park_id}/roster.xlsx", name="park_roster_xlsx")
def park_roster(park_id: int, session: SessionDep, who: Who, dl: DownloadDep) -> Response:
    park = permissions.get(session, who, "view", Park, park_id)
    filled = service.roster(session, who, park)
    return dl.send(
        layout.write(park.name, filled, mark=dl.mark),
        media_type=sheets.XLSX_MEDIA_TYPE,
        ascii_name=f"roster-park-{park.id}.xlsx",
        name=f"{park.name}-{_roster_word()}.xlsx",
        object_type="ParkRoster",
        object_id=park.id,
        label=park.name,
        rows=service.row_count(filled),
    )


@router.get("/grids/{grid_id}/roster.xlsx", name="grid_roster_xlsx")
def grid_roster(grid_id: int, session: SessionDep, who: Who, dl: DownloadDep) -> Response:
    grid = permissions.get(session, who, "view", Grid, grid_id)
    park = session.get(Park, grid.park_id)
    filled = service.roster(session, who, park, grid_id=grid.id)
    return dl.send(
        layout.write(park.name, filled, mark=dl.mark),
        media_type=sheets.XLSX_MEDIA_TYPE,
        ascii_name=f"roster-grid-{grid.id}.xlsx",
        name=f"{park.name}-{grid.name}-{_roster_word()}.xlsx",
        object_type="GridRoster",
        object_id=grid.id,
        label=f"{park.name} {grid.name}",
        rows=service.row_count(filled),
    )


@router.get("/grids/{grid_id}/roster.csv", name="grid_roster_csv")
def grid_roster_csv(grid_id: int, session: SessionDep, who: Who, dl: DownloadDep) -> Response:
    grid = permissions.get(session, who, "view", Grid, grid_id)
    park = session.get(Park, grid.park_id)
    columns, rows = service.enterprise_table(session, who, park, grid_id=grid.id)
    return dl.send(
        sheets.csv_bytes(columns, rows),
        media_type=sheets.CSV_MEDIA_TYPE,
        ascii_name=f"roster-grid-{grid.id}.csv",
        name=f"{park.name}-{grid.name}-{_roster_word()}.csv",
        object_type="GridRoster",
        object_id=grid.id,
        label=f"{park.name} {grid.name}",
        rows=len(rows),
    )


def _index(
    request: Request,
    session: Session,
    who: Principal,
    *,
    park_id: int | None = None,
    error: str = "",
    status_code: int = 200,
):
    parks = service.parks(session, who)
    return render(
        request,
        "imports/index.html",
        {
            "parks": parks,
            "chosen": park_id or (parks[0].id if len(parks) == 1 else None),
            "jobs": [service.shown(j) for j in service.recent(session, who)],
            "park_names": {p.id: p.name for p in parks},
            "status_label": service.status_label,
            "error": error,
            "max_mb": request.app.state.settings.import_max_mb,
        },
        status_code=status_code,
    )


# Importing is for the offices that change a park's roster; for other roles there is no page.
@router.get(
    "/imports", response_class=HTMLResponse, name="imports", dependencies=[allowed("change")]
)
def index(
    request: Request,
    session: SessionDep,
    who: Who,
    park: query_id(N_("Park")) = None,
):
    return _index(request, session, who, park_id=park)


# A plain def like every route here (run in the thread pool, never on the event loop):
# FastAPI has read the form and spooled the file before the route runs.
@router.post("/imports", response_class=HTMLResponse, name="import_upload")
def upload(
    request: Request,
    session: SessionDep,
    who: Who,
    background: BackgroundTasks,
    park_id: Annotated[int, Form(ge=1, le=MAX_ID, title=N_("Park"))],
    file: Annotated[UploadFile, File()],
):
    max_bytes = request.app.state.settings.import_max_mb * 1024 * 1024
    # Read one byte past the limit: enough to know it is too large, never the whole file.
    content = file.file.read(max_bytes + 1)
    permissions.get(session, who, "change", Park, park_id)
    try:
        workbook.inspect(content, max_bytes)
        workbook.check_layout(content, layout.SHEETS)
    except workbook.Refused as exc:
        return _index(
            request, session, who, park_id=park_id, error=exc.message, status_code=exc.status
        )
    job = service.start(
        session, who, park_id=park_id, filename=file.filename or "", content=content
    )
    background.add_task(service.run_check, request.app.state.sessions, who, job.id)
    return RedirectResponse(request.url_for("import_job", job_id=job.id), status_code=303)


def _job_context(session: Session, job: ImportJob) -> dict[str, Any]:
    errors, error_total = service.lines(session, job.id, LineKind.error, SHOWN_LINES)
    changes, change_total = service.lines(session, job.id, LineKind.change, SHOWN_LINES)
    warnings, _total = service.lines(session, job.id, LineKind.warning, SHOWN_LINES)
    can_confirm = service.can_confirm(job)
    # A running job whose worker is gone shows as failed, with the reason.
    job = service.shown(job)
    return {
        "job": job,
        "park": session.get(Park, job.park_id),
        "status": service.status_label(job),
        "running": job.status in RUNNING,
        "can_confirm": can_confirm,
        "errors": errors,
        "error_total": error_total,
        "changes": changes,
        "change_total": change_total,
        "warnings": warnings,
        "titles": service.sheet_titles(),
        "percent": int(100 * job.rows_done / job.rows_total) if job.rows_total else 0,
    }


@router.get("/imports/{job_id}", response_class=HTMLResponse, name="import_job")
def job_page(request: Request, job_id: int, session: SessionDep, who: Who):
    context = _job_context(session, service.get(session, who, job_id))
    # A preview listing row errors is a page like any other (200): the request for it is
    # sound, and monitoring must not count every clerk's typo as a failure. A job that
    # failed (its file refused while it was read, its worker gone) still answers 422.
    failed = context["job"].status is ImportStatus.failed
    return render(request, "imports/job.html", context, status_code=422 if failed else 200)


@router.get("/imports/{job_id}/progress", response_class=HTMLResponse, name="import_progress")
def progress(request: Request, job_id: int, session: SessionDep, who: Who):
    job = service.get(session, who, job_id)
    context = _job_context(session, job)
    if not context["running"]:
        # Done: the whole page reloads with the preview (and its status code).
        return Response(headers={"HX-Refresh": "true"})
    return render(request, "imports/_progress.html", context)


@router.post("/imports/{job_id}/confirm", name="import_confirm")
def confirm(
    request: Request, job_id: int, session: SessionDep, who: Who, background: BackgroundTasks
):
    job = service.confirm(session, who, job_id)
    background.add_task(service.run_apply, request.app.state.sessions, who, job.id)
    return RedirectResponse(request.url_for("import_job", job_id=job.id), status_code=303)


@router.get("/imports/{job_id}/errors.xlsx", name="import_errors")
def error_workbook(job_id: int, session: SessionDep, who: Who, dl: DownloadDep) -> Response:
    job = service.get(session, who, job_id)
    if not job.errors:
        raise NotFound
    body, cells = service.error_workbook(session, job, mark=dl.mark)
    return dl.send(
        body,
        media_type=sheets.XLSX_MEDIA_TYPE,
        ascii_name=f"import-{job.id}-errors.xlsx",
        name=_("Errors marked") + f"-{job.filename}",
        object_type="ImportJob",
        object_id=job.id,
        label=job.filename,
        rows=cells,
    )
