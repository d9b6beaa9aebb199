"""Monthly grid reports: the liaison fills and submits, the park confirms or returns; audited."""

import re

import pytest
from sqlmodel import col, select

from app.audit.models import AuditAction, AuditLog
from app.core.config import Settings
from app.core.files import path_of
from app.enterprises.models import Liaison
from app.geo.models import Grid, Park
from app.gridwork.models import MonthlyPhoto, MonthlyReport, MonthlyState
from app.gridwork.monthly.service import this_month

HX = {"HX-Request": "true"}
JPG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64

FIGURES = {
    "guidance_sessions": "3",
    "guidance_attendance": "126",
    "training_sessions": "2",
    "training_person_times": "85",
    "competition_participants": "40",
    "innovations": "5",
    "culture_activities": "1",
    "culture_reach": "210",
    "service_actions": "17",
    "notes": "组织A区商户开展消防安全培训两场，走访职工17人次。",
}


def _grids(session, park_name: str) -> list[Grid]:
    park = session.exec(select(Park).where(Park.name == park_name)).one()
    return list(
        session.exec(select(Grid).where(Grid.park_id == park.id).order_by(col(Grid.sort_order)))
    )


@pytest.fixture
def grid(session) -> Grid:
    """A区网格 of 无锡华夏家居港, the grid of liaison_huaxia_1."""
    return _grids(session, "无锡华夏家居港")[0]


@pytest.fixture
def liaison(login):
    return login("liaison_huaxia_1")


@pytest.fixture
def park(login):
    return login("park_huaxia")


def _stored(session, grid, year=2026, month=7) -> MonthlyReport | None:
    session.expire_all()
    return session.exec(
        select(MonthlyReport).where(
            MonthlyReport.grid_id == grid.id,
            MonthlyReport.year == year,
            MonthlyReport.month == month,
        )
    ).first()


def _state(html: str) -> str:
    m = re.search(r'id="monthly-report" data-state="([a-z]+)"', html)
    assert m, "no monthly report section"
    return m.group(1)


def _next_month() -> str:
    m = this_month()
    return f"{m.year + 1}-01" if m.month == 12 else f"{m.year}-{m.month + 1:02d}"


def test_a_report_goes_through_every_state_and_each_step_is_audited(liaison, park, session, grid):
    url = f"/grids/{grid.id}/monthly/2026-07"
    page = liaison.get(url)
    assert page.status_code == 200 and "2026年7月" in page.text and "未填报" in page.text
    # One numeric field per figure, for a phone's number pad.
    assert page.text.count('inputmode="numeric"') == 9

    saved = liaison.post(url, data={**FIGURES, "version": "0"}, headers=HX)
    assert saved.status_code == 200 and "<html" not in saved.text
    assert _state(saved.text) == "draft" and "草稿已保存" in saved.text
    report = _stored(session, grid)
    assert (report.state, report.guidance_attendance, report.culture_reach, report.version) == (
        MonthlyState.draft,
        126,
        210,
        1,
    )

    submitted = liaison.post(f"{url}/submit", data={**FIGURES, "version": "1"}, headers=HX)
    assert submitted.status_code == 200 and _state(submitted.text) == "submitted"
    assert "已提交园区确认" in submitted.text
    # Submitted: the liaison reads the figures, the form is gone.
    assert 'inputmode="numeric"' not in submitted.text
    assert 'data-figure="training_person_times">85' in submitted.text
    liaison_name = session.get(Liaison, grid.liaison_id).name
    assert _stored(session, grid).submitted_by == liaison_name

    # The park sees it waiting, and returns it with a reason.
    waiting = park.get("/monthly").text
    assert f"{grid.name} · 2026年7月" in waiting
    returned = park.post(
        f"{url}/return",
        data={"comment": "培训人次与签到表不符，请核对", "version": "2"},
        headers=HX,
    )
    assert returned.status_code == 200 and _state(returned.text) == "returned"
    report = _stored(session, grid)
    assert (report.state, report.return_comment) == (
        MonthlyState.returned,
        "培训人次与签到表不符，请核对",
    )

    # The liaison sees the reason, corrects the figure and submits again.
    page = liaison.get(url).text
    assert "园区退回意见" in page and "培训人次与签到表不符，请核对" in page
    again = liaison.post(
        f"{url}/submit",
        data={**FIGURES, "training_person_times": "80", "version": "3"},
        headers=HX,
    )
    assert again.status_code == 200 and _state(again.text) == "submitted"

    confirmed = park.post(f"{url}/confirm", data={"version": "4"}, headers=HX)
    assert confirmed.status_code == 200 and _state(confirmed.text) == "confirmed"
    assert "已确认：本月数据已计入园区考核指标" in confirmed.text
    report = _stored(session, grid)
    assert (report.state, report.training_person_times, report.confirmed_by, report.version) == (
        MonthlyState.confirmed,
        80,
        "华夏家居港产改机构",
        5,
    )
    assert f"{grid.name} · 2026年7月" not in park.get("/monthly").text

    rows = session.exec(
        select(AuditLog)
        .where(AuditLog.object_type == "MonthlyReport", AuditLog.object_id == report.id)
        .order_by(col(AuditLog.id))
    ).all()
    assert [(r.action, r.username, r.after["state"]) for r in rows] == [
        (AuditAction.create, "liaison_huaxia_1", "draft"),
        (AuditAction.update, "liaison_huaxia_1", "submitted"),
        (AuditAction.update, "park_huaxia", "returned"),
        (AuditAction.update, "liaison_huaxia_1", "submitted"),
        (AuditAction.update, "park_huaxia", "confirmed"),
    ]
    assert (rows[3].before["training_person_times"], rows[3].after["training_person_times"]) == (
        85,
        80,
    )
    assert rows[0].object_label == "无锡华夏家居港 A区网格 2026-07"
    # The history shows on the page.
    assert "变更记录" in liaison.get(url).text


