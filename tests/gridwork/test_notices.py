"""Notices and tasks (上传下达): sending, the liaison's inbox, every state, reminders, overdue."""

import re
from datetime import date, timedelta

import pytest
from sqlmodel import col, func, select

from app.accounts.models import User
from app.audit.models import AuditAction, AuditLog
from app.core.errors import Invalid
from app.geo.models import Grid, Park
from app.gridwork.models import Notice, NoticeAttachment, NoticeTarget
from app.gridwork.notices import service as notices_service
from tests.helpers import kpi, table_rows

HX = {"HX-Request": "true"}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


@pytest.fixture
def places(session) -> dict:
    def park(name):
        return session.exec(select(Park).where(Park.name == name)).one()

    def grids(p):
        return list(
            session.exec(
                select(Grid)
                .where(Grid.park_id == p.id)
                .order_by(col(Grid.sort_order), col(Grid.id))
            )
        )

    huaxia, shengyang = park("无锡华夏家居港"), park("无锡盛阳食品城")
    huishan = park("无锡惠山高新技术产业创业服务中心")
    return {
        "huaxia": huaxia,
        "huaxia_grids": grids(huaxia),
        "shengyang": shengyang,
        "shengyang_grids": grids(shengyang),
        "huishan": huishan,
        "huishan_grids": grids(huishan),
    }


def _form(**extra) -> dict:
    return {
        "kind": "task",
        "title": "关于开展职工技能培训需求摸底的任务",
        "content": "请各网格联络员走访网格内企业，摸清职工技能培训需求。",
        **extra,
    }


def _send(client, data, files=None):
    resp = client.post("/notices", data=data, files=files, follow_redirects=False)
    if resp.status_code == 303:
        m = re.search(r"/notices/(\d+)\?sent=1$", resp.headers["location"])
        assert m, resp.headers["location"]
        return resp, int(m.group(1))
    return resp, None


def _count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def _targets(session, notice_id) -> dict[int, NoticeTarget]:
    session.expire_all()
    return {
        t.grid_id: t
        for t in session.exec(select(NoticeTarget).where(NoticeTarget.notice_id == notice_id))
    }


def _audit(session, object_type, object_id) -> list[AuditLog]:
    return list(
        session.exec(
            select(AuditLog)
            .where(AuditLog.object_type == object_type, AuditLog.object_id == object_id)
            .order_by(col(AuditLog.id))
        )
    )


# ---- sending ------------------------------------------------------------------------


def test_a_park_chosen_reaches_each_of_its_grids_once(login, session, places):
    district = login("district_liangxi")
    page = district.get("/notices/new")
    assert page.status_code == 200
    # 梁溪区 sends to its own two parks, nothing of other districts.
    assert "无锡华夏家居港" in page.text and "无锡盛阳食品城" in page.text
    assert "无锡惠山高新技术产业创业服务中心" not in page.text

    first = places["huaxia_grids"][0]
    resp, notice_id = _send(
        district,
        _form(
            due_on=(date.today() + timedelta(days=10)).isoformat(),
            park=str(places["huaxia"].id),
            # A grid of the chosen park counts once; a grid of another park adds itself.
            grid=[str(first.id), str(places["shengyang_grids"][0].id)],
        ),
        files=[("attachments", ("培训需求摸底表.pdf", PDF, "application/pdf"))],
    )
    assert resp.status_code == 303
    targets = _targets(session, notice_id)
    assert len(places["huaxia_grids"]) == 10
    assert set(targets) == {g.id for g in places["huaxia_grids"]} | {
        places["shengyang_grids"][0].id
    }

    notice = session.get(Notice, notice_id)
    assert (notice.sender_name, notice.kind.value) == ("梁溪区产改办", "task")
    att = session.exec(
        select(NoticeAttachment).where(NoticeAttachment.notice_id == notice_id)
    ).one()
    assert att.filename == "培训需求摸底表.pdf"

    # Audited: the notice, each grid it reached, the attachment.
    assert [r.action for r in _audit(session, "Notice", notice_id)] == [AuditAction.create]
    for t in targets.values():
        assert [r.action for r in _audit(session, "NoticeTarget", t.id)] == [AuditAction.create]
    assert [r.action for r in _audit(session, "NoticeAttachment", att.id)] == [AuditAction.create]

    shown = district.get(f"/notices/{notice_id}?sent=1").text
    assert "已发送至 11 个网格" in shown
    assert kpi(shown, "targets") == "11" and kpi(shown, "pending") == "11"
    assert len(table_rows(shown, f"tracking-{places['huaxia'].id}")) == 10
    assert len(table_rows(shown, f"tracking-{places['shengyang'].id}")) == 1


