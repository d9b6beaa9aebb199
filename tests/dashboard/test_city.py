"""The city overview: totals, the district ranking and its drill-down, trend, radar, pilots."""

import re
from collections import defaultdict
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import event
from sqlmodel import col, func, select

from app.assessment.models import DistrictScore, ParkReport, Period, Score
from app.assessment.results import service as assessment
from app.core.templating import LOCAL_TZ
from app.enterprises.models import Enterprise
from app.framework.models import Aspect, Indicator
from app.geo import service as geo
from app.geo.models import Area, Grid, Park
from tests.helpers import charts, kpi, table_rows


def _latest(session):
    return assessment.results(
        session=session, period=assessment.get_period(session=session, label=None)
    )


def _area(session, name: str) -> int:
    return session.exec(select(Area.id).where(Area.name == name)).one()


def _park(session, name: str) -> int:
    return session.exec(select(Park.id).where(Park.name == name)).one()


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def _figure(html: str, label: str) -> dict:
    """The figure whose <figure> carries this aria-label (charts() gives them in order)."""
    labels = re.findall(r'<figure[^>]*data-chart[^>]*aria-label="([^"]*)"', html)
    return charts(html)[labels.index(label)]


def _drill_target(html: str, label: str) -> str | None:
    m = re.search(rf'<figure[^>]*data-drill="([^"]+)"[^>]*aria-label="{re.escape(label)}"', html)
    return m.group(1) if m else None


@pytest.fixture
def admin(login):
    return login("city_admin")


# ---- KPI tiles --------------------------------------------------------------------


def test_kpi_tiles_show_the_roster_and_report_timeliness(admin, session):
    html = admin.get("/").text
    enterprises = session.exec(select(func.count(col(Enterprise.id)))).one()
    in_reform = session.exec(select(func.count()).where(col(Enterprise.in_reform))).one()
    workers = session.exec(select(func.sum(Enterprise.worker_count))).one()
    grids = session.exec(select(func.count(col(Grid.id)))).one()
    assert kpi(html, "parks") == "15"
    assert kpi(html, "grids") == str(grids) == "81"
    assert kpi(html, "enterprises") == "1,227"
    assert kpi(html, "workers") == f"{workers:,}"
    assert kpi(html, "in_reform") == f"{in_reform:,}"
    assert kpi(html, "participation") == f"{100 * in_reform / enterprises:.1f}%"

    # Reports on time: first submitted by the deadline (Beijing time), of the 15 expected,
    # for the latest period; the demo's 2026Q3 has 12 of 15 on time.
    period = assessment.get_period(session=session, label=None)
    reports = session.exec(select(ParkReport).where(ParkReport.period_id == period.id)).all()
    on_time = sum(
        1
        for r in reports
        if r.first_submitted_at is not None
        and r.first_submitted_at.astimezone(LOCAL_TZ).date() <= period.deadline
    )
    assert (period.label, on_time) == ("2026Q3", 12)
    assert kpi(html, "reports_on_time") == f"{100 * on_time / 15:.1f}%" == "80.0%"
    assert "2026Q3 季度报告按时报送率（12 / 15）" in html


def test_reports_on_time_follows_a_late_submission(admin, session):
    period = assessment.get_period(session=session, label=None)
    report = session.exec(
        select(ParkReport)
        .where(ParkReport.period_id == period.id, col(ParkReport.first_submitted_at).is_not(None))
        .order_by(col(ParkReport.id))
    ).first()
    # Submitted a month after the deadline: one fewer on time.
    late = report.first_submitted_at.replace(year=period.deadline.year, month=11, day=30)
    report.first_submitted_at = late
    session.add(report)
    session.flush()
    assert kpi(admin.get("/").text, "reports_on_time") == f"{100 * 11 / 15:.1f}%"


# ---- the district ranking and its drill-down ----------------------------------------


