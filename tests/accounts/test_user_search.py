"""The user list's search: by username or display name, any case, within the reader's
scope, as a whole page or as the htmx fragment; a too-long query refused naming the field."""

import pytest
from sqlmodel import col, or_, select

from app.accounts.models import User
from tests.helpers import table_rows

HTMX = {"HX-Request": "true"}


@pytest.fixture
def admin(login):
    return login("city_admin")


def _usernames(html: str) -> list[str]:
    # A list with no one has one row saying so, across all five columns.
    return [r[0] for r in table_rows(html, "users") if len(r) == 5]


def test_the_search_finds_by_username_in_any_case(admin, session):
    # Every demo user whose username has "huaxia" in it, read from the table itself.
    expected = sorted(
        session.exec(select(User.username).where(col(User.username).contains("huaxia")))
    )
    assert expected == ["liaison_huaxia_1", "park_huaxia"]
    assert _usernames(admin.get("/admin/users?q=HuaXia").text) == expected
    assert len(_usernames(admin.get("/admin/users").text)) > len(expected)


def test_the_search_finds_by_display_name(admin, session):
    (name,) = session.exec(
        select(User.display_name).where(User.username == "district_liangxi")
    ).all()
    assert name == "梁溪区产改办"
    html = admin.get("/admin/users", params={"q": "梁溪"}).text
    assert _usernames(html) == ["district_liangxi"]
    assert "1 个用户匹配“梁溪”" in html
    # The box keeps what was typed.
    assert 'value="梁溪"' in html


def test_htmx_gets_the_list_alone_and_no_match_says_so(admin):
    resp = admin.get("/admin/users", params={"q": "产改"}, headers=HTMX)
    assert resp.status_code == 200
    assert "<html" not in resp.text and 'id="user-list"' in resp.text
    assert _usernames(resp.text) == ["city_admin", "district_liangxi", "park_huaxia"]
    none = admin.get("/admin/users", params={"q": "nobody_here"}, headers=HTMX).text
    assert "没有匹配的用户。" in none


def test_a_wildcard_is_a_character_not_a_pattern(admin, session):
    # "%" and "_" are LIKE's wildcards: a search for them matches only names holding them.
    holding = session.exec(
        select(User.username).where(
            or_(
                col(User.username).contains("_", autoescape=True),
                col(User.display_name).contains("_", autoescape=True),
            )
        )
    ).all()
    # Four of the five demo users (the leader's is "leader").
    assert len(holding) == 4
    assert _usernames(admin.get("/admin/users?q=%25").text) == []
    assert sorted(_usernames(admin.get("/admin/users?q=_").text)) == sorted(holding)


def test_a_district_office_searches_only_its_own_users(login):
    district = login("district_liangxi")
    assert _usernames(district.get("/admin/users?q=huaxia").text) == [
        "liaison_huaxia_1",
        "park_huaxia",
    ]
    assert _usernames(district.get("/admin/users?q=city").text) == []


def test_a_too_long_search_is_refused_naming_the_field(admin):
    resp = admin.get("/admin/users", params={"q": "梁" * 41})
    assert resp.status_code == 422
    assert "用户名或姓名最多 40 个字符。" in resp.text
    assert 'id="users"' not in resp.text
    # Forty characters are still a search (that matches no one).
    ok = admin.get("/admin/users", params={"q": "梁" * 40})
    assert ok.status_code == 200 and _usernames(ok.text) == []
