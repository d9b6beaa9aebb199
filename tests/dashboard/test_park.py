"""The park dashboard: indicators against targets, aspects against the district, the score
over the quarters, grid tiles by status and the worker-demand funnel.

Expected figures are recomputed here from the demo's tables, not from the page's services.
"""

import json
import re
from html import unescape

import pytest
from sqlalchemy import event
from sqlmodel import col, select

from app.assessment.models import DistrictScore, Period, Score
from app.assessment.results import service as assessment
from app.core.charts import TIER_COLOURS
from app.framework.models import Aspect, Indicator
from app.geo import service as geo
from app.geo.models import Grid, Park
from app.gridwork.models import Demand, DemandState
from tests.helpers import kpi, table_rows

HUAXIA = "无锡华夏家居港"
HUISHAN = "无锡惠山高新技术产业创业服务中心"
BIOMED = "江阴高新区生物医药产业园"
DONGGANG = "锡山东港纺织服装产业园"  # grids in all three states
STAGES = list(DemandState)


@pytest.fixture
def client(login):
    return login("city_admin")


def _park(session, name: str) -> Park:
    return session.exec(select(Park).where(Park.name == name)).one()


def _latest(session) -> Period:
    return assessment.get_period(session=session, label=None)


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


def test_park_page_shows_score_tier_ranks_and_grids(client, session):
    # tests/dashboard/test_pages.py asserts a single chart on this page; the page now has
    # five, so this is that test with the progress chart picked out by its id.
    huaxia = _park(session, HUAXIA)
    res = assessment.results(session=session, period=_latest(session))
    pr = res.park(huaxia.id)
    html = client.get(f"/parks/{huaxia.id}").text
    assert kpi(html, "score") == f"{pr.total:.2f}"
    assert kpi(html, "rank-city") == f"{pr.rank_city} / 15 {pr.movement_city}"
    assert kpi(html, "rank-district").startswith(str(pr.rank_district))
    assert pr.tier.name in html
    assert len(table_rows(html, "grids")) == 10
    progress = figure(html, "park-progress")
    assert len(progress["data"][0]["y"]) == 12
    points = [float(r[4].split("/")[0]) for r in table_rows(html, "indicators")]
    assert sum(points) == pytest.approx(pr.total, abs=0.01)
    # The roster links stay where they were.
    assert f"/parks/{huaxia.id}/roster.xlsx" in html and "名册" in html


def test_the_page_has_its_five_figures(client, session):
    html = client.get(f"/parks/{_park(session, HUAXIA).id}").text
    for fid in ("park-progress", "park-radar", "park-trend", "park-tiles", "park-funnel"):
        assert figure(html, fid)["data"], fid


def _aspect_shares(session, period: Period, park_ids: list[int]) -> tuple[list, dict]:
    """Per park: each aspect's points as % of the aspect's weight, from the stored scores."""
    aspects = session.exec(
        select(Aspect)
        .where(Aspect.framework_id == period.framework_id)
        .order_by(col(Aspect.sort_order), col(Aspect.id))
    ).all()
    indicators = session.exec(
        select(Indicator).where(Indicator.framework_id == period.framework_id)
    ).all()
    scores = {
        s.park_id: s
        for s in session.exec(
            select(Score).where(Score.period_id == period.id, col(Score.park_id).in_(park_ids))
        )
    }
    shares = {}
    for pid in park_ids:
        row = []
        for a in aspects:
            inds = [i for i in indicators if i.aspect_id == a.id]
            got = sum(scores[pid].points.get(str(i.id), 0.0) for i in inds)
            row.append(100 * got / sum(i.weight for i in inds))
        shares[pid] = row
    return [a.name for a in aspects], shares


