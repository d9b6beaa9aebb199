"""The district dashboard: parks ranked, the scorecard heat map, reports, and the drill-down
from a park to one of its indicators, at a URL that can be shared.

Expected figures are recomputed here from the demo's tables, not from the page's services.
"""

import json
import re
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import event
from sqlmodel import col, func, select

from app.assessment.models import Evidence, IndicatorValue, ParkReport, Period, ReportState
from app.assessment.results import service as assessment
from app.core.charts import TIER_COLOURS
from app.core.templating import LOCAL_TZ
from app.core.types import utcnow
from app.enterprises.models import Enterprise
from app.framework.models import Indicator
from app.geo.models import Area, Grid, Park
from tests.helpers import charts, kpi, table_rows

DETAIL = {"HX-Request": "true", "HX-Target": "district-detail"}
COUNTING = {ReportState.submitted, ReportState.approved}


@pytest.fixture
def client(login):
    return login("city_admin")


def _area(session, name: str) -> Area:
    return session.exec(select(Area).where(Area.name == name)).one()


def _park(session, name: str) -> Park:
    return session.exec(select(Park).where(Park.name == name)).one()


def _period(session, label: str) -> Period:
    return assessment.get_period(session=session, label=label)


def figure(html: str, figure_id: str) -> dict:
    """The Plotly figure of the <figure> with this id."""
    m = re.search(
        rf'<figure[^>]*id="{figure_id}"[^>]*>\s*<script type="application/json">(.*?)</script>',
        html,
        re.S,
    )
    assert m, f"no figure {figure_id!r}"
    return json.loads(unescape(m.group(1)))


def figure_tag(html: str, figure_id: str) -> str:
    m = re.search(rf'<figure[^>]*id="{figure_id}"[^>]*>', html)
    assert m, f"no figure {figure_id!r}"
    return m.group(0)


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def counted_completion(session, period: Period, park_ids: list[int]) -> dict:
    """(park id, indicator code) → completion in %, of the values that count.

    Computed values always count; reported ones once the report is submitted or approved.
    The demo's indicators are all linear with no park targets: completion = value / target.
    """
    states = {
        r.park_id: r.state
        for r in session.exec(select(ParkReport).where(ParkReport.period_id == period.id))
    }
    rows = session.exec(
        select(IndicatorValue, Indicator)
        .join(Indicator, col(Indicator.id) == col(IndicatorValue.indicator_id))
        .where(IndicatorValue.period_id == period.id, col(IndicatorValue.park_id).in_(park_ids))
    )
    return {
        (v.park_id, ind.code): 100.0 * v.value / ind.target
        for v, ind in rows
        if v.origin == "computed" or states.get(v.park_id) in COUNTING
    }


def light(completion: float | None) -> int:
    if completion is None:
        return 3
    return 0 if completion >= 100 else 1 if completion >= 60 else 2


# ---- the parks ranked ---------------------------------------------------------------------


def test_ranking_bar_opens_each_park_below(client, session):
    liangxi = _area(session, "梁溪区")
    res = assessment.results(session=session, period=_period(session, None))
    parks = res.district(liangxi.id).parks
    html = client.get(f"/districts/{liangxi.id}").text
    assert 'data-drill="#district-detail"' in figure_tag(html, "park-ranking-chart")
    bars = figure(html, "park-ranking-chart")["data"][0]
    # Best on top: Plotly draws bottom-up, so the figure lists the ranking reversed.
    assert bars["y"][::-1] == ["无锡华夏家居港", "无锡盛阳食品城"]
    assert bars["x"][::-1] == [p.total for p in parks] == [98.29, 82.81]
    assert bars["marker"]["color"][::-1] == [TIER_COLOURS[p.tier.colour] for p in parks]
    links = [query(u) for u in bars["customdata"][::-1]]
    assert links == [{"period": "2026Q3", "park": str(p.park.id)} for p in parks]
    assert all(
        u.startswith(f"http://testserver/districts/{liangxi.id}?") for u in bars["customdata"]
    )
    # The page's table keeps the same order and offers the same drill-down as a link.
    rows = table_rows(html, "park-ranking")
    assert [r[1] for r in rows] == ["无锡华夏家居港", "无锡盛阳食品城"]
    assert f'hx-get="http://testserver/districts/{liangxi.id}?period=2026Q3&amp;park=' in html


