"""HTML pages of the framework editor (city office): the list, a framework's sheets, copying."""

import re
from collections.abc import Callable, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.core.auth import Who, allowed
from app.core.db import SessionDep
from app.core.errors import Invalid
from app.core.i18n import N_
from app.core.permissions import Principal
from app.core.templating import is_htmx, render
from app.framework import service
from app.framework.models import (
    ADJUSTMENT_KIND_LABELS,
    ADJUSTMENT_SOURCE_LABELS,
    SCORING_RULE_LABELS,
    TIER_COLOUR_LABELS,
    VALUE_SOURCE_LABELS,
    Framework,
)
from app.geo import service as geo

# The framework is the city office's, like the audit trail: only roles with the "audit"
# action edit it, and for everyone else these pages do not exist (404).
router = APIRouter(prefix="/frameworks", dependencies=[allowed("audit")])

Row = dict[str, str]
Saver = Callable[..., Framework]

# Each sheet of the editor: its saving service, and the boxes a user types into; a new
# row with all of them empty is the spare blank row, not a row to save.
SHEETS: dict[str, tuple[Saver, tuple[str, ...]]] = {
    "aspects": (service.save_aspects, ("name",)),
    "indicators": (service.save_indicators, ("code", "name", "unit", "target", "weight", "steps")),
    "tiers": (service.save_tiers, ("name", "min_score")),
    "adjustments": (service.save_adjustments, ("code", "name", "points", "cap")),
    "overrides": (service.save_overrides, ("park_id", "indicator_id", "target", "reason")),
}
SAVED = {
    "aspects": N_("Aspects saved."),
    "indicators": N_("Indicators saved."),
    "tiers": N_("Tiers saved."),
    "adjustments": N_("Bonus and deduction items saved."),
    "overrides": N_("Park targets saved."),
    "copy": N_("Framework copied."),
}
MAX_ROWS = 200
ROW_FIELD = re.compile(r"rows-(\d{1,3})-([a-z_]+)")


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _rows_of(session: Session, fw: Framework) -> dict[str, list[Row]]:
    """Every sheet's stored rows, as the form shows them (text)."""
    fid = fw.id
    return {
        "aspects": [
            {"id": str(a.id), "name": a.name}
            for a in service.aspects(session=session, framework_id=fid)
        ],
        "indicators": [
            {
                "id": str(i.id),
                "code": i.code,
                "name": i.name,
                "aspect_id": str(i.aspect_id),
                "unit": i.unit,
                "source": i.source.value,
                "measure": i.measure,
                "target": _num(i.target),
                "weight": _num(i.weight),
                "rule": i.rule.value,
                "steps": service.format_steps(i.rule_params),
            }
            for i in service.indicators(session=session, framework_id=fid)
        ],
        "tiers": [
            {"id": str(t.id), "name": t.name, "min_score": _num(t.min_score), "colour": t.colour}
            for t in service.tiers(session=session, framework_id=fid)
        ],
        "adjustments": [
            {
                "id": str(a.id),
                "code": a.code,
                "name": a.name,
                "kind": a.kind.value,
                "source": a.source.value,
                "points": _num(a.points),
                "cap": _num(a.cap),
            }
            for a in service.adjustments(session=session, framework_id=fid)
        ],
        "overrides": [
            {
                "id": str(o.id),
                "park_id": str(o.park_id),
                "indicator_id": str(o.indicator_id),
                "target": _num(o.target),
                "reason": o.reason,
            }
            for o in service.overrides(session=session, framework_id=fid)
        ],
    }


def _posted_weight_sum(rows: Sequence[Row]) -> float | None:
    try:
        return service.weight_sum(float(r.get("weight") or 0) for r in rows if not r.get("delete"))
    except ValueError:
        return None


def _editor_context(
    session: Session,
    fw: Framework,
    *,
    sheet: str | None = None,
    posted: list[Row] | None = None,
    errors: dict[str, str] | None = None,
    saved: str | None = None,
) -> dict[str, Any]:
    fid = fw.id
    newest = service.for_year(session=session, year=fw.year)
    rows = _rows_of(session, fw)
    if sheet is not None and posted is not None:
        rows[sheet] = posted
    indicators = service.indicators(session=session, framework_id=fid)
    return {
        "fw": fw,
        "newest": newest,
        "editable": newest is not None and newest.id == fw.id,
        "locked": service.is_locked(session=session, framework_id=fid),
        "periods": service.periods_of(session=session, framework_id=fid),
        "rows": rows,
        "weight_sum": _posted_weight_sum(rows["indicators"]),
        # Choices of the sheets' drop-downs: value → text shown.
        "aspect_options": {
            str(a.id): a.name for a in service.aspects(session=session, framework_id=fid)
        },
        "indicator_options": {str(i.id): f"{i.code} {i.name}" for i in indicators},
        "park_options": {str(p.id): p.name for p in geo.parks(session=session)},
        "measure_options": service.measures(session=session, framework_id=fid),
        "default_targets": {str(i.id): _num(i.target) for i in indicators},
        "sheet": sheet,
        "errors": errors or {},
        "saved": SAVED.get(saved or ""),
        "source_labels": VALUE_SOURCE_LABELS,
        "rule_labels": SCORING_RULE_LABELS,
        "colour_labels": TIER_COLOUR_LABELS,
        "kind_labels": ADJUSTMENT_KIND_LABELS,
        "item_source_labels": ADJUSTMENT_SOURCE_LABELS,
        "history": service.history(session=session, framework_id=fid),
        # The shared history partial: the rows of the framework's items name their item.
        "history_type": "Framework",
    }