def test_the_district_bar_is_in_tier_colours_and_drills_below(admin, session):
    res = _latest(session)
    html = admin.get("/").text
    assert _drill_target(html, "各区排名图") == "#city-detail"
    bars = _figure(html, "各区排名图")["data"][0]
    # Bars are drawn bottom-up: the best district is the last bar.
    assert bars["y"][::-1] == [d.district.name for d in res.districts]
    assert bars["marker"]["color"][-1] == "#2e7d32"  # 惠山区, first tier (green)
    assert res.districts[0].tier.name == "第一等次"
    links = dict(zip(bars["y"], bars["customdata"], strict=True))
    liangxi = _area(session, "梁溪区")
    assert urlsplit(links["梁溪区"]).path == "/"
    assert _query(links["梁溪区"]) == {"district": str(liangxi)}


def test_a_district_office_drills_only_into_its_own_district(login, session):
    html = login("district_liangxi").get("/").text
    bars = _figure(html, "各区排名图")["data"][0]
    links = dict(zip(bars["y"], bars["customdata"], strict=True))
    assert {name for name, url in links.items() if url} == {"梁溪区"}
    huishan = _area(session, "惠山区")
    client = login("district_liangxi")
    assert client.get(f"/?district={huishan}").status_code == 404
    assert (
        client.get(
            f"/?district={huishan}", headers={"HX-Request": "true", "HX-Target": "city-detail"}
        ).status_code
        == 404
    )


def test_a_leader_opens_any_district_and_a_park_admin_none(login, session):
    huishan = _area(session, "惠山区")
    assert login("leader").get(f"/?district={huishan}").status_code == 200
    park_admin = login("park_huaxia")
    assert park_admin.get("/").status_code == 200
    bars = _figure(park_admin.get("/").text, "各区排名图")["data"][0]
    assert not any(bars["customdata"])
    assert park_admin.get(f"/?district={_area(session, '梁溪区')}").status_code == 404


def test_the_shared_link_of_a_district_shows_it_open(admin, session):
    liangxi = _area(session, "梁溪区")
    dres = _latest(session).district(liangxi)
    html = admin.get(f"/?district={liangxi}").text
    assert "<html" in html
    rows = table_rows(html, "district-parks")
    assert [r[1].split(" 未报送数据")[0] for r in rows] == [p.park.name for p in dres.parks]
    assert [r[2] for r in rows] == [f"{p.total:.2f}" for p in dres.parks]
    assert kpi(html, "district-score") == f"{dres.score:.2f}" == "90.55"
    assert kpi(html, "district-rank") == f"{dres.rank} / 8"
    # Its parks' bar drills into the park below, and the radar shows the district.
    assert _drill_target(html, "区内园区排名图") == "#park-detail"
    bars = _figure(html, "区内园区排名图")["data"][0]
    huaxia = _park(session, "无锡华夏家居港")
    assert _query(dict(zip(bars["y"], bars["customdata"], strict=True))["无锡华夏家居港"]) == {
        "district": str(liangxi),
        "park": str(huaxia),
    }
    radar = _figure(html, "各方面得分雷达图")
    assert [t["name"] for t in radar["data"]] == ["梁溪区", "全市平均"]


def test_the_drilled_district_comes_alone_to_htmx(admin, session):
    liangxi = _area(session, "梁溪区")
    resp = admin.get(
        f"/?district={liangxi}", headers={"HX-Request": "true", "HX-Target": "city-detail"}
    )
    assert resp.status_code == 200
    html = resp.text
    assert "<html" not in html and 'id="district-ranking"' not in html
    assert 'id="district-parks"' in html and 'id="city-radar"' in html
    assert "HX-Target" in resp.headers["vary"]
    assert len(table_rows(html, "district-parks")) == 2


