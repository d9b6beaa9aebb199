"""HTML pages of the assessment: quarterly reports and their review, the worklist, explanations."""

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import select

from app.assessment.models import REPORT_STATE_LABELS, VALUE_ORIGIN_LABELS, ParkReport, Period
from app.assessment.reports import evidence as evidence_service
from app.assessment.reports import review
from app.assessment.reports import service as reports
from app.assessment.results import scores
from app.assessment.results import service as assessment
from app.audit.deps import DownloadDep
from app.core import files, permissions
from app.core.auth import Who, allowed
from app.core.calendar import working_day
from app.core.db import SessionDep
from app.core.errors import Invalid, NotFound
from app.core.forms import PostedForm, fields
from app.core.i18n import N_
from app.core.inputs import MAX_VERSION, bounded_int, is_id
from app.core.params import FormVersion, PeriodLabel, YearPath, form_id
from app.core.templating import LOCAL_TZ, render
from app.core.types import utcnow
from app.framework.models import (
    ADJUSTMENT_KIND_LABELS,
    SCORING_RULE_LABELS,
    VALUE_SOURCE_LABELS,
    Adjustment,
)
from app.geo import service as geo
from app.geo.models import Park

router = APIRouter()


def _period(session, label: str) -> Period:
    period = assessment.get_period(session=session, label=label)
    if period is None:
        raise NotFound
    return period


def _report_url(request: Request, park_id: int, period: Period) -> str:
    return str(request.url_for("report", park_id=park_id, period=period.label))


def _report_page(request, session, who, park_id: int, period: Period, status_code=200, **extra):
    view = reports.load(session=session, who=who, park_id=park_id, period=period)
    context = {
        "view": view,
        "comparison": review.compare(
            session=session,
            view=view,
            threshold=request.app.state.settings.review_change_threshold,
        ),
        "standing": review.standing(session=session, view=view),
        "park": view.park,
        "period": period,
        "can_report": permissions.allows(session, who, "report", Park, park_id),
        "can_review": permissions.allows(session, who, "review", Park, park_id),
        "state_labels": REPORT_STATE_LABELS,
        "origin_labels": VALUE_ORIGIN_LABELS,
        "source_labels": VALUE_SOURCE_LABELS,
        "ancestors": geo.ancestors(session=session, area_id=view.park.area_id),
        "visible": geo.visible(session=session, who=who),
        "history": reports.history(session=session, view=view),
        # The shared history partial: the rows of its values and files name their object.
        "history_type": "ParkReport",
        "errors": {},
        "form": {},
        **extra,
    }
    return render(request, "assessment/report.html", context, status_code=status_code)


@router.get("/parks/{park_id}/reports/{period}", response_class=HTMLResponse, name="report")
def report_page(request: Request, park_id: int, period: str, session: SessionDep, who: Who):
    return _report_page(
        request,
        session,
        who,
        park_id,
        _period(session, period),
        saved=request.query_params.get("saved"),
    )


@router.post("/parks/{park_id}/reports/{period}", response_class=HTMLResponse, name="report_save")
def report_save(
    request: Request, park_id: int, period: str, session: SessionDep, who: Who, posted: PostedForm
):
    form = fields(posted)
    p = _period(session, period)
    version = bounded_int(form.get("version"), low=0, high=MAX_VERSION)
    try:
        reports.save(
            session=session, who=who, park_id=park_id, period=p, data=form, version=version
        )
    except Invalid as exc:
        return _report_page(request, session, who, park_id, p, 422, errors=exc.errors, form=form)
    return RedirectResponse(_report_url(request, park_id, p) + "?saved=1", status_code=303)


def _action(fn, request, session, who, park_id: int, period: str, version, **kwargs):
    p = _period(session, period)
    try:
        fn(session=session, who=who, park_id=park_id, period=p, version=version, **kwargs)
    except Invalid as exc:
        return _report_page(request, session, who, park_id, p, 422, errors=exc.errors)
    return RedirectResponse(_report_url(request, park_id, p), status_code=303)


@router.post("/parks/{park_id}/reports/{period}/submit", name="report_submit")
def report_submit(
    request: Request,
    park_id: int,
    period: str,
    session: SessionDep,
    who: Who,
    version: FormVersion = None,
):
    return _action(reports.submit, request, session, who, park_id, period, version)


@router.post("/parks/{park_id}/reports/{period}/approve", name="report_approve")
def report_approve(
    request: Request,
    park_id: int,
    period: str,
    session: SessionDep,
    who: Who,
    version: FormVersion = None,
):
    return _action(reports.approve, request, session, who, park_id, period, version)


@router.post("/parks/{park_id}/reports/{period}/return", name="report_return")
def report_return(
    request: Request, park_id: int, period: str, session: SessionDep, who: Who, posted: PostedForm
):
    form = fields(posted)
    comments = {
        int(k.removeprefix("comment_")): str(v)
        for k, v in form.items()
        if k.startswith("comment_") and is_id(k.removeprefix("comment_"))
    }
    version = bounded_int(form.get("version"), low=0, high=MAX_VERSION)
    return _action(
        reports.return_report,
        request,
        session,
        who,
        park_id,
        period,
        version,
        comment=str(form.get("comment", "")),
        comments=comments,
    )


@router.post("/parks/{park_id}/reports/{period}/reopen", name="report_reopen")
def report_reopen(
    request: Request,
    park_id: int,
    period: str,
    session: SessionDep,
    who: Who,
    reason: Annotated[str, Form()] = "",
    version: FormVersion = None,
):
    return _action(reports.reopen, request, session, who, park_id, period, version, reason=reason)


