"""The park dashboard, and the printed quarterly reports of a park and of a district (PDF too)."""

import logging
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from app.assessment.models import REPORT_STATE_LABELS
from app.assessment.results import service as assessment
from app.audit import service as audit
from app.audit.deps import Download, DownloadDep
from app.core import charts, permissions
from app.core.auth import Who
from app.core.db import SessionDep
from app.core.i18n import _
from app.core.permissions import Principal
from app.core.templating import is_htmx, render, templates
from app.core.types import utcnow
from app.dashboard import pdf
from app.dashboard.common import PeriodParam, completion_rows, period_results
from app.dashboard.park import charts as park_charts
from app.dashboard.park import service as park_service
from app.enterprises import service as roster
from app.geo import service as geo
from app.geo.models import GRID_STATUS_LABELS, PARK_KIND_LABELS, PILOT_LEVEL_LABELS, Park
from app.geo.models import SERVICE_POSITIONS as POSITIONS
from app.gridwork.models import NOTICE_KIND_LABELS

router = APIRouter()
log = logging.getLogger(__name__)

# The fragments /parks/{id} answers htmx with, by the id of the element asking (HX-Target).
FRAGMENTS = {
    "results": "dashboard/_park_results.html",
    "park-grids": "dashboard/_park_grids.html",
    "park-demands": "dashboard/_park_demands.html",
}
# Charts on an A4 portrait page: 210 mm less 2 × 15 mm margins is about 680 CSS px.
PAPER_WIDTH = 680


def _results(request: Request, session, park: Park, res, periods: list) -> dict[str, Any]:
    """The period's part of the page: score, ranks, indicators, aspects, the score's history."""
    pr = res.park(park.id) if res else None
    context: dict[str, Any] = {"park": park, "res": res, "pr": pr, "rows": [], "periods": periods}
    if pr is None:
        return context
    rows = completion_rows(res, pr)
    shares = park_service.aspect_shares(session=session, res=res, park_result=pr)
    history = park_service.score_history(
        session=session,
        periods=assessment.up_to(periods, res.period),
        park_id=park.id,
        district_id=pr.district.id,
    )
    base = str(request.url_for("park", park_id=park.id))
    context.update(
        rows=rows,
        district_size=res.district(pr.district.id).park_count,
        figure=charts.progress_bar(
            [f"{r['indicator'].code} {r['indicator'].name}" for r in rows],
            [r["completion"] for r in rows],
            no_data=_("No data"),
        ),
        radar=charts.radar(
            shares.names,
            [
                (park.name, shares.park),
                (_("{district} average").format(district=pr.district.name), shares.district),
            ],
        ),
        trend=park_charts.score_trend(
            history.labels,
            [
                (park.name, history.park),
                (_("{district} average").format(district=pr.district.name), history.district),
            ],
            urls=[f"{base}?period={label}" for label in history.labels],
            axis_title=_("Score"),
        ),
    )
    return context


def _grids(request: Request, session, who: Principal, park: Park) -> dict[str, Any]:
    """The park's grids today: tiles by status and the grid table."""
    # Every grid listed is in the reader's view scope, so each tile may link to its page.
    g = park_service.grid_rows(session=session, who=who, park_id=park.id)
    # Links are built from one URL, not one url_for per grid.
    grid_url = str(request.url_for("grid", grid_id=0))[:-1]
    return {
        "grids": g.grids,
        "nodes": g.nodes,
        "liaisons": g.liaisons,
        "grid_totals": g.totals,
        "status_labels": GRID_STATUS_LABELS,
        "tiles": park_charts.grid_tiles(
            [x.name for x in g.grids],
            [x.status for x in g.grids],
            [_(GRID_STATUS_LABELS[x.status]) for x in g.grids],
            urls=[f"{grid_url}{x.id}" for x in g.grids],
        ),
    }


def _demands(session, who: Principal, park: Park) -> dict[str, Any]:
    funnel = park_service.demand_funnel(session=session, who=who, park_id=park.id)
    return {
        "funnel": funnel,
        "funnel_figure": park_charts.demand_funnel([_(s) for s in funnel.labels], funnel.counts),
    }


