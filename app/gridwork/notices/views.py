"""HTML pages of notices and tasks (上传下达): the inbox, sending, a notice's page, acting on it."""

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from starlette.datastructures import UploadFile

from app.audit import service as audit
from app.audit.deps import DownloadDep
from app.core import files
from app.core.auth import Who, allowed
from app.core.db import SessionDep
from app.core.errors import Conflict, Invalid, NotFound
from app.core.forms import PostedForm
from app.core.i18n import _
from app.core.inputs import is_id
from app.core.permissions import Principal
from app.core.templating import is_htmx, render
from app.gridwork.models import NOTICE_KIND_LABELS, Notice, NoticeKind
from app.gridwork.notices import service

router = APIRouter()
Sender = Annotated[Principal, allowed("send")]

FIELDS = ("kind", "title", "content", "due_on")


def _common() -> dict[str, Any]:
    return {"kind_labels": NOTICE_KIND_LABELS, "state_labels": service.STATE_LABELS}


def _count(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name, "")
    return int(raw) if is_id(raw) else None


# ---- the inbox ----------------------------------------------------------------------


@router.get("/notices", response_class=HTMLResponse, name="notices")
def inbox_page(request: Request, session: SessionDep, who: Who):
    context = {
        **_common(),
        "box": service.inbox(session=session, who=who),
        "can_send": who.can("send"),
    }
    return render(request, "gridwork/notices/inbox.html", context)


# ---- sending ------------------------------------------------------------------------


def _new_page(
    request: Request,
    session,
    who: Principal,
    *,
    errors: dict | None = None,
    form: dict | None = None,
    parks: set[int] | None = None,
    grids: set[int] | None = None,
    status_code: int = 200,
):
    context = {
        **_common(),
        "choices": service.choices(session=session, who=who),
        "kinds": list(NoticeKind),
        "today": service.local_today(),
        "labels": service.LABELS,
        "errors": errors or {},
        "form": form or {},
        "chosen_parks": parks or set(),
        "chosen_grids": grids or set(),
        "max_attachments": service.MAX_ATTACHMENTS,
    }
    return render(request, "gridwork/notices/new.html", context, status_code=status_code)


@router.get("/notices/new", response_class=HTMLResponse, name="notices_new")
def new_page(request: Request, session: SessionDep, who: Sender):
    return _new_page(request, session, who, form={"kind": NoticeKind.notice.value})


def _digits(values: list) -> set[int]:
    return {int(v) for v in values if is_id(v)}


@router.post("/notices", response_class=HTMLResponse, name="notices_send")
def send(request: Request, session: SessionDep, who: Sender, form: PostedForm):
    settings = request.app.state.settings
    max_bytes = settings.evidence_max_mb * 1024 * 1024
    uploads = []
    for f in form.getlist("attachments"):
        # A file input left empty still sends a part with no name.
        if isinstance(f, UploadFile) and f.filename:
            # Read one byte past the limit: enough to know it is too large.
            uploads.append(service.Upload(f.filename, f.file.read(max_bytes + 1)))
    data = {k: str(form.get(k) or "") for k in FIELDS}
    parks = [str(v) for v in form.getlist("park")]
    grids = [str(v) for v in form.getlist("grid")]
    try:
        notice = service.send(
            session=session,
            who=who,
            data=data,
            park_ids=parks,
            grid_ids=grids,
            uploads=uploads,
            storage=files.storage_for(settings),
            max_bytes=max_bytes,
        )
    except Invalid as exc:
        return _new_page(
            request,
            session,
            who,
            errors=exc.errors,
            form=data,
            parks=_digits(parks),
            grids=_digits(grids),
            status_code=422,
        )
    url = request.url_for("notices_notice", notice_id=notice.id)
    return RedirectResponse(f"{url}?sent=1", status_code=303)


# ---- a notice -----------------------------------------------------------------------


@router.get(
    "/notices/attachments/{attachment_id}", name="notices_attachment", response_class=FileResponse
)
def attachment_download(
    request: Request, attachment_id: int, session: SessionDep, who: Who, dl: DownloadDep
):
    att = service.attachment(session=session, who=who, attachment_id=attachment_id)
    path = files.storage_for(request.app.state.settings).path(att.stored_name)
    if path is None:
        raise NotFound
    return dl.file(
        path,
        media_type=att.content_type,
        name=att.filename,
        object_type="NoticeAttachment",
        object_id=att.id,
    )


