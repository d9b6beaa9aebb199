"""Worker demands through the pages: the whole loop, in place with htmx, refused where due."""

import re
from datetime import timedelta

import pytest
from sqlmodel import col, select

from app.audit.models import AuditAction, AuditLog
from app.core.i18n import gettext
from app.core.permissions import system
from app.enterprises.models import Enterprise
from app.geo.models import Grid, Park
from app.gridwork.demands import service
from app.gridwork.models import Demand, DemandState
from tests.helpers import kpi

HX = {"HX-Request": "true"}


def _grids(session, park_name: str) -> list[Grid]:
    park = session.exec(select(Park).where(Park.name == park_name)).one()
    return list(
        session.exec(select(Grid).where(Grid.park_id == park.id).order_by(col(Grid.sort_order)))
    )


@pytest.fixture
def grid(session) -> Grid:
    """The first grid of 无锡华夏家居港, kept by liaison_huaxia_1."""
    return _grids(session, "无锡华夏家居港")[0]


@pytest.fixture
def liaison(login):
    return login("liaison_huaxia_1")


@pytest.fixture
def park_admin(login):
    return login("park_huaxia")


def _form(**over) -> dict:
    return {
        "channel": "visit",
        "category": "wages",
        "enterprise_id": "",
        "summary": "三名职工反映10月加班费未足额发放",
        "contact": "李师傅",
        "received_on": service.local_today().isoformat(),
    } | over


def _reload(session, demand_id: int) -> Demand:
    session.expire_all()
    return session.get(Demand, demand_id)


def _audit(session, demand_id: int) -> list[AuditLog]:
    session.expire_all()
    return list(
        session.exec(
            select(AuditLog)
            .where(AuditLog.object_type == "Demand", AuditLog.object_id == demand_id)
            .order_by(col(AuditLog.id))
        )
    )


def _record(client, grid, **over) -> int:
    resp = client.post(f"/grids/{grid.id}/demands", data=_form(**over), follow_redirects=False)
    assert resp.status_code == 303, resp.text[:500]
    m = re.search(r"recorded=(\d+)", resp.headers["location"])
    assert m and resp.headers["location"].startswith(f"http://testserver/grids/{grid.id}/demands")
    return int(m.group(1))


def _step(client, demand_id: int, step: str, htmx: bool = True, **data):
    return client.post(
        f"/demands/{demand_id}/{step}",
        data={k: str(v) for k, v in data.items()},
        headers=HX if htmx else {},
        follow_redirects=False,
    )


def test_the_whole_loop_through_every_state_with_its_audit_rows(liaison, park_admin, session, grid):
    enterprise = session.exec(
        select(Enterprise).where(Enterprise.grid_id == grid.id).order_by(col(Enterprise.id))
    ).first()
    demand_id = _record(liaison, grid, enterprise_id=str(enterprise.id))
    d = _reload(session, demand_id)
    assert (d.state, d.grid_id, d.enterprise_id, d.version) == (
        DemandState.received,
        grid.id,
        enterprise.id,
        1,
    )
    assert d.due_on == service.due_date(service.local_today())
    listing = liaison.get(f"/grids/{grid.id}/demands?recorded={demand_id}").text
    assert "三名职工反映10月加班费未足额发放" in listing and "诉求已登记" in listing
    assert kpi(listing, "received") == "1" and kpi(listing, "open") == "1"

    page = liaison.get(f"/demands/{demand_id}").text
    assert enterprise.name in page and 'data-state="received"' in page
    assert f'action="http://testserver/demands/{demand_id}/assign"' in page

    # Each step answers in place: the demand's panel alone, in its new state.
    resp = _step(liaison, demand_id, "assign", version=1, assignee="市场管理处 王科长")
    assert resp.status_code == 200 and "<html" not in resp.text and 'id="demand"' in resp.text
    assert 'data-state="assigned"' in resp.text and "市场管理处 王科长" in resp.text
    assert "/handle" in resp.text

    resp = _step(liaison, demand_id, "handle", version=2, handling_note="已督促企业补发加班费")
    assert resp.status_code == 200 and 'data-state="handled"' in resp.text
    # Verification is the park office's: the liaison sees who is next, not a button.
    assert "/verify" not in resp.text and "由园区产改机构回访职工并核实" in resp.text

    page = park_admin.get(f"/demands/{demand_id}").text
    assert f'action="http://testserver/demands/{demand_id}/verify"' in page
    resp = _step(
        park_admin, demand_id, "verify", version=3, verification_note="电话回访三名职工，均已到账"
    )
    assert resp.status_code == 200 and 'data-state="verified"' in resp.text

    # Closing works without JavaScript too: a plain POST, then back to the demand.
    resp = _step(liaison, demand_id, "close", htmx=False, version=4)
    assert resp.status_code == 303
    assert resp.headers["location"] == f"http://testserver/demands/{demand_id}"

    d = _reload(session, demand_id)
    assert (d.state, d.version, d.closed_on_time) == (DemandState.closed, 5, True)
    assert d.assignee == "市场管理处 王科长" and d.handling_note == "已督促企业补发加班费"
    assert d.verification_note == "电话回访三名职工，均已到账"
    assert d.handled_at and d.verified_at and d.closed_at

    rows = _audit(session, demand_id)
    assert [r.action for r in rows] == [AuditAction.create] + [AuditAction.update] * 4
    assert [r.username for r in rows] == ["liaison_huaxia_1"] * 3 + [
        "park_huaxia",
        "liaison_huaxia_1",
    ]
    assert [(r.before or {}).get("state") for r in rows] == [
        None,
        "received",
        "assigned",
        "handled",
        "verified",
    ]
    assert [r.after["state"] for r in rows] == [
        "received",
        "assigned",
        "handled",
        "verified",
        "closed",
    ]

    page = liaison.get(f"/demands/{demand_id}").text
    assert gettext("Closed on time") in page and '<form class="demand-form' not in page
    listing = liaison.get(f"/grids/{grid.id}/demands").text
    assert kpi(listing, "open") == "0" and kpi(listing, "on-time") == "1 / 1"