def test_radar_sets_the_parks_nine_aspects_against_its_districts_average(client, session):
    huaxia = _park(session, HUAXIA)
    period = _latest(session)
    district = geo.district_of(session=session)[huaxia.id]
    members = [pid for pid, d in geo.district_of(session=session).items() if d.id == district.id]
    assert len(members) == 2  # 梁溪区: 盛阳食品城 and 华夏家居港
    names, shares = _aspect_shares(session, period, members)
    assert len(names) == 9

    radar = figure(client.get(f"/parks/{huaxia.id}").text, "park-radar")
    park, average = radar["data"]
    assert [t["type"] for t in radar["data"]] == ["scatterpolar", "scatterpolar"]
    assert park["name"] == HUAXIA and average["name"] == "梁溪区平均"
    assert park["theta"] == [*names, names[0]]  # a closed shape
    assert park["r"][:9] == pytest.approx(shares[huaxia.id], abs=0.06)
    mean = [sum(shares[p][i] for p in members) / len(members) for i in range(9)]
    assert average["r"][:9] == pytest.approx(mean, abs=0.06)
    assert radar["layout"]["polar"]["radialaxis"]["range"] == [0, 100]


def test_score_trend_shows_the_park_and_its_district_mean_per_quarter(client, session):
    huaxia = _park(session, HUAXIA)
    district = geo.district_of(session=session)[huaxia.id]
    periods = {p.id: p.label for p in session.exec(select(Period))}
    park_scores = {
        periods[s.period_id]: s.total
        for s in session.exec(select(Score).where(Score.park_id == huaxia.id))
    }
    means = {
        periods[d.period_id]: d.score
        for d in session.exec(select(DistrictScore).where(DistrictScore.area_id == district.id))
    }
    html = client.get(f"/parks/{huaxia.id}").text
    trend = figure(html, "park-trend")
    park, mean = trend["data"]
    labels = ["2024Q4", "2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3"]
    assert park["x"] == labels and mean["x"] == labels
    assert park["y"] == [park_scores[label] for label in labels]
    assert mean["y"] == [means[label] for label in labels]
    assert mean["name"] == "梁溪区平均"
    # Each quarter's point opens that quarter in place of the results (a drill-down).
    assert park["customdata"] == [f"http://testserver/parks/{huaxia.id}?period={x}" for x in labels]
    assert 'data-drill="#results"' in figure_tag(html, "park-trend")


