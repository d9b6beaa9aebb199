"""The audit trail's downloads: the rows the filtered page counts, in Beijing time, in Chinese:
people by their names (their usernames in a column of their own), objects by their type and
name, changes by their fields' labels."""

import csv
import io
import re
from datetime import UTC, datetime
from html import unescape
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from app.accounts.models import User
from app.audit import service as audit_service
from app.audit.models import AuditAction, AuditLog
from app.enterprises.models import Enterprise
from app.geo.models import Grid, Park

HEADERS = [
    "时间（北京时间）",
    "用户",
    "用户名",
    "角色",
    "地址",
    "操作",
    "对象类型",
    "对象编号",
    "对象",
    "变更内容",
]


@pytest.fixture
def client(login):
    return login("city_admin")


@pytest.fixture
def trail(session) -> dict:
    """Six rows by park_huaxia over two Beijing days in March 2024, and one by the leader."""
    park_admin = session.exec(select(User).where(User.username == "park_huaxia")).one()
    leader = session.exec(select(User).where(User.username == "leader")).one()

    def add(user, at, action, **kw):
        row = AuditLog(
            user_id=user.id,
            username=user.username,
            role=user.role,
            client_address="10.0.0.8",
            action=action,
            at=at,
            **kw,
        )
        session.add(row)
        return row

    # 16:30 UTC on 1 March is 00:30 on 2 March in Beijing.
    add(
        park_admin,
        datetime(2024, 3, 1, 16, 30, tzinfo=UTC),
        AuditAction.update,
        object_type="Grid",
        object_id=7,
        object_label="A区网格",
        before={"id": 7, "status": "green", "status_note": ""},
        after={"id": 7, "status": "red", "status_note": "停电两天"},
    )
    for hour in range(1, 5):
        add(
            park_admin,
            datetime(2024, 3, 2, hour, 0, tzinfo=UTC),
            AuditAction.login,
            object_type="User",
            object_id=park_admin.id,
            object_label=park_admin.username,
        )
    add(
        park_admin,
        datetime(2024, 3, 3, 15, 59, tzinfo=UTC),  # 23:59 on 3 March in Beijing
        AuditAction.create,
        object_type="Enterprise",
        object_id=99,
        object_label="无锡测试家居有限公司",
        after={"id": 99, "name": "无锡测试家居有限公司", "worker_count": 12},
    )
    add(
        leader,
        datetime(2024, 3, 2, 2, 0, tzinfo=UTC),
        AuditAction.login,
        object_type="User",
        object_id=leader.id,
    )
    session.flush()
    return {"user_id": park_admin.id, "start": "2024-03-02", "end": "2024-03-03"}


def _query(f: dict) -> str:
    return "&".join(f"{k}={v}" for k, v in f.items())


def _total(html: str) -> int:
    return int(re.search(r"<h1>[^<]*<small>(\d+)</small>", html).group(1))


def _book(client, query: str):
    resp = client.get(f"/admin/audit.xlsx?{query}")
    assert resp.status_code == 200, resp.text[:300]
    return resp, load_workbook(BytesIO(resp.content)).active


def test_the_export_holds_the_rows_the_filtered_page_counts(client, trail):
    query = _query(trail)
    html = client.get(f"/admin/audit?{query}").text
    assert _total(html) == 6
    resp, ws = _book(client, query)
    assert resp.headers["content-type"].startswith("application/vnd.openxmlformats")
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert rows[0] == HEADERS
    assert len(rows) - 1 == _total(html)
    # The leader's row is filtered out; people by their names, their accounts beside them.
    assert {(r[1], r[2]) for r in rows[1:]} == {("华夏家居港产改机构", "park_huaxia")}
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:J7"
    assert ws.title == "操作日志"