def test_a_park_admin_sends_to_its_own_grids(login, session, places):
    park = login("park_huaxia")
    page = park.get("/notices/new").text
    assert "无锡华夏家居港" in page and "无锡盛阳食品城" not in page
    grids = places["huaxia_grids"][2:4]
    resp, notice_id = _send(park, _form(kind="notice", grid=[str(g.id) for g in grids]))
    assert resp.status_code == 303
    assert set(_targets(session, notice_id)) == {g.id for g in grids}
    assert session.get(Notice, notice_id).sender_name == "华夏家居港产改机构"


@pytest.mark.parametrize("role", ["leader", "liaison_huaxia_1"])
def test_who_may_not_send_finds_no_such_page(login, session, places, role):
    client = login(role)
    before = _count(session, Notice)
    assert client.get("/notices/new").status_code == 404
    resp, _id = _send(client, _form(grid=str(places["huaxia_grids"][0].id)))
    assert resp.status_code == 404
    assert _count(session, Notice) == before
    # The inbox is everyone's, without a way to send.
    inbox = client.get("/notices")
    assert inbox.status_code == 200 and "/notices/new" not in inbox.text


def test_a_district_cannot_send_to_a_park_of_another_district(login, session, places):
    district = login("district_liangxi")
    before = (_count(session, Notice), _count(session, NoticeTarget), _count(session, AuditLog))
    resp, _id = _send(district, _form(park=[str(places["huaxia"].id), str(places["huishan"].id)]))
    assert resp.status_code == 422
    assert 'id="err-parks"' in resp.text
    assert "发送园区：所选园区中有您无权发送的园区" in resp.text
    # The form comes back as it was typed.
    assert "关于开展职工技能培训需求摸底的任务" in resp.text
    resp, _id = _send(district, _form(grid=str(places["huishan_grids"][0].id)))
    assert resp.status_code == 422 and "发送网格：所选网格中有您无权发送的网格" in resp.text
    assert (
        _count(session, Notice),
        _count(session, NoticeTarget),
        _count(session, AuditLog),
    ) == before


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"due_on": (date.today() - timedelta(days=1)).isoformat()},
            "due_on",
            "截止日期不能早于今天",
        ),
        ({"due_on": "2026-02-30"}, "due_on", "截止日期填写有误"),
        ({"title": "  "}, "title", "标题不能为空"),
        ({"title": "长" * 121}, "title", "标题最多 120 个字"),
        ({"content": ""}, "content", "正文不能为空"),
        ({"kind": "memo"}, "kind", "类型的取值不在可选范围内"),
        ({"park": [], "grid": []}, "targets", "发送对象：请至少选择一个园区或网格"),
        ({"grid": "abc"}, "grids", "发送网格填写有误"),
    ],
)
def test_bad_input_names_the_field_and_sends_nothing(
    login, session, places, change, field, message
):
    district = login("district_liangxi")
    before = _count(session, Notice)
    data = _form(park=str(places["huaxia"].id)) | change
    resp, _id = _send(district, data)
    assert resp.status_code == 422
    assert f'id="err-{field}"' in resp.text and message in resp.text
    assert _count(session, Notice) == before


def test_an_attachment_of_the_wrong_kind_is_refused(login, session, places):
    district = login("district_liangxi")
    before = _count(session, Notice)
    resp, _id = _send(
        district,
        _form(park=str(places["huaxia"].id)),
        files=[("attachments", ("名单.pdf", b"MZ\x90\x00 not a pdf", "application/pdf"))],
    )
    assert resp.status_code == 422
    assert 'id="err-attachments"' in resp.text and "附件（名单.pdf）：只接受 PDF" in resp.text
    assert _count(session, Notice) == before


