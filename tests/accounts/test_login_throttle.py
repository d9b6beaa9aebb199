"""Logins that reveal nothing and lock out no one else: timing, throttling per (account,
address) pair and per address, unlocking by the administrator, the owner told of failures."""

import statistics
import time
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from app.accounts import service as accounts
from app.accounts.models import LoginFailure, User
from app.audit.models import AuditAction, AuditLog
from app.core.types import utcnow
from app.geo.models import Park
from tests.helpers import form_token

PASSWORD = "parkgrid-demo"
STRANGER, OWNER = "203.0.113.9", "198.51.100.7"


@pytest.fixture
def browsers(app) -> Iterator:
    """Opens a browser at a client address of its own (each address is throttled apart)."""
    opened: list[TestClient] = []

    def open_at(address: str) -> TestClient:
        c = TestClient(app, client=(address, 50000))
        opened.append(c)
        return c

    yield open_at
    for c in opened:
        c.close()


def _try(c: TestClient, username: str, password: str):
    token = form_token(c.get("/login").text)
    return c.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )


def _user(session, username: str) -> User:
    return session.exec(select(User).where(User.username == username)).one()


def test_an_unknown_username_costs_the_same_argon2_work_as_a_known_one(browsers):
    # The one timed test the issue asks for. Each try comes from an address of its own (no
    # throttle cuts it short); known and unknown alternate, so drift hits both alike.
    took: dict[str, list[float]] = {"leader": [], "nobody_here": []}
    for i in range(20):
        for username in took:
            c = browsers(f"10.9.{i}.{1 if username == 'leader' else 2}")
            token = form_token(c.get("/login").text)
            data = {"username": username, "password": "wrong-password-9", "csrf_token": token}
            started = time.perf_counter()
            resp = c.post("/login", data=data)
            took[username].append(time.perf_counter() - started)
            assert resp.status_code == 401 and "用户名或密码错误" in resp.text
    known, unknown = (statistics.median(took[u]) for u in ("leader", "nobody_here"))
    # On main the unknown name answered in 12 ms against 261 ms: it skipped Argon2.
    assert abs(known - unknown) <= 0.2 * max(known, unknown), (known, unknown)


def test_a_strangers_failures_do_not_lock_the_owner_out(browsers, session):
    stranger, owner = browsers(STRANGER), browsers(OWNER)
    for _ in range(10):
        assert _try(stranger, "leader", "guess-guess-1").status_code == 401
    # The stranger's address is paused on the account, even with the right password...
    assert _try(stranger, "leader", PASSWORD).status_code == 429
    # ...the owner, elsewhere, gets in at once, and is told of the ten failures.
    resp = _try(owner, "leader", PASSWORD)
    assert resp.status_code == 303
    assert urlsplit(resp.headers["location"]).path == "/account/signed-in"
    # The owner's login resets no stranger's count: that address is still paused.
    assert _try(stranger, "leader", PASSWORD).status_code == 429
    # And another account from the stranger's address is not locked by these ten.
    assert _try(stranger, "park_huaxia", PASSWORD).status_code == 303


def test_the_owners_own_failures_pause_that_pair_only(browsers, session):
    owner = browsers(OWNER)
    for _ in range(10):
        assert _try(owner, "leader", "typo-typo-typo").status_code == 401
    paused = _try(owner, "leader", PASSWORD)
    assert paused.status_code == 429 and "15 分钟后再试" in paused.text
    assert 14 * 60 < int(paused.headers["Retry-After"]) <= 15 * 60
    # The same person on their phone (another address) is not paused.
    assert _try(browsers("198.51.100.8"), "leader", PASSWORD).status_code == 303
    # Failures that left the window count no more.
    for f in session.exec(select(LoginFailure).where(LoginFailure.client_address == OWNER)):
        f.at = utcnow() - timedelta(minutes=16)
        session.add(f)
    session.flush()
    assert _try(owner, "leader", PASSWORD).status_code == 303


def test_many_addresses_on_one_account_pause_those_addresses_never_a_clean_one(browsers, session):
    # A guesser with many addresses stays under each pair's limit; past the account's
    # ceiling, every address that failed on the account is paused, a clean one never.
    now = utcnow()
    for i in range(accounts.ACCOUNT_CEILING):
        session.add(LoginFailure(username="leader", client_address=f"10.7.0.{i}", at=now))
    session.flush()
    assert _try(browsers("10.7.0.3"), "leader", PASSWORD).status_code == 429
    assert _try(browsers(OWNER), "leader", PASSWORD).status_code == 303
    # One failure fewer and the ceiling is not reached: the address that failed gets in.
    session.delete(
        session.exec(select(LoginFailure).where(LoginFailure.client_address == "10.7.0.0")).one()
    )
    session.flush()
    assert _try(browsers("10.7.0.4"), "leader", PASSWORD).status_code == 303