def test_without_javascript_each_action_redirects_back_to_the_month(liaison, session, grid):
    url = f"/grids/{grid.id}/monthly/2026-08"
    resp = liaison.post(url, data=FIGURES, follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"].endswith(f"{url}?done=saved")
    assert "草稿已保存" in liaison.get(resp.headers["location"]).text
    resp = liaison.post(f"{url}/submit", data={"version": "1"}, follow_redirects=False)
    assert resp.status_code == 303
    assert _stored(session, grid, month=8).state is MonthlyState.submitted


def _submitted(liaison, grid, month="2026-07"):
    url = f"/grids/{grid.id}/monthly/{month}"
    assert liaison.post(f"{url}/submit", data=FIGURES, headers=HX).status_code == 200
    return url


@pytest.mark.parametrize("who", ["liaison_huaxia_1", "district_liangxi", "city_admin", "leader"])
def test_only_the_park_administrator_confirms_or_returns(login, liaison, session, grid, who):
    url = _submitted(liaison, grid)
    other = login(who)
    assert other.post(f"{url}/confirm", data={"version": "2"}).status_code == 404
    assert other.post(f"{url}/return", data={"comment": "退回", "version": "2"}).status_code == 404
    assert _stored(session, grid).state is MonthlyState.submitted
    # Nor does anyone but a park administrator get the list of reports to confirm.
    assert other.get("/monthly").status_code == 404
    # The refusal is recorded.
    denied = session.exec(
        select(AuditLog).where(
            AuditLog.action == AuditAction.denied,
            AuditLog.object_type == "Park",
            AuditLog.object_id == grid.park_id,
        )
    ).all()
    assert who in {d.username for d in denied}


def test_the_park_administrator_confirms_only_their_own_park(login, liaison, park, session, grid):
    url = _submitted(liaison, grid)
    shengyang = _grids(session, "无锡盛阳食品城")[0]
    assert park.post(f"/grids/{shengyang.id}/monthly/2026-07/confirm").status_code == 404
    resp = park.post(f"{url}/confirm", data={"version": "2"}, follow_redirects=False)
    assert resp.status_code == 303
    assert _stored(session, grid).state is MonthlyState.confirmed


def test_a_confirmed_report_is_locked(liaison, park, session, grid):
    url = _submitted(liaison, grid)
    assert park.post(f"{url}/confirm", data={"version": "2"}, headers=HX).status_code == 200
    before = _stored(session, grid)
    changes = {**FIGURES, "guidance_sessions": "9"}
    for client, path, data in [
        (liaison, url, changes),
        (liaison, f"{url}/submit", changes),
        (park, url, changes),
        (park, f"{url}/confirm", {}),
        (park, f"{url}/return", {"comment": "再核对"}),
    ]:
        resp = client.post(path, data=data, headers=HX)
        assert resp.status_code == 409, path
    resp = liaison.post(url, data=changes)
    assert resp.status_code == 409 and "该月报已确认并锁定，不能再修改" in resp.text
    photo = liaison.post(f"{url}/photos", files={"photo": ("a.jpg", JPG, "image/jpeg")})
    assert photo.status_code == 409
    after = _stored(session, grid)
    assert (after.guidance_sessions, after.version, after.state) == (
        before.guidance_sessions,
        before.version,
        MonthlyState.confirmed,
    )


def test_a_submitted_report_waits_for_the_park(liaison, session, grid):
    url = _submitted(liaison, grid)
    resp = liaison.post(url, data={**FIGURES, "innovations": "6"}, headers=HX)
    assert resp.status_code == 409 and "正等待园区确认" in resp.text
    assert _stored(session, grid).innovations == 5


def test_a_stale_form_gets_409_and_shows_what_is_saved_now(liaison, park, session, grid):
    url = f"/grids/{grid.id}/monthly/2026-07"
    assert liaison.post(url, data={**FIGURES, "version": "0"}, headers=HX).status_code == 200
    # The park administrator corrects a figure meanwhile (they may change the park's grids).
    fixed = park.post(url, data={**FIGURES, "culture_reach": "180", "version": "1"}, headers=HX)
    assert fixed.status_code == 200
    # The liaison's form still carries version 1.
    stale = liaison.post(url, data={**FIGURES, "culture_reach": "250", "version": "1"}, headers=HX)
    assert stale.status_code == 409
    assert "该报告已被其他人修改，请刷新后重试" in stale.text
    assert "最近修改：华夏家居港产改机构" in stale.text  # who changed it last, by name
    assert "您填写的 <strong>250</strong>，已保存的 <strong>180</strong>" in stale.text
    assert 'value="180"' in stale.text and 'name="version" value="2"' in stale.text
    assert _stored(session, grid).culture_reach == 180
    # The same for a new report someone else started meanwhile, and for a stale submit.
    assert liaison.post(url, data={**FIGURES, "version": "0"}, headers=HX).status_code == 409
    assert liaison.post(f"{url}/submit", data={"version": "1"}, headers=HX).status_code == 409
    assert park.post(url, data={**FIGURES, "version": "2"}, headers=HX).status_code == 200


def test_submitting_nothing_is_a_conflict(liaison, session, grid):
    resp = liaison.post(f"/grids/{grid.id}/monthly/2026-07/submit", data={"version": "0"})
    assert resp.status_code == 409 and "还没有可提交的内容" in resp.text
    assert _stored(session, grid) is None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"training_sessions": "-1"}, "training_sessions", "培训场次必须是不小于 0 的整数"),
        ({"innovations": "1.5"}, "innovations", "创新成果数必须是不小于 0 的整数"),
        ({"service_actions": "十七"}, "service_actions", "服务职工次数必须是不小于 0 的整数"),
        ({"culture_reach": "1000000"}, "culture_reach", "文体活动覆盖人次不能大于 999999"),
        (
            {"guidance_sessions": "0"},
            "guidance_attendance",
            "思想引领宣讲活动场次为 0 时，宣讲活动参加人次也必须为 0",
        ),
        (
            {"training_sessions": ""},
            "training_person_times",
            "培训场次为 0 时，培训人次也必须为 0",
        ),
        ({"notes": "长" * 2001}, "notes", "工作简述最多 2000 个字"),
    ],
)
def test_bad_figures_get_422_naming_the_field_and_nothing_is_saved(
    liaison, session, grid, changes, field, message
):
    url = f"/grids/{grid.id}/monthly/2026-07"
    resp = liaison.post(url, data={**FIGURES, **changes}, headers=HX)
    assert resp.status_code == 422
    assert f'id="err-{field}"' in resp.text and message in resp.text
    # The form keeps what was typed.
    assert 'value="126"' in resp.text
    assert _stored(session, grid) is None
    # Submitting the same form is refused the same way.
    resp = liaison.post(f"{url}/submit", data={**FIGURES, **changes})
    assert resp.status_code == 422 and "<html" in resp.text and message in resp.text
    assert _stored(session, grid) is None


