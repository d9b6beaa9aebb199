"""Twenty people save the same grid's status at once over HTTP: exactly one wins.

A real server (uvicorn in a thread) on a database of its own: the suite's engine
(SQLite, or PostgreSQL when PARKGRID_TEST_DATABASE_URL is set), so requests really run
side by side in separate transactions.
"""

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx2 as httpx
import pytest
from sqlmodel import Session, col, func, select

from app.audit.models import AuditAction, AuditLog
from app.geo.models import Grid, Park
from tests.helpers import serving

RACERS = 20


@pytest.fixture
def server(private_db_url):
    with serving(private_db_url) as running:
        yield running


def test_twenty_simultaneous_updates_one_lands_the_rest_get_409(server):
    base, engine = server
    with Session(engine) as s:
        park = s.exec(select(Park).where(Park.name == "无锡华夏家居港")).one()
        grid = s.exec(
            select(Grid).where(Grid.park_id == park.id).order_by(col(Grid.sort_order))
        ).first()
        grid_id, version = grid.id, grid.status_version

    with httpx.Client(base_url=base) as c:
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
        c.post(
            "/login",
            data={"username": "liaison_huaxia_1", "password": "parkgrid-demo", "csrf_token": token},
        )
        csrf = re.search(r'"X-CSRF-Token": "([^"]+)"', c.get("/my").text).group(1)
        cookies = dict(c.cookies)

    start = threading.Barrier(RACERS)

    def save(i: int) -> int:
        with httpx.Client(base_url=base, cookies=cookies, timeout=30) as client:
            start.wait()
            resp = client.post(
                f"/grids/{grid_id}/status",
                data={"status": "red", "note": f"第{i}位", "version": str(version)},
                headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
            )
            return resp.status_code

    with ThreadPoolExecutor(RACERS) as pool:
        codes = list(pool.map(save, range(RACERS)))

    assert sorted(codes) == [200] + [409] * (RACERS - 1)
    with Session(engine) as s:
        stored = s.get(Grid, grid_id)
        assert stored.status_version == version + 1
        assert re.fullmatch(r"第\d+位", stored.status_note)
        changes = s.exec(
            select(func.count()).where(
                AuditLog.object_type == "Grid",
                AuditLog.object_id == grid_id,
                AuditLog.action == AuditAction.update,
            )
        ).one()
        assert changes == 1  # one change, one audit row: nothing lost, nothing doubled