def test_a_quarter_opened_from_the_trend_is_a_fragment_and_a_shareable_page(client, session):
    huaxia = _park(session, HUAXIA)
    res = assessment.results(
        session=session, period=assessment.get_period(session=session, label="2025Q4")
    )
    expected = f"{res.park(huaxia.id).total:.2f}"
    url = f"/parks/{huaxia.id}?period=2025Q4"

    fragment = client.get(url, headers={"HX-Request": "true", "HX-Target": "results"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert kpi(fragment.text, "score") == expected
    # The period picker outside #results follows, out of band.
    assert 'id="park-period" hx-swap-oob="true"' in fragment.text
    assert 'value="2025Q4" selected' in fragment.text
    assert "park-tiles" not in fragment.text  # the grids are not part of it

    page = client.get(url)
    assert "<html" in page.text and kpi(page.text, "score") == expected
    assert 'value="2025Q4" selected' in page.text
    assert figure(page.text, "park-tiles")


def test_grid_tiles_are_one_square_per_grid_coloured_by_status(client, session):
    park = _park(session, DONGGANG)
    grids = session.exec(
        select(Grid).where(Grid.park_id == park.id).order_by(col(Grid.sort_order), col(Grid.id))
    ).all()
    statuses = [g.status for g in grids]
    assert {"green", "amber", "red"} <= set(statuses)

    tiles = figure(client.get(f"/parks/{park.id}").text, "park-tiles")
    (trace,) = tiles["data"]
    assert trace["type"] == "heatmap"
    # Six grids: five to a row, then one; the empty cells stay empty.
    z = trace["z"]
    assert [len(row) for row in z] == [5, 5]
    cells = [v for row in z for v in row]
    assert cells[6:] == [None] * 4
    code = {"green": 0, "amber": 1, "red": 2}
    assert cells[:6] == [code[s] for s in statuses]
    names = [t.replace("<br>", "") for row in trace["text"] for t in row][:6]
    assert names == [g.name for g in grids]
    links = [u for row in trace["customdata"] for u in row][:6]
    assert links == [f"http://testserver/grids/{g.id}" for g in grids]
    # Each status gets its colour of the tier palette, exactly.
    scale = dict((round(v, 3), c) for v, c in trace["colorscale"])
    assert scale[0] == TIER_COLOURS["green"] and scale[1] == TIER_COLOURS["red"]
    assert TIER_COLOURS["amber"] in [c for _v, c in trace["colorscale"]]
    assert tiles["layout"]["yaxis"]["scaleanchor"] == "x"  # square tiles


def _funnel_expected(session, park_id: int) -> list[int]:
    states = session.exec(
        select(Demand.state)
        .join(Grid, col(Demand.grid_id) == col(Grid.id))
        .where(Grid.park_id == park_id)
    ).all()
    reached = [STAGES.index(DemandState(s)) for s in states]
    return [sum(r >= i for r in reached) for i in range(len(STAGES))]


@pytest.mark.parametrize(("name", "known"), [(HUISHAN, [4, 3, 2, 1, 1]), (BIOMED, [3, 2, 2, 2, 1])])
def test_demand_funnel_counts_every_demand_at_each_stage_it_reached(client, session, name, known):
    park = _park(session, name)
    expected = _funnel_expected(session, park.id)
    assert expected == known  # the demo's November 2026 demands
    html = client.get(f"/parks/{park.id}").text
    (trace,) = figure(html, "park-funnel")["data"]
    assert trace["type"] == "funnel"
    assert trace["y"] == ["已受理", "已交办", "已办理", "已核实", "已办结"]
    assert trace["x"] == expected
    assert table_rows(html, "demand-stages") == [[str(n) for n in expected]]
    assert 'id="no-demands"' not in html


def test_a_park_without_demands_shows_the_funnel_at_zero_with_a_note(client, session):
    huaxia = _park(session, HUAXIA)
    assert _funnel_expected(session, huaxia.id) == [0] * 5
    html = client.get(f"/parks/{huaxia.id}").text
    (trace,) = figure(html, "park-funnel")["data"]
    assert trace["x"] == [0, 0, 0, 0, 0] and trace["textinfo"] == "value"
    assert 'id="no-demands"' in html and "尚未登记职工诉求" in html


def test_the_funnel_counts_only_demands_in_the_readers_scope(login, session):
    # A liaison views the whole park of their grids, demands included: the same counts.
    huaxia = _park(session, HUAXIA)
    liaison = login("liaison_huaxia_1")
    html = liaison.get(f"/parks/{huaxia.id}").text
    assert figure(html, "park-funnel")["data"][0]["x"] == [0] * 5
    assert liaison.get(f"/parks/{_park(session, HUISHAN).id}").status_code == 404


@pytest.mark.parametrize(
    ("target", "present", "absent"),
    [
        ("park-grids", "park-tiles", "park-progress"),
        ("park-demands", "park-funnel", "park-tiles"),
        ("results", "park-progress", "park-funnel"),
    ],
)
def test_each_partial_answers_htmx_alone(client, session, target, present, absent):
    park = _park(session, HUISHAN)
    resp = client.get(f"/parks/{park.id}", headers={"HX-Request": "true", "HX-Target": target})
    assert resp.status_code == 200 and "<html" not in resp.text
    assert figure(resp.text, present) and f'id="{absent}"' not in resp.text
    assert {"HX-Request", "HX-Target"} <= {v.strip() for v in resp.headers["vary"].split(",")}


def test_the_page_links_its_print_view_and_pdf_for_the_period(client, session):
    huaxia = _park(session, HUAXIA)
    html = client.get(f"/parks/{huaxia.id}?period=2025Q4").text
    assert f'href="http://testserver/parks/{huaxia.id}/print?period=2025Q4"' in html
    assert f'href="http://testserver/parks/{huaxia.id}/report.pdf?period=2025Q4"' in html


def test_queries_do_not_grow_with_the_grids_or_the_demands(client, session, connection):
    small, large = _park(session, HUISHAN), _park(session, HUAXIA)  # 4 and 10 grids
    counts = []

    def count(_conn, _cursor, statement, *_args):
        # The crumbs walk up the place tree one area at a time: a park's depth, not its size.
        if not re.search(r"FROM area WHERE area\.id = \S+$", " ".join(statement.split())):
            counts[-1] += 1

    event.listen(connection, "before_cursor_execute", count)
    try:
        for park in (small, large):
            counts.append(0)
            assert client.get(f"/parks/{park.id}").status_code == 200
    finally:
        event.remove(connection, "before_cursor_execute", count)
    assert counts[0] == counts[1], counts