def test_full_width_digits_from_a_chinese_keyboard_are_read(liaison, session, grid):
    url = f"/grids/{grid.id}/monthly/2026-07"
    data = {**FIGURES, "guidance_attendance": "１，２６０", "service_actions": ""}
    assert liaison.post(url, data=data, headers=HX).status_code == 200
    report = _stored(session, grid)
    assert (report.guidance_attendance, report.service_actions) == (1260, 0)


def test_a_month_that_has_not_begun_cannot_be_reported(liaison, session, grid):
    month = _next_month()
    url = f"/grids/{grid.id}/monthly/{month}"
    page = liaison.get(url)
    assert page.status_code == 422 and "尚未开始：只能填报本月及以前的月报" in page.text
    assert liaison.post(url, data=FIGURES).status_code == 422
    assert liaison.post(f"{url}/submit", data=FIGURES).status_code == 422
    y, m = map(int, month.split("-"))
    assert _stored(session, grid, y, m) is None
    # The current month is open.
    assert liaison.get(f"/grids/{grid.id}/monthly/{this_month().label}").status_code == 200


@pytest.mark.parametrize("month", ["2026-13", "2026-7", "1999-12", "latest"])
def test_a_month_that_is_not_yyyy_mm_is_not_found(liaison, grid, month):
    assert liaison.get(f"/grids/{grid.id}/monthly/{month}").status_code == 404