def _notice_page(
    request: Request,
    session,
    who: Principal,
    view: service.NoticeView,
    *,
    status_code: int = 200,
    **extra,
):
    context = {
        **_common(),
        "view": view,
        "notice": view.notice,
        "history": audit.history(session=session, object_type="Notice", object_id=view.notice.id)
        if view.is_sender
        else [],
        "errors": {},
        "form": {},
        "focus_id": None,
        "message": None,
        "conflict": None,
        "sent": request.query_params.get("sent") == "1",
        "reminded": _count(request, "reminded"),
        **extra,
    }
    return render(request, "gridwork/notices/notice.html", context, status_code=status_code)


@router.get("/notices/{notice_id}", response_class=HTMLResponse, name="notices_notice")
def notice_page(request: Request, notice_id: int, session: SessionDep, who: Who):
    view = service.open_notice(session=session, who=who, notice_id=notice_id)
    return _notice_page(request, session, who, view)


def _target_answer(
    request: Request,
    session,
    who: Principal,
    target_id: int,
    *,
    status_code: int = 200,
    **extra,
):
    """The target's card for htmx; without JavaScript the notice page (or back to it)."""
    row = service.row(session=session, who=who, target_id=target_id)
    if is_htmx(request):
        context = {
            **_common(),
            "row": row,
            "notice": session.get(Notice, row.target.notice_id),
            "errors": {},
            "form": {},
            "focus_id": target_id,
            "message": None,
            "conflict": None,
            **extra,
        }
        return render(request, "gridwork/notices/_target.html", context, status_code=status_code)
    if status_code == 200:
        url = request.url_for("notices_notice", notice_id=row.target.notice_id)
        return RedirectResponse(f"{url}#target-{target_id}", status_code=303)
    view = service.load(session=session, who=who, notice_id=row.target.notice_id)
    return _notice_page(
        request, session, who, view, status_code=status_code, focus_id=target_id, **extra
    )


@router.post(
    "/notices/targets/{target_id}/acknowledge",
    response_class=HTMLResponse,
    name="notices_acknowledge",
)
def acknowledge(request: Request, target_id: int, session: SessionDep, who: Who):
    try:
        service.acknowledge(session=session, who=who, target_id=target_id)
    except Conflict as exc:
        return _target_answer(
            request, session, who, target_id, status_code=409, conflict=exc.message
        )
    return _target_answer(request, session, who, target_id, message=_("Receipt acknowledged."))


@router.post(
    "/notices/targets/{target_id}/complete", response_class=HTMLResponse, name="notices_complete"
)
def complete(request: Request, target_id: int, session: SessionDep, who: Who, posted: PostedForm):
    form = {"note": str(posted.get("note") or "")}
    try:
        service.complete(session=session, who=who, target_id=target_id, data=form)
    except Conflict as exc:
        return _target_answer(
            request, session, who, target_id, status_code=409, conflict=exc.message
        )
    except Invalid as exc:
        return _target_answer(
            request, session, who, target_id, status_code=422, errors=exc.errors, form=form
        )
    return _target_answer(request, session, who, target_id, message=_("Completion reported."))


@router.post("/notices/{notice_id}/remind", response_class=HTMLResponse, name="notices_remind")
def remind(request: Request, notice_id: int, session: SessionDep, who: Who):
    try:
        reminded = service.remind(session=session, who=who, notice_id=notice_id)
    except Conflict as exc:
        if not is_htmx(request):
            raise
        view = service.load(session=session, who=who, notice_id=notice_id)
        context = {**_common(), "view": view, "notice": view.notice, "conflict": exc.message}
        return render(request, "gridwork/notices/_tracking.html", context, status_code=409)
    if is_htmx(request):
        view = service.load(session=session, who=who, notice_id=notice_id)
        context = {**_common(), "view": view, "notice": view.notice, "reminded": len(reminded)}
        return render(request, "gridwork/notices/_tracking.html", context)
    url = request.url_for("notices_notice", notice_id=notice_id)
    return RedirectResponse(f"{url}?reminded={len(reminded)}", status_code=303)