def test_a_park_opens_below_its_district(admin, session):
    liangxi = _area(session, "梁溪区")
    huaxia = _park(session, "无锡华夏家居港")
    pr = _latest(session).park(huaxia)
    url = f"/?district={liangxi}&park={huaxia}"
    full = admin.get(url).text
    assert 'id="district-parks"' in full and kpi(full, "park-score") == f"{pr.total:.2f}"
    progress = _figure(full, "指标完成进度图")["data"][0]
    assert len(progress["y"]) == 12
    frag = admin.get(url, headers={"HX-Request": "true", "HX-Target": "park-detail"}).text
    assert "<html" not in frag and 'id="district-parks"' not in frag
    assert kpi(frag, "park-score") == f"{pr.total:.2f}"
    # A park alone finds its district; a park of another district is not found.
    assert 'id="district-parks"' in admin.get(f"/?park={huaxia}").text
    huishan = _area(session, "惠山区")
    assert admin.get(f"/?district={huishan}&park={huaxia}").status_code == 404


def test_a_drill_down_keeps_the_period_asked_for(admin, session):
    liangxi = _area(session, "梁溪区")
    html = admin.get("/?period=2025Q4", headers={"HX-Request": "true", "HX-Target": "results"}).text
    assert "<html" not in html and 'data-kpi="parks"' not in html
    bars = _figure(html, "各区排名图")["data"][0]
    url = dict(zip(bars["y"], bars["customdata"], strict=True))["梁溪区"]
    assert _query(url) == {"period": "2025Q4", "district": str(liangxi)}
    detail = admin.get(url).text
    score = session.exec(
        select(DistrictScore.score)
        .join(Period, col(Period.id) == col(DistrictScore.period_id))
        .where(DistrictScore.area_id == liangxi, Period.year == 2025, Period.quarter == 4)
    ).one()
    assert kpi(detail, "district-score") == f"{score:.2f}"


@pytest.mark.parametrize("query", ["district=999999", "park=999999", "radar=999999"])
def test_unknown_places_are_not_found(admin, query):
    assert admin.get(f"/?{query}").status_code == 404


def test_a_grid_liaison_still_goes_to_their_grids(login):
    resp = login("liaison_huaxia_1").get("/", follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"].endswith("/my")


# ---- the trend --------------------------------------------------------------------


def test_each_district_has_a_line_over_every_quarter(admin, session):
    res = _latest(session)
    html = admin.get("/").text
    assert _drill_target(html, "各区得分趋势图") == "#city-detail"
    lines = _figure(html, "各区得分趋势图")["data"]
    assert [t["name"] for t in lines] == [d.district.name for d in res.districts]
    labels = [f"{p.year}Q{p.quarter}" for p in assessment.periods(session=session)]
    assert lines[0]["x"] == labels and len(labels) == 8
    liangxi = _area(session, "梁溪区")
    stored = dict(
        session.exec(
            select(DistrictScore.period_id, DistrictScore.score).where(
                DistrictScore.area_id == liangxi
            )
        ).all()
    )
    expected = [stored.get(p.id) for p in assessment.periods(session=session)]
    line = next(t for t in lines if t["name"] == "梁溪区")
    assert line["y"] == expected and line["y"][-1] == 90.55
    # A click on any of its points opens the district below.
    assert {_query(u)["district"] for u in line["customdata"]} == {str(liangxi)}


# ---- the radar --------------------------------------------------------------------


def _aspect_shares(session) -> tuple[list[str], dict[int | None, list[float]]]:
    """Each aspect's points in % of its weights, from the stored scores: per district (the
    mean of its parks) and for the city (None: the mean of every park)."""
    period = assessment.get_period(session=session, label=None)
    aspects = session.exec(
        select(Aspect)
        .where(Aspect.framework_id == period.framework_id)
        .order_by(col(Aspect.sort_order), col(Aspect.id))
    ).all()
    indicators = session.exec(
        select(Indicator).where(Indicator.framework_id == period.framework_id)
    ).all()
    district_of = geo.district_of(session=session)
    shares: dict[int | None, list[list[float]]] = defaultdict(lambda: [[] for _ in aspects])
    for score in session.exec(select(Score).where(Score.period_id == period.id)):
        for k, a in enumerate(aspects):
            mine = [i for i in indicators if i.aspect_id == a.id]
            got = sum(score.points.get(str(i.id), 0) for i in mine)
            share = 100 * got / sum(i.weight for i in mine)
            shares[district_of[score.park_id].id][k].append(share)
            shares[None][k].append(share)
    return [a.name for a in aspects], {
        d: [round(sum(v) / len(v), 1) for v in cols] for d, cols in shares.items()
    }


def test_the_radar_compares_the_first_district_with_the_city(admin, session):
    names, shares = _aspect_shares(session)
    assert len(names) == 9
    first = _latest(session).districts[0].district
    radar = _figure(admin.get("/").text, "各方面得分雷达图")
    mine, city = radar["data"]
    assert mine["name"] == first.name == "惠山区" and city["name"] == "全市平均"
    assert mine["theta"] == [*names, names[0]]
    assert mine["r"][:-1] == pytest.approx(shares[first.id])
    assert city["r"][:-1] == pytest.approx(shares[None])


def test_the_radar_picker_swaps_the_radar_alone(admin, session):
    _names, shares = _aspect_shares(session)
    xishan = _area(session, "锡山区")
    resp = admin.get(f"/?radar={xishan}", headers={"HX-Request": "true", "HX-Target": "city-radar"})
    html = resp.text
    assert "<html" not in html and 'id="district-parks"' not in html
    assert re.search(rf'<option value="{xishan}"\s+selected>锡山区</option>', html)
    mine, _city = _figure(html, "各方面得分雷达图")["data"]
    assert mine["name"] == "锡山区"
    assert mine["r"][:-1] == pytest.approx(shares[xishan])
    rows = table_rows(html, "radar-aspects")
    assert rows[0][1] == f"{shares[xishan][0]:.1f}%" and rows[0][2] == f"{shares[None][0]:.1f}%"
    # Every role may compare any district: the aspect tables are published on /rankings.
    assert "锡山区" in unescape(admin.get(f"/?radar={xishan}").text)


def test_the_radar_picker_keeps_the_view_it_was_chosen_in(admin, session):
    liangxi = _area(session, "梁溪区")
    html = admin.get(f"/?period=2025Q4&district={liangxi}").text
    form = re.search(r'<form[^>]*hx-target="#city-radar".*?</form>', html, re.S).group(0)
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form))
    assert hidden == {"period": "2025Q4", "district": str(liangxi)}


