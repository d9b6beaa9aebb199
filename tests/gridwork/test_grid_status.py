"""The grid status form: a change persists and shows on reload; bad input changes nothing."""

import pytest
from sqlmodel import select

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
    assert "<html" not in resp.text and 'id="grid-status"' in resp.text
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