def test_a_wrong_step_is_409_and_changes_nothing(liaison, session, grid):
    demand_id = _record(liaison, grid)
    resp = _step(liaison, demand_id, "close", version=1)
    assert resp.status_code == 409
    assert "只有已核实的诉求才能办结，该诉求当前为“已受理”" in resp.text
    # htmx shows the demand as it stands, with the refusal, in place.
    assert 'id="demand"' in resp.text and "<html" not in resp.text
    assert _step(liaison, demand_id, "handle", handling_note="x").status_code == 409

    assert _step(liaison, demand_id, "assign", assignee="张三").status_code == 200
    again = _step(liaison, demand_id, "assign", htmx=False, assignee="李四")
    assert again.status_code == 409 and "<html" in again.text
    assert "只有已受理的诉求才能交办" in again.text

    d = _reload(session, demand_id)
    assert (d.state, d.assignee, d.version) == (DemandState.assigned, "张三", 2)
    assert len(_audit(session, demand_id)) == 2


def test_an_unknown_step_is_404(liaison, grid):
    demand_id = _record(liaison, grid)
    assert _step(liaison, demand_id, "reopen").status_code == 404


def test_a_stale_version_is_409(liaison, park_admin, session, grid):
    demand_id = _record(liaison, grid)
    # Both read the demand at version 1; the park administrator assigns first.
    assert (
        _step(park_admin, demand_id, "assign", version=1, assignee="园区工会 赵主席").status_code
        == 200
    )
    resp = _step(liaison, demand_id, "assign", version=1, assignee="市场管理处")
    assert resp.status_code == 409 and "该诉求刚刚被他人修改" in resp.text
    # The refusal shows what the demand now is.
    assert "园区工会 赵主席" in resp.text and 'data-state="assigned"' in resp.text
    d = _reload(session, demand_id)
    assert (d.assignee, d.version) == ("园区工会 赵主席", 2)


def test_a_liaison_cannot_reach_another_parks_demand(liaison, park_admin, session):
    other = _grids(session, "无锡盛阳食品城")[0]
    demand = service.record(
        session=session,
        who=system("test"),
        grid_id=other.id,
        data=_form(),
    )
    session.flush()
    assert liaison.get(f"/demands/{demand.id}").status_code == 404
    assert _step(liaison, demand.id, "assign", assignee="x").status_code == 404
    assert liaison.post(f"/grids/{other.id}/demands", data=_form()).status_code == 404
    assert park_admin.get(f"/demands/{demand.id}").status_code == 404
    assert _reload(session, demand.id).state == DemandState.received
    denied = session.exec(
        select(AuditLog).where(
            AuditLog.object_type == "Demand",
            AuditLog.object_id == demand.id,
            AuditLog.action == AuditAction.denied,
        )
    ).all()
    assert {r.username for r in denied} == {"liaison_huaxia_1", "park_huaxia"}