def test_the_due_date_is_checked_against_an_injected_today(session, places):
    from app.core.permissions import system

    who = system("梁溪区产改办")
    with pytest.raises(Invalid) as exc:
        notices_service.send(
            session=session,
            who=who,
            data=_form(due_on="2026-03-01"),
            park_ids=[str(places["huaxia"].id)],
            storage=None,
            max_bytes=1,
            today=date(2026, 3, 2),
        )
    assert exc.value.errors == {"due_on": "截止日期不能早于今天。"}
    notice = notices_service.send(
        session=session,
        who=who,
        data=_form(due_on="2026-03-02"),
        park_ids=[str(places["huaxia"].id)],
        storage=None,
        max_bytes=1,
        today=date(2026, 3, 2),
    )
    assert notice.due_on == date(2026, 3, 2)


# ---- the liaison's side -------------------------------------------------------------


def test_a_task_goes_through_every_state_and_the_sender_sees_the_counts(login, session, places):
    district = login("district_liangxi")
    liaison = login("liaison_huaxia_1")
    first = places["huaxia_grids"][0]
    _resp, notice_id = _send(district, _form(park=str(places["huaxia"].id)))
    target = _targets(session, notice_id)[first.id]

    def sender_sees() -> dict:
        page = district.get(f"/notices/{notice_id}").text
        return {k: kpi(page, k) for k in ("read", "acknowledged", "completed", "pending")}

    # Unread: the inbox shows it as new.
    inbox = liaison.get("/notices").text
    item = re.search(
        rf'<li class="notice-item([^"]*)" data-notice="{notice_id}">(.*?)</li>', inbox, re.S
    )
    assert item and "unread" in item.group(1) and "未读" in item.group(2)
    assert sender_sees() == {"read": "0", "acknowledged": "0", "completed": "0", "pending": "10"}

    # Opening marks it read (once, audited) and offers the two big buttons.
    page = liaison.get(f"/notices/{notice_id}").text
    assert f'id="target-{target.id}"' in page
    assert "确认收到" in page and "报告完成" in page
    # The liaison acts on their own grid only: no card for the nine others.
    assert page.count('class="panel target-card') == 1
    read_at = _targets(session, notice_id)[first.id].read_at
    assert read_at is not None
    liaison.get(f"/notices/{notice_id}")
    assert _targets(session, notice_id)[first.id].read_at == read_at
    assert sender_sees() == {"read": "1", "acknowledged": "0", "completed": "0", "pending": "10"}
    inbox = liaison.get("/notices").text
    item = re.search(
        rf'<li class="notice-item([^"]*)" data-notice="{notice_id}">(.*?)</li>', inbox, re.S
    )
    assert "unread" not in item.group(1) and "已读未确认" in item.group(2)

    # Acknowledged, in place.
    resp = liaison.post(f"/notices/targets/{target.id}/acknowledge", headers=HX)
    assert resp.status_code == 200 and "<html" not in resp.text
    assert 'data-state="acknowledged"' in resp.text and "已确认收到。" in resp.text
    assert "确认收到</button>" not in resp.text
    stored = _targets(session, notice_id)[first.id]
    liaison_name = session.exec(select(User).where(User.username == "liaison_huaxia_1")).one()
    assert stored.acknowledged_by == liaison_name.display_name
    assert sender_sees() == {"read": "1", "acknowledged": "1", "completed": "0", "pending": "10"}
    again = liaison.post(f"/notices/targets/{target.id}/acknowledge", headers=HX)
    assert again.status_code == 409 and "已由" in again.text and 'id="target-' in again.text

    # Completion needs a note.
    resp = liaison.post(f"/notices/targets/{target.id}/complete", data={"note": " "}, headers=HX)
    assert resp.status_code == 422 and 'id="err-note"' in resp.text
    assert "完成情况说明不能为空" in resp.text
    assert _targets(session, notice_id)[first.id].completed_at is None

    resp = liaison.post(
        f"/notices/targets/{target.id}/complete",
        data={"note": "已走访12家企业，汇总培训需求38项"},
        headers=HX,
    )
    assert resp.status_code == 200 and 'data-state="completed"' in resp.text
    assert "已报告完成。" in resp.text and "<form" not in resp.text
    assert sender_sees() == {"read": "1", "acknowledged": "1", "completed": "1", "pending": "9"}
    rows = table_rows(district.get(f"/notices/{notice_id}").text, f"tracking-{places['huaxia'].id}")
    assert rows[0][0] == first.name and rows[0][2] == "已完成"
    assert "已走访12家企业，汇总培训需求38项" in rows[0][5]
    assert [r[2] for r in rows[1:]] == ["未读"] * 9

    again = liaison.post(
        f"/notices/targets/{target.id}/complete", data={"note": "再报一次"}, headers=HX
    )
    assert again.status_code == 409
    assert (
        _targets(session, notice_id)[first.id].completion_note == "已走访12家企业，汇总培训需求38项"
    )

    # Read, acknowledged, completed: three audited changes after the creation.
    trail = _audit(session, "NoticeTarget", target.id)
    assert [r.action for r in trail] == [AuditAction.create] + [AuditAction.update] * 3
    assert trail[1].after["read_at"] and not trail[1].before["read_at"]
    assert trail[3].after["completion_note"] == "已走访12家企业，汇总培训需求38项"

    inbox = liaison.get("/notices").text
    item = re.search(
        rf'<li class="notice-item([^"]*)" data-notice="{notice_id}">(.*?)</li>', inbox, re.S
    )
    assert "done" in item.group(1) and "已完成" in item.group(2)


