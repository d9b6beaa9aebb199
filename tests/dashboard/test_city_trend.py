"""The city overview's district trend: the year boundary is drawn, and the reader chooses
between the stored year-to-date scores and each quarter's own gain."""

import re

import pytest
from sqlalchemy import event
from sqlmodel import select

from app.assessment.models import DistrictScore
from app.assessment.results import service as assessment
from app.geo.models import Area
from tests.helpers import charts

LABEL = "各区得分趋势图"


@pytest.fixture
def admin(login):
    return login("city_admin")


def _trend(html: str) -> dict:
    labels = re.findall(r'<figure[^>]*data-chart[^>]*aria-label="([^"]*)"', html)
    return charts(html)[labels.index(LABEL)]


def _stored(session, name: str) -> list[float | None]:
    """A district's stored (year-to-date) score in each period, oldest first."""
    area = session.exec(select(Area.id).where(Area.name == name)).one()
    stored = dict(
        session.exec(
            select(DistrictScore.period_id, DistrictScore.score).where(
                DistrictScore.area_id == area
            )
        ).all()
    )
    return [stored.get(p.id) for p in assessment.periods(session=session)]


def _line(figure: dict, name: str) -> list:
    return next(t for t in figure["data"] if t["name"] == name)["y"]


def test_the_year_boundary_is_drawn_and_each_year_labelled(admin, session):
    figure = _trend(admin.get("/?period=2026Q3").text)
    x = figure["data"][0]["x"]
    assert x == ["2024Q4", "2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3"]
    lines = [s for s in figure["layout"]["shapes"] if s["type"] == "line"]
    # Between 2025Q4 and 2026Q1 (categories 4 and 5), and between 2024Q4 and 2025Q1.
    assert [s["x0"] for s in lines] == [0.5, 4.5]
    assert all(s["x0"] == s["x1"] and s["yref"] == "paper" for s in lines)
    notes = {n["text"]: n["x"] for n in figure["layout"]["annotations"]}
    assert notes == {"2024年": 0, "2025年": 2.5, "2026年": 6}
    # Year to date is what the page shows first, as stored: 梁溪区 falls from 91.59 to
    # 61.09 at the new year, on either side of the line.
    assert _line(figure, "梁溪区") == _stored(session, "梁溪区")
    assert _line(figure, "梁溪区")[4:6] == [91.59, 61.09]


def test_quarterly_shows_each_quarters_gain_from_the_stored_scores(admin, session):
    page = admin.get("/?period=2026Q3&trend=quarter")
    assert page.status_code == 200
    figure = _trend(page.text)
    periods = assessment.periods(session=session)
    for d in assessment.results(session=session, period=periods[-1]).districts:
        ytd = _stored(session, d.district.name)
        expected = []
        for i, p in enumerate(periods):
            before = periods[i - 1] if i else None
            if p.quarter == 1:
                expected.append(ytd[i])
            elif before and (before.year, before.quarter) == (p.year, p.quarter - 1):
                expected.append(round(ytd[i] - ytd[i - 1], 2))
            else:
                expected.append(None)  # 2024Q3 is no period: 2024Q4's own gain is unknown
        assert _line(figure, d.district.name) == expected, d.district.name
    # 梁溪区 in 2026: 61.09 in Q1, then 76.95 − 61.09 and 90.55 − 76.95.
    assert _line(figure, "梁溪区")[5:] == [61.09, 15.86, 13.6]
    assert figure["layout"]["yaxis"]["title"]["text"] == "本季度增加分数"
    # The year boundary stays in this view too.
    assert [s["x0"] for s in figure["layout"]["shapes"]] == [0.5, 4.5]
    assert "同年上一季度" in page.text and 'value="quarter" selected' in page.text


def test_the_toggle_swaps_the_trend_alone_and_keeps_the_period(admin):
    page = admin.get("/?period=2026Q2")
    # The form carries the period asked for; its select names the views in Chinese.
    form = re.search(r'<section class="panel" id="city-trend">.*?</form>', page.text, re.S)
    assert form and 'name="period" value="2026Q2"' in form.group(0)
    assert "年初至今累计" in form.group(0) and "单季增量" in form.group(0)
    assert "每年一季度重新起算" in page.text
    part = admin.get(
        "/?period=2026Q2&trend=quarter",
        headers={"HX-Request": "true", "HX-Target": "city-trend"},
    )
    assert part.status_code == 200
    # The section alone: no league table, no other chart.
    assert part.text.lstrip().startswith('<section class="panel" id="city-trend">')
    assert "各区排名" not in part.text and len(charts(part.text)) == 1
    assert "同年上一季度" in part.text
    figure = charts(part.text)[0]
    assert figure["data"][0]["x"][-1] == "2026Q2"  # up to the quarter shown
    assert "HX-Target" in part.headers["Vary"]


@pytest.mark.parametrize("value", ["monthly", "YTD", "1"])
def test_an_unknown_trend_view_is_refused_naming_the_field(admin, value):
    page = admin.get(f"/?trend={value}")
    assert page.status_code == 422
    assert "趋势口径" in page.text


def test_a_blank_trend_view_shows_year_to_date(admin, session):
    figure = _trend(admin.get("/?trend=").text)
    assert _line(figure, "梁溪区") == _stored(session, "梁溪区")


def test_the_quarterly_view_reads_as_many_statements_as_year_to_date(admin, connection):
    admin.get("/")  # warm
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(connection, "before_cursor_execute", count)
    try:
        admin.get("/")
        ytd = len(seen)
        seen.clear()
        admin.get("/?trend=quarter")
        quarter = len(seen)
        seen.clear()
        admin.get("/?trend=quarter", headers={"HX-Request": "true", "HX-Target": "city-trend"})
        alone = len(seen)
    finally:
        event.remove(connection, "before_cursor_execute", count)
    assert quarter == ytd
    # The toggle's own answer skips the page's other parts (pilots, parks, radar, KPIs).
    assert alone < ytd, (alone, ytd)


def test_the_trend_ends_at_the_quarter_shown(admin, session):
    # 2025Q2 read back: the later quarters are not drawn after it, so an open quarter's
    # drafts (low year-to-date values) never read as a fall after the one a leader reads.
    figure = _trend(admin.get("/?period=2025Q2").text)
    assert figure["data"][0]["x"] == ["2024Q4", "2025Q1", "2025Q2"]
    assert _line(figure, "梁溪区") == _stored(session, "梁溪区")[:3]
    periods = assessment.periods(session=session)
    assert [p.label for p in assessment.up_to(periods, periods[2])] == [
        "2024Q4",
        "2025Q1",
        "2025Q2",
    ]
