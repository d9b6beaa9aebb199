"""Logging in and out, session expiry, and the throttle on failed logins."""

from datetime import timedelta

import pytest
from sqlmodel import col, func, select

from app.accounts.deps import SESSION_COOKIE
from app.accounts.models import LoginFailure, User, UserSession
from app.audit.models import AuditAction, AuditLog
from app.core.security import token_hash
from app.core.types import utcnow
from tests.helpers import form_token, log_in


def _cookie(client) -> str:
    return client.cookies.get(SESSION_COOKIE)


def test_the_whole_app_requires_login_except_login_healthz_and_static(client):
    resp = client.get("/parks/1", follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"].endswith("/login?next=%2Fparks%2F1")
    assert client.get("/api/v1/rankings").status_code == 401
    assert client.get("/api/openapi.json").status_code == 401
    htmx = client.get("/", headers={"HX-Request": "true"})
    assert htmx.status_code == 401 and "/login" in htmx.headers["HX-Redirect"]
    assert client.get("/login").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/static/app.css").status_code == 200


def test_login_sets_a_safe_cookie_and_stores_only_its_hash(client, session):
    resp = log_in(client, "park_huaxia", "parkgrid-demo")
    header = resp.headers["set-cookie"]
    assert "HttpOnly" in header and "SameSite=lax" in header and "Secure" not in header
    token = _cookie(client)
    assert len(token) >= 43  # 32 random bytes, URL-safe base64
    stored = session.exec(select(UserSession).order_by(col(UserSession.id).desc())).first()
    assert stored.token_hash == token_hash(token) and token not in stored.token_hash
    assert client.get("/").status_code == 200


def test_cookie_is_secure_over_https(app):
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="https://testserver") as c:
        resp = log_in(c, "leader", "parkgrid-demo")
        assert "Secure" in resp.headers["set-cookie"]


def test_a_new_session_id_at_every_login_and_the_old_one_ends(client, app):
    log_in(client, "leader", "parkgrid-demo")
    first = _cookie(client)
    log_in(client, "leader", "parkgrid-demo")
    second = _cookie(client)
    assert first != second
    assert _opens_a_page(app, second) and not _opens_a_page(app, first)


def _opens_a_page(app, token: str) -> bool:
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        c.cookies.set(SESSION_COOKIE, token)
        return c.get("/", follow_redirects=False).status_code == 200


def test_after_logout_the_old_cookie_no_longer_works(login, app):
    c = login("leader")
    token = _cookie(c)
    assert _opens_a_page(app, token)
    assert c.post("/logout", follow_redirects=False).status_code == 303
    assert not _opens_a_page(app, token)


def test_idle_and_absolute_expiry(login, session):
    c = login("leader")
    us = session.exec(
        select(UserSession).where(UserSession.token_hash == token_hash(_cookie(c)))
    ).one()
    us.last_seen_at = utcnow() - timedelta(minutes=121)
    session.add(us)
    session.flush()
    assert c.get("/", follow_redirects=False).status_code == 303

    c = login("leader")
    us = session.exec(
        select(UserSession).where(UserSession.token_hash == token_hash(_cookie(c)))
    ).one()
    us.expires_at = utcnow() - timedelta(seconds=1)
    session.add(us)
    session.flush()
    assert c.get("/", follow_redirects=False).status_code == 303


def test_wrong_password_is_refused_counted_and_audited(client, session):
    page = client.get("/login")
    resp = client.post(
        "/login",
        data={"username": "leader", "password": "nope-nope", "csrf_token": form_token(page.text)},
    )
    assert resp.status_code == 401 and "用户名或密码错误" in resp.text
    assert session.exec(select(func.count()).where(LoginFailure.username == "leader")).one() == 1
    row = session.exec(select(AuditLog).where(AuditLog.action == AuditAction.login_failed)).first()
    assert row.username == "leader" and row.client_address == "testclient"


