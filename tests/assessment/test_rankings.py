"""The rankings page: league tables as results() has them, filters, ranking by aspect, errors."""

import re

import pytest
from sqlmodel import select

from app.assessment.results import scores, scoring
from app.assessment.results import service as assessment
from app.core.i18n import gettext
from app.framework.models import Aspect
from app.geo.models import (
    PARK_KIND_LABELS,
    PILOT_LEVEL_LABELS,
    Area,
    AreaLevel,
    Park,
    ParkKind,
    PilotLevel,
)
from tests.helpers import charts, table_rows

# Columns of the park table.
CITY, MOVE, PARK, DISTRICT, LOCAL, LOCAL_MOVE, KIND, PILOT, SCORE, TIER = range(10)


@pytest.fixture
def client(login):
    return login("city_admin")


def _latest(session) -> assessment.PeriodResults:
    return assessment.results(
        session=session, period=assessment.get_period(session=session, label=None)
    )


def _aspect(session, period_label: str, name: str) -> Aspect:
    period = assessment.get_period(session=session, label=period_label)
    return session.exec(
        select(Aspect).where(Aspect.framework_id == period.framework_id, Aspect.name == name)
    ).one()


def _park(session, name: str) -> Park:
    return session.exec(select(Park).where(Park.name == name)).one()


def _aspect_scores(res: assessment.PeriodResults, aspect: Aspect) -> dict[int, float]:
    """Each park's points in an aspect, summed here by hand from the stored points."""
    ids = [i.id for i in res.indicators if i.aspect_id == aspect.id]
    return {r.park.id: round(sum(r.score.points[i] for i in ids), 2) for r in res.parks()}


def test_the_district_table_is_results_order_scores_tiers_and_movement(client, session):
    res = _latest(session)
    rows = table_rows(client.get("/rankings").text, "district-ranking")
    assert len(rows) == len(res.districts) == 8
    assert rows == [
        [
            str(d.rank),
            d.movement,
            d.district.name,
            str(len(d.parks)),
            f"{d.score:.2f}",
            d.tier.name,
        ]
        for d in res.districts
    ]
    # The demo has districts moving both ways since the previous quarter.
    assert {"↑", "↓"} <= {r[1] for r in rows}


def test_the_park_table_has_city_and_district_ranks_with_their_movement(client, session):
    res = _latest(session)
    html = client.get("/rankings").text
    rows = table_rows(html, "park-ranking")
    assert len(rows) == 15
    for row, r in zip(rows, res.parks(), strict=True):
        assert row[PARK].startswith(r.park.name)
        assert row[CITY] == str(r.rank_city) and row[MOVE] == r.movement_city
        assert row[LOCAL] == str(r.rank_district) and row[LOCAL_MOVE] == r.movement_district
        assert row[DISTRICT] == r.district.name
        assert row[KIND] == gettext(PARK_KIND_LABELS[r.park.kind])
        assert row[PILOT] == gettext(PILOT_LEVEL_LABELS[r.park.pilot_level])
        assert row[SCORE] == f"{r.total:.2f}" and row[TIER] == r.tier.name
    assert {"↑", "↓", "—"} <= {r[MOVE] for r in rows}
    # The park without data stays in the table, last and flagged.
    assert "未报送数据" in rows[-1][PARK] and rows[-1][SCORE] == "0.00"
    # The chart draws the same parks, best on top (Plotly draws bars bottom-up).
    (figure,) = charts(html)
    assert figure["data"][0]["y"][::-1] == [r.park.name for r in res.parks()]
    assert figure["data"][0]["x"][::-1] == [r.total for r in res.parks()]


def test_filtering_by_kind_keeps_the_real_city_ranks(client, session):
    res = _latest(session)
    html = client.get("/rankings?kind=park_in_park").text
    rows = table_rows(html, "park-ranking")
    expected = [r for r in res.parks() if r.park.kind is ParkKind.park_in_park]
    assert len(rows) == len(expected) == 5
    assert {r[KIND] for r in rows} == {"园中园"}
    assert [r[CITY] for r in rows] == [str(r.rank_city) for r in expected]
    assert [r[LOCAL] for r in rows] == [str(r.rank_district) for r in expected]
    assert rows[0][CITY] == "1" and rows[-1][CITY] != "5"  # ranks are not renumbered
    assert "仍显示其在全市和区内的实际名次" in html
    # The district table stays the whole city's.
    assert len(table_rows(html, "district-ranking")) == 8


def test_filters_combine_and_the_chosen_district_is_marked(client, session):
    res = _latest(session)
    liangxi = session.exec(select(Area).where(Area.name == "梁溪区")).one()
    html = client.get(f"/rankings?district={liangxi.id}&pilot=provincial").text
    rows = table_rows(html, "park-ranking")
    assert [r[PARK] for r in rows] == ["无锡华夏家居港"]
    assert rows[0][CITY] == str(res.park(_park(session, "无锡华夏家居港").id).rank_city)
    assert re.search(r'<tr class="chosen">\s*<td>\d+</td>.*?梁溪区', html, re.S)
    assert 'value="provincial" selected' in html
    # Nothing matching is said so, not an error.
    none = client.get(f"/rankings?district={liangxi.id}&kind=rural_chain")
    assert none.status_code == 200 and "没有符合条件的记录" in none.text


