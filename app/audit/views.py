"""HTML page of the audit trail, with filters by user, object type and date range."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlmodel import col, select

from app.accounts.deps import Who, allowed
from app.accounts.models import User
from app.audit import service as audit
from app.audit.models import AUDIT_ACTION_LABELS
from app.core.db import SessionDep
from app.core.templating import env, render

router = APIRouter(prefix="/admin", dependencies=[allowed("audit")])
# Every object page shows its history through the same partial.
env.globals.update(audit_labels=AUDIT_ACTION_LABELS, audit_changes=audit.changes)
PER_PAGE = 50


@router.get("/audit", response_class=HTMLResponse, name="audit")
def audit_page(
    request: Request,
    session: SessionDep,
    who: Who,
    user_id: Annotated[int | None, Query()] = None,
    object_type: Annotated[str | None, Query(max_length=40)] = None,
    start: Annotated[date | None, Query()] = None,
    end: Annotated[date | None, Query()] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
):
    f = audit.AuditFilter(user_id=user_id, object_type=object_type or None, start=start, end=end)
    rows, total = audit.search(session=session, who=who, f=f, page=page, per_page=PER_PAGE)
    context = {
        "rows": rows,
        "total": total,
        "page": page,
        "pages": max(1, -(-total // PER_PAGE)),
        "f": f,
        "users": session.exec(select(User).order_by(col(User.username))).all(),
        "object_types": audit.object_types(session=session),
    }
    return render(request, "audit/audit.html", context)
