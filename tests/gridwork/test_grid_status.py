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
        data={"status": new.value, "note": "两家企业停工整顿"},
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
        data={"status": "amber", "note": ""},
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
    resp = client.put(f"/api/v1/grids/{grid.id}/status", json={"status": "red", "note": "x"})
    assert resp.status_code == 200 and resp.json()["status"] == "red"
    bad = client.put(f"/api/v1/grids/{grid.id}/status", json={"status": "blue"})
    assert bad.status_code == 422
    assert bad.json()["errors"] == {"status": "状态的取值不在可选范围内。"}
    assert _reload(session, grid).status == GridStatus.red