def test_a_notice_is_done_once_acknowledged_and_has_nothing_to_complete(login, session, places):
    district = login("district_liangxi")
    liaison = login("liaison_huaxia_1")
    first = places["huaxia_grids"][0]
    _resp, notice_id = _send(district, _form(kind="notice", grid=str(first.id)))
    target = _targets(session, notice_id)[first.id]
    page = liaison.get(f"/notices/{notice_id}").text
    assert "确认收到" in page and "报告完成" not in page
    # Without JavaScript: a plain POST and back to the notice.
    resp = liaison.post(f"/notices/targets/{target.id}/acknowledge", follow_redirects=False)
    assert resp.status_code == 303
    assert resp.headers["location"].endswith(f"/notices/{notice_id}#target-{target.id}")
    resp = liaison.post(f"/notices/targets/{target.id}/complete", data={"note": "完成"})
    assert resp.status_code == 409 and "只有任务需要报告完成" in resp.text
    shown = district.get(f"/notices/{notice_id}").text
    assert kpi(shown, "acknowledged") == "1" and kpi(shown, "pending") == "0"


def test_without_javascript_a_missing_note_returns_the_whole_page(login, session, places):
    district = login("district_liangxi")
    liaison = login("liaison_huaxia_1")
    first = places["huaxia_grids"][0]
    _resp, notice_id = _send(district, _form(grid=str(first.id)))
    target = _targets(session, notice_id)[first.id]
    resp = liaison.post(f"/notices/targets/{target.id}/complete", data={"note": ""})
    assert resp.status_code == 422 and "<html" in resp.text
    assert 'id="err-note"' in resp.text and "完成情况说明不能为空" in resp.text
    assert _targets(session, notice_id)[first.id].completed_at is None
    resp = liaison.post(
        f"/notices/targets/{target.id}/complete", data={"note": "已完成"}, follow_redirects=False
    )
    assert resp.status_code == 303
    assert resp.headers["location"].endswith(f"/notices/{notice_id}#target-{target.id}")


def test_a_leader_follows_every_grid_without_acting(login, session, places):
    _resp, notice_id = _send(login("district_liangxi"), _form(park=str(places["huaxia"].id)))
    page = login("leader").get(f"/notices/{notice_id}").text
    assert kpi(page, "targets") == "10"
    assert "提醒尚未办理的网格" not in page and "确认收到</button>" not in page
    assert f'data-notice="{notice_id}"' in login("leader").get("/notices").text


