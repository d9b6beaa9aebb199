"""The leaders' rankings page: district and park league tables, filtered, and downloads."""

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.assessment.models import Period
from app.assessment.rankings import exports as xlsx
from app.assessment.rankings import service as rs
from app.assessment.results import service as assessment
from app.audit.deps import DownloadDep
from app.core import charts, sheets
from app.core.auth import Who
from app.core.db import SessionDep
from app.core.errors import Invalid
from app.core.i18n import _
from app.core.inputs import MAX_PAGE, bounded_int
from app.core.templating import is_htmx, render
from app.geo import service as geo
from app.geo.models import PARK_KIND_LABELS, PILOT_LEVEL_LABELS

router = APIRouter()

# The park table comes in pages; the chart shows the first parks and the reader's own.
PER_PAGE = 50
CHART_PARKS = 20


@dataclass
class Asked:
    """The query as typed: every value is checked against its choices by the service."""

    period: str | None = None
    district: str | None = None
    kind: str | None = None
    pilot: str | None = None
    by: str | None = None
    q: str | None = None
    sort: str | None = None
    page: str | None = None


AskedDep = Annotated[Asked, Depends()]


def _period(session: Session, label: str | None) -> Period | None:
    # A label is as short as "2026Q3": a long one is no period, and is not worth parsing.
    period = assessment.get_period(session=session, label=label) if len(label or "") <= 12 else None
    if period is None and label:
        raise HTTPException(404, _("No such period: {p}").format(p=label[:12]))
    return period


def _chosen(period: Period, f: rs.Filters) -> dict[str, str]:
    """The filters as query values, in their canonical form (an aspect by this year's id)."""
    return {
        "period": period.label,
        "district": str(f.district.id) if f.district else "",
        "kind": f.kind.value if f.kind else "",
        "pilot": f.pilot.value if f.pilot else "",
        "by": str(f.aspect.id) if f.aspect else rs.TOTAL,
        "q": f.search,
        # The default order is left out of links, as the empty filters are.
        "sort": "" if f.sort == rs.RANK else f.sort,
    }


def _query(chosen: dict[str, str]) -> str:
    """The query string of a canonical choice, without the filters left empty."""
    return urlencode({k: v for k, v in chosen.items() if v})


def summary(rk: rs.Rankings) -> str:
    """The period and the filters in words, for the page and the workbook's title rows."""
    f, p = rk.filters, rk.period
    everything = _("All")
    return "；".join(
        [
            _("{year} Q{q} (cumulative)").format(year=p.year, q=p.quarter),
            f"{_('Rank by')}：{f.aspect.name if f.aspect else _('Total score')}",
            f"{_('District')}：{f.district.name if f.district else everything}",
            f"{_('Park kind')}：{_(PARK_KIND_LABELS[f.kind]) if f.kind else everything}",
            f"{_('Pilot level')}：{_(PILOT_LEVEL_LABELS[f.pilot]) if f.pilot else everything}",
            *([f"{_('Park name')}：{f.search}"] if f.search else []),
            *([_sort_words(f)] if f.sort != rs.RANK else []),
        ]
    )


def _sort_words(f: rs.Filters) -> str:
    """The chosen order in words: "Sort by: Score (reversed)"."""
    words = _(rs.SORT_LABELS[f.sort_field])
    if f.sort_reversed:
        words = _("{order}, reversed").format(order=words)
    return f"{_('Sort by')}：{words}"


def _figure(request: Request, rk: rs.Rankings, visible: geo.Visible) -> dict | None:
    # The first parks and the reader's own (a district office's, a park's): a chart of
    # 2,000 bars would say nothing and weigh a megabyte.
    first = rs.top(res=rk.results, filters=rk.filters, n=CHART_PARKS)
    visible.parks.preload(r.park.id for r in first)
    # One statement answers both: the reader's parks, when few, and which bars link.
    own = visible.parks.few(CHART_PARKS) or ()
    rows = rs.top(res=rk.results, filters=rk.filters, n=CHART_PARKS, own=own, first=first)
    if not rows:
        return None
    aspect = rk.filters.aspect
    # Links are built from one URL, not one url_for per bar.
    park_url = str(request.url_for("park", park_id=0))[:-1]
    figure = charts.ranking_bar(
        [r.park.name for r in rows],
        [r.score for r in rows],
        [r.tier.colour if r.tier else "grey" for r in rows],
        urls=[f"{park_url}{r.park.id}" if r.park.id in visible.parks else "" for r in rows],
        axis_title=_("{aspect} points").format(aspect=aspect.name) if aspect else _("Score"),
    )
    if rk.out_of is not None:
        # The bar chart is scaled for totals out of 100; an aspect is out of its weights.
        figure["layout"]["xaxis"]["range"] = [0, rk.out_of * 1.1]
    return figure


def _filters(session: Session, period: Period, asked: Asked) -> rs.Filters:
    # Bad filters raise Invalid: the page shows them in its form, a download answers 422.
    return rs.parse_filters(
        session=session,
        period=period,
        district=asked.district,
        kind=asked.kind,
        pilot=asked.pilot,
        by=asked.by,
        q=asked.q,
        sort=asked.sort,
    )


def _sort_url(base: str, chosen: dict[str, str], field: str) -> str:
    """A column header's link: sorts by the field its natural way, or the other way when
    the table is already sorted by it; the other filters stay, the page goes back to 1."""
    current = chosen.get("sort") or rs.RANK
    order = f"-{field}" if current == field else field
    return f"{base}?{_query(chosen | {'sort': '' if order == rs.RANK else order})}"


