"""Histories and the audit trail read in Chinese: fields by their labels, values in words,
Beijing times to the minute, people and objects by their names (issue 15, item 1).

On the Wuxi demo: 梁溪区's office returns 无锡盛阳食品城's 2026 Q3 report (submitted and
waiting in the demo), and 无锡华夏家居港's first grid liaison (沈晨) changes an enterprise
of their grid; the report's page, the enterprise's page, the audit page and its downloads
then say so in words.
"""

import csv
import io
import re
from html import unescape
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import event
from sqlmodel import col, select

from app.accounts.models import User
from app.assessment.models import ParkReport, Period, ReportState
from app.audit.models import AuditAction, AuditLog
from app.core.templating import LOCAL_TZ
from app.enterprises.models import Enterprise
from app.geo.models import Grid, Park

WAITING = "无锡盛阳食品城"
HUAXIA = "无锡华夏家居港"
COMMENT = "I03 的场次请附签到表"
# What no history or audit view may show: stored column names, "Type #id", Python's own
# spelling of booleans and mappings, ISO stamps.
RAW = ("state:", "state：", "reviewed_at", "worker_count", "True", "False", "{'", "+00:00")
TYPE_HASH_ID = re.compile(r"\b[A-Z][A-Za-z]+ #\d+")
ISO_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:")


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _history(html: str) -> str:
    """The page's history partial, as its text."""
    start = html.index('<details class="history"')
    return _text(html[start : html.index("</details>", start)])


def _audit_table(html: str) -> str:
    start = html.index('<table class="data" id="audit">')
    return html[start : html.index("</table>", start)]


def _assert_readable(shown: str) -> None:
    for raw in RAW:
        assert raw not in shown, raw
    assert not TYPE_HASH_ID.search(shown), TYPE_HASH_ID.search(shown)
    assert not ISO_STAMP.search(shown), ISO_STAMP.search(shown)


def _user(session, username: str) -> User:
    return session.exec(select(User).where(User.username == username)).one()


@pytest.fixture
def returned(login, session) -> ParkReport:
    """梁溪区's office returns 无锡盛阳食品城's 2026 Q3 report with a note."""
    park = session.exec(select(Park).where(Park.name == WAITING)).one()
    period = session.exec(select(Period).where(Period.year == 2026, Period.quarter == 3)).one()
    report = session.exec(
        select(ParkReport).where(ParkReport.park_id == park.id, ParkReport.period_id == period.id)
    ).one()
    assert report.state is ReportState.submitted
    resp = login("district_liangxi").post(
        f"/parks/{park.id}/reports/2026Q3/return",
        data={"comment": COMMENT, "version": str(report.version)},
        follow_redirects=False,
    )
    assert resp.status_code in (200, 303), resp.text[:500]
    session.expire_all()
    report = session.get(ParkReport, report.id)
    assert report.state is ReportState.returned
    return report


@pytest.fixture
def edited(login, session) -> Enterprise:
    """沈晨 (liaison_huaxia_1) gives an enterprise of their grid 12 more workers and records
    that its collective contract has ended."""
    park = session.exec(select(Park).where(Park.name == HUAXIA)).one()
    grid = session.exec(
        select(Grid).where(Grid.park_id == park.id).order_by(col(Grid.sort_order))
    ).first()
    e = session.exec(
        select(Enterprise)
        .where(Enterprise.grid_id == grid.id, Enterprise.is_node == False)  # noqa: E712
        .where(Enterprise.collective_contract == True)  # noqa: E712
        .order_by(col(Enterprise.id))
    ).first()
    # Every firm of the demo's grid A has a union and a contract: the contract is ended.
    data = {
        "credit_code": e.credit_code,
        "name": e.name,
        "ownership": e.ownership.value,
        "size": e.size.value,
        "industry": e.industry,
        "worker_count": str(e.worker_count + 12),
        "union_founded": "on",
        "reform_type": e.reform_type.value if e.reform_type else "",
        "liaison_id": str(e.liaison_id or ""),
    }
    if e.in_reform:
        data["in_reform"] = "on"
    resp = login("liaison_huaxia_1").post(f"/enterprises/{e.id}", data=data, follow_redirects=False)
    assert resp.status_code == 303, resp.text[:500]
    session.expire_all()
    return session.get(Enterprise, e.id)


