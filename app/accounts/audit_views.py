"""HTML page of the audit trail, with filters by user, object type and date range, and downloads.

In accounts rather than audit: the page lists the users to filter by, and audit sits below
accounts (every domain, accounts included, writes its rows through the audit service).
"""

from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import col, select

from app.accounts.models import User
from app.audit import readable
from app.audit import service as audit
from app.audit.deps import DownloadDep
from app.core import sheets
from app.core.auth import Who, allowed
from app.core.db import SessionDep
from app.core.i18n import N_, _
from app.core.params import Page, query_day, query_id
from app.core.templating import LOCAL_TZ, env, render

router = APIRouter(prefix="/admin", dependencies=[allowed("audit")])
# Every object page shows its history through the same partial, which puts its rows in
# words (`audit_rows`: the domains' labels, names read once per type for the rows shown).
env.globals.update(audit_rows=readable.of, people_names=readable.people)
PER_PAGE = 50


def _filter(
    # An empty select ("all users") means no filter; labels name the fields in messages.
    user_id: query_id(N_("User")) = None,
    object_type: Annotated[str | None, Query(max_length=40, title=N_("Object type"))] = None,
    start: query_day(N_("From")) = None,
    end: query_day(N_("To")) = None,
    batch: query_id(N_("Import batch")) = None,
) -> audit.AuditFilter:
    return audit.AuditFilter(
        user_id=user_id, object_type=object_type or None, start=start, end=end, batch_id=batch
    )


FilterDep = Annotated[audit.AuditFilter, Depends(_filter)]


def _query(f: audit.AuditFilter) -> str:
    """The filter as a query string, without the parts left empty."""
    chosen = {
        "user_id": f.user_id,
        "object_type": f.object_type,
        "start": f.start,
        "end": f.end,
        "batch": f.batch_id,
    }
    return urlencode({k: v for k, v in chosen.items() if v})


@router.get("/audit", response_class=HTMLResponse, name="audit")
def audit_page(
    request: Request,
    session: SessionDep,
    who: Who,
    f: FilterDep,
    page: Page = 1,
):
    rows, total = audit.search(session=session, who=who, f=f, page=page, per_page=PER_PAGE)
    query = _query(f)
    context = {
        "rows": readable.readable(session, rows),
        "total": total,
        "page": page,
        "pages": max(1, -(-total // PER_PAGE)),
        "f": f,
        "users": session.exec(select(User).order_by(col(User.username))).all(),
        "object_types": audit.object_types(session=session),
        "export_limit": audit.EXPORT_LIMIT,
        "xlsx_url": f"{request.url_for('audit_xlsx')}?{query}".rstrip("?"),
        "csv_url": f"{request.url_for('audit_csv')}?{query}".rstrip("?"),
    }
    return render(request, "audit/audit.html", context)


def _names(ext: str) -> tuple[str, str]:
    if ext == "csv":
        return "audit.csv", f"{_('Audit trail')}.csv"  # the mark adds who and when
    stamp = datetime.now(LOCAL_TZ).strftime("%Y%m%d-%H%M")
    return f"audit-{stamp}.{ext}", f"{_('Audit trail')}-{stamp}.{ext}"


@router.get("/audit.xlsx", name="audit_xlsx")
def audit_xlsx(session: SessionDep, who: Who, f: FilterDep, dl: DownloadDep) -> Response:
    columns, rows = audit.export_table(session=session, who=who, f=f)
    counted = sheets.Counted(rows)
    body = sheets.workbook([(_("Audit trail"), columns, counted)], mark=dl.mark)
    ascii_name, name = _names("xlsx")
    return dl.send(
        body,
        media_type=sheets.XLSX_MEDIA_TYPE,
        ascii_name=ascii_name,
        name=name,
        object_type="AuditLog",
        label=_("Audit trail"),
        rows=counted.n,
    )


@router.get("/audit.csv", name="audit_csv")
def audit_csv(session: SessionDep, who: Who, f: FilterDep, dl: DownloadDep) -> Response:
    columns, rows = audit.export_table(session=session, who=who, f=f)
    counted = sheets.Counted(rows)
    body = sheets.csv_bytes(columns, counted)
    ascii_name, name = _names("csv")
    return dl.send(
        body,
        media_type=sheets.CSV_MEDIA_TYPE,
        ascii_name=ascii_name,
        name=name,
        object_type="AuditLog",
        label=_("Audit trail"),
        rows=counted.n,
    )
