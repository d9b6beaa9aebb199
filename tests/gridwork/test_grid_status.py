"""The grid status form: a change persists and shows on reload; bad input changes nothing."""

import re

import pytest
from sqlalchemy import event
from sqlmodel import select, update

from app.audit.models import AuditAction, AuditLog
from app.enterprises.models import Liaison
from app.geo.models import Grid, GridStatus, Park

HX = {"HX-Request": "true"}


@pytest.fixture
def client(login):
    """The liaison of the first grid of 无锡华夏家居港, who keeps its status."""
    return login("liaison_huaxia_1")


@pytest.fixture
def grid(session) -> Grid:
    park = session.exec(select(Park).where(Park.name == "无锡华夏家居港")).one()
    return session.exec(
        select(Grid).where(Grid.park_id == park.id).order_by(Grid.sort_order)
    ).first()


def _reload(session, grid) -> Grid:
    session.expire_all()
    return session.get(Grid, grid.id)


def test_htmx_post_changes_status_in_place_and_a_reload_shows_it(client, session, grid):
    new = GridStatus.red if grid.status != GridStatus.red else GridStatus.amber
    resp = client.post(
        f"/grids/{grid.id}/status",
        data={"status": new.value, "note": "两家企业停工整顿", "version": grid.status_version},
        headers=HX,
    )
    assert resp.status_code == 200
    assert "<html" not in resp.text and 'id="grid-status-current"' in resp.text
    assert "状态已保存" in resp.text

    stored = _reload(session, grid)
    liaison = session.get(Liaison, grid.liaison_id)
    assert (stored.status, stored.status_note, stored.status_changed_by) == (
        new,
        "两家企业停工整顿",
        liaison.name,
    )
    assert stored.status_changed_at is not None

    page = client.get(f"/grids/{grid.id}").text
    assert "两家企业停工整顿" in page and f"（{liaison.name}）" in page
    assert f'value="{new.value}" checked' in page


def test_form_without_javascript_redirects_back_to_the_grid(client, session, grid):
    resp = client.post(
        f"/grids/{grid.id}/status",
        data={"status": "amber", "note": "", "version": grid.status_version},
        follow_redirects=False,
    )
    assert resp.status_code == 303 and resp.headers["location"].endswith(f"/grids/{grid.id}")
    assert _reload(session, grid).status == GridStatus.amber


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"status": "purple"}, "status", "状态的取值不在可选范围内"),
        ({"status": ""}, "status", "状态的取值不在可选范围内"),
        ({"status": "red", "note": "长" * 501}, "note", "说明最多 500 个字"),
    ],
)
def test_invalid_input_gets_a_message_in_the_form_and_changes_nothing(
    client, session, grid, form, field, message
):
    before = (grid.status, grid.status_note, grid.status_changed_at)
    resp = client.post(f"/grids/{grid.id}/status", data=form, headers=HX)
    assert resp.status_code == 422
    assert f'id="err-{field}"' in resp.text and message in resp.text
    stored = _reload(session, grid)
    assert (stored.status, stored.status_note, stored.status_changed_at) == before

    # Without htmx the whole page comes back with the same message.
    page = client.post(f"/grids/{grid.id}/status", data=form)
    assert page.status_code == 422 and "<html" in page.text and message in page.text


def test_unknown_grid_is_404(client):
    resp = client.post("/grids/999999/status", data={"status": "red"}, headers=HX)
    assert resp.status_code == 404


def test_status_through_the_api(client, session, grid):
    resp = client.put(
        f"/api/v1/grids/{grid.id}/status",
        json={"status": "red", "note": "x", "version": grid.status_version},
    )
    assert resp.status_code == 200 and resp.json()["status"] == "red"
    bad = client.put(
        f"/api/v1/grids/{grid.id}/status", json={"status": "blue", "version": grid.status_version}
    )
    assert bad.status_code == 422
    assert bad.json()["errors"] == {"status": "状态的取值不在可选范围内。"}
    assert _reload(session, grid).status == GridStatus.red


