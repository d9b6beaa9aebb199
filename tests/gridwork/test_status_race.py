"""People saving the same grid's status at once over HTTP: exactly one of each version lands.

A real server (uvicorn in a thread) on a database of its own: the suite's engine
(SQLite, or PostgreSQL when PARKGRID_TEST_DATABASE_URL is set), so requests really run
side by side in separate transactions. The saves are htmx's, answered with the panel's
small fragment (or its 409 form on the latest version), the path a phone takes.
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
ROUNDS = 10


@pytest.fixture
def server(private_db_url):
    with serving(private_db_url) as running:
        yield running


def _grid(engine) -> tuple[int, int]:
    """The first grid of 无锡华夏家居港 (liaison_huaxia_1's) and its status version."""
    with Session(engine) as s:
        park = s.exec(select(Park).where(Park.name == "无锡华夏家居港")).one()
        grid = s.exec(
            select(Grid).where(Grid.park_id == park.id).order_by(col(Grid.sort_order))
        ).first()
        return grid.id, grid.status_version


def _logged_in(base: str, username: str, page: str) -> tuple[dict, str]:
    """The session cookies and CSRF token of a login through the form."""
    with httpx.Client(base_url=base) as c:
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
        c.post(
            "/login",
            data={"username": username, "password": "parkgrid-demo", "csrf_token": token},
        )
        csrf = re.search(r'"X-CSRF-Token": "([^"]+)"', c.get(page).text).group(1)
        return dict(c.cookies), csrf


def _version(html: str) -> int:
    return int(re.search(r'name="version" value="(\d+)"', html).group(1))


def _updates(engine, grid_id: int) -> list[AuditLog]:
    with Session(engine) as s:
        return list(
            s.exec(
                select(AuditLog)
                .where(
                    AuditLog.object_type == "Grid",
                    AuditLog.object_id == grid_id,
                    AuditLog.action == AuditAction.update,
                )
                .order_by(col(AuditLog.id))
            )
        )


def test_twenty_simultaneous_updates_one_lands_the_rest_get_409(server):
    base, engine = server
    grid_id, version = _grid(engine)
    cookies, csrf = _logged_in(base, "liaison_huaxia_1", "/my")
    start = threading.Barrier(RACERS)

    def save(i: int) -> tuple[int, str]:
        with httpx.Client(base_url=base, cookies=cookies, timeout=30) as client:
            start.wait()
            resp = client.post(
                f"/grids/{grid_id}/status",
                data={"status": "red", "note": f"第{i}位", "version": str(version)},
                headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
            )
            return resp.status_code, resp.text

    with ThreadPoolExecutor(RACERS) as pool:
        answers = list(pool.map(save, range(RACERS)))

    assert sorted(code for code, _ in answers) == [200] + [409] * (RACERS - 1)
    with Session(engine) as s:
        stored = s.get(Grid, grid_id)
        assert stored.status_version == version + 1
        assert re.fullmatch(r"第\d+位", stored.status_note)
    # The winner's answer is the small fragment: saved, on the new version, the history
    # fetched apart; every loser is shown the winner's note, with the form on the latest.
    (won,) = [text for code, text in answers if code == 200]
    assert 'id="grid-status-current"' in won and "状态已保存" in won
    assert _version(won) == version + 1 and stored.status_note in won
    assert re.search(rf'hx-get="[^"]*/grids/{grid_id}/history"', won)
    assert "history-list" not in won
    for code, text in answers:
        if code == 409:
            assert "data-conflict" in text and stored.status_note in text
            assert _version(text) == version + 1
    (row,) = _updates(engine, grid_id)  # one change, one audit row: nothing lost or doubled
    assert row.after["status_note"] == stored.status_note


def test_two_editors_keep_saving_at_once_and_no_acknowledged_save_is_lost(server):
    """Round after round the liaison and the park office save at the same moment, each on
    the version their last answer showed (as a phone would): one lands, the other is told."""
    base, engine = server
    grid_id, version = _grid(engine)
    editors = [
        _logged_in(base, "liaison_huaxia_1", "/my"),
        _logged_in(base, "park_huaxia", "/"),
    ]
    held = [version, version]
    start = threading.Barrier(len(editors))
    acknowledged: list[str] = []

    def save(i: int, rnd: int) -> int:
        cookies, csrf = editors[i]
        note = f"第{rnd}轮·{i}"
        with httpx.Client(base_url=base, cookies=cookies, timeout=30) as client:
            start.wait()
            resp = client.post(
                f"/grids/{grid_id}/status",
                data={"status": ("amber", "red")[i], "note": note, "version": str(held[i])},
                headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
            )
        held[i] = _version(resp.text)
        if resp.status_code == 200:
            acknowledged.append(note)
        return resp.status_code

    with ThreadPoolExecutor(len(editors)) as pool:
        for rnd in range(ROUNDS):
            codes = list(pool.map(save, range(len(editors)), [rnd] * len(editors)))
            assert sorted(codes) == [200, 409], (rnd, codes)
            assert held[0] == held[1] == version + rnd + 1  # both now hold the latest

    rows = _updates(engine, grid_id)
    assert [r.after["status_note"] for r in rows] == acknowledged  # each once, in order
    assert [r.after["status_version"] for r in rows] == list(
        range(version + 1, version + ROUNDS + 1)
    )
    with Session(engine) as s:
        stored = s.get(Grid, grid_id)
        assert (stored.status_version, stored.status_note) == (
            version + ROUNDS,
            acknowledged[-1],
        )
        count = s.exec(
            select(func.count()).where(
                AuditLog.object_type == "Grid", AuditLog.action == AuditAction.update
            )
        ).one()
        assert count == ROUNDS
