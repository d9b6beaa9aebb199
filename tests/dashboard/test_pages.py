"""The overview, district, park and grid pages show the figures a reader expects."""

import pytest
from sqlmodel import col, func, select

from app.assessment.results import service as assessment
from app.core.assets import PLOTLY_URL
from app.enterprises.models import Enterprise
from app.geo.models import Area, AreaLevel, Grid, Park
from tests.helpers import charts, kpi, table_rows


@pytest.fixture
def client(login):
    """The city office sees every page."""
    return login("city_admin")


def _latest(session):
    return assessment.results(
        session=session, period=assessment.get_period(session=session, label=None)
    )


def test_overview_shows_the_city_totals(client, session):
    html = client.get("/").text
    workers = session.exec(select(func.sum(Enterprise.worker_count))).one()
    in_reform = session.exec(select(func.count()).where(col(Enterprise.in_reform))).one()
    assert kpi(html, "districts") == "8"
    assert kpi(html, "parks") == "15"
    assert kpi(html, "enterprises") == "1,227"
    assert kpi(html, "workers") == f"{workers:,}"
    assert 95_000 <= workers <= 105_000
    assert kpi(html, "in_reform") == f"{in_reform:,}"
    grids = session.exec(select(func.count(col(Grid.id)))).one()
    assert kpi(html, "grids") == str(grids)


def test_overview_ranks_the_districts_in_a_chart_and_a_table(client, session):
    res = _latest(session)
    resp = client.get("/")
    assert resp.status_code == 200
    html = resp.text
    assert f"{PLOTLY_URL}/plotly.min.js" in html
    # The ranking bar comes first; the other city figures are tested in test_city.py.
    figure = charts(html)[0]
    bars = figure["data"][0]
    assert len(bars["y"]) == 8  # every district has at least one park in the demo
    # Bars are drawn bottom-up, so the best district is the last bar.
    best = res.districts[0]
    assert bars["y"][-1] == best.district.name
    assert bars["x"][-1] == best.score

    rows = table_rows(html, "district-ranking")
    assert len(rows) == 8
    assert [r[1] for r in rows] == [d.district.name for d in res.districts]
    scores = [float(r[3]) for r in rows]
    assert scores == sorted(scores, reverse=True)
    assert rows[0][0] == f"1 {best.movement}"
    assert rows[0][4] == best.tier.name


def test_plotly_and_htmx_are_served_locally(client):
    assert client.get(f"{PLOTLY_URL}/plotly.min.js").status_code == 200
    assert client.get("/static/vendor/htmx.min.js").status_code == 200
    assert "cdn" not in client.get("/").text.lower()


def test_park_without_data_scores_zero_and_is_flagged_not_hidden(client, session):
    res = _latest(session)
    missing = [r for r in res.parks() if not r.score.has_data]
    assert len(missing) == 1
    (park,) = missing
    assert park.total == 0 and park.rank_city == 15
    # The overview shows the city's ten best parks and links to the whole table.
    html = client.get("/").text
    top = table_rows(html, "park-ranking")
    assert [r[0].split()[0] for r in top] == [str(r.rank_city) for r in res.parks()[:10]]
    assert "/rankings?period=" in html
    rows = table_rows(client.get("/rankings").text, "park-ranking")
    assert len(rows) == 15
    flagged = [r for r in rows if "未报送数据" in r[2]]
    assert len(flagged) == 1 and park.park.name in flagged[0][2] and flagged[0][8] == "0.00"


def test_switching_the_period_returns_only_the_results_fragment(client):
    resp = client.get("/?period=2025Q4", headers={"HX-Request": "true"})
    assert resp.status_code == 200
    assert "<html" not in resp.text and "2025Q4" in resp.text
    assert "HX-Request" in resp.headers["vary"]
    full = client.get("/?period=2025Q4")
    assert "<html" in full.text and 'value="2025Q4" selected' in full.text


def test_an_unknown_period_is_a_404_in_chinese(client):
    resp = client.get("/?period=2031Q1")
    assert resp.status_code == 404 and "没有这个考核期" in resp.text


def test_every_district_park_and_grid_page_answers(client, session):
    districts = session.exec(select(Area.id).where(Area.level == AreaLevel.district)).all()
    parks = session.exec(select(Park.id)).all()
    grids = session.exec(select(Grid.id)).all()
    assert (len(districts), len(parks)) == (8, 15) and len(grids) > 15
    for url in (
        [f"/districts/{i}" for i in districts]
        + [f"/parks/{i}" for i in parks]
        + [f"/grids/{i}" for i in grids]
    ):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("url", ["/districts/999999", "/parks/999999", "/grids/999999"])
def test_unknown_objects_are_404(client, url):
    resp = client.get(url)
    assert resp.status_code == 404
    assert "This page does not exist" in resp.text or "不存在" in resp.text


def test_a_city_is_not_a_district(client, session):
    city = session.exec(select(Area).where(Area.level == AreaLevel.city)).first()
    assert client.get(f"/districts/{city.id}").status_code == 404


def test_district_page_ranks_its_parks_with_a_scorecard(client, session):
    liangxi = session.exec(select(Area).where(Area.name == "梁溪区")).one()
    res = _latest(session)
    dres = res.district(liangxi.id)
    html = client.get(f"/districts/{liangxi.id}").text
    assert kpi(html, "score") == f"{dres.score:.2f}"
    rows = table_rows(html, "park-ranking")
    names = [r[1] for r in rows]
    assert any("无锡盛阳食品城" in n for n in names) and any("无锡华夏家居港" in n for n in names)
    ranks = [int(r[0].split()[0]) for r in rows]
    assert ranks == sorted(ranks)
    assert [r[0].split()[1] for r in rows] == [p.movement_district for p in dres.parks]
    card = table_rows(html, "scorecard")
    assert len(card) == len(dres.parks)
    assert all(len(r) == 1 + 12 for r in card)
    # Each cell is the value against the target: recompute one by hand.
    first = res.park(dres.parks[0].park.id)
    ind = res.indicators[0]
    value = first.values.get(ind.id)
    expected = "—" if value is None else f"{round(100 * value / ind.target)}%"
    assert card[0][1] == expected


def test_park_page_shows_score_tier_ranks_and_grids(client, session):
    huaxia = session.exec(select(Park).where(Park.name == "无锡华夏家居港")).one()
    res = _latest(session)
    pr = res.park(huaxia.id)
    html = client.get(f"/parks/{huaxia.id}").text
    assert kpi(html, "score") == f"{pr.total:.2f}"
    assert kpi(html, "rank-city") == f"{pr.rank_city} / 15 {pr.movement_city}"
    assert kpi(html, "rank-district").startswith(str(pr.rank_district))
    assert pr.tier.name in html
    grids = table_rows(html, "grids")
    assert len(grids) == 10
    # The indicator progress chart comes first; the other park figures: test_park.py.
    figure = charts(html)[0]
    assert len(figure["data"][0]["y"]) == 12
    # The points column adds up to the score.
    points = [float(r[4].split("/")[0]) for r in table_rows(html, "indicators")]
    assert sum(points) == pytest.approx(pr.total, abs=0.01)


def test_healthz(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.text == "ok"


def test_rankings_api_matches_the_pages(client, session):
    res = _latest(session)
    data = client.get("/api/v1/rankings").json()
    assert data["period"] == res.period.label
    assert [d["district"] for d in data["districts"]] == [d.district.name for d in res.districts]
    assert len(data["parks"]) == 15
    assert sum(not p["has_data"] for p in data["parks"]) == 1
    assert client.get("/api/v1/rankings?period=1999Q1").status_code == 404