@router.get("/parks/{park_id}", response_class=HTMLResponse, name="park")
def park(request: Request, park_id: int, session: SessionDep, who: Who, period: PeriodParam = None):
    p = geo.get_park(session=session, who=who, park_id=park_id)
    response = _park_page(request, session, who, p, period)
    # One URL, several fragments chosen by HX-Target: caches must key on both headers.
    response.headers["Vary"] = "HX-Request, HX-Target"
    return response


def _park_page(request: Request, session, who: Principal, p: Park, period: str | None):
    if is_htmx(request):
        fragment = FRAGMENTS.get(request.headers.get("HX-Target", ""), FRAGMENTS["results"])
        if fragment == FRAGMENTS["park-grids"]:
            return render(request, fragment, {"park": p, **_grids(request, session, who, p)})
        if fragment == FRAGMENTS["park-demands"]:
            return render(request, fragment, {"park": p, **_demands(session, who, p)})
        res = period_results(session, period)
        context = _results(request, session, p, res, assessment.periods(session=session))
        # The period picker sits outside #results: a drill-down from the trend updates it too.
        context["picker_oob"] = True
        return render(request, fragment, context)
    res = period_results(session, period)
    context = _results(request, session, p, res, assessment.periods(session=session))
    context.update(_grids(request, session, who, p))
    context.update(_demands(session, who, p))
    can_change = permissions.allows(session, who, "change", Park, p.id)
    context.update(
        park_totals=roster.totals_by_park(session=session, park_ids=[p.id]).get(
            p.id, roster.RosterTotals()
        ),
        ancestors=geo.ancestors(session=session, area_id=p.area_id),
        visible=geo.visible(session=session, who=who),
        history=audit.history(session=session, object_type="Park", object_id=p.id),
        can_import=can_change,
        # What the park has to deal with, for those who deal with it (its office, and the
        # district and city offices that may change it).
        due=park_service.due(session=session, who=who, park_id=p.id, periods=context["periods"])
        if can_change
        else None,
        report_state_labels=REPORT_STATE_LABELS,
        notice_kind_labels=NOTICE_KIND_LABELS,
        positions=POSITIONS,
        kind_labels=PARK_KIND_LABELS,
        pilot_labels=PILOT_LEVEL_LABELS,
    )
    return render(request, "dashboard/park.html", context)


# ---- printed reports -------------------------------------------------------------------


def _paper(figure: dict | None, height: int | None = None) -> dict | None:
    return park_charts.on_paper(figure, width=PAPER_WIDTH, height=height) if figure else None


def _park_print(request: Request, session, who: Principal, park_id: int, period: str | None):
    p = geo.get_park(session=session, who=who, park_id=park_id)
    res = period_results(session, period)
    context = _results(request, session, p, res, assessment.periods(session=session))
    context.update(_grids(request, session, who, p))
    context.update(_demands(session, who, p))
    for key, height in (
        ("figure", None),
        ("radar", 360),
        ("trend", 280),
        ("tiles", None),
        ("funnel_figure", 260),
    ):
        context[key] = _paper(context.get(key), height)
    context.update(
        kind_labels=PARK_KIND_LABELS,
        pilot_labels=PILOT_LEVEL_LABELS,
        park_totals=roster.totals_by_park(session=session, park_ids=[park_id]).get(
            park_id, roster.RosterTotals()
        ),
        printed_at=utcnow(),
        printed_by=who.display_name,
    )
    return p, res, context


def _district_print(request: Request, session, who: Principal, area_id: int, period: str | None):
    area = geo.get_district(session=session, who=who, area_id=area_id)
    res = period_results(session, period)
    report = park_service.district_report(session=session, area=area, res=res)
    context: dict[str, Any] = {
        "area": area,
        "res": res,
        "report": report,
        "dres": report.dres,
        "printed_at": utcnow(),
        "printed_by": who.display_name,
    }
    if report.dres and report.dres.parks:
        context["figure"] = _paper(
            charts.ranking_bar(
                [r.park.name for r in report.dres.parks],
                [r.total for r in report.dres.parks],
                [r.tier.colour if r.tier else "grey" for r in report.dres.parks],
                axis_title=_("Score"),
            )
        )
    return area, res, context