def _page_context(session: Session, fw: Framework, **editor: Any) -> dict[str, Any]:
    context = _editor_context(session, fw, **editor)
    versions = {f.version: f for f in service.frameworks(session=session) if f.year == fw.year}
    previous = versions.get(fw.version - 1)
    return context | {
        "previous": previous,
        "previous_periods": (
            service.periods_of(session=session, framework_id=previous.id) if previous else []
        ),
        "frameworks": service.frameworks(session=session),
        "copy_form": {},
        "copy_errors": {},
    }


def _list_context(session: Session, **extra: Any) -> dict[str, Any]:
    all_fw = service.frameworks(session=session)
    newest: dict[int, Framework] = {}
    for f in all_fw:
        newest.setdefault(f.year, f)
    sums = {
        f.id: service.weight_sum(
            i.weight for i in service.indicators(session=session, framework_id=f.id)
        )
        for f in all_fw
    }
    return {
        "frameworks": all_fw,
        "newest": newest,
        "locked": service.locked_ids(session=session),
        "periods": service.periods_by_framework(session=session),
        "sums": sums,
        "copy_form": {},
        "copy_errors": {},
        **extra,
    }


@router.get("", response_class=HTMLResponse, name="frameworks")
def framework_list(request: Request, session: SessionDep, who: Who):
    saved = SAVED.get(request.query_params.get("saved", ""))
    return render(request, "framework/list.html", _list_context(session, saved=saved))


async def _read_copy(request: Request) -> Row:
    form = await request.form()
    return {k: str(form.get(k) or "") for k in ("source_id", "year")}


@router.post("/copy", response_class=HTMLResponse, name="framework_copy")
def framework_copy(
    request: Request, session: SessionDep, who: Who, form: Annotated[Row, Depends(_read_copy)]
):
    try:
        fw = service.copy_to_year(session=session, who=who, data=form)
    except Invalid as exc:
        session.rollback()
        context = _list_context(session, copy_form=form, copy_errors=exc.errors)
        return render(request, "framework/list.html", context, status_code=422)
    url = str(request.url_for("framework", framework_id=fw.id)) + "?saved=copy"
    return RedirectResponse(url, status_code=303)


@router.get("/{framework_id}", response_class=HTMLResponse, name="framework")
def framework_page(request: Request, framework_id: int, session: SessionDep, who: Who):
    fw = service.get(session=session, framework_id=framework_id)
    saved = request.query_params.get("saved")
    context = _page_context(session, fw, saved=saved if saved in SAVED else None)
    context["new_version"] = request.query_params.get("version") == "new"
    return render(request, "framework/framework.html", context)


async def _read_rows(request: Request) -> dict[int, Row]:
    """A sheet's posted fields, by row number in form order."""
    found: dict[int, Row] = {}
    for key, value in (await request.form()).multi_items():
        m = ROW_FIELD.fullmatch(key)
        if m and int(m[1]) < MAX_ROWS and isinstance(value, str):
            found.setdefault(int(m[1]), {})[m[2]] = value
    return dict(sorted(found.items()))


SheetForm = Annotated[dict[int, Row], Depends(_read_rows)]


def _save_sheet(
    request: Request,
    session: Session,
    who: Principal,
    framework_id: int,
    sheet: str,
    posted: dict[int, Row],
) -> Response:
    save, typed = SHEETS[sheet]
    # The spare blank row at the end of a sheet is not a row to save.
    rows = [r for r in posted.values() if r.get("id") or any(r.get(k, "").strip() for k in typed)]
    try:
        fw = save(session=session, who=who, framework_id=framework_id, rows=rows)
    except Invalid as exc:
        # The service checks a sheet before writing any of it; rolling back keeps that
        # promise should a check ever come after a write.
        session.rollback()
        current = service.get(session=session, framework_id=framework_id)
        editor = {"sheet": sheet, "posted": rows, "errors": exc.errors}
        if is_htmx(request):
            context = _editor_context(session, current, **editor)
            return render(request, "framework/_editor.html", context, status_code=422)
        context = _page_context(session, current, **editor)
        return render(request, "framework/framework.html", context, status_code=422)
    page = str(request.url_for("framework", framework_id=fw.id))
    if fw.id == framework_id:
        if is_htmx(request):
            return render(
                request, "framework/_editor.html", _editor_context(session, fw, saved=sheet)
            )
        return RedirectResponse(f"{page}?saved={sheet}", status_code=303)
    # A locked framework: the change made a new version, which has its own page.
    url = f"{page}?saved={sheet}&version=new"
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


@router.post("/{framework_id}/aspects", response_class=HTMLResponse, name="framework_aspects")
def save_aspects(
    request: Request, framework_id: int, session: SessionDep, who: Who, form: SheetForm
):
    return _save_sheet(request, session, who, framework_id, "aspects", form)


@router.post("/{framework_id}/indicators", response_class=HTMLResponse, name="framework_indicators")
def save_indicators(
    request: Request, framework_id: int, session: SessionDep, who: Who, form: SheetForm
):
    return _save_sheet(request, session, who, framework_id, "indicators", form)


@router.post("/{framework_id}/tiers", response_class=HTMLResponse, name="framework_tiers")
def save_tiers(request: Request, framework_id: int, session: SessionDep, who: Who, form: SheetForm):
    return _save_sheet(request, session, who, framework_id, "tiers", form)


@router.post(
    "/{framework_id}/adjustments", response_class=HTMLResponse, name="framework_adjustments"
)
def save_adjustments(
    request: Request, framework_id: int, session: SessionDep, who: Who, form: SheetForm
):
    return _save_sheet(request, session, who, framework_id, "adjustments", form)


@router.post("/{framework_id}/overrides", response_class=HTMLResponse, name="framework_overrides")
def save_overrides(
    request: Request, framework_id: int, session: SessionDep, who: Who, form: SheetForm
):
    return _save_sheet(request, session, who, framework_id, "overrides", form)