def test_a_liaison_views_but_does_not_work_a_neighbouring_grid(login, session):
    second = _grids(session, "无锡华夏家居港")[1]
    office = login("park_huaxia")
    demand_id = _record(office, second)
    liaison = login("liaison_huaxia_1")
    page = liaison.get(f"/demands/{demand_id}")
    assert page.status_code == 200 and "/assign" not in page.text
    assert _step(liaison, demand_id, "assign", assignee="x").status_code == 404
    assert liaison.post(f"/grids/{second.id}/demands", data=_form()).status_code == 404


def test_a_liaison_cannot_verify_but_the_district_office_can(liaison, login, session, grid):
    demand_id = _record(liaison, grid)
    _step(liaison, demand_id, "assign", assignee="张三")
    _step(liaison, demand_id, "handle", handling_note="已协调")
    resp = _step(liaison, demand_id, "verify", verification_note="自己核实自己")
    assert resp.status_code == 404
    assert _reload(session, demand_id).state == DemandState.handled
    district = login("district_liangxi")
    resp = _step(district, demand_id, "verify", verification_note="区产改办抽查回访")
    assert resp.status_code == 200 and 'data-state="verified"' in resp.text
    assert _reload(session, demand_id).verification_note == "区产改办抽查回访"


def test_the_leader_reads_but_cannot_act(login, liaison, session, grid):
    demand_id = _record(liaison, grid)
    leader = login("leader")
    page = leader.get(f"/demands/{demand_id}")
    assert page.status_code == 200 and "demand-form" not in page.text
    listing = leader.get(f"/grids/{grid.id}/demands")
    assert listing.status_code == 200 and "登记职工诉求" not in listing.text
    assert _step(leader, demand_id, "assign", assignee="领导").status_code == 404
    assert leader.post(f"/grids/{grid.id}/demands", data=_form()).status_code == 404
    assert _reload(session, demand_id).state == DemandState.received
    assert session.exec(select(Demand).where(Demand.grid_id == grid.id)).all() == [
        _reload(session, demand_id)
    ]


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        ({"summary": "   "}, "summary", "诉求内容不能为空"),
        ({"summary": "长" * 501}, "summary", "诉求内容最多 500 个字"),
        ({"channel": "fax"}, "channel", "受理渠道的取值不在可选范围内"),
        ({"category": ""}, "category", "诉求类别的取值不在可选范围内"),
        ({"received_on": "2026-13-01"}, "received_on", "受理日期"),
        ({"contact": "名" * 61}, "contact", "联系人最多 60 个字"),
    ],
)
def test_bad_input_is_422_naming_the_field_and_saves_nothing(
    liaison, session, grid, over, field, message
):
    resp = liaison.post(f"/grids/{grid.id}/demands", data=_form(**over), headers=HX)
    assert resp.status_code == 422
    assert f'id="err-{field}"' in resp.text and message in resp.text
    assert 'id="grid-demands"' in resp.text and "<html" not in resp.text
    page = liaison.post(f"/grids/{grid.id}/demands", data=_form(**over))
    assert page.status_code == 422 and "<html" in page.text and message in page.text
    assert session.exec(select(Demand).where(Demand.grid_id == grid.id)).all() == []


def test_a_future_date_or_an_enterprise_of_another_grid_is_refused(liaison, session, grid):
    other = _grids(session, "无锡华夏家居港")[1]
    stranger = session.exec(select(Enterprise).where(Enterprise.grid_id == other.id)).first()
    tomorrow = (service.local_today() + timedelta(days=1)).isoformat()
    resp = liaison.post(f"/grids/{grid.id}/demands", data=_form(received_on=tomorrow), headers=HX)
    assert resp.status_code == 422 and "受理日期不能晚于今天" in resp.text
    resp = liaison.post(
        f"/grids/{grid.id}/demands", data=_form(enterprise_id=str(stranger.id)), headers=HX
    )
    assert resp.status_code == 422 and "涉及企业不是本网格的企业" in resp.text
    # What the liaison typed stays in the form.
    assert "三名职工反映10月加班费未足额发放" in resp.text
    assert session.exec(select(Demand).where(Demand.grid_id == grid.id)).all() == []