def test_photos_are_checked_stored_shown_and_removed(liaison, login, session, grid):
    url = f"/grids/{grid.id}/monthly/2026-07"
    # No report yet: save first (so the open form does not go stale unseen).
    early = liaison.post(f"{url}/photos", files={"photo": ("a.jpg", JPG, "image/jpeg")})
    assert early.status_code == 422 and "请先保存草稿，再添加照片" in early.text
    assert liaison.post(url, data=FIGURES, headers=HX).status_code == 200

    added = liaison.post(
        f"{url}/photos",
        files=[
            ("photo", ("消防培训.jpg", JPG, "image/jpeg")),
            ("photo", ("走访.PNG", PNG, "image/png")),
        ],
        headers=HX,
    )
    assert added.status_code == 200 and 'id="monthly-photos"' in added.text
    assert "照片已添加" in added.text and "2 / 12" in added.text
    photos = session.exec(select(MonthlyPhoto).order_by(col(MonthlyPhoto.id))).all()
    mine = [p for p in photos if p.report_id == _stored(session, grid).id]
    assert [(p.filename, p.content_type) for p in mine] == [
        ("消防培训.jpg", "image/jpeg"),
        ("走访.PNG", "image/png"),
    ]
    assert path_of(Settings().evidence_dir, mine[0].stored_name).read_bytes() == JPG
    (first, second), report_id = [p.id for p in mine], mine[0].report_id

    # Anyone who may see the grid may see its photos (a leader reading, here).
    shown = login("leader").get(f"/monthly/photos/{first}")
    assert shown.status_code == 200 and shown.content == JPG
    assert shown.headers["content-type"] == "image/jpeg"
    assert f"/monthly/photos/{second}" in liaison.get(url).text

    # A program renamed .jpg, a PNG called .jpg and an empty file are refused, all at once.
    for name, content, expect in [
        ("照片.jpg", EXE, "只接受 JPG 和 PNG 格式的照片"),
        ("照片.jpg", PNG, "只接受 JPG 和 PNG 格式的照片"),
        ("setup.exe", EXE, "只接受 JPG 和 PNG 格式的照片"),
    ]:
        bad = liaison.post(
            f"{url}/photos",
            files=[("photo", ("好的.jpg", JPG, "image/jpeg")), ("photo", (name, content))],
            headers=HX,
        )
        assert bad.status_code == 422 and expect in bad.text and f"{name}：" in bad.text
    nothing = liaison.post(f"{url}/photos", headers=HX)
    assert nothing.status_code == 422 and "请选择要上传的照片" in nothing.text
    session.expire_all()
    assert (
        len(session.exec(select(MonthlyPhoto).where(MonthlyPhoto.report_id == report_id)).all())
        == 2
    )

    removed = liaison.post(f"/monthly/photos/{second}/delete", headers=HX)
    assert removed.status_code == 200 and "照片已删除" in removed.text and "1 / 12" in removed.text
    session.expire_all()
    assert session.get(MonthlyPhoto, second) is None
    trail = session.exec(
        select(AuditLog.action, AuditLog.object_label)
        .where(AuditLog.object_type == "MonthlyPhoto")
        .order_by(col(AuditLog.id))
    ).all()
    assert [a for a, _label in trail][-3:] == [
        AuditAction.create,
        AuditAction.create,
        AuditAction.delete,
    ]
    # The leader reads but does not remove.
    assert login("leader").post(f"/monthly/photos/{first}/delete").status_code == 404