def test_a_second_editor_gets_409_with_what_changed_by_whom(login, session, grid):
    first, second = login("liaison_huaxia_1"), login("park_huaxia")
    version = grid.status_version
    ok = first.post(
        f"/grids/{grid.id}/status",
        data={"status": "red", "note": "停工整顿", "version": version},
        headers=HX,
    )
    assert ok.status_code == 200
    late = second.post(
        f"/grids/{grid.id}/status",
        data={"status": "green", "note": "一切正常", "version": version},
        headers=HX,
    )
    assert late.status_code == 409
    liaison = session.get(Liaison, grid.liaison_id)
    assert "data-conflict" in late.text and f"{liaison.name}" in late.text
    assert "停工整顿" in late.text  # what the winner saved
    assert f'name="version" value="{version + 1}"' in late.text  # the form is on the latest
    assert 'value="一切正常"' in late.text or "一切正常</textarea>" in late.text  # their entry kept
    stored = _reload(session, grid)
    assert (stored.status, stored.status_note, stored.status_version) == (
        "red",
        "停工整顿",
        version + 1,
    )
    # Saving again on the latest version goes through.
    again = second.post(
        f"/grids/{grid.id}/status",
        data={"status": "green", "note": "一切正常", "version": version + 1},
        headers=HX,
    )
    assert again.status_code == 200 and _reload(session, grid).status == "green"


def test_the_api_answers_409_with_the_current_status(login, session, grid):
    c = login("liaison_huaxia_1")
    c.put(
        f"/api/v1/grids/{grid.id}/status", json={"status": "amber", "version": grid.status_version}
    )
    stale = c.put(
        f"/api/v1/grids/{grid.id}/status", json={"status": "red", "version": grid.status_version}
    )
    assert stale.status_code == 409
    assert stale.json()["current"]["status"] == "amber"
    assert stale.json()["current"]["status_version"] == grid.status_version + 1
    missing = c.put(f"/api/v1/grids/{grid.id}/status", json={"status": "red"})
    assert missing.status_code == 422 and "version" in missing.json()["errors"]


def test_a_save_answers_the_changing_part_and_the_history_comes_in_its_own_request(
    client, session, grid
):
    resp = client.post(
        f"/grids/{grid.id}/status",
        data={"status": "amber", "note": "设备检修", "version": grid.status_version},
        headers=HX,
    )
    assert resp.status_code == 200
    fragment = resp.text
    liaison = session.get(Liaison, grid.liaison_id)
    # What changed: the status and its note, who changed it, the notice, the form on the
    # new version; not the liaison's line nor the history, which did not come from this save.
    assert "设备检修" in fragment and f"（{liaison.name}）" in fragment and "状态已保存" in fragment
    assert f'name="version" value="{grid.status_version + 1}"' in fragment
    assert 'hx-target="#grid-status-current"' in fragment
    assert "history-list" not in fragment and liaison.mobile not in fragment
    loader = re.search(r'hx-get="([^"]*/grids/\d+/history)" hx-trigger="load"', fragment)
    assert loader and 'hx-target="#grid-status-history"' in fragment

    history = client.get(loader.group(1), headers=HX)
    assert history.status_code == 200 and "<html" not in history.text
    assert 'id="grid-status-history"' in history.text and "变更记录" in history.text
    # Who changed it, by their name (the account liaison_huaxia_1 is 沈晨).
    assert "设备检修" in history.text and "沈晨" in history.text

    # The page and the panel still show everything: liaison, status, form, history.
    for page in (client.get(f"/grids/{grid.id}").text, client.get(f"/grids/{grid.id}/status").text):
        assert liaison.mobile in page and "设备检修" in page and "history-list" in page
        assert 'id="grid-status"' in page and 'id="grid-status-current"' in page


def test_the_save_is_audited_in_its_own_transaction(client, session, grid):
    client.post(
        f"/grids/{grid.id}/status",
        data={"status": "red", "note": "停电", "version": grid.status_version},
        headers=HX,
    )
    (row,) = session.exec(
        select(AuditLog).where(
            AuditLog.object_type == "Grid",
            AuditLog.object_id == grid.id,
            AuditLog.action == AuditAction.update,
        )
    ).all()
    assert row.before["status_version"] == grid.status_version
    assert row.after["status_version"] == grid.status_version + 1
    assert (row.after["status"], row.after["status_note"]) == ("red", "停电")
    assert row.after["status_changed_at"] == _reload(session, grid).status_changed_at.isoformat()