def test_a_liaison_cannot_act_for_another_grid(login, session, places):
    district = login("district_liangxi")
    liaison = login("liaison_huaxia_1")
    second = places["huaxia_grids"][1]
    _resp, notice_id = _send(district, _form(park=str(places["huaxia"].id)))
    other = _targets(session, notice_id)[second.id]
    assert liaison.post(f"/notices/targets/{other.id}/acknowledge").status_code == 404
    resp = liaison.post(f"/notices/targets/{other.id}/complete", data={"note": "代报"})
    assert resp.status_code == 404
    stored = _targets(session, notice_id)[second.id]
    assert (stored.acknowledged_at, stored.completed_at) == (None, None)
    denied = _audit(session, "NoticeTarget", other.id)
    assert [r.action for r in denied][-2:] == [AuditAction.denied] * 2
    # Leaders read, never act.
    assert login("leader").post(f"/notices/targets/{other.id}/acknowledge").status_code == 404


def test_the_inbox_shows_only_the_liaisons_own_grids(login, session, places):
    district = login("district_liangxi")
    liaison = login("liaison_huaxia_1")
    _r, to_first = _send(
        district, _form(title="发往第一网格", grid=str(places["huaxia_grids"][0].id))
    )
    _r, to_second = _send(
        district, _form(title="发往第二网格", grid=str(places["huaxia_grids"][1].id))
    )
    inbox = liaison.get("/notices").text
    assert f'data-notice="{to_first}"' in inbox and f'data-notice="{to_second}"' not in inbox
    assert "发往第一网格" in inbox and "梁溪区产改办" in inbox
    # The sender finds both under "sent by me", with their progress.
    sent = district.get("/notices").text
    sent_part = sent[sent.index('id="sent"') :]
    assert f'data-notice="{to_first}"' in sent_part and f'data-notice="{to_second}"' in sent_part
    assert "已确认 0/1" in sent_part


# ---- the sender's side: reminders, overdue, attachments -----------------------------