def test_the_city_office_unlocks_an_account_and_it_is_audited(browsers, login, session):
    stranger = browsers(STRANGER)
    for _ in range(10):
        _try(stranger, "leader", "guess-guess-2")
    assert _try(stranger, "leader", PASSWORD).status_code == 429
    uid = _user(session, "leader").id
    admin = login("city_admin")
    page = admin.get(f"/admin/users/{uid}").text
    lock = page[page.index('id="login-lock"') :]
    assert "最近 15 分钟内登录失败 10 次，来自 1 个地址。" in lock
    assert "这些地址的登录已暂停" in lock
    resp = admin.post(f"/admin/users/{uid}/unlock", follow_redirects=False)
    assert resp.status_code == 303
    # Every address may try again at once: the one that was paused gets in.
    assert _try(stranger, "leader", PASSWORD).status_code == 303
    (row,) = session.exec(
        select(AuditLog).where(
            AuditLog.object_type == "User",
            AuditLog.object_id == uid,
            AuditLog.action == AuditAction.update,
            AuditLog.username == "city_admin",
        )
    ).all()
    assert row.before == {"recent_failed_logins": 10, "login_paused": True}
    assert row.after == {"recent_failed_logins": 0, "login_paused": False}
    page = admin.get(f"/admin/users/{uid}").text
    assert "最近 15 分钟内没有登录失败" in page[page.index('id="login-lock"') :]


def test_only_those_who_administer_the_user_may_unlock(login, session):
    leader = _user(session, "leader").id
    session.add(LoginFailure(username="leader", client_address=STRANGER))
    session.flush()
    # The district office does not administer the city's leader; a park office no one.
    assert login("district_liangxi").post(f"/admin/users/{leader}/unlock").status_code == 404
    assert login("park_huaxia").post(f"/admin/users/{leader}/unlock").status_code == 404
    left = session.exec(select(LoginFailure).where(LoginFailure.username == "leader")).all()
    assert len(left) == 1


def test_the_owner_is_told_of_the_failed_logins_since_their_last_login(browsers, session):
    owner = browsers(OWNER)
    for address in (STRANGER, STRANGER, "192.0.2.1"):
        _try(browsers(address), "leader", "guess-guess-3")
    token = form_token(owner.get("/login?next=/rankings").text)
    resp = owner.post(
        "/login",
        data={"username": "leader", "password": PASSWORD, "csrf_token": token, "next": "/rankings"},
        follow_redirects=False,
    )
    where = urlsplit(resp.headers["location"])
    assert resp.status_code == 303 and where.path == "/account/signed-in"
    assert parse_qs(where.query) == {"next": ["/rankings"]}
    page = owner.get(resp.headers["location"]).text
    assert "自您上次登录以来，您的账号有 3 次登录失败。" in page
    assert 'href="/rankings" id="continue"' in page and '/account/password">修改密码' in page
    # Told once: the next login goes straight on.
    again = _try(browsers("198.51.100.9"), "leader", PASSWORD)
    assert again.status_code == 303 and again.headers["location"] == "/"
    assert session.exec(select(User.failed_logins).where(User.username == "leader")).one() == 0


def test_a_login_without_earlier_failures_goes_straight_on(browsers, session):
    resp = _try(browsers(OWNER), "park_huaxia", PASSWORD)
    # Straight on to the park administrator's home: its park (tests/accounts/test_home.py).
    huaxia = session.exec(select(Park).where(Park.name == "无锡华夏家居港")).one()
    assert resp.status_code == 303 and resp.headers["location"] == f"/parks/{huaxia.id}"


def test_failures_on_unknown_names_count_for_the_address(browsers, session):
    c = browsers(STRANGER)
    for i in range(3):
        assert _try(c, f"nobody{i}", "guess-guess-4").status_code == 401
    rows = session.exec(
        select(LoginFailure.username).where(col(LoginFailure.client_address) == STRANGER)
    ).all()
    assert sorted(rows) == ["nobody0", "nobody1", "nobody2"]