def test_ranking_by_an_aspect_sums_its_points_and_ties_share_a_rank(client, session):
    res = _latest(session)
    aspect = _aspect(session, res.period.label, "思想引领")
    weight = sum(i.weight for i in res.indicators if i.aspect_id == aspect.id)
    scores = _aspect_scores(res, aspect)
    html = client.get(f"/rankings?by={aspect.id}").text
    assert f"得分（满分 {weight:g}）" in html
    rows = table_rows(html, "park-ranking")
    by_name = {r.park.name: r.park.id for r in res.parks()}
    shown = {by_name[re.sub(r" 未报送数据$", "", r[PARK])]: r for r in rows}
    assert len(shown) == 15
    for park_id, row in shown.items():
        assert float(row[SCORE]) == scores[park_id]
        # A park's rank is one more than the number of parks with a higher score.
        assert int(row[CITY]) == 1 + sum(s > scores[park_id] for s in scores.values())
    ranks = [int(r[CITY]) for r in rows]
    assert ranks == sorted(ranks)
    assert len(set(ranks)) < len(ranks), "the demo has equal aspect scores"
    # Tiers stay those of the total score, and the page says so.
    tier_of = {r.park.id: r.tier.name for r in res.parks()}
    assert all(row[TIER] == tier_of[pid] for pid, row in shown.items())
    assert "等次按总分评定" in html


def test_aspect_movement_compares_with_the_previous_periods_same_aspect(client, session):
    # 2026Q1 follows 2025Q4, which another year's framework scores: the aspect is matched
    # by its name.
    now = assessment.results(
        session=session, period=assessment.get_period(session=session, label="2026Q1")
    )
    before = assessment.results(
        session=session, period=assessment.get_period(session=session, label="2025Q4")
    )
    aspect = _aspect(session, "2026Q1", "素质提升")
    previous = _aspect(session, "2025Q4", "素质提升")
    assert aspect.id != previous.id
    ranks_now = scoring.ranks(_aspect_scores(now, aspect))
    ranks_before = scoring.ranks(_aspect_scores(before, previous))
    rows = table_rows(client.get(f"/rankings?period=2026Q1&by={aspect.id}").text, "park-ranking")
    names = {r.park.name: r.park.id for r in now.parks()}
    arrows = []
    for row in rows:
        pid = names[re.sub(r" 未报送数据$", "", row[PARK])]
        assert row[CITY] == str(ranks_now[pid])
        assert row[MOVE] == scoring.movement(ranks_now[pid], ranks_before.get(pid))
        arrows.append(row[MOVE])
    assert {"↑", "↓"} & set(arrows)


def test_the_oldest_period_has_no_movement_by_aspect(client, session):
    oldest = assessment.periods(session=session)[0]
    aspect = _aspect(session, oldest.label, "组织领导")
    rows = table_rows(
        client.get(f"/rankings?period={oldest.label}&by={aspect.id}").text, "park-ranking"
    )
    assert {r[MOVE] for r in rows} == {"—"}


def test_districts_by_aspect_are_the_mean_of_their_parks(client, session):
    res = _latest(session)
    aspect = _aspect(session, res.period.label, "权益维护")
    scores = _aspect_scores(res, aspect)
    means = {
        d.district.name: scoring.mean([scores[r.park.id] for r in d.parks]) for d in res.districts
    }
    rows = table_rows(client.get(f"/rankings?by={aspect.id}").text, "district-ranking")
    assert {r[2]: float(r[4]) for r in rows} == means
    assert [float(r[4]) for r in rows] == sorted(means.values(), reverse=True)
    assert rows[0][0] == "1"


def test_an_aspect_of_another_year_means_the_same_named_aspect(client, session):
    old = _aspect(session, "2025Q4", "权益维护")
    current = _aspect(session, "2026Q3", "权益维护")
    resp = client.get(f"/rankings?period=2026Q3&by={old.id}")
    assert resp.status_code == 200
    assert f'value="{current.id}" selected' in resp.text
    assert f"by={current.id}" in resp.text  # the export link asks for this year's aspect


