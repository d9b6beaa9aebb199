"""A district's downloads: the scorecard and the parks and grids, as the page shows them."""

import csv
import io
import re
from html import unescape
from io import BytesIO
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from sqlmodel import col, func, select

from app.assessment.results import service as assessment
from app.core.numbers import number
from app.enterprises.models import Enterprise, Liaison
from app.geo import service as geo
from app.geo.models import Area, Grid, Park
from tests.helpers import table_rows

INDICATORS = [
    "I01 企业产改参与率（%）",
    "I02 网格配备率（%）",
    "I03 思想引领宣讲活动场次（场）",
    "I04 职工培训覆盖率（%）",
    "I05 内训/外训基地数（个）",
    "I06 劳动技能竞赛参与人次（人次）",
    "I07 创新成果数（项）",
    "I08 集体协商签订率（%）",
    "I09 职工诉求办结率（%）",
    "I10 服务阵地达标率（%）",
    "I11 文体活动覆盖人次（人次）",
    "I12 先进典型选树数（人）",
]
PARK_HEADERS = [
    "园区",
    "园区类型",
    "试点级别",
    "网格数",
    "企业数",
    "职工数",
    "参与产改企业数",
    "得分（2026Q3）",
    "等次",
]
GRID_HEADERS = [
    "园区",
    "网格",
    "划分方式",
    "状态",
    "联络员",
    "联络员手机号",
    "节点企业",
    "企业数",
    "职工数",
]


@pytest.fixture
def liangxi(session) -> Area:
    return session.exec(select(Area).where(Area.name == "梁溪区")).one()


@pytest.fixture
def huishan(session) -> Area:
    return session.exec(select(Area).where(Area.name == "惠山区")).one()


@pytest.fixture
def client(login):
    """The district office of 梁溪区."""
    return login("district_liangxi")


def _get(client, url: str, status: int = 200):
    resp = client.get(url)
    assert resp.status_code == status, resp.text[:300]
    return resp


def _book(client, url: str):
    return load_workbook(BytesIO(_get(client, url).content))


def _rows(ws) -> list[list]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def _csv(resp) -> list[list[str]]:
    return list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))


def _page_scorecard(html: str) -> list[tuple[str, list[str]]]:
    """The page's park × indicator table: each park with the values in its cells' titles."""
    body = re.search(r'<table[^>]*id="scorecard".*?<tbody[^>]*>(.*?)</tbody>', html, re.S).group(1)
    rows = []
    for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        park = unescape(re.sub(r"<[^>]+>", "", re.search(r"<th[^>]*>(.*?)</th>", tr, re.S)[1]))
        titles = [unescape(t) for t in re.findall(r'<td class="cell[^"]*" title="([^"]+)"', tr)]
        rows.append((park.strip(), [t.split("：", 1)[1].split(" / ")[0] for t in titles]))
    return rows


def _shown(value, header: str) -> str:
    """A value as the page writes it: by the unit its column's header names (a ratio with
    at most one decimal, a count whole), thousands separated, "—" for none."""
    return number(value, header.rsplit("（", 1)[1].rstrip("）"))


def test_the_scorecard_holds_the_parks_and_values_the_page_shows(client, liangxi, session):
    html = _get(client, f"/districts/{liangxi.id}").text
    wb = _book(client, f"/districts/{liangxi.id}/scorecard.xlsx")
    assert wb.sheetnames == ["各指标完成值", "各指标得分"]
    values = wb["各指标完成值"]
    rows = _rows(values)
    assert rows[0] == ["区内排名", "园区", *INDICATORS, "得分", "等次"]
    assert values.freeze_panes == "A2" and values.auto_filter.ref == "A1:P3"

    page = _page_scorecard(html)
    assert (
        [r[1] for r in rows[1:]]
        == [park for park, _ in page]
        == [
            "无锡华夏家居港",
            "无锡盛阳食品城",
        ]
    )
    for row, (_, shown) in zip(rows[1:], page, strict=True):
        assert [_shown(v, h) for v, h in zip(row[2:14], rows[0][2:14], strict=True)] == shown
    ranking = table_rows(html, "park-ranking")
    assert [(str(r[0]), f"{r[14]:.2f}", r[15]) for r in rows[1:]] == [
        (p[0].split()[0], p[3], p[4]) for p in ranking
    ]
    # 华夏家居港 of the demo, 2026Q3: a rate, a count, and the total.
    assert rows[1][2] == 93.1 and rows[1][7] == 663 and rows[1][14] == 98.29
    # Rates keep their decimal, counts are whole numbers, scores have two decimals.
    assert values["C2"].number_format == "0.0"
    assert values["E2"].number_format == "#,##0"
    assert values["O2"].number_format == "0.00"
    assert values.column_dimensions["B"].width >= 18  # the park names fit


