"""The rankings as CSV: the park table the page shows, in Chinese, readable by Excel."""

import csv
import io
import re
from html import unescape
from urllib.parse import unquote

import pytest
from sqlmodel import select

from app.assessment.results import service as assessment
from app.framework.models import Aspect
from app.geo.models import Area
from tests.helpers import table_rows

HEADERS = [
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


def _csv(client, query: str = "") -> tuple:
    resp = client.get(f"/rankings.csv{query}")
    assert resp.status_code == 200, resp.text[:300]
    return resp, list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))


def test_the_csv_opens_in_excel_with_chinese_headers(client):
    resp, lines = _csv(client)
    assert resp.headers["content-type"] == "text/csv; charset=utf-8"
    # Excel reads UTF-8 only after a byte-order mark; without it the Chinese is garbled.
    assert resp.content.startswith("\ufeff全市排名,变化,园区,区,".encode())
    assert lines[0] == HEADERS
    assert resp.content.count(b"\r\n") == len(lines) == 16


def test_the_csv_holds_the_park_table_of_the_page(client, session):
    res = assessment.results(
        session=session, period=assessment.get_period(session=session, label=None)
    )
    _, lines = _csv(client)
    page = table_rows(client.get("/rankings").text, "park-ranking")
    body = lines[1:]
    assert len(body) == len(page) == 15
    for row, shown in zip(body, page, strict=True):
        assert [row[i] for i in (0, 1, 3, 4, 5, 6, 7, 9)] == [
            shown[i] for i in (0, 1, 3, 4, 5, 6, 7, 9)
        ]
        assert shown[2].startswith(row[2])
        assert f"{float(row[8]):.2f}" == shown[8]
    assert [float(r[8]) for r in body] == [r.total for r in res.parks()]
    assert body[-1][10] == "未报送数据" and body[0][10] == ""


def test_the_csv_follows_the_filters(client, session):
    liangxi = session.exec(select(Area).where(Area.name == "梁溪区")).one()
    query = f"?period=2025Q4&district={liangxi.id}&kind=market"
    page = table_rows(client.get(f"/rankings{query}").text, "park-ranking")
    _, lines = _csv(client, query)
    assert [r[2] for r in lines[1:]] == [p[2] for p in page] == ["无锡华夏家居港", "无锡盛阳食品城"]
    assert {r[3] for r in lines[1:]} == {"梁溪区"} and {r[6] for r in lines[1:]} == {"专业市场"}
    # The city ranks are the real ones, not renumbered by the filter.
    assert [r[0] for r in lines[1:]] == ["5", "7"]


def test_the_csv_by_aspect_says_out_of_what(client, session):
    period = assessment.get_period(session=session, label=None)
    aspect = session.exec(
        select(Aspect).where(Aspect.framework_id == period.framework_id, Aspect.name == "示范引领")
    ).one()
    page = table_rows(client.get(f"/rankings?by={aspect.id}").text, "park-ranking")
    _, lines = _csv(client, f"?by={aspect.id}")
    assert lines[0][8] == "得分（满分 8）"
    assert [(r[0], f"{float(r[8]):.2f}") for r in lines[1:]] == [(p[0], p[8]) for p in page]


def test_the_page_links_to_the_csv_with_its_filters(client, session):
    liangxi = session.exec(select(Area).where(Area.name == "梁溪区")).one()
    html = client.get(f"/rankings?period=2025Q4&district={liangxi.id}").text
    xlsx = unescape(re.search(r'id="export" href="([^"]+)"', html).group(1))
    link = unescape(re.search(r'id="export-csv" href="([^"]+)"', html).group(1))
    assert link == xlsx.replace("/rankings.xlsx?", "/rankings.csv?")
    assert f"district={liangxi.id}" in link and "period=2025Q4" in link
    assert ">导出 CSV</a>" in html
    _, lines = _csv(client, link[link.index("?") :])
    assert len(lines) == 3  # the header and 梁溪区's two parks


def test_the_file_name_is_safe_for_every_browser(client):
    resp, _ = _csv(client, "?period=2026Q2")
    disposition = resp.headers["content-disposition"]
    # Who took the file and when is in its name: a CSV has no place for it inside.
    assert re.match(
        r'attachment; filename="park-rankings-2026Q2-leader-\d{8}-\d{4}\.csv"', disposition
    )
    encoded = disposition.split("filename*=UTF-8''")[1]
    assert encoded.isascii()
    assert re.fullmatch(r"园区排名-2026Q2-市领导-\d{8}-\d{4}\.csv", unquote(encoded))


def test_bad_requests_are_refused_in_chinese(client):
    resp = client.get("/rankings.csv?pilot=galactic")
    assert resp.status_code == 422 and "试点级别的取值不在可选范围内" in resp.text
    resp = client.get("/rankings.csv?period=2031Q1")
    assert resp.status_code == 404 and "没有这个考核期" in resp.text
