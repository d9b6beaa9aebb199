"""Every refusal is on the trail (role-gated pages, CSRF failures, objects out of scope), and
repeats by one user on one route within a minute fold into one row with a count."""

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from app.accounts.models import User
from app.audit import service as audit_service
from app.audit.models import AuditAction, AuditLog
from app.core.errors import Busy
from app.geo.models import Park
from tests.helpers import form_token, table_rows


def _denied(session, **where) -> list[AuditLog]:
    stmt = select(AuditLog).where(AuditLog.action == AuditAction.denied)
    for k, v in where.items():
        stmt = stmt.where(getattr(AuditLog, k) == v)
    return list(session.exec(stmt.order_by(col(AuditLog.id))))


def _park(session, name: str) -> int:
    return session.exec(select(Park.id).where(Park.name == name)).one()


@pytest.fixture
def clock(monkeypatch):
    """The audit trail's clock, set by the test: 10 s into a minute, moved on at will."""
    now = [datetime(2026, 12, 4, 2, 30, 10, tzinfo=UTC)]
    monkeypatch.setattr(audit_service, "utcnow", lambda: now[0])
    return now


def test_twenty_refusals_in_a_minute_are_one_row_with_a_count_of_twenty(login, session, clock):
    c = login("park_huaxia")
    # Probing parks out of scope, one after the other: the same route each time.
    others = [_park(session, "无锡盛阳食品城"), _park(session, "无锡惠山高新技术产业创业服务中心")]
    for i in range(20):
        clock[0] += timedelta(seconds=2)  # 10 s → 50 s: still the same minute
        assert c.get(f"/parks/{others[i % 2]}").status_code == 404
    (row,) = _denied(session, username="park_huaxia")
    assert row.count == 20 and row.object_type == "Park" and row.object_id == others[0]
    assert row.after == {"action": "view", "route": "GET /parks/{park_id}"}
    assert row.at == datetime(2026, 12, 4, 2, 30, 12, tzinfo=UTC)
    assert row.last_at == datetime(2026, 12, 4, 2, 30, 50, tzinfo=UTC)
    # The audit page shows the count and the last time (Beijing time).
    page = login("city_admin").get("/admin/audit").text
    shown = [
        r
        for r in table_rows(page, "audit")
        if r[1] == "华夏家居港产改机构" and "访问被拒绝" in r[3]
    ]
    assert len(shown) == 1 and "共 20 次，最后一次 2026-12-04 10:30" in shown[0][3]


def test_a_new_minute_or_another_route_is_a_new_row(login, session, clock):
    c = login("park_huaxia")
    other = _park(session, "无锡盛阳食品城")
    for _ in range(3):
        assert c.get(f"/parks/{other}").status_code == 404
    clock[0] += timedelta(seconds=55)  # 02:31:05: the next minute
    assert c.get(f"/parks/{other}").status_code == 404
    assert c.get(f"/parks/{other}/explain").status_code == 404
    assert c.get(f"/parks/{other}/explain").status_code == 404
    rows = _denied(session, username="park_huaxia")
    assert [(r.after["route"], r.count) for r in rows] == [
        ("GET /parks/{park_id}", 3),
        ("GET /parks/{park_id}", 1),
        ("GET /parks/{park_id}/explain", 2),
    ]


def test_another_users_refusals_are_rows_of_their_own(login, session, clock):
    other = _park(session, "无锡盛阳食品城")
    for name in ("park_huaxia", "liaison_huaxia_1", "park_huaxia"):
        assert login(name).get(f"/parks/{other}").status_code == 404
    counts = {r.username: r.count for r in _denied(session)}
    assert counts == {"park_huaxia": 2, "liaison_huaxia_1": 1}


def test_role_gated_refusals_are_recorded(login, session):
    uid = session.exec(select(User.id).where(User.username == "liaison_huaxia_1")).one()
    park = login("park_huaxia")
    assert park.get(f"/admin/users/{uid}").status_code == 404
    assert park.get("/admin/audit").status_code == 404
    leader = login("leader")
    assert leader.post("/years/2026/publish", follow_redirects=False).status_code == 404
    rows = [(r.username, r.role, r.object_type, r.object_label, r.after) for r in _denied(session)]
    assert rows == [
        (
            "park_huaxia",
            "park_admin",
            "Route",
            f"/admin/users/{uid}",
            {"action": "admin", "route": "GET /admin/users/{user_id}"},
        ),
        (
            "park_huaxia",
            "park_admin",
            "Route",
            "/admin/audit",
            {"action": "audit", "route": "GET /admin/audit"},
        ),
        (
            "leader",
            "leader",
            "Route",
            "/years/2026/publish",
            {"action": "audit", "route": "POST /years/{year}/publish"},
        ),
    ]