# ---- the heat map ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("district", "last"), [("新吴区", "无锡综合保税区"), ("经济开发区", "经开区华庄智造产业园")]
)
def test_heat_map_colours_each_park_and_indicator_by_its_traffic_light(
    client, session, district, last
):
    area = _area(session, district)
    period = _period(session, "2026Q3")
    res = assessment.results(session=session, period=period)
    parks = [r.park for r in res.district(area.id).parks]
    html = client.get(f"/districts/{area.id}?period=2026Q3").text
    assert 'data-drill="#district-detail"' in figure_tag(html, "scorecard-heatmap")
    (trace,) = figure(html, "scorecard-heatmap")["data"]
    assert trace["type"] == "heatmap"
    assert trace["y"] == [p.name for p in parks]  # rank order, top down
    assert trace["y"][-1] == last
    codes = [f"I{k:02d}" for k in range(1, 13)]
    assert trace["x"] == codes

    done = counted_completion(session, period, [p.id for p in parks])
    assert trace["z"] == [[light(done.get((p.id, c))) for c in codes] for p in parks]
    if district == "新吴区":
        assert trace["z"][-1] == [3] * 12  # 综保区 has reported nothing: no data, all grey
    else:
        assert 2 in trace["z"][-1]  # 华庄 (23.03 points) is not on track somewhere

    # Each cell links to that park's indicator, in the period shown.
    url = trace["customdata"][0][4]
    assert query(url) == {"period": "2026Q3", "park": str(parks[0].id), "indicator": "I05"}
    # Hovering names the indicator, which the column only shows by its code.
    assert "内训/外训基地数" in trace["hovertext"][0][4]


def test_heat_map_colours_are_the_legend_chips_colours(client, session):
    liangxi = _area(session, "梁溪区")
    html = client.get(f"/districts/{liangxi.id}").text
    css = Path("static/app.css").read_text()
    chips = [
        re.search(rf"\.cell\.{name} \{{ background: (#[0-9a-f]{{6}});", css).group(1)
        for name in ("reached", "progressing", "behind", "missing")
    ]
    (trace,) = figure(html, "scorecard-heatmap")["data"]
    # A discrete scale: category k (0..3) is painted in the k-th chip's colour only.
    assert (trace["zmin"], trace["zmax"]) == (-0.5, 3.5)
    scale = trace["colorscale"]
    for k, colour in enumerate(chips):
        middle = (k + 0.5) / 4
        below = [c for stop, c in scale if stop <= middle][-1]
        above = next(c for stop, c in scale if stop >= middle)
        assert below == above == colour
    legend = re.search(r'<div class="legend" id="scorecard-legend">(.*?)</div>', html, re.S)
    for name, label in zip(
        ("reached", "progressing", "behind", "missing"),
        ("已达标", "推进中", "进度滞后", "无数据"),
        strict=True,
    ):
        assert f'class="cell {name}"' in legend.group(1) and label in legend.group(1)


def test_heat_map_cells_show_the_value_and_its_movement(client, session):
    liangxi = _area(session, "梁溪区")
    huaxia, shengyang = _park(session, "无锡华夏家居港"), _park(session, "无锡盛阳食品城")
    period = _period(session, "2026Q3")
    prev = _period(session, "2026Q2")
    now = counted_completion(session, period, [huaxia.id, shengyang.id])
    before = counted_completion(session, prev, [huaxia.id, shengyang.id])
    html = client.get(f"/districts/{liangxi.id}").text
    (trace,) = figure(html, "scorecard-heatmap")["data"]
    for i, park in enumerate((huaxia, shengyang)):
        for j, code in enumerate(trace["x"]):
            a, b = now[(park.id, code)], before[(park.id, code)]
            move = "—" if round(a, 1) == round(b, 1) else "↑" if a > b else "↓"
            assert trace["text"][i][j].endswith(move), (park.name, code)
    # Known demo cells, each its completion of the target (whole per cent, rounded down):
    # 华夏's I01 rose from 88.88 % to 93.12 %, its training bases stayed at 3 of 2 (150 %),
    # and 盛阳's demand resolution fell from 88 % to 86 % of its target.
    assert trace["text"][0][0] == "93% ↑"
    assert trace["text"][0][4] == "150% —"
    assert trace["text"][1][8] == "86% ↓"
    # The accessible table under the heat map says the same, cell by cell.
    card = table_rows(html, "scorecard")
    assert card[0][0] == "无锡华夏家居港" and card[0][1] == "93%"
    assert 'data-move="↓"' in html