def test_the_report_history_names_the_state_the_time_and_the_office(login, session, returned):
    page = login("district_liangxi").get(f"/parks/{returned.park_id}/reports/2026Q3").text
    history = _history(page)
    assert "状态 ： 已报送，待审核 → 已退回修改" in history
    assert f"审核意见 ： — → {COMMENT}" in history
    # The review's time in Beijing time to the minute: the stored UTC instant, converted.
    when = returned.reviewed_at.astimezone(LOCAL_TZ)
    assert re.search(rf"审核时间 ： [^→]*→ {when:%Y-%m-%d %H:%M}", history)
    assert "梁溪区产改办" in history and "district_liangxi" not in history
    _assert_readable(history)


def test_the_enterprise_history_reads_in_words(login, session, edited):
    page = login("park_huaxia").get(f"/enterprises/{edited.id}").text
    history = _history(page)
    assert f"职工人数 ： {edited.worker_count - 12} → {edited.worker_count}" in history
    assert "已签订集体合同 ： 是 → 否" in history
    assert "沈晨" in history and "liaison_huaxia_1" not in history
    _assert_readable(history)


def test_the_audit_page_names_people_actions_objects_and_changes(login, session, returned, edited):
    city = login("city_admin")
    html = city.get("/admin/audit").text
    table = _audit_table(html)
    shown = _text(table)
    # The object by its Chinese type and name, with a link to its page.
    assert f"季度报告 {WAITING} 2026年第3季度" in shown
    assert f'href="http://testserver/parks/{returned.park_id}/reports/2026Q3"' in table
    assert f"企业 {edited.name}" in shown
    assert f'href="http://testserver/enterprises/{edited.id}"' in table
    # The action in Chinese, the person by their name, the changes labelled.
    assert "修改" in shown and "梁溪区产改办" in shown and "沈晨" in shown
    assert "状态 ： 已报送，待审核 → 已退回修改" in shown
    assert "审核时间 ：" in shown and "2026-" in shown
    assert f"职工人数 ： {edited.worker_count - 12} → {edited.worker_count}" in shown
    assert "district_liangxi" not in shown and "liaison_huaxia_1" not in shown
    _assert_readable(shown)


def test_the_audit_filter_offers_the_types_in_chinese(login, returned, edited):
    html = login("city_admin").get("/admin/audit").text
    select_html = re.search(r'<select name="object_type">(.*?)</select>', html, re.S).group(1)
    options = dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select_html))
    assert options["ParkReport"] == "季度报告"
    assert options["Enterprise"] == "企业"
    assert options["User"] == "用户账号"
    # Every choice is in words: no English type name is shown (the values stay the types).
    assert all(not re.search(r"[A-Za-z]", text) for text in options.values()), options
    # The value still filters: only the report's row.
    only = _text(_audit_table(login("city_admin").get("/admin/audit?object_type=ParkReport").text))
    assert "季度报告" in only and "企业 " not in only


def test_the_downloads_carry_the_same_labelled_text(login, session, returned, edited):
    city = login("city_admin")
    book = load_workbook(BytesIO(city.get("/admin/audit.xlsx").content)).active
    rows = [list(r) for r in book.iter_rows(values_only=True)]
    head, body = rows[0], rows[1:]
    col_of = {name: i for i, name in enumerate(head)}
    report_row = next(r for r in body if r[col_of["对象类型"]] == "季度报告")
    assert report_row[col_of["用户"]] == "梁溪区产改办"
    assert report_row[col_of["用户名"]] == "district_liangxi"  # the account, in its own column
    assert report_row[col_of["操作"]] == "修改"
    assert report_row[col_of["对象"]] == f"{WAITING} 2026年第3季度"
    changes = report_row[col_of["变更内容"]]
    assert "状态：已报送，待审核 → 已退回修改" in changes and "审核时间：" in changes
    _assert_readable(changes)
    firm_row = next(r for r in body if r[col_of["对象类型"]] == "企业")
    assert firm_row[col_of["用户"]] == "沈晨" and firm_row[col_of["对象"]] == edited.name
    assert f"职工人数：{edited.worker_count - 12} → {edited.worker_count}" in firm_row[-1]

    text = city.get("/admin/audit.csv").content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == head
    assert changes in [line[col_of["变更内容"]] for line in lines[1:]]