def test_csrf_refusals_are_recorded_before_and_after_login(client, login, session):
    page = client.get("/login")
    assert form_token(page.text)
    anonymous = client.post("/login", data={"username": "leader", "password": "parkgrid-demo"})
    assert anonymous.status_code == 403
    c = login("liaison_huaxia_1")
    del c.headers["X-CSRF-Token"]
    assert c.post("/logout", follow_redirects=False).status_code == 403
    assert c.post("/logout", follow_redirects=False).status_code == 403
    rows = [
        (r.user_id is None, r.username, r.client_address, r.after, r.count)
        for r in _denied(session)
    ]
    assert rows == [
        (True, "", "testclient", {"action": "csrf", "route": "POST /login"}, 1),
        (False, "liaison_huaxia_1", "testclient", {"action": "csrf", "route": "POST /logout"}, 2),
    ]


def test_a_refusal_the_database_is_too_busy_to_record_still_answers_404(
    login, session, monkeypatch, caplog
):
    c = login("park_huaxia")

    def busy(**_kw):
        raise Busy

    monkeypatch.setattr(audit_service, "refused", busy)
    with caplog.at_level(logging.WARNING, logger="app.core.db"):
        resp = c.get(f"/parks/{_park(session, '无锡盛阳食品城')}")
    # The answer is the refusal, not a 503; the attempt goes to the server log instead.
    assert resp.status_code == 404 and "不在您的管理范围内" in resp.text
    assert _denied(session) == []
    (logged,) = [r.getMessage() for r in caplog.records if "refusal not audited" in r.getMessage()]
    assert "user=park_huaxia" in logged and "route=GET /parks/{park_id}" in logged


def test_a_refusal_waits_only_briefly_for_a_busy_write_lock(private_db_url, clock, caplog):
    # A real engine (not the suite's shared transaction): another writer holds the lock the
    # refusal's row needs (SQLite: the one write lock; PostgreSQL: the same fold key).
    from sqlmodel import Session

    from app.core.db import make_engine, request_transaction, writer
    from app.core.errors import Denied
    from app.core.permissions import Principal, denial
    from app.migrate import upgrade

    engine = make_engine(private_db_url)
    upgrade(engine)
    who = Principal(None, "", "", "", address="192.0.2.7", route="GET /parks/{park_id}")

    def refuse() -> None:
        with Session(engine) as s, pytest.raises(Denied), request_transaction(s):
            raise Denied(row=denial(who, "view", "Park", 1))

    try:
        holder = Session(writer(engine))
        audit_service.refused(session=holder, row=denial(who, "view", "Park", 1))
        with caplog.at_level(logging.WARNING, logger="app.core.db"):
            refuse()  # answered (the Denied goes on), not turned into a 503
        assert any("refusal not audited" in r.getMessage() for r in caplog.records)
        holder.rollback()
        holder.close()
        refuse()
        refuse()
        with Session(engine) as s:
            rows = s.exec(select(AuditLog)).all()
            assert [(r.client_address, r.count) for r in rows] == [("192.0.2.7", 2)]
    finally:
        engine.dispose()


def test_a_refusal_with_control_characters_in_its_path_is_recorded_without_them(login, session):
    # PostgreSQL's text refuses NUL: the row keeps the path's printable characters.
    c = login("park_huaxia")
    del c.headers["X-CSRF-Token"]
    park = _park(session, "无锡华夏家居港")
    assert c.post(f"/parks/{park}/reports/2026Q1%00%1b/submit").status_code == 403
    (row,) = _denied(session)
    assert row.object_label == f"/parks/{park}/reports/2026Q1/submit"
    assert row.after == {"action": "csrf", "route": "POST /parks/{park_id}/reports/{period}/submit"}