def _browser_assets(request: Request) -> dict[str, str]:
    return {
        "app_css": str(request.url_for("static", path="app.css")),
        "print_css": str(request.url_for("static", path="print.css")),
        "plotly_js": str(request.url_for("plotly", path="plotly.min.js")),
        "app_js": str(request.url_for("static", path="app.js")),
    }


def _print_page(request: Request, template: str, context: dict[str, Any]) -> HTMLResponse:
    """The print page as the browser gets it (its assets from the server)."""
    context["assets"] = _browser_assets(request)
    return render(request, template, context)


def _pdf(
    request: Request,
    template: str,
    context: dict[str, Any],
    res,
    *,
    dl: Download,
    stem: str,
    name: str,
    object_type: str,
    object_id: int,
):
    """The print page rendered for Chromium (assets from disk, no CSP) and printed to PDF.

    The file is named `stem` (ASCII) and `name` (what it reports on) with the period.
    """
    label = res.period.label if res else ""
    title = _("Quarterly report")
    settings = request.app.state.settings
    chromium = getattr(settings, "chromium_path", "/usr/bin/chromium")
    if not pdf.available(chromium):
        raise HTTPException(
            503,
            _(
                "PDF download is not available on this server. Open the print view and "
                "use the browser's “Save as PDF”."
            ),
        )
    html = templates.get_template(template).render(
        {"request": request, **context, "assets": pdf.asset_urls(), "for_pdf": True}
    )
    try:
        body = pdf.render(html, chromium=chromium)
    except (pdf.PdfUnavailable, pdf.PdfFailed) as exc:
        log.warning("PDF of %s failed: %s", request.url.path, exc)
        raise HTTPException(
            503,
            _(
                "The PDF could not be made this time. Open the print view and use the "
                "browser's “Save as PDF”."
            ),
        ) from exc
    return dl.send(
        body,
        media_type="application/pdf",
        ascii_name=f"{stem}-{label or 'report'}.pdf",
        name=f"{name}{label}{title}.pdf",
        object_type=object_type,
        object_id=object_id,
        label=f"{name} {label}".strip(),
        rows=None,
    )


@router.get("/parks/{park_id}/print", response_class=HTMLResponse, name="park_print")
def park_print(
    request: Request, park_id: int, session: SessionDep, who: Who, period: PeriodParam = None
):
    _p, _res, context = _park_print(request, session, who, park_id, period)
    return _print_page(request, "dashboard/print_park.html", context)


@router.get("/districts/{area_id}/print", response_class=HTMLResponse, name="district_print")
def district_print(
    request: Request, area_id: int, session: SessionDep, who: Who, period: PeriodParam = None
):
    _area, _res, context = _district_print(request, session, who, area_id, period)
    return _print_page(request, "dashboard/print_district.html", context)


@router.get("/parks/{park_id}/report.pdf", name="park_pdf")
def park_pdf(
    request: Request,
    park_id: int,
    session: SessionDep,
    who: Who,
    dl: DownloadDep,
    period: PeriodParam = None,
):
    p, res, context = _park_print(request, session, who, park_id, period)
    return _pdf(
        request,
        "dashboard/print_park.html",
        context,
        res,
        dl=dl,
        stem=f"park-{p.id}",
        name=p.name,
        object_type="ParkReport",
        object_id=p.id,
    )


@router.get("/districts/{area_id}/report.pdf", name="district_pdf")
def district_pdf(
    request: Request,
    area_id: int,
    session: SessionDep,
    who: Who,
    dl: DownloadDep,
    period: PeriodParam = None,
):
    area, res, context = _district_print(request, session, who, area_id, period)
    stem = f"district-{area.code or area.id}"
    return _pdf(
        request,
        "dashboard/print_district.html",
        context,
        res,
        dl=dl,
        stem=stem,
        name=area.name,
        object_type="DistrictReport",
        object_id=area.id,
    )