@router.post("/parks/{park_id}/reports/{period}/evidence", name="evidence_add")
def evidence_add(
    request: Request,
    park_id: int,
    period: str,
    session: SessionDep,
    who: Who,
    indicator_id: form_id(N_("Indicator")),
    file: Annotated[UploadFile, File()],
):
    settings = request.app.state.settings
    max_bytes = settings.evidence_max_mb * 1024 * 1024
    # Read one byte past the limit: enough to know it is too large, never the whole file.
    content = file.file.read(max_bytes + 1)
    p = _period(session, period)
    try:
        evidence_service.add(
            session=session,
            who=who,
            storage=files.storage_for(settings),
            max_bytes=max_bytes,
            park_id=park_id,
            period=p,
            indicator_id=indicator_id,
            filename=file.filename or "",
            content=content,
        )
    except Invalid as exc:
        return _report_page(request, session, who, park_id, p, 422, errors=exc.errors)
    return RedirectResponse(_report_url(request, park_id, p), status_code=303)


@router.get("/evidence/{evidence_id}", name="evidence")
def evidence_download(
    request: Request, evidence_id: int, session: SessionDep, who: Who, dl: DownloadDep
):
    ev, _value = evidence_service.get(session=session, who=who, evidence_id=evidence_id)
    path = files.storage_for(request.app.state.settings).path(ev.stored_name)
    if path is None:
        raise NotFound
    return dl.file(
        path, media_type=ev.content_type, name=ev.filename, object_type="Evidence", object_id=ev.id
    )


@router.post("/evidence/{evidence_id}/delete", name="evidence_delete")
def evidence_delete(request: Request, evidence_id: int, session: SessionDep, who: Who):
    _ev, value = evidence_service.get(session=session, who=who, evidence_id=evidence_id)
    evidence_service.remove(session=session, who=who, evidence_id=evidence_id)
    period = session.get(Period, value.period_id)
    return RedirectResponse(_report_url(request, value.park_id, period), status_code=303)


@router.get("/reports", response_class=HTMLResponse, name="reports")
def reports_page(request: Request, session: SessionDep, who: Who, period: PeriodLabel = None):
    # The worklist opens on the quarter parks report for now (where reports wait for
    # review), not on the latest reviewed quarter the dashboards show.
    p = (
        assessment.get_period(session=session, label=period)
        if period
        else review.open_period(session=session)
        or assessment.get_period(session=session, label=None)
    )
    if p is None:
        raise NotFound
    district_of = geo.district_of(session=session)
    rows = {
        r.park_id: r for r in session.exec(select(ParkReport).where(ParkReport.period_id == p.id))
    }
    today = utcnow().astimezone(LOCAL_TZ).date()
    context = {
        "period": p,
        "periods": assessment.periods(session=session),
        # The worklist shows the parks in scope; completeness is published city-wide.
        "parks": geo.parks(session=session, who=who),
        "district_of": district_of,
        "reports": rows,
        "completeness": reports.completeness(
            session=session, period=p, district_of={pid: d.id for pid, d in district_of.items()}
        ),
        "districts": geo.districts(session=session),
        "state_labels": REPORT_STATE_LABELS,
        "is_late": scores.is_late,
        "overdue": today > p.deadline,
        "deadline_known": working_day(p.deadline).known,
        "can_review": who.can("review"),
        "published": reports.published(session, p.year),
        "can_publish": who.can("audit"),
        "open_period": review.open_period(session=session),
    }
    return render(request, "assessment/reports.html", context)


@router.post("/years/{year}/publish", name="publish", dependencies=[allowed("audit")])
def publish(request: Request, year: YearPath, session: SessionDep, who: Who):
    reports.publish_year(session=session, who=who, year=year)
    return RedirectResponse(str(request.url_for("reports")) + f"?period={year}Q4", status_code=303)


@router.get("/parks/{park_id}/explain", response_class=HTMLResponse, name="explain")
def explain(
    request: Request, park_id: int, session: SessionDep, who: Who, period: PeriodLabel = None
):
    park = geo.get_park(session=session, who=who, park_id=park_id)
    p = assessment.get_period(session=session, label=period)
    if p is None:
        raise NotFound
    res = assessment.results(session=session, period=p)
    pr = res.park(park_id)
    # The one park's inputs, to show how each figure was reached (the figures themselves
    # are the stored ones: nothing is scored here).
    inputs = scores.gather(session, p, park_ids=[park_id])
    view = reports.load(session=session, who=who, park_id=park_id, period=p)
    rules = {r.key: r for r in scores.rules_for(inputs, park_id)}
    counted = scores.counted_values(inputs, park_id)
    adjustments = list(
        session.exec(select(Adjustment).where(Adjustment.framework_id == p.framework_id))
    )
    context = {
        "park": park,
        "period": p,
        "periods": assessment.periods(session=session),
        "res": res,
        "pr": pr,
        "view": view,
        "rules": rules,
        "counted": counted,
        "adjustments": adjustments,
        "occurrences": {a.id: scores.occurrences(inputs, park_id, a) for a in adjustments},
        "rule_labels": SCORING_RULE_LABELS,
        "source_labels": VALUE_SOURCE_LABELS,
        "kind_labels": ADJUSTMENT_KIND_LABELS,
        "state_labels": REPORT_STATE_LABELS,
        "ancestors": geo.ancestors(session=session, area_id=park.area_id),
        "visible": geo.visible(session=session, who=who),
    }
    return render(request, "assessment/explain.html", context)