def test_a_reminder_goes_to_those_who_have_not_acted_and_is_counted(login, session, places):
    district = login("district_liangxi")
    liaison = login("liaison_huaxia_1")
    first, second = places["huaxia_grids"][:2]
    _resp, notice_id = _send(district, _form(kind="notice", park=str(places["huaxia"].id)))
    target = _targets(session, notice_id)[first.id]
    liaison.post(f"/notices/targets/{target.id}/acknowledge")

    resp = district.post(f"/notices/{notice_id}/remind", headers=HX)
    assert resp.status_code == 200 and 'id="notice-tracking"' in resp.text
    assert "已向 9 个网格发送提醒" in resp.text
    resp = district.post(f"/notices/{notice_id}/remind", follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"].endswith("?reminded=9")

    targets = _targets(session, notice_id)
    assert targets[first.id].reminders == 0 and targets[first.id].reminded_at is None
    assert targets[second.id].reminders == 2 and targets[second.id].reminded_at is not None
    assert all(t.reminders == 2 for g, t in targets.items() if g != first.id)
    rows = table_rows(district.get(f"/notices/{notice_id}").text, f"tracking-{places['huaxia'].id}")
    assert rows[0][-1] == "—" and rows[1][-1] == "已提醒 2 次"
    trail = _audit(session, "NoticeTarget", targets[second.id].id)
    assert [r.after["reminders"] for r in trail[1:]] == [1, 2]

    # The liaison acted before the reminders: their card does not say they were chased.
    assert "已提醒" not in liaison.get(f"/notices/{notice_id}").text

    # Once everyone has acted there is nobody to remind.
    for t in _targets(session, notice_id).values():
        if t.acknowledged_at is None:
            district.post(f"/notices/targets/{t.id}/acknowledge")
    resp = district.post(f"/notices/{notice_id}/remind", headers=HX)
    assert resp.status_code == 409 and "没有需要提醒的网格" in resp.text
    assert "提醒尚未办理的网格" not in district.get(f"/notices/{notice_id}").text


def test_a_liaison_sees_how_often_they_were_reminded(login, session, places):
    district = login("district_liangxi")
    liaison = login("liaison_huaxia_1")
    _resp, notice_id = _send(district, _form(park=str(places["huaxia"].id)))
    district.post(f"/notices/{notice_id}/remind")
    page = liaison.get(f"/notices/{notice_id}").text
    assert "已提醒 1 次" in page
    assert "已提醒 1 次" in liaison.get("/notices").text


def test_a_park_reminds_only_its_own_grids_of_a_district_notice(login, session, places):
    district = login("district_liangxi")
    park = login("park_huaxia")
    _resp, notice_id = _send(
        district, _form(park=[str(places["huaxia"].id), str(places["shengyang"].id)])
    )
    # The park follows its own grids only.
    page = park.get(f"/notices/{notice_id}").text
    assert kpi(page, "targets") == "10" and "无锡盛阳食品城" not in page
    assert park.post(f"/notices/{notice_id}/remind", follow_redirects=False).status_code == 303
    # An office opening a notice does not read it for its liaisons.
    assert all(t.read_at is None for t in _targets(session, notice_id).values())
    targets = _targets(session, notice_id)
    huaxia = {g.id for g in places["huaxia_grids"]}
    assert {g for g, t in targets.items() if t.reminders} == huaxia
    assert len(targets) == 20


def test_overdue_shows_after_the_due_date(login, session, places, monkeypatch):
    monkeypatch.setattr(notices_service, "local_today", lambda: date(2026, 6, 1))
    district = login("district_liangxi")
    liaison = login("liaison_huaxia_1")
    first = places["huaxia_grids"][0]
    _resp, notice_id = _send(district, _form(due_on="2026-06-05", park=str(places["huaxia"].id)))
    target = _targets(session, notice_id)[first.id]
    liaison.post(f"/notices/targets/{target.id}/complete", data={"note": "已按时完成"})

    # On the due date itself nothing is late.
    monkeypatch.setattr(notices_service, "local_today", lambda: date(2026, 6, 5))
    page = district.get(f"/notices/{notice_id}").text
    assert kpi(page, "overdue") == "0" and "已过截止日期" not in page

    monkeypatch.setattr(notices_service, "local_today", lambda: date(2026, 6, 6))
    page = district.get(f"/notices/{notice_id}").text
    assert kpi(page, "overdue") == "9" and "已过截止日期" in page
    rows = table_rows(page, f"tracking-{places['huaxia'].id}")
    assert "已超期" not in rows[0][2] and all("已超期" in r[2] for r in rows[1:])
    sent = district.get("/notices").text
    assert "已超期 9" in sent

    # An acknowledged task is still overdue until its completion is reported.
    second = _targets(session, notice_id)[places["huaxia_grids"][1].id]
    district.post(f"/notices/targets/{second.id}/acknowledge")
    assert kpi(district.get(f"/notices/{notice_id}").text, "overdue") == "9"
    district.post(f"/notices/targets/{second.id}/complete", data={"note": "补报"})
    assert kpi(district.get(f"/notices/{notice_id}").text, "overdue") == "8"


def test_attachments_reach_the_sender_and_the_targets_only(login, session, places):
    city = login("city_admin")
    _resp, notice_id = _send(
        city,
        _form(kind="notice", grid=str(places["shengyang_grids"][0].id)),
        files=[("attachments", ("食品安全培训安排.pdf", PDF, "application/pdf"))],
    )
    att = session.exec(
        select(NoticeAttachment).where(NoticeAttachment.notice_id == notice_id)
    ).one()
    url = f"/notices/attachments/{att.id}"
    got = city.get(url)
    assert got.status_code == 200 and got.content == PDF
    assert "attachment;" in got.headers["content-disposition"]
    # 梁溪区 holds 盛阳食品城; 华夏's park office and liaison do not.
    assert login("district_liangxi").get(url).status_code == 200
    assert login("park_huaxia").get(url).status_code == 404
    assert login("liaison_huaxia_1").get(url).status_code == 404
    assert login("park_huaxia").get(f"/notices/{notice_id}").status_code == 404
    assert city.get("/notices/attachments/999999").status_code == 404
    assert _audit(session, "Notice", notice_id)[-1].action is AuditAction.denied