def test_a_draft_report_leaves_its_reported_cells_without_data(client, session):
    # 锡山东港 has a draft 2026Q3 report: its reported values do not count yet.
    xishan, park = _area(session, "锡山区"), _park(session, "锡山东港纺织服装产业园")
    html = client.get(f"/districts/{xishan.id}?period=2026Q3").text
    (trace,) = figure(html, "scorecard-heatmap")["data"]
    i12 = trace["x"].index("I12")
    assert trace["z"][0][i12] == 3 and trace["text"][0][i12] == "—"
    assert trace["z"][0][0] != 3  # computed from the roster, it counts

    detail = client.get(f"/districts/{xishan.id}?period=2026Q3&park={park.id}&indicator=I12")
    assert kpi(detail.text, "indicator-value") == "2 人"
    assert "未计入：报告尚未报送" in detail.text


# ---- the drill-down -----------------------------------------------------------------------


def test_clicking_a_park_loads_its_indicators_and_facts_below(client, session):
    liangxi, huaxia = _area(session, "梁溪区"), _park(session, "无锡华夏家居港")
    period = _period(session, "2026Q3")
    resp = client.get(f"/districts/{liangxi.id}?period=2026Q3&park={huaxia.id}", headers=DETAIL)
    assert resp.status_code == 200
    html = resp.text
    assert "<html" not in html and 'id="district-reports"' not in html  # the detail alone
    assert "HX-Target" in resp.headers["vary"]
    assert 'id="park-detail"' in html and "autofocus" in html

    enterprises, workers = session.exec(
        select(func.count(col(Enterprise.id)), func.sum(Enterprise.worker_count))
        .join(Grid, col(Grid.id) == col(Enterprise.grid_id))
        .where(Grid.park_id == huaxia.id)
    ).one()
    assert kpi(html, "park-enterprises") == f"{enterprises:,}" == "160"
    assert kpi(html, "park-workers") == f"{workers:,}"
    assert kpi(html, "park-grids") == "10"
    score = assessment.results(session=session, period=period).park(huaxia.id)
    assert kpi(html, "park-score") == f"{score.total:.2f}" == "98.29"
    assert kpi(html, "park-rank") == "1 / 2 —"

    progress = figure(html, "park-progress-chart")
    assert 'data-drill="#district-detail"' in figure_tag(html, "park-progress-chart")
    bars = progress["data"][0]
    done = counted_completion(session, period, [huaxia.id])
    codes = [y.split()[0] for y in bars["y"][::-1]]
    assert codes == [f"I{k:02d}" for k in range(1, 13)]
    assert bars["x"][::-1] == [
        pytest.approx(min(done[(huaxia.id, c)], 150), abs=0.1) for c in codes
    ]
    reached = sum(done[(huaxia.id, c)] >= 100 for c in codes)
    assert kpi(html, "park-reached") == f"{reached} / 12"
    # Each bar opens its indicator, still in the same place.
    assert [query(u)["indicator"] for u in bars["customdata"][::-1]] == codes