def test_names_are_read_once_per_type_for_the_rows_shown(login, session, engine):
    """Forty enterprise changes on the page: the enterprises' and the people's names come in
    one query each, not one per row."""
    user = _user(session, "liaison_huaxia_1")
    firms = session.exec(select(Enterprise).order_by(col(Enterprise.id)).limit(40)).all()
    for e in firms:
        session.add(
            AuditLog(
                user_id=user.id,
                username=user.username,
                role=user.role,
                action="update",
                object_type="Enterprise",
                object_id=e.id,
                object_label=e.name,
                before={"worker_count": 1, "grid_id": e.grid_id},
                after={"worker_count": 2, "grid_id": e.grid_id + 1},
            )
        )
    session.flush()
    city = login("city_admin")
    sent: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        sent.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        html = city.get("/admin/audit?object_type=Enterprise").text
    finally:
        event.remove(engine, "before_cursor_execute", record)
    shown = _text(_audit_table(html))
    assert all(f"企业 {e.name}" in shown for e in firms)
    assert shown.count("沈晨") == 40
    # Ids in the values read as the names they point to: the grid a firm moved between.
    first = firms[0]
    before, after = session.get(Grid, first.grid_id), session.get(Grid, first.grid_id + 1)
    assert f"网格 ： {before.name} → {after.name}" in shown
    firm_reads = [s for s in sent if "FROM enterprise" in s]
    grid_reads = [s for s in sent if re.search(r"FROM grid\b", s)]
    people_reads = [s for s in sent if "FROM app_user" in s and "display_name" in s]
    assert len(firm_reads) == 1, firm_reads
    assert len(grid_reads) == 1, grid_reads
    assert len(people_reads) <= 2, people_reads  # the filter's list of users, and the names


MONTH_FIGURES = {
    "guidance_sessions": "3",
    "guidance_attendance": "126",
    "training_sessions": "2",
    "training_person_times": "85",
    "competition_participants": "40",
    "innovations": "5",
    "culture_activities": "1",
    "culture_reach": "210",
    "service_actions": "17",
    "notes": "走访职工17人次。",
}


def test_every_other_history_reads_in_words_too(login, session):
    """The monthly report's, the demand's, the notice's and the user's histories, and the
    audit page holding all their rows."""
    park = session.exec(select(Park).where(Park.name == HUAXIA)).one()
    grid = session.exec(
        select(Grid).where(Grid.park_id == park.id).order_by(col(Grid.sort_order))
    ).first()
    liaison = login("liaison_huaxia_1")

    month = f"/grids/{grid.id}/monthly/2026-08"
    assert liaison.post(month, data=MONTH_FIGURES).status_code == 200
    assert liaison.post(f"{month}/submit", data={"version": "1"}).status_code == 200
    history = _history(liaison.get(month).text)
    assert "状态 ： 草稿 → 已提交，待园区确认" in history
    assert "培训人次 ： 85" in history and f"网格 ： {grid.name}" in history
    _assert_readable(history)

    resp = liaison.post(
        f"/grids/{grid.id}/demands",
        data={
            "channel": "visit",
            "category": "wages",
            "enterprise_id": "",
            "summary": "加班费未足额发放",
            "contact": "李师傅",
            "received_on": "2026-12-01",
        },
        follow_redirects=False,
    )
    demand_id = int(re.search(r"recorded=(\d+)", resp.headers["location"]).group(1))
    liaison.post(f"/demands/{demand_id}/assign", data={"version": "1", "assignee": "王科长"})
    history = _history(liaison.get(f"/demands/{demand_id}").text)
    assert "状态 ： 已受理 → 已交办" in history and "承办人 ： — → 王科长" in history
    assert "受理渠道 ： 走访" in history and "受理日期 ： 2026-12-01" in history
    _assert_readable(history)

    park_admin = login("park_huaxia")
    resp = park_admin.post(
        "/notices",
        data={"kind": "task", "title": "培训摸底", "content": "请走访。", "grid": [str(grid.id)]},
        follow_redirects=False,
    )
    notice_id = int(re.search(r"/notices/(\d+)", resp.headers["location"]).group(1))
    history = _history(park_admin.get(f"/notices/{notice_id}").text)
    assert "类型 ： 任务" in history and "华夏家居港产改机构" in history
    _assert_readable(history)

    city = login("city_admin")
    leader = _user(session, "leader")
    city.post(f"/admin/users/{leader.id}/active", data={"active": "0"})
    history = _history(city.get(f"/admin/users/{leader.id}").text)
    assert "启用 ： 是 → 否" in history and "市产改办管理员" in history
    _assert_readable(history)

    shown = _text(_audit_table(city.get("/admin/audit").text))
    assert f"网格月报 {HUAXIA} {grid.name} 2026年8月" in shown
    assert "职工诉求 加班费未足额发放" in shown and "通知或任务 培训摸底" in shown
    assert "用户账号 市领导" in shown
    _assert_readable(shown)