def test_a_report_may_hold_at_most_twelve_photos(liaison, session, grid):
    url = f"/grids/{grid.id}/monthly/2026-07"
    liaison.post(url, data=FIGURES, headers=HX)
    files = [("photo", (f"{i}.jpg", JPG + bytes([i]), "image/jpeg")) for i in range(12)]
    assert liaison.post(f"{url}/photos", files=files, headers=HX).status_code == 200
    more = liaison.post(f"{url}/photos", files={"photo": ("13.jpg", JPG)}, headers=HX)
    assert more.status_code == 422 and "每份月报最多 12 张照片，现已有 12 张" in more.text


def test_out_of_scope_is_404(liaison, park, login, session, grid):
    shengyang = _grids(session, "无锡盛阳食品城")[0]
    huishan = _grids(session, "无锡惠山高新技术产业创业服务中心")[0]
    url = f"/grids/{shengyang.id}/monthly/2026-07"
    for client in (liaison, park):
        assert client.get(f"/grids/{shengyang.id}/monthly").status_code == 404
        assert client.get(url).status_code == 404
        assert client.post(url, data=FIGURES).status_code == 404
        assert client.post(f"{url}/submit", data=FIGURES).status_code == 404
    assert park.post(f"{url}/confirm").status_code == 404
    district = login("district_liangxi")
    assert district.post(f"/grids/{huishan.id}/monthly/2026-07", data=FIGURES).status_code == 404
    # The liaison reads the other grids of their park (mutual learning) but fills only theirs.
    second = _grids(session, "无锡华夏家居港")[1]
    assert liaison.get(f"/grids/{second.id}/monthly/2026-07").status_code == 200
    assert liaison.post(f"/grids/{second.id}/monthly/2026-07", data=FIGURES).status_code == 404
    assert liaison.get("/grids/999999/monthly").status_code == 404
    assert liaison.get("/monthly/photos/999999").status_code == 404
    session.expire_all()
    assert session.exec(select(MonthlyReport).where(MonthlyReport.grid_id == second.id)).all() == []


def test_the_months_page_lists_each_month_with_its_state_and_the_confirmed_sums(
    liaison, park, session, grid
):
    before = liaison.get(f"/grids/{grid.id}/monthly").text
    url = _submitted(liaison, grid, "2026-07")
    park.post(f"{url}/confirm", data={"version": "2"})
    liaison.post(f"/grids/{grid.id}/monthly/2026-08", data=FIGURES)  # a draft: not counted
    page = liaison.get(f"/grids/{grid.id}/monthly").text
    assert f"填写{this_month().name}月报" in page
    cards = dict(re.findall(r'data-month="(\d{4}-\d{2})">.*?class="badge state-(\w+)"', page, re.S))
    assert (cards["2026-07"], cards["2026-08"], cards["2026-09"]) == ("confirmed", "draft", "none")
    if this_month().year == 2026:
        was = int(re.search(r'data-kpi="year-guidance_attendance">([\d,]+)', before).group(1))
        now = int(re.search(r'data-kpi="year-guidance_attendance">([\d,]+)', page).group(1))
        assert now - was == 126