def test_a_league_gives_equal_scores_one_rank_in_city_district_and_between_districts():
    # An aspect's points per park, as stored (rounded to the shown precision); park 5's
    # 7.0000000001 reads as 7.00 and so ties.
    points = {1: 7.0, 2: 7.0, 3: 8.5, 4: 1.0, 5: 7.0000000001}
    district_of = {1: 100, 2: 100, 3: 200, 4: 200, 5: 100}
    got = scores.league(points, district_of, [100, 200, 300])
    assert got.city == {3: 1, 1: 2, 2: 2, 5: 2, 4: 5}
    assert got.district == {1: 1, 2: 1, 5: 1, 3: 1, 4: 2}
    assert got.means == {100: 7.0, 200: 4.75, 300: None}
    assert got.counts == {100: 3, 200: 2, 300: 0}
    assert got.district_ranks == {100: 1, 200: 2}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("kind=castle", "园区类型"),
        ("pilot=galactic", "试点级别"),
        ("by=999999", "排名依据"),
        ("by=abc", "排名依据"),
        ("district=999999", "区"),
    ],
)
def test_a_filter_that_is_not_a_choice_is_a_422_naming_it(client, query, field):
    resp = client.get(f"/rankings?{query}")
    assert resp.status_code == 422
    assert f"{field}的取值不在可选范围内" in resp.text
    assert 'id="ranking-filters"' in resp.text  # the form is there to put it right
    assert 'id="park-ranking"' not in resp.text


def test_every_bad_filter_is_named_at_once(client):
    resp = client.get("/rankings?kind=castle&pilot=galactic", headers={"HX-Request": "true"})
    assert resp.status_code == 422 and "<html" not in resp.text
    assert "园区类型的取值不在可选范围内" in resp.text
    assert "试点级别的取值不在可选范围内" in resp.text


def test_a_city_is_not_a_district_filter(client, session):
    city = session.exec(select(Area).where(Area.level == AreaLevel.city)).first()
    assert client.get(f"/rankings?district={city.id}").status_code == 422


def test_an_unknown_period_is_a_404_in_chinese(client):
    resp = client.get("/rankings?period=2031Q1")
    assert resp.status_code == 404 and "没有这个考核期：2031Q1" in resp.text
    assert client.get("/rankings?period=nonsense").status_code == 404
    assert client.get(f"/rankings?period={'9' * 5000}Q1").status_code == 404
    assert client.get(f"/rankings?by={'9' * 5000}").status_code == 422


def test_empty_filters_from_the_form_mean_no_filter(client, session):
    resp = client.get("/rankings?period=2026Q3&district=&kind=&pilot=&by=total")
    assert resp.status_code == 200
    assert len(table_rows(resp.text, "park-ranking")) == 15


def test_htmx_gets_only_the_tables_and_fresh_aspect_choices(client, session):
    resp = client.get("/rankings?period=2025Q4&kind=market", headers={"HX-Request": "true"})
    assert resp.status_code == 200
    assert "<html" not in resp.text and 'id="ranking-filters"' not in resp.text
    assert "HX-Request" in resp.headers["vary"]
    assert len(table_rows(resp.text, "park-ranking")) == 2
    # The rank-by choices follow 2025's framework, swapped in out of band.
    aspect = _aspect(session, "2025Q4", "组织领导")
    assert '<select name="by" id="rank-by" hx-swap-oob="true">' in resp.text
    assert f'value="{aspect.id}"' in resp.text

    page = client.get("/rankings?period=2025Q4&kind=market")
    assert "<html" in page.text and "hx-swap-oob" not in page.text
    form = re.search(r'<form[^>]*id="ranking-filters"[^>]*>', page.text, re.S).group(0)
    assert 'method="get"' in form and 'hx-target="#rankings"' in form
    assert 'hx-push-url="true"' in form
    assert 'value="2025Q4" selected' in page.text and 'value="market" selected' in page.text


def test_the_export_link_carries_the_filters(client, session):
    aspect = _aspect(session, "2026Q3", "文化建设")
    html = client.get(f"/rankings?kind=building&by={aspect.id}").text
    href = re.search(r'id="export" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert href.endswith(f"/rankings.xlsx?period=2026Q3&kind=building&by={aspect.id}")


@pytest.mark.parametrize("role", ["leader", "liaison_huaxia_1", "park_huaxia", "district_liangxi"])
def test_every_role_reads_the_rankings(login, session, role):
    resp = login(role).get("/rankings")
    assert resp.status_code == 200
    assert len(table_rows(resp.text, "park-ranking")) == 15
    assert len(table_rows(resp.text, "district-ranking")) == 8


def test_names_link_only_to_pages_the_reader_may_open(login, session):
    huaxia, shengyang = _park(session, "无锡华夏家居港"), _park(session, "无锡盛阳食品城")
    liaison = login("liaison_huaxia_1").get("/rankings").text
    assert f'href="http://testserver/parks/{huaxia.id}"' in liaison
    assert f'href="http://testserver/parks/{shengyang.id}"' not in liaison
    assert "/districts/" not in liaison
    leader = login("leader").get("/rankings").text
    assert f'href="http://testserver/parks/{shengyang.id}"' in leader
    assert leader.count('href="http://testserver/districts/') == 8


def test_pilot_filter_matches_the_parks_pilot_level(client, session):
    res = _latest(session)
    rows = table_rows(client.get("/rankings?pilot=district").text, "park-ranking")
    expected = [r.park.name for r in res.parks() if r.park.pilot_level is PilotLevel.district]
    assert [r[PARK] for r in rows] == expected and len(expected) == 5