def test_a_shared_link_opens_the_page_with_the_indicator_open(client, session):
    liangxi, huaxia = _area(session, "梁溪区"), _park(session, "无锡华夏家居港")
    url = f"/districts/{liangxi.id}?period=2026Q3&park={huaxia.id}&indicator=I01"
    html = client.get(url).text
    assert "<html" in html and 'value="2026Q3" selected' in html
    detail = html.split('id="district-detail"', 1)[1]
    assert 'id="park-detail"' in detail and 'data-indicator="I01"' in detail
    for fig in ("park-ranking-chart", "scorecard-heatmap", "park-progress-chart"):
        figure(html, fig)

    # A computed indicator: how it was computed, from the stored basis.
    stored = session.exec(
        select(IndicatorValue)
        .join(Indicator, col(Indicator.id) == col(IndicatorValue.indicator_id))
        .where(
            IndicatorValue.park_id == huaxia.id,
            IndicatorValue.period_id == _period(session, "2026Q3").id,
            Indicator.code == "I01",
        )
    ).one()
    rows = dict((r[0], r[1]) for r in table_rows(html, "indicator-rows"))
    assert rows["数据来源"] == "由企业名册计算"
    assert rows["计算依据"] == stored.basis == "名册内 160 家企业中 149 家参与产改"
    assert kpi(html, "indicator-value") == "93.1 %"
    assert kpi(html, "indicator-completion") == "93% ↑"

    # The value over the quarters, next to its target, from every period's stored value.
    history = dict(
        session.exec(
            select(Period.id, IndicatorValue.value)
            .join(IndicatorValue, col(IndicatorValue.period_id) == col(Period.id))
            .join(Indicator, col(Indicator.id) == col(IndicatorValue.indicator_id))
            .where(IndicatorValue.park_id == huaxia.id, Indicator.code == "I01")
        ).all()
    )
    periods = assessment.periods(session=session)
    trend = next(f for f in charts(html) if f["data"][0]["type"] == "scatter")
    value, target = trend["data"]
    assert value["x"] == [p.label for p in periods] and len(periods) == 8
    assert value["y"] == [history.get(p.id) for p in periods]
    assert value["y"][-1] == 93.12
    assert target["y"] == [100.0] * 8


def test_a_reported_indicator_shows_the_parks_note_and_evidence(client, session):
    liangxi, huaxia = _area(session, "梁溪区"), _park(session, "无锡华夏家居港")
    value = session.exec(
        select(IndicatorValue)
        .join(Indicator, col(Indicator.id) == col(IndicatorValue.indicator_id))
        .where(
            IndicatorValue.park_id == huaxia.id,
            IndicatorValue.period_id == _period(session, "2026Q3").id,
            Indicator.code == "I12",
        )
    ).one()
    value.note = "新评选市级劳模 2 人"
    value.updated_by = "park_huaxia"
    session.add(value)
    session.flush()
    ev = Evidence(
        value_id=value.id,
        filename="劳模名单.pdf",
        stored_name="x" * 64,
        content_type="application/pdf",
        size=1024,
        sha256="0" * 64,
    )
    session.add(ev)
    session.flush()

    url = f"/districts/{liangxi.id}?period=2026Q3&park={huaxia.id}&indicator=I12"
    html = client.get(url, headers=DETAIL).text
    rows = dict((r[0], r[1]) for r in table_rows(html, "indicator-rows"))
    assert rows["数据来源"] == "园区填报"
    assert rows["园区说明"] == "新评选市级劳模 2 人"
    assert rows["佐证材料"] == "劳模名单.pdf"
    assert f'href="http://testserver/evidence/{ev.id}"' in html
    assert rows["填报人"].startswith("park_huaxia")
    assert kpi(html, "indicator-value") == "5 人"
    assert kpi(html, "indicator-points") == "8.00 / 8"


# ---- reports ------------------------------------------------------------------------------


def test_report_completeness_and_timeliness_of_the_district(client, session):
    liangxi = _area(session, "梁溪区")
    html = client.get(f"/districts/{liangxi.id}?period=2026Q3").text
    # Both 梁溪 parks submitted before the 20 October deadline; one is approved so far.
    assert kpi(html, "report-completeness") == "100%"
    assert kpi(html, "report-timeliness") == "100%"
    assert kpi(html, "reports-approved") == "1 / 2"
    rows = table_rows(html, "district-report-status")
    assert [(r[0], r[1], r[3]) for r in rows] == [
        ("无锡华夏家居港", "已审核通过", "按时"),
        ("无锡盛阳食品城", "已报送，待审核", "按时"),
    ]
    # The city's figure beside it: 12 of 15 parks submitted.
    city = session.exec(
        select(func.count(col(ParkReport.id))).where(
            ParkReport.period_id == _period(session, "2026Q3").id,
            col(ParkReport.first_submitted_at).is_not(None),
        )
    ).one()
    assert f"全市 {round(100 * city / 15)}%" in html


