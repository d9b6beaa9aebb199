"""Every change leaves an audit row with before and after values; denials are recorded too."""

from datetime import timedelta

import pytest
from sqlmodel import col, select

from app.audit.models import AuditAction, AuditLog
from app.core.i18n import gettext
from app.core.templating import LOCAL_TZ
from app.core.types import utcnow
from app.geo.models import GRID_STATUS_LABELS, Grid, GridStatus, Park
from tests.helpers import table_rows


def _grids(session, park_name):
    park = session.exec(select(Park).where(Park.name == park_name)).one()
    return session.exec(
        select(Grid).where(Grid.park_id == park.id).order_by(col(Grid.sort_order))
    ).all()


def _rows(session, **where):
    stmt = select(AuditLog).order_by(col(AuditLog.id))
    for k, v in where.items():
        stmt = stmt.where(getattr(AuditLog, k) == v)
    return session.exec(stmt).all()


def test_a_status_change_is_audited_with_before_and_after_and_shown_on_the_grid(login, session):
    grid = _grids(session, "无锡华夏家居港")[0]
    old_status, old_note = grid.status.value, grid.status_note
    c = login("liaison_huaxia_1")
    c.post(
        f"/grids/{grid.id}/status",
        data={"status": "red", "note": "停电两天", "version": grid.status_version},
    )
    (row,) = _rows(session, object_type="Grid", object_id=grid.id, action=AuditAction.update)
    assert (row.username, row.role, row.client_address) == (
        "liaison_huaxia_1",
        "grid_liaison",
        "testclient",
    )
    assert row.before["status"] == old_status and row.after["status"] == "red"
    assert row.before["status_note"] == old_note and row.after["status_note"] == "停电两天"
    assert utcnow() - row.at < timedelta(minutes=1) and row.at.utcoffset() == timedelta(0)

    page = c.get(f"/grids/{grid.id}").text
    history = page[page.index("变更记录") :]
    # The person by their name, the fields by their labels, the status in words.
    assert "沈晨" in history and "停电两天" in history and "liaison_huaxia_1" not in history
    old = GRID_STATUS_LABELS[GridStatus(old_status)]
    assert f"<code>状态</code>：<del>{gettext(old)}</del> → <ins>红：工作停滞</ins>" in history


def test_out_of_scope_post_is_404_changes_nothing_and_the_attempt_is_kept(login, session):
    other = _grids(session, "无锡盛阳食品城")[0]
    before = other.status
    c = login("liaison_huaxia_1")
    resp = c.post(
        f"/grids/{other.id}/status", data={"status": "red" if before != "red" else "green"}
    )
    assert resp.status_code == 404
    session.expire_all()
    assert session.get(Grid, other.id).status == before
    (row,) = _rows(session, action=AuditAction.denied)
    assert (row.username, row.object_type, row.object_id) == ("liaison_huaxia_1", "Grid", other.id)
    assert row.after == {"action": "change", "route": "POST /grids/{grid_id}/status"}
    assert row.count == 1
    assert _rows(session, action=AuditAction.update) == []


def test_a_liaison_views_the_park_but_changes_only_their_own_grid(login, session):
    first, second = _grids(session, "无锡华夏家居港")[:2]
    c = login("liaison_huaxia_1")
    page = c.get(f"/grids/{second.id}")
    assert page.status_code == 200 and "保存状态" not in page.text
    assert "保存状态" in c.get(f"/grids/{first.id}").text
    assert c.post(f"/grids/{second.id}/status", data={"status": "red"}).status_code == 404


def test_the_leader_cannot_change_anything(login, session):
    grid = _grids(session, "无锡华夏家居港")[0]
    c = login("leader")
    assert "保存状态" not in c.get(f"/grids/{grid.id}").text
    assert c.post(f"/grids/{grid.id}/status", data={"status": "red"}).status_code == 404
    assert c.put(f"/api/v1/grids/{grid.id}/status", json={"status": "red"}).status_code == 404
    assert c.get("/admin/users").status_code == 404
    assert c.post("/admin/users", data={"username": "x"}).status_code == 404
    session.expire_all()
    assert session.get(Grid, grid.id).status != GridStatus.red or grid.status == GridStatus.red


def test_audit_page_filters_by_user_type_and_date(login, session):
    grid = _grids(session, "无锡华夏家居港")[0]
    login("liaison_huaxia_1").post(
        f"/grids/{grid.id}/status", data={"status": "amber", "version": grid.status_version}
    )
    admin = login("city_admin")
    everything = table_rows(admin.get("/admin/audit").text, "audit")
    assert len(everything) >= 3  # two logins and a change at least

    liaison_id = _rows(session, username="liaison_huaxia_1")[0].user_id
    only_grid = table_rows(
        admin.get(f"/admin/audit?object_type=Grid&user_id={liaison_id}").text, "audit"
    )
    assert len(only_grid) == 1 and only_grid[0][1] == "沈晨"
    assert only_grid[0][4] == f"网格 无锡华夏家居港 {grid.name}"

    # Dates are Beijing dates, as the offices read them.
    today = utcnow().astimezone(LOCAL_TZ).date().isoformat()
    assert len(
        table_rows(admin.get(f"/admin/audit?start={today}&end={today}").text, "audit")
    ) == len(everything)
    empty = table_rows(admin.get("/admin/audit?start=2001-01-01&end=2001-01-31").text, "audit")
    assert empty == [["没有符合条件的记录。"]]
    assert admin.get("/admin/audit?start=not-a-date").status_code == 422


@pytest.mark.parametrize("role", ["district_liangxi", "park_huaxia", "liaison_huaxia_1", "leader"])
def test_only_the_city_office_reads_the_whole_trail(login, role):
    assert login(role).get("/admin/audit").status_code == 404
