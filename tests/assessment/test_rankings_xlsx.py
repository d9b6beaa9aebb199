"""The rankings export: an .xlsx holding exactly the rows the page shows."""

from io import BytesIO
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from app.assessment.results import service as assessment
from app.framework.models import Aspect
from app.geo.models import Area
from tests.helpers import table_rows

DISTRICT_HEADERS = ["排名", "变化", "区", "园区数", "得分", "等次"]
PARK_HEADERS = [
    "全市排名",
    "变化",
    "园区",
    "区",
    "区内排名",
    "区内变化",
    "园区类型",
    "试点级别",
    "得分",
    "等次",
    "说明",
]


@pytest.fixture
def client(login):
    return login("leader")


def _book(client, query: str = ""):
    resp = client.get(f"/rankings.xlsx{query}")
    assert resp.status_code == 200, resp.text[:300]
    return resp, load_workbook(BytesIO(resp.content))


def _body(ws) -> list[list]:
    """The sheet's rows under its title and header rows."""
    return [list(r) for r in ws.iter_rows(min_row=3, values_only=True)]


def test_the_workbook_has_both_tables_as_the_page_shows_them(client, session):
    resp, wb = _book(client)
    assert resp.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert wb.sheetnames == ["区排名", "园区排名"]
    districts, parks = wb["区排名"], wb["园区排名"]
    assert [c.value for c in districts[2]] == DISTRICT_HEADERS
    assert [c.value for c in parks[2]] == PARK_HEADERS
    assert districts.freeze_panes == parks.freeze_panes == "A3"
    title = districts["A1"].value
    assert "2026年第3季度（累计）" in title and "排名依据：总分" in title and "区：全部" in title

    html = client.get("/rankings").text
    page_districts = table_rows(html, "district-ranking")
    page_parks = table_rows(html, "park-ranking")
    body = _body(districts)
    assert len(body) == len(page_districts) == 8
    for row, shown in zip(body, page_districts, strict=True):
        assert [str(row[0]), row[1], row[2], str(row[3]), f"{row[4]:.2f}", row[5]] == shown
    body = _body(parks)
    assert len(body) == len(page_parks) == 15
    for row, shown in zip(body, page_parks, strict=True):
        assert [str(row[0]), row[1], str(row[4]), row[5], row[6], row[7], row[9]] == [
            shown[i] for i in (0, 1, 4, 5, 6, 7, 9)
        ]
        assert shown[2].startswith(row[2]) and row[3] == shown[3]
        assert f"{row[8]:.2f}" == shown[8]
    # Scores are numbers shown to two decimals, not text.
    assert isinstance(parks["I3"].value, int | float) and parks["I3"].number_format == "0.00"
    assert districts["E3"].number_format == "0.00"
    assert body[-1][10] == "未报送数据"


def test_scores_equal_the_results_and_tiers_are_coloured(client, session):
    res = assessment.results(
        session=session, period=assessment.get_period(session=session, label=None)
    )
    _, wb = _book(client)
    parks = wb["园区排名"]
    assert [r[8] for r in _body(parks)] == [r.total for r in res.parks()]
    assert [r[0] for r in _body(parks)] == [r.rank_city for r in res.parks()]
    first_tier = parks["J3"]
    assert first_tier.value == res.parks()[0].tier.name
    assert first_tier.fill.fgColor.rgb.endswith("2E7D32")  # the green of the tier palette
    assert parks.column_dimensions["C"].width >= 30  # park names are long
    assert parks.auto_filter.ref == "A2:K17"


def test_the_export_holds_only_the_filtered_rows(client, session):
    liangxi = session.exec(select(Area).where(Area.name == "梁溪区")).one()
    query = f"?period=2025Q4&district={liangxi.id}&kind=market"
    page = table_rows(client.get(f"/rankings{query}").text, "park-ranking")
    _, wb = _book(client, query)
    body = _body(wb["园区排名"])
    assert len(body) == len(page) == 2
    assert [r[2] for r in body] == [p[2] for p in page]
    assert "区：梁溪区" in wb["园区排名"]["A1"].value
    assert "园区类型：专业市场" in wb["园区排名"]["A1"].value
    assert len(_body(wb["区排名"])) == 8  # the district table is the whole city's


def test_the_export_by_aspect_matches_the_page(client, session):
    period = assessment.get_period(session=session, label=None)
    aspect = session.exec(
        select(Aspect).where(Aspect.framework_id == period.framework_id, Aspect.name == "示范引领")
    ).one()
    query = f"?by={aspect.id}"
    page = table_rows(client.get(f"/rankings{query}").text, "park-ranking")
    _, wb = _book(client, query)
    parks = wb["园区排名"]
    assert parks["I2"].value == "得分（满分 8）"
    assert "排名依据：示范引领" in parks["A1"].value
    body = _body(parks)
    assert [(str(r[0]), f"{r[8]:.2f}") for r in body] == [(p[0], p[8]) for p in page]


def test_the_file_name_is_safe_for_every_browser(client):
    resp, _ = _book(client, "?period=2026Q2")
    disposition = resp.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="rankings-2026Q2.xlsx"')
    encoded = disposition.split("filename*=UTF-8''")[1]
    assert encoded.isascii() and unquote(encoded) == "园区产改排名-2026Q2.xlsx"


def test_bad_export_requests_are_refused_in_chinese(client):
    resp = client.get("/rankings.xlsx?kind=castle")
    assert resp.status_code == 422 and "园区类型的取值不在可选范围内" in resp.text
    resp = client.get("/rankings.xlsx?period=2031Q1")
    assert resp.status_code == 404 and "没有这个考核期" in resp.text


def test_a_liaison_may_export_too(login):
    resp = login("liaison_huaxia_1").get("/rankings.xlsx")
    assert resp.status_code == 200
    assert len(_body(load_workbook(BytesIO(resp.content))["园区排名"])) == 15


def test_a_download_is_made_again_only_when_the_results_change(client, session, monkeypatch):
    from app.assessment.models import IndicatorValue, ValueOrigin
    from app.assessment.rankings import views as rankings
    from app.assessment.results import scores

    made = []
    workbook = rankings.xlsx.workbook

    def counted(rk, **kw):
        made.append(rk.period.label)
        return workbook(rk, **kw)

    monkeypatch.setattr(rankings.xlsx, "workbook", counted)
    _, first_book = _book(client)
    _, again_book = _book(client)
    assert made == ["2026Q3"]
    # The same rows; each file carries its own reader's mark.
    assert _body(again_book["园区排名"]) == _body(first_book["园区排名"])
    assert again_book.properties.creator == "市领导"
    # Another filter is another download.
    _book(client, "?kind=market")
    assert len(made) == 2

    # The best park's reported values drop to nothing and it is re-scored: the next
    # download is made again and shows it fallen.
    res = assessment.results(
        session=session, period=assessment.get_period(session=session, label=None)
    )
    best = res.parks()[0].park
    for v in session.exec(
        select(IndicatorValue).where(
            IndicatorValue.park_id == best.id,
            IndicatorValue.period_id == res.period.id,
            IndicatorValue.origin == ValueOrigin.reported,
        )
    ):
        v.value = 0.0
        session.add(v)
    scores.store_park(session, res.period, best.id)
    session.flush()
    _resp, after = _book(client)
    assert len(made) == 3
    top = [r[2] for r in _body(after["园区排名"])]
    assert top[0] != best.name and best.name in top
