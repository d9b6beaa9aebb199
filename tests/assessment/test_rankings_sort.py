"""The park ranking sorts on the server: by rank (the default), score, name and district,
each reversible, the filters kept; an unknown sort is refused naming the field."""

import re
from html import unescape

import pytest
from sqlmodel import col, select

from app.assessment.models import Score
from app.assessment.results import service as assessment
from app.enterprises import pinyin
from app.geo.models import Area, Park, ParkKind
from tests.helpers import table_rows

# Columns of the park table.
CITY, MOVE, PARK, DISTRICT, LOCAL, LOCAL_MOVE, KIND, PILOT, SCORE, TIER = range(10)


@pytest.fixture
def client(login):
    return login("city_admin")


def _stored(session) -> list[tuple[str, float, int, str, ParkKind]]:
    """The latest period's rows straight from the score table: name, total, city rank,
    district name, kind."""
    period = assessment.get_period(session=session, label=None)
    return [
        tuple(r)
        for r in session.exec(
            select(Park.name, Score.total, Score.rank_city, Area.name, Park.kind)
            .join(Park, col(Park.id) == Score.park_id)
            .join(Area, col(Area.id) == Score.district_id)
            .where(Score.period_id == period.id)
        )
    ]


def _names(html: str) -> list[str]:
    # A park without data carries a flag after its name.
    return [r[PARK].removesuffix(" 未报送数据") for r in table_rows(html, "park-ranking")]


def test_sorting_by_score_reads_highest_first_and_reversed_lowest_first(client, session):
    stored = _stored(session)
    by_score = sorted(stored, key=lambda r: (-r[1], r[0]))
    rows = table_rows(client.get("/rankings?sort=score").text, "park-ranking")
    assert [float(r[SCORE]) for r in rows] == [round(r[1], 2) for r in by_score]
    assert _names(client.get("/rankings?sort=score").text) == [r[0] for r in by_score]
    low_first = client.get("/rankings?sort=-score").text
    assert _names(low_first) == [r[0] for r in by_score][::-1]
    # The demo's park without data is 0.00 and comes first the other way round.
    assert table_rows(low_first, "park-ranking")[0][SCORE] == "0.00"


def test_sorting_by_name_is_pinyin_order_not_code_points(client, session):
    stored = _stored(session)
    expected = sorted((r[0] for r in stored), key=pinyin.sort_key)
    html = client.get("/rankings?sort=name").text
    assert _names(html) == expected
    # Neither the rank order nor the order of the characters' code points: the test would
    # catch a sort that fell back to either.
    assert expected != sorted(r[0] for r in stored)
    assert expected != [r[0] for r in sorted(stored, key=lambda r: (r[2], r[0]))]
    # Each row keeps its real rank in the city.
    rank = {r[0]: str(r[2]) for r in stored}
    assert [r[CITY] for r in table_rows(html, "park-ranking")] == [rank[n] for n in expected]
    assert _names(client.get("/rankings?sort=-name").text) == expected[::-1]
    # The header says which way the table is sorted.
    assert re.search(r'<th class="name" aria-sort="ascending">', html)
    assert re.search(r'<th class="rank" aria-sort="none">', html)


def test_sorting_by_district_groups_districts_in_pinyin_and_ranks_within(client, session):
    stored = _stored(session)
    districts = sorted({r[3] for r in stored}, key=pinyin.sort_key)
    expected = [r[0] for r in sorted(stored, key=lambda r: (districts.index(r[3]), r[2], r[0]))]
    html = client.get("/rankings?sort=district").text
    assert _names(html) == expected
    assert table_rows(html, "park-ranking")[0][DISTRICT] == districts[0]


def test_a_sort_keeps_the_filters_and_the_headers_keep_both(client, session):
    stored = _stored(session)
    inner = [r for r in stored if r[4] is ParkKind.park_in_park]
    html = client.get("/rankings?kind=park_in_park&sort=name").text
    assert _names(html) == sorted((r[0] for r in inner), key=pinyin.sort_key)
    assert len(inner) == 5
    links = {unescape(h) for h in re.findall(r'<a class="sort" href="([^"]+)"', html)}
    # Sorted by name already, its header reverses it; the others sort their natural way.
    assert any("kind=park_in_park" in h and "sort=-name" in h for h in links)
    assert any("kind=park_in_park" in h and "sort=score" in h for h in links)
    # The default order stays out of the link, as empty filters do.
    assert any("kind=park_in_park" in h and "sort=" not in h for h in links)


def test_an_unknown_sort_is_refused_naming_the_field(client):
    resp = client.get("/rankings?sort=secret")
    assert resp.status_code == 422
    assert "排序方式的取值不在可选范围内" in resp.text
    assert "park-ranking" not in resp.text
    # The downloads refuse it the same way.
    assert client.get("/rankings.csv?sort=--score").status_code == 422


def test_the_summary_and_the_downloads_follow_the_chosen_order(client, session):
    stored = _stored(session)
    html = client.get("/rankings?sort=-name").text
    summary = re.search(r'<p class="facts" id="ranking-summary">(.*?)</p>', html, re.S).group(1)
    assert summary.endswith("排序方式：园区名称（倒序）")
    assert "排序方式" not in client.get("/rankings").text.split('id="ranking-summary">')[1][:200]
    # The CSV lists the parks in the order the page shows them.
    body = client.get("/rankings.csv?sort=-name").content.decode("utf-8-sig")
    names = sorted((r[0] for r in stored), key=pinyin.sort_key, reverse=True)
    positions = [body.index(n) for n in names]
    assert positions == sorted(positions)