def test_a_step_without_its_note_is_422_and_saves_nothing(liaison, park_admin, session, grid):
    demand_id = _record(liaison, grid)
    resp = _step(liaison, demand_id, "assign", version=1, assignee="  ")
    assert resp.status_code == 422 and 'id="err-assignee"' in resp.text
    assert "承办人不能为空" in resp.text
    _step(liaison, demand_id, "assign", version=1, assignee="张三")
    resp = _step(liaison, demand_id, "handle", htmx=False, version=2, handling_note="")
    assert resp.status_code == 422 and "办理情况不能为空" in resp.text and "<html" in resp.text
    _step(liaison, demand_id, "handle", version=2, handling_note="已办")
    resp = _step(park_admin, demand_id, "verify", version=3, verification_note="")
    assert resp.status_code == 422 and "回访核实情况不能为空" in resp.text
    d = _reload(session, demand_id)
    assert (d.state, d.version, d.verification_note) == (DemandState.handled, 3, "")


def test_recording_in_place_with_htmx_keeps_the_liaison_on_the_grid(liaison, session, grid):
    resp = liaison.post(f"/grids/{grid.id}/demands", data=_form(), headers=HX)
    assert resp.status_code == 200 and "<html" not in resp.text
    assert 'id="grid-demands"' in resp.text and "诉求已登记" in resp.text
    assert kpi(resp.text, "received") == "1"
    # The form is blank again for the next worker.
    assert '<textarea name="summary" rows="3" maxlength="500" required >' in resp.text


def test_the_office_list_counts_and_filters_within_scope(login, session):
    city = login("city_admin")
    huaxia = _grids(session, "无锡华夏家居港")[0]
    huishan = _grids(session, "无锡惠山高新技术产业创业服务中心")[0]
    # The demo has demands elsewhere in the city: count on top of them.
    before = city.get("/demands").text
    base = [int(kpi(before, k)) for k in ("received", "open", "overdue")]
    done0, closed0 = (int(x) for x in kpi(before, "on-time").split(" / "))
    # Overdue since October 2025; received today (open, not overdue); one closed on time.
    late = service.record(
        session=session, who=system("test"), grid_id=huaxia.id, data=_form(received_on="2025-09-30")
    )
    fresh = service.record(session=session, who=system("test"), grid_id=huaxia.id, data=_form())
    done = service.record(session=session, who=system("test"), grid_id=huaxia.id, data=_form())
    for step, data in (
        ("assign", {"assignee": "甲"}),
        ("handle", {"handling_note": "乙"}),
        ("verify", {"verification_note": "丙"}),
        ("close", {}),
    ):
        service.advance(
            session=session, who=system("test"), demand_id=done.id, step=step, data=data
        )
    elsewhere = service.record(
        session=session, who=system("test"), grid_id=huishan.id, data=_form()
    )
    session.flush()

    page = city.get("/demands").text
    now = [int(kpi(page, k)) for k in ("received", "open", "overdue")]
    assert [n - b for n, b in zip(now, base, strict=True)] == [4, 3, 1]
    assert kpi(page, "on-time") == f"{done0 + 1} / {closed0 + 1}"

    district = login("district_liangxi")
    page = district.get("/demands").text
    assert (kpi(page, "received"), kpi(page, "open"), kpi(page, "overdue")) == ("3", "2", "1")
    assert f'data-demand="{elsewhere.id}"' not in page

    only_late = district.get("/demands?overdue=1", headers=HX | {"HX-Target": "demand-results"})
    assert only_late.status_code == 200 and "<html" not in only_late.text
    assert f'data-demand="{late.id}"' in only_late.text
    assert f'data-demand="{fresh.id}"' not in only_late.text
    assert "2025-10-21" in only_late.text and gettext("Overdue") in only_late.text
    # The figures stay those of the place; the state filters pick the cards.
    assert kpi(only_late.text, "received") == "3"

    closed = district.get("/demands?state=closed").text
    assert re.findall(r'data-demand="(\d+)"', closed) == [str(done.id)]
    still_open = district.get(f"/demands?state=open&grid_id={huaxia.id}").text
    assert set(re.findall(r'data-demand="(\d+)"', still_open)) == {str(late.id), str(fresh.id)}
    in_2025 = district.get("/demands?year=2025").text
    assert kpi(in_2025, "received") == "1"

    assert district.get("/demands?state=lost").status_code == 422
    assert district.get("/demands?park_id=abc").status_code == 422


def test_the_liaison_office_list_offers_recording_in_their_grid(liaison, grid):
    page = liaison.get("/demands").text
    assert f'href="http://testserver/grids/{grid.id}/demands"' in page