def test_the_second_sheet_has_the_points_that_make_the_score(client, liangxi, session):
    res = assessment.results(
        session=session, period=assessment.get_period(session=session, label="2026Q3")
    )
    wb = _book(client, f"/districts/{liangxi.id}/scorecard.xlsx?period=2026Q3")
    points = wb["各指标得分"]
    rows = _rows(points)
    assert rows[0][2] == "I01 企业产改参与率（满分 12）"
    assert rows[0][14:] == ["指标得分小计", "加减分", "得分", "等次"]
    assert points.freeze_panes == "A2"
    for row in rows[1:]:
        result = next(r for r in res.parks() if r.park.name == row[1])
        assert row[2:14] == [result.score.points[i.id] for i in res.indicators]
        assert row[16] == result.total == pytest.approx(row[14] + row[15])
    assert points["C2"].number_format == "0.00"


def test_an_earlier_period_gives_that_periods_scorecard(client, liangxi):
    html = _get(client, f"/districts/{liangxi.id}?period=2025Q4").text
    rows = _rows(_book(client, f"/districts/{liangxi.id}/scorecard.xlsx?period=2025Q4").active)
    assert [(str(r[0]), f"{r[14]:.2f}") for r in rows[1:]] == [
        (p[0].split()[0], p[3]) for p in table_rows(html, "park-ranking")
    ]
    assert rows[1][14] == 93.24  # not the 98.29 of 2026Q3
    for row, (_, shown) in zip(rows[1:], _page_scorecard(html), strict=True):
        assert [_shown(v, h) for v, h in zip(row[2:14], rows[0][2:14], strict=True)] == shown


def test_the_scorecard_csv_is_the_first_sheet(client, liangxi):
    resp = _get(client, f"/districts/{liangxi.id}/scorecard.csv")
    assert resp.headers["content-type"] == "text/csv; charset=utf-8"
    assert resp.content.startswith("\ufeff区内排名,园区,I01 企业产改参与率（%）,".encode())
    lines = _csv(resp)
    rows = _rows(_book(client, f"/districts/{liangxi.id}/scorecard.xlsx").active)
    assert lines[0] == rows[0]
    assert lines[1][:4] == ["1", "无锡华夏家居港", "93.1", "100"]
    assert [[float(v) for v in line[2:15]] for line in lines[1:]] == [r[2:15] for r in rows[1:]]


def test_file_names_name_the_district_and_the_period(client, liangxi):
    resp = _get(client, f"/districts/{liangxi.id}/scorecard.xlsx?period=2025Q4")
    disposition = resp.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="scorecard-320213-2025Q4.xlsx"')
    encoded = disposition.split("filename*=UTF-8''")[1]
    assert encoded.isascii() and unquote(encoded) == "梁溪区园区指标考核表-2025Q4.xlsx"
    resp = _get(client, f"/districts/{liangxi.id}/grids.csv")
    assert unquote(resp.headers["content-disposition"].split("''")[1]).startswith("梁溪区网格-")


def test_the_parks_sheet_matches_the_page_and_the_roster(client, liangxi, session):
    html = _get(client, f"/districts/{liangxi.id}").text
    wb = _book(client, f"/districts/{liangxi.id}/parks.xlsx")
    assert wb.sheetnames == ["园区", "网格"]
    parks = wb["园区"]
    rows = _rows(parks)
    assert rows[0] == PARK_HEADERS and parks.freeze_panes == "A2"
    assert sorted(r[0] for r in rows[1:]) == ["无锡华夏家居港", "无锡盛阳食品城"]
    page = {p[1]: p for p in table_rows(html, "park-ranking")}
    for name, kind, _pilot, grids, enterprises, workers, in_reform, score, tier in rows[1:]:
        shown = page[name]
        assert [str(grids), f"{enterprises:,}", f"{workers:,}", f"{score:.2f}", tier] == [
            shown[5],
            shown[6],
            shown[7],
            shown[3],
            shown[4],
        ]
        park = session.exec(select(Park).where(Park.name == name)).one()
        reform = session.exec(
            select(func.count(col(Enterprise.id)))
            .join(Grid, col(Grid.id) == col(Enterprise.grid_id))
            .where(Grid.park_id == park.id, col(Enterprise.in_reform))
        ).one()
        assert in_reform == reform and 0 < in_reform <= enterprises
        assert kind == "专业市场"
    huaxia = next(r for r in rows[1:] if r[0] == "无锡华夏家居港")
    assert huaxia[2:6] == ["省级试点", 10, 160, 6369]
    assert parks["F2"].number_format == "#,##0" and parks["H2"].number_format == "0.00"