def _page_number(text: str | None) -> int:
    """The page asked for: a whole number from 1 (a page past the last shows the last)."""
    if not text:
        return 1
    page = bounded_int(text, low=1, high=MAX_PAGE)
    if page is None:
        raise Invalid({"page": _("The page number must be a whole number from 1.")})
    return page


def _page_url(base: str, chosen: dict[str, str], page: int) -> str:
    return f"{base}?{_query(chosen | {'page': str(page)})}"


@router.get("/rankings", response_class=HTMLResponse, name="rankings")
def rankings_page(request: Request, session: SessionDep, who: Who, asked: AskedDep):
    # League tables are published to every role; links open only what is in the reader's scope.
    period = _period(session, asked.period)
    context: dict[str, Any] = {
        "period": period,
        "periods": assessment.periods(session=session),
        "districts": geo.districts(session=session),
        "kind_labels": PARK_KIND_LABELS,
        "pilot_labels": PILOT_LEVEL_LABELS,
        "aspects": rs.aspects(
            session=session, framework_id=period.framework_id if period else None
        ),
        "total": rs.TOTAL,
        "chosen": {k: v or "" for k, v in vars(asked).items()},
        "rk": None,
        "errors": {},
        # An htmx answer also refreshes the aspect choices, which follow the period's framework.
        "oob": is_htmx(request),
    }
    status = 200
    if period is not None:
        try:
            filters = _filters(session, period, asked)
            page = _page_number(asked.page)
        except Invalid as exc:
            # The page stays usable: the form is shown again with what was wrong.
            context["errors"] = exc.errors
            status = 422
        else:
            rk = rs.rankings(
                session=session, period=period, filters=filters, page=page, per_page=PER_PAGE
            )
            visible = geo.visible(session=session, who=who)
            # One read of which shown parks the reader may open, not of the whole scope.
            visible.parks.preload(r.park.id for r in rk.parks)
            chosen = _chosen(period, filters)
            context.update(
                rk=rk,
                chosen=chosen,
                visible=visible,
                summary=summary(rk),
                figure=_figure(request, rk, visible),
                export_url=f"{request.url_for('rankings_xlsx')}?{_query(chosen)}",
                page_url=lambda n: _page_url(str(request.url_for("rankings")), chosen, n),
                sort_url=lambda field: _sort_url(str(request.url_for("rankings")), chosen, field),
                csv_url=f"{request.url_for('rankings_csv')}?{_query(chosen)}",
            )
    template = "assessment/_rankings_table.html" if is_htmx(request) else "assessment/rankings.html"
    return render(request, template, context, status_code=status)


def _download(
    request: Request, session: Session, asked: Asked, kind: str, make
) -> tuple[bytes, int, Period]:
    """A download's bytes for the query and the parks it holds, made by `make(rankings)`
    when the results it shows (this period's, and the previous one's for movement)
    changed since last made."""
    period = _period(session, asked.period)
    if period is None:
        raise HTTPException(404, _("No indicator values have been recorded yet."))
    # Bad filters raise Invalid: the app answers 422 naming each one.
    filters = _filters(session, period, asked)
    before = assessment.previous_period(session=session, period=period)
    key = (
        kind,
        period.id,
        period.results_version,
        before.results_version if before else None,
        _query(_chosen(period, filters)),
    )

    def made() -> tuple[bytes, int]:
        rk = rs.rankings(session=session, period=period, filters=filters)
        return make(rk), len(rk.parks)

    # Downloads are kept by the versions of the results they were made from (app.state,
    # see main.py): a league table of 2,000 parks takes a few hundred milliseconds to
    # write, and leaders download the same one again and again between two changes.
    body, parks = request.app.state.downloads.get_or_make(key, made)
    return body, parks, period


@router.get("/rankings.xlsx", name="rankings_xlsx")
def rankings_xlsx(
    request: Request, session: SessionDep, _who: Who, dl: DownloadDep, asked: AskedDep
) -> Response:
    def make(rk: rs.Rankings) -> bytes:
        title = f"{_('Park reform rankings')} · {summary(rk)}"
        return xlsx.workbook(rk, title=title, mark=sheets.PENDING)

    body, parks, period = _download(request, session, asked, "xlsx", make)
    # Kept for every reader; each file carries who took it and when.
    body = sheets.stamp(body, dl.mark)
    label = period.label
    return dl.send(
        body,
        media_type=sheets.XLSX_MEDIA_TYPE,
        ascii_name=f"rankings-{label}.xlsx",
        name=f"{_('Park reform rankings')}-{label}.xlsx",
        object_type="Rankings",
        label=label,
        rows=parks,
    )


@router.get("/rankings.csv", name="rankings_csv")
def rankings_csv(
    request: Request, session: SessionDep, _who: Who, dl: DownloadDep, asked: AskedDep
) -> Response:
    body, parks, period = _download(request, session, asked, "csv", xlsx.park_csv)
    label = period.label
    return dl.send(
        body,
        media_type=sheets.CSV_MEDIA_TYPE,
        ascii_name=f"park-rankings-{label}.csv",
        name=f"{_('Park ranking')}-{label}.csv",
        object_type="Rankings",
        label=label,
        rows=parks,
    )