def test_late_and_missing_reports_are_flagged(client, session):
    xishan = _area(session, "锡山区")
    # 2026Q2: 锡山东港 submitted after the deadline.
    html = client.get(f"/districts/{xishan.id}?period=2026Q2").text
    assert kpi(html, "report-completeness") == "100%"
    assert kpi(html, "report-timeliness") == "0%"
    assert table_rows(html, "district-report-status")[0][3] == "逾期"
    # 2026Q3: still a draft; overdue once the deadline has passed.
    q3 = _period(session, "2026Q3")
    html = client.get(f"/districts/{xishan.id}?period=2026Q3").text
    assert kpi(html, "report-completeness") == "0%"
    overdue = utcnow().astimezone(LOCAL_TZ).date() > q3.deadline
    assert table_rows(html, "district-report-status")[0][3] == (
        "已逾期，未报送" if overdue else "未到截止日"
    )


# ---- fragments, scope, speed -------------------------------------------------------------


def test_the_period_picker_gets_the_results_with_links_in_that_period(client, session):
    liangxi = _area(session, "梁溪区")
    resp = client.get(
        f"/districts/{liangxi.id}?period=2025Q4",
        headers={"HX-Request": "true", "HX-Target": "results"},
    )
    assert resp.status_code == 200 and "<html" not in resp.text
    assert 'id="district-detail"' in resp.text and 'id="park-detail"' not in resp.text
    bars = figure(resp.text, "park-ranking-chart")["data"][0]
    assert {query(u)["period"] for u in bars["customdata"]} == {"2025Q4"}


def test_closing_the_detail_empties_it(client, session):
    liangxi = _area(session, "梁溪区")
    resp = client.get(f"/districts/{liangxi.id}?period=2026Q3", headers=DETAIL)
    assert resp.status_code == 200 and resp.text.strip() == ""


def test_drill_downs_stay_in_scope(login, session):
    liangxi, huishan = _area(session, "梁溪区"), _area(session, "惠山区")
    huaxia = _park(session, "无锡华夏家居港")
    huishan_park = _park(session, "无锡惠山高新技术产业创业服务中心")
    office = login("district_liangxi")
    assert office.get(f"/districts/{liangxi.id}?park={huaxia.id}").status_code == 200
    assert office.get(f"/districts/{huishan.id}").status_code == 404
    assert office.get(f"/districts/{huishan.id}?park={huishan_park.id}").status_code == 404
    assert office.get(f"/districts/{liangxi.id}?park={huishan_park.id}").status_code == 404
    resp = office.get(f"/districts/{liangxi.id}?park={huishan_park.id}", headers=DETAIL)
    assert resp.status_code == 404
    assert login("park_huaxia").get(f"/districts/{liangxi.id}?park={huaxia.id}").status_code == 404

    city = login("city_admin")
    # A park of another district is not found under this one, even for the city office.
    assert city.get(f"/districts/{liangxi.id}?park={huishan_park.id}").status_code == 404
    assert city.get(f"/districts/{liangxi.id}?park={huaxia.id}&indicator=I99").status_code == 404
    assert city.get(f"/districts/{liangxi.id}?indicator=I01").status_code == 404
    assert city.get(f"/districts/{liangxi.id}?park=999999").status_code == 404
    assert city.get(f"/districts/{liangxi.id}?park={huaxia.id}&indicator=i01").status_code == 200


def _queries(client, engine, url: str, headers=None) -> int:
    n = 0

    def count(*_args):
        nonlocal n
        n += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(url, headers=headers or {}).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return n


def test_queries_do_not_grow_with_the_parks(client, session, engine):
    # Grouped queries: a district of three parks costs what a district of two does.
    liangxi, xinwu = _area(session, "梁溪区"), _area(session, "新吴区")
    two = _queries(client, engine, f"/districts/{liangxi.id}")
    three = _queries(client, engine, f"/districts/{xinwu.id}")
    assert two == three
    # Opening a park and an indicator adds a bounded number, whatever the park.
    huaxia = _park(session, "无锡华夏家居港")
    weina = _park(session, "无锡微纳园")
    a = _queries(client, engine, f"/districts/{liangxi.id}?park={huaxia.id}&indicator=I03")
    b = _queries(client, engine, f"/districts/{xinwu.id}?park={weina.id}&indicator=I03")
    assert a == b