def test_times_are_beijing_time_newest_first(client, trail):
    _, ws = _book(client, _query(trail))
    times = [r[0] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert times[0] == datetime(2024, 3, 3, 23, 59)
    assert times[-1] == datetime(2024, 3, 2, 0, 30)  # a UTC evening is the next Beijing day
    assert times == sorted(times, reverse=True)
    assert ws["A2"].number_format == "yyyy-mm-dd hh:mm" and ws["A2"].is_date


def _named(session, model, object_id, fallback):
    # The trail's rows point at demo objects by id: they are named as those are now.
    obj = session.get(model, object_id)
    return obj.name if obj else fallback


def test_rows_read_in_chinese_with_their_changes(client, session, trail):
    _, ws = _book(client, _query(trail))
    rows = [list(r) for r in ws.iter_rows(min_row=2, values_only=True)]
    update = rows[-1]
    grid = session.get(Grid, 7)
    assert update == [
        datetime(2024, 3, 2, 0, 30),
        "华夏家居港产改机构",
        "park_huaxia",
        "园区产改机构",
        "10.0.0.8",
        "修改",
        "网格",
        7,
        f"{session.get(Park, grid.park_id).name} {grid.name}",
        "状态：绿：正常推进 → 红：工作停滞；说明：— → 停电两天",
    ]
    created = rows[0]
    assert created[5] == "新建" and created[6] == "企业"
    assert created[8] == _named(session, Enterprise, 99, "无锡测试家居有限公司")
    assert created[9] == "企业名称：无锡测试家居有限公司；职工人数：12"
    assert [r[5] for r in rows[1:5]] == ["登录"] * 4
    assert [r[6] for r in rows[1:5]] == ["用户账号"] * 4
    assert {r[8] for r in rows[1:5]} == {"华夏家居港产改机构"}
    assert ws.column_dimensions["J"].width == 60  # room for the changes


def test_the_csv_has_the_same_rows(client, trail):
    resp = client.get(f"/admin/audit.csv?{_query(trail)}")
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "text/csv; charset=utf-8"
    assert resp.content.startswith(("\ufeff" + ",".join(HEADERS) + "\r\n").encode())
    lines = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert len(lines) == 7
    assert lines[1][:3] == ["2024-03-03 23:59:00", "华夏家居港产改机构", "park_huaxia"]
    assert lines[-1][0] == "2024-03-02 00:30:00"
    assert lines[-1][9] == "状态：绿：正常推进 → 红：工作停滞；说明：— → 停电两天"
    disposition = resp.headers["content-disposition"]
    # Who took the file and when is in its name: a CSV has no place for it inside.
    assert re.match(r'attachment; filename="audit-city_admin-\d{8}-\d{4}\.csv"', disposition)
    assert "filename*=UTF-8''%E6%93%8D%E4%BD%9C%E6%97%A5%E5%BF%97-" in disposition  # 操作日志


def test_without_filters_the_export_has_every_row(client, session, trail):
    total = _total(client.get("/admin/audit").text)
    _, ws = _book(client, "")
    # Logging in is audited, reading is not: the page and the download count the same rows;
    # the download itself is recorded once it is made (it is not among its own rows).
    assert ws.max_row - 1 == total == len(session.exec(select(AuditLog)).all()) - 1


def test_the_page_links_to_the_downloads_with_its_filters(client, trail):
    html = client.get(f"/admin/audit?{_query(trail)}&object_type=Grid").text
    xlsx = unescape(re.search(r'id="export" href="([^"]+)"', html).group(1))
    link = unescape(re.search(r'id="export-csv" href="([^"]+)"', html).group(1))
    assert xlsx == (
        f"http://testserver/admin/audit.xlsx?user_id={trail['user_id']}"
        "&object_type=Grid&start=2024-03-02&end=2024-03-03"
    )
    assert link == xlsx.replace("audit.xlsx", "audit.csv")
    assert "最多 50,000 行" in html and 'id="export-limit"' not in html
    _, ws = _book(client, xlsx.split("?")[1])
    assert ws.max_row == 2  # the one Grid change


def test_a_download_stops_at_its_cap_and_the_page_says_so(client, trail, monkeypatch):
    monkeypatch.setattr(audit_service, "EXPORT_LIMIT", 4)
    query = _query(trail)
    html = client.get(f"/admin/audit?{query}").text
    assert "下载文件只含其中最新的 4 行" in html
    _, ws = _book(client, query)
    times = [r[0] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert len(times) == 4 and times[0] == datetime(2024, 3, 3, 23, 59)


def test_only_the_city_office_may_download_the_trail(login, trail):
    for username in ("district_liangxi", "park_huaxia", "liaison_huaxia_1", "leader"):
        c = login(username)
        for url in ("/admin/audit.xlsx", "/admin/audit.csv"):
            assert c.get(url).status_code == 404


def test_bad_filters_are_refused_in_chinese(client):
    resp = client.get("/admin/audit.csv?start=yesterday")
    # Named by its label, never by its name in the query (it was "start填写有误。").
    assert resp.status_code == 422 and "起始日期填写有误。" in resp.text
