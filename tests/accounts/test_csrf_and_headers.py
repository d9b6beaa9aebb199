"""CSRF on every state-changing request, and the security headers on every response."""

import re

import pytest
from sqlmodel import col, select

from app.geo.models import Grid, Park


@pytest.fixture
def grid(session) -> Grid:
    park = session.exec(select(Park).where(Park.name == "无锡华夏家居港")).one()
    return session.exec(
        select(Grid).where(Grid.park_id == park.id).order_by(col(Grid.sort_order))
    ).first()


def _status(session, grid):
    session.expire_all()
    return session.get(Grid, grid.id).status


def test_a_post_without_the_token_is_403_and_changes_nothing(login, session, grid):
    c = login("liaison_huaxia_1")
    before = _status(session, grid)
    del c.headers["X-CSRF-Token"]
    resp = c.post(f"/grids/{grid.id}/status", data={"status": "red", "note": "无令牌"})
    assert resp.status_code == 403 and "安全校验" in resp.text
    assert c.put(f"/api/v1/grids/{grid.id}/status", json={"status": "red"}).status_code == 403
    assert _status(session, grid) == before


def test_a_wrong_token_in_the_form_is_403(login, session, grid):
    c = login("liaison_huaxia_1")
    del c.headers["X-CSRF-Token"]
    resp = c.post(f"/grids/{grid.id}/status", data={"status": "red", "csrf_token": "forged"})
    assert resp.status_code == 403


def test_the_token_works_from_the_form_field_as_well(login, session, grid):
    c = login("liaison_huaxia_1")
    token = c.headers.pop("X-CSRF-Token")
    resp = c.post(
        f"/grids/{grid.id}/status",
        data={"status": "red", "csrf_token": token, "version": grid.status_version},
        follow_redirects=False,
    )
    assert resp.status_code == 303 and _status(session, grid) == "red"


def test_the_token_belongs_to_the_session(login, grid):
    a, b = login("liaison_huaxia_1"), login("liaison_huaxia_1")
    b.headers["X-CSRF-Token"] = a.headers["X-CSRF-Token"]
    assert b.post(f"/grids/{grid.id}/status", data={"status": "red"}).status_code == 403


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}],
)
def test_cross_site_requests_are_refused_even_with_the_token(login, session, grid, headers):
    c = login("liaison_huaxia_1")
    before = _status(session, grid)
    resp = c.post(f"/grids/{grid.id}/status", data={"status": "red"}, headers=headers)
    assert resp.status_code == 403 and _status(session, grid) == before


def test_same_origin_headers_pass(login, grid):
    c = login("liaison_huaxia_1")
    resp = c.post(
        f"/grids/{grid.id}/status",
        data={"status": "amber", "version": grid.status_version},
        headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
        follow_redirects=False,
    )
    assert resp.status_code == 303


def test_login_and_logout_need_the_token_too(client, login):
    resp = client.post("/login", data={"username": "leader", "password": "parkgrid-demo"})
    assert resp.status_code == 403
    c = login("leader")
    del c.headers["X-CSRF-Token"]
    assert c.post("/logout").status_code == 403
    assert c.get("/").status_code == 200  # still logged in


def test_security_headers_on_every_response(client, login):
    c = login("city_admin")
    for resp in (
        c.get("/"),
        c.get("/parks/999999"),
        client.get("/login"),
        client.get("/static/app.css"),
        client.get("/healthz"),
    ):
        h = resp.headers
        csp = h["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert (
            re.search(r"script-src 'self' 'nonce-[\w-]+'", csp)
            and "unsafe-inline" not in csp.split("style-src")[0]
        )
        assert h["x-content-type-options"] == "nosniff"
        assert h["referrer-policy"] == "same-origin"
        assert h["cross-origin-opener-policy"] == "same-origin"


def test_no_script_runs_without_the_nonce(login):
    resp = login("city_admin").get("/")
    nonce = re.search(r"'nonce-([\w-]+)'", resp.headers["content-security-policy"]).group(1)
    scripts = re.findall(r"<script([^>]*)>", resp.text)
    assert scripts
    for attrs in scripts:
        # Either data (a chart's JSON, never executed) or a file carrying this response's nonce.
        assert 'type="application/json"' in attrs or f'nonce="{nonce}"' in attrs, attrs
        assert 'type="application/json"' in attrs or "src=" in attrs, attrs
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", resp.text), "inline event handler"


def test_no_state_changes_on_get(client):
    # Every GET route is a read; the matrix walks them all. Here: logout is not a GET.
    assert client.get("/logout").status_code in (404, 405)