def test_ten_wrong_passwords_pause_that_account_from_that_address_with_a_429(client, session):
    token = form_token(client.get("/login").text)
    for _ in range(10):
        r = client.post(
            "/login", data={"username": "leader", "password": "x" * 9, "csrf_token": token}
        )
        assert r.status_code == 401
    # The eleventh try from this address is refused even with the right password, and says
    # how long to wait (other addresses: tests/accounts/test_login_throttle.py).
    resp = client.post(
        "/login", data={"username": "leader", "password": "parkgrid-demo", "csrf_token": token}
    )
    assert resp.status_code == 429
    assert "15 分钟后再试" in resp.text and int(resp.headers["Retry-After"]) > 14 * 60
    # Another account from the same address is not locked by these ten.
    ok = client.post(
        "/login",
        data={"username": "park_huaxia", "password": "parkgrid-demo", "csrf_token": token},
        follow_redirects=False,
    )
    assert ok.status_code == 303


def test_failures_older_than_the_window_do_not_count(client, session):
    old = utcnow() - timedelta(minutes=16)
    for _ in range(10):
        session.add(LoginFailure(username="leader", client_address="testclient", at=old))
    session.flush()
    log_in(client, "leader", "parkgrid-demo")


def test_many_failures_from_one_address_lock_that_address(client, session):
    now = utcnow()
    for i in range(50):
        session.add(LoginFailure(username=f"guess{i}", client_address="testclient", at=now))
    session.flush()
    token = form_token(client.get("/login").text)
    resp = client.post(
        "/login", data={"username": "leader", "password": "parkgrid-demo", "csrf_token": token}
    )
    assert resp.status_code == 429


def test_password_change_ends_every_session(login, session):
    mine, other = login("park_huaxia"), login("park_huaxia")
    resp = mine.post(
        "/account/password",
        data={
            "current_password": "parkgrid-demo",
            "new_password": "华夏家居港 2026 新密码",
            "confirm_password": "华夏家居港 2026 新密码",
        },
        follow_redirects=False,
    )
    assert resp.status_code == 303 and "changed=1" in resp.headers["location"]
    assert mine.get("/", follow_redirects=False).status_code == 303
    assert other.get("/", follow_redirects=False).status_code == 303
    login("park_huaxia", "华夏家居港 2026 新密码")  # the new password works


@pytest.mark.parametrize(
    ("new", "confirm", "field", "message"),
    [
        ("short", "short", "new_password", "至少需要 8 个字符"),
        ("password123", "password123", "new_password", "过于常见"),
        ("park_huaxia", "park_huaxia", "new_password", "新密码不能包含用户名"),
        ("a long enough one", "a different one", "confirm_password", "不一致"),
    ],
)
def test_password_rules(login, new, confirm, field, message):
    c = login("park_huaxia")
    resp = c.post(
        "/account/password",
        data={
            "current_password": "parkgrid-demo",
            "new_password": new,
            "confirm_password": confirm,
        },
    )
    assert resp.status_code == 422 and message in resp.text and f'id="err-{field}"' in resp.text


def test_no_composition_rules(login):
    c = login("park_huaxia")
    resp = c.post(
        "/account/password",
        data={
            "current_password": "parkgrid-demo",
            "new_password": "correct horse battery staple",
            "confirm_password": "correct horse battery staple",
        },
        follow_redirects=False,
    )
    assert resp.status_code == 303


def test_disabling_a_user_ends_their_sessions(login, session):
    victim = login("liaison_huaxia_1")
    admin = login("city_admin")
    uid = session.exec(select(User.id).where(User.username == "liaison_huaxia_1")).one()
    assert (
        admin.post(
            f"/admin/users/{uid}/active", data={"active": "0"}, follow_redirects=False
        ).status_code
        == 303
    )
    assert victim.get("/", follow_redirects=False).status_code == 303
    with pytest.raises(AssertionError):
        login("liaison_huaxia_1")