def test_the_grids_sheet_lists_every_grid_with_liaison_and_node(client, liangxi, session):
    wb = _book(client, f"/districts/{liangxi.id}/parks.xlsx")
    grids = wb["网格"]
    rows = _rows(grids)
    assert rows[0] == GRID_HEADERS and grids.freeze_panes == "A2"
    park_ids = session.exec(
        select(Park.id).where(col(Park.name).in_(["无锡华夏家居港", "无锡盛阳食品城"]))
    ).all()
    expected = session.exec(select(Grid).where(col(Grid.park_id).in_(park_ids))).all()
    assert len(rows) - 1 == len(expected) == 20
    first = next(r for r in rows[1:] if r[:2] == ["无锡华夏家居港", "A区网格"])
    grid = next(g for g in expected if g.name == "A区网格")
    liaison = session.get(Liaison, grid.liaison_id)
    node = session.exec(
        select(Enterprise).where(Enterprise.grid_id == grid.id, col(Enterprise.is_node))
    ).one()
    workers = session.exec(
        select(func.sum(Enterprise.worker_count)).where(Enterprise.grid_id == grid.id)
    ).one()
    assert first == [
        "无锡华夏家居港",
        "A区网格",
        "区域",
        "绿：正常推进",
        liaison.name,
        # A district office sees people's numbers masked outside a park of its own.
        liaison.mobile[:3] + "****" + liaison.mobile[-4:],
        node.name,
        6,
        workers,
    ]
    # The mobile number is text: Excel shows all eleven digits, not 1.82E+10.
    mobile = grids.cell(rows.index(first) + 1, 6)
    assert isinstance(mobile.value, str) and mobile.number_format == "@"
    assert len(mobile.value) == 11
    # Each park's grid count on the parks sheet adds up to the grid rows.
    counts = {r[0]: r[3] for r in _rows(wb["园区"])[1:]}
    assert sum(counts.values()) == 20


def test_the_grids_csv_is_the_grids_sheet(client, liangxi):
    resp = _get(client, f"/districts/{liangxi.id}/grids.csv")
    assert resp.content.startswith(("\ufeff" + ",".join(GRID_HEADERS) + "\r\n").encode())
    lines = _csv(resp)
    sheet = _rows(_book(client, f"/districts/{liangxi.id}/parks.xlsx")["网格"])
    assert lines == [["" if v is None else str(v) for v in row] for row in sheet]


def test_a_district_office_cannot_export_another_district(client, huishan):
    for url in ("scorecard.xlsx", "scorecard.csv", "parks.xlsx", "grids.csv"):
        resp = _get(client, f"/districts/{huishan.id}/{url}", 404)
        assert "不存在" in resp.text


def test_a_park_office_cannot_export_its_district(login, liangxi):
    c = login("park_huaxia")
    for url in ("scorecard.xlsx", "parks.xlsx", "grids.csv"):
        _get(c, f"/districts/{liangxi.id}/{url}", 404)


def test_the_city_exports_any_district_and_only_its_parks(login, huishan, session):
    c = login("leader")
    rows = _rows(_book(c, f"/districts/{huishan.id}/parks.xlsx")["园区"])
    district_of = geo.district_of(session=session)
    names = {p.name for p in session.exec(select(Park)) if district_of[p.id].id == huishan.id}
    assert {r[0] for r in rows[1:]} == names and names
    card = _rows(_book(c, f"/districts/{huishan.id}/scorecard.xlsx").active)
    assert {r[1] for r in card[1:]} == names


def test_a_bad_period_is_refused_in_chinese(client, liangxi):
    resp = _get(client, f"/districts/{liangxi.id}/scorecard.xlsx?period=2031Q1", 404)
    assert "没有这个考核期：2031Q1" in resp.text
    resp = _get(client, f"/districts/{liangxi.id}/parks.xlsx?period=2031Q1", 404)
    assert "没有这个考核期" in resp.text
    resp = _get(client, f"/districts/{liangxi.id}/scorecard.csv?period=2026-Q3-and-more", 404)
    assert "没有这个考核期：2026-Q3-and" in resp.text


def test_the_district_page_links_to_its_downloads_for_its_period(client, liangxi):
    html = _get(client, f"/districts/{liangxi.id}?period=2025Q4").text
    links = dict(re.findall(r'id="(export-[a-z-]+)" href="([^"]+)"', html))
    base = f"http://testserver/districts/{liangxi.id}"
    assert links == {
        "export-scorecard": f"{base}/scorecard.xlsx?period=2025Q4",
        "export-scorecard-csv": f"{base}/scorecard.csv?period=2025Q4",
        "export-parks": f"{base}/parks.xlsx?period=2025Q4",
        "export-grids": f"{base}/grids.csv",
    }
    # The links follow the period picker, which fetches the results part alone.
    part = client.get(f"/districts/{liangxi.id}?period=2026Q2", headers={"HX-Request": "true"})
    assert f"{base}/scorecard.xlsx?period=2026Q2" in part.text