# ---- the pilot pyramid ------------------------------------------------------------


def test_the_pilot_pyramid_counts_parks_per_level_national_on_top(admin, session):
    counted = dict(
        session.exec(select(Park.pilot_level, func.count()).group_by(Park.pilot_level)).all()
    )
    levels = ["national", "provincial", "city", "district", "street"]
    expected = [counted.get(level, 0) for level in levels]
    assert expected == [1, 4, 5, 5, 0]
    html = admin.get("/").text
    (trace,) = _figure(html, "试点层级金字塔图")["data"]
    assert trace["type"] == "funnel"
    assert trace["y"] == [
        "全国项目试点",
        "省级试点",
        "市级试点",
        "市(县)区级试点",
        "乡镇街道级试点",
    ]
    assert trace["x"] == expected and trace["text"] == [str(n) for n in expected]
    assert _query(trace["customdata"][0]) == {"pilot": "national"}
    assert [r[1] for r in table_rows(html, "pilot-levels")] == [str(n) for n in expected]


# ---- speed ------------------------------------------------------------------------


def test_the_overview_reads_in_a_fixed_number_of_queries(admin, connection, session):
    liangxi = _area(session, "梁溪区")
    huaxia = _park(session, "无锡华夏家居港")
    admin.get("/")  # warm
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(connection, "before_cursor_execute", count)
    try:
        admin.get("/")
        plain = len(seen)
        seen.clear()
        admin.get(f"/?district={liangxi}&park={huaxia}")
        drilled = len(seen)
    finally:
        event.remove(connection, "before_cursor_execute", count)
    # Grouped queries only (about 40 today, most of them the period's results): a query per
    # park, district or indicator would add 15, 8 or 12 more. The drill-down's own reads
    # (its district, park, their results, which of its parks the reader may open) are 9.
    assert plain <= 50, plain
    assert drilled <= plain + 9, (plain, drilled)