def test_errors_and_conflicts_answer_the_changing_part_too(login, session, grid):
    c = login("liaison_huaxia_1")
    bad = c.post(
        f"/grids/{grid.id}/status",
        data={"status": "red", "note": "长" * 501, "version": grid.status_version},
        headers=HX,
    )
    # Nothing changed: no history to fetch again.
    assert bad.status_code == 422 and 'id="grid-status-current"' in bad.text
    assert 'hx-trigger="load"' not in bad.text

    login("park_huaxia").post(
        f"/grids/{grid.id}/status",
        data={"status": "amber", "note": "园区先改", "version": grid.status_version},
        headers=HX,
    )
    late = c.post(
        f"/grids/{grid.id}/status",
        data={"status": "red", "note": "我后改", "version": grid.status_version},
        headers=HX,
    )
    assert late.status_code == 409 and 'id="grid-status-current"' in late.text
    assert "data-conflict" in late.text and "园区先改" in late.text and "我后改" in late.text
    assert 'hx-trigger="load"' in late.text  # the history gained the other change


def test_a_conflict_without_javascript_gets_the_whole_page(login, session, grid):
    version = grid.status_version
    login("park_huaxia").post(
        f"/grids/{grid.id}/status", data={"status": "amber", "note": "园区先改", "version": version}
    )
    late = login("liaison_huaxia_1").post(
        f"/grids/{grid.id}/status", data={"status": "red", "note": "我后改", "version": version}
    )
    assert late.status_code == 409 and "<html" in late.text and "data-conflict" in late.text
    assert "园区先改" in late.text and f'name="version" value="{version + 1}"' in late.text
    assert "history-list" in late.text


def test_a_grid_that_leaves_the_scope_during_the_save_is_not_written(session, grid, monkeypatch):
    """The scope is in the UPDATE's WHERE: a grid moved out of scope between the fetch and the
    write (another transaction, here simulated in between) is not changed, and the attempt is
    a denial like any out-of-scope fetch."""
    from app.accounts import service as accounts
    from app.accounts.models import User
    from app.core.errors import Denied
    from app.gridwork.grids import service

    office = accounts.principal(
        session=session,
        user=session.exec(select(User).where(User.username == "park_huaxia")).one(),
    )
    elsewhere = session.exec(select(Park).where(Park.name == "无锡盛阳食品城")).one()
    real_parse = service.parse

    def moved_meanwhile(*args, **kwargs):
        session.execute(update(Grid).where(Grid.id == grid.id).values(park_id=elsewhere.id))
        return real_parse(*args, **kwargs)

    monkeypatch.setattr(service, "parse", moved_meanwhile)
    before = (grid.status, grid.status_note, grid.status_version)
    with pytest.raises(Denied):
        service.update_status(
            session=session,
            who=office,
            grid_id=grid.id,
            data={"status": "red", "note": "越权", "version": grid.status_version},
        )
    stored = _reload(session, grid)
    assert (stored.status, stored.status_note, stored.status_version) == before


def test_a_save_sends_each_query_once_and_no_read_after_its_write(client, session, grid, engine):
    sent: list[tuple[str, str]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:
        sent.append((" ".join(statement.split()), repr(parameters)))

    event.listen(engine, "before_cursor_execute", record)
    try:
        resp = client.post(
            f"/grids/{grid.id}/status",
            data={"status": "amber", "note": "查询计数", "version": grid.status_version},
            headers=HX,
        )
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert resp.status_code == 200
    reads = [s for s in sent if s[0].upper().startswith(("SELECT", "WITH"))]
    assert len(reads) == len(set(reads)), reads  # no identical query twice
    assert sum("FROM user_scope" in s for s, _ in reads) == 1  # the scope, read once
    assert sum(s.startswith("SELECT grid.") for s, _ in reads) == 1  # the grid, fetched once
    assert not any("audit_log" in s or "FROM liaison" in s for s, _ in reads)
    write = next(i for i, (s, _) in enumerate(sent) if s.startswith("UPDATE grid"))
    assert not any(s.upper().startswith("SELECT") for s, _ in sent[write:])