def test_nested_values_read_in_words(login, session):
    """An import's counts per sheet, and a user's scope by its places' names."""
    office = _user(session, "park_huaxia")
    park = session.exec(select(Park).where(Park.name == HUAXIA)).one()
    grid = session.exec(
        select(Grid).where(Grid.park_id == park.id).order_by(col(Grid.sort_order))
    ).first()
    leader = _user(session, "leader")
    common = {"user_id": office.id, "username": office.username, "role": office.role}
    session.add(
        AuditLog(
            **common,
            action="import",
            object_type="ImportJob",
            object_id=None,
            object_label=f"{HUAXIA} · 名册.xlsx",
            after={
                "counts": {
                    "grids": {"new": 0, "updated": 3, "unchanged": 7, "error": 0},
                    "enterprises": {"new": 2, "updated": 1, "unchanged": 157, "error": 0},
                },
                "file": "名册.xlsx",
                "sha256": "0" * 64,
            },
        )
    )
    session.add(
        AuditLog(
            **common,
            action="update",
            object_type="User",
            object_id=leader.id,
            before={"scope": [f"park:{park.id}"], "is_active": True},
            after={"scope": [f"park:{park.id}", f"grid:{grid.id}"], "is_active": False},
        )
    )
    session.flush()
    shown = _text(_audit_table(login("city_admin").get("/admin/audit").text))
    assert "名册导入" in shown and "文件 ： 名册.xlsx" in shown
    assert "网格：新增 0，更新 3，未变 7，有错误 0 / 企业：新增 2，更新 1，未变 157" in shown
    assert "0" * 64 not in shown  # the file's hash is bookkeeping
    assert f"管理范围 ： {HUAXIA} → {HUAXIA}、{grid.name}" in shown
    assert "启用 ： 是 → 否" in shown
    _assert_readable(shown)


def test_an_import_says_who_uploaded_it_by_name(login, session):
    from tests.imports.books import download, job_of, upload

    park = session.exec(select(Park).where(Park.name == HUAXIA)).one()
    client = login("park_huaxia")
    job_id = job_of(upload(client, park.id, download(client, f"/parks/{park.id}/roster.xlsx")))
    page = _text(client.get(f"/imports/{job_id}").text)
    assert re.search(r"华夏家居港产改机构 于 \d{4}-\d{2}-\d{2} \d{2}:\d{2} 上传", page)
    assert "park_huaxia" not in page
    listing = client.get("/imports").text
    start = listing.index('id="import-jobs"')
    rows = _text(listing[start : listing.index("</table>", start)])
    assert "华夏家居港产改机构" in rows and "park_huaxia" not in rows


def test_a_change_that_reads_alike_on_both_sides_is_left_out():
    from app.audit import readable

    # A return and an approval within one minute: the review time moved by seconds, which
    # reads "10:00 → 10:00" to the minute, so only the state's change is said.
    row = AuditLog(
        user_id=1,
        username="district_liangxi",
        role="district_office",
        action=AuditAction.update,
        object_type="ParkReport",
        object_id=1,
        object_label="无锡盛阳食品城 · 2026Q4",
        before={"state": "returned", "reviewed_at": "2026-12-02T07:00:05+00:00"},
        after={"state": "approved", "reviewed_at": "2026-12-02T07:00:41+00:00"},
    )
    (shown,) = readable.readable(None, [row])
    assert [(line.label, line.before, line.after) for line in shown.lines] == [
        ("状态", "已退回修改", "已审核通过")
    ]
