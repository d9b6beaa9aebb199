"""Each role's home (issue 15, item 2): where a login lands, the brand link, the menu's own
places, and the breadcrumb every signed-in page shows (home › … › this page)."""

import re
from html import unescape

import pytest
from sqlmodel import col, select

from app.accounts.home import home
from app.accounts.models import User
from app.accounts.service import DEMO_PASSWORD, principal
from app.geo.models import Area, AreaLevel, Grid, Park
from tests.helpers import form_token, log_in

HUAXIA = "无锡华夏家居港"


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _h1(html: str) -> str:
    m = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    assert m, "no heading on the page"
    return _text(m.group(1))


def _menu(html: str) -> list[str]:
    m = re.search(r'<header class="topbar">.*?<nav>(.*?)</nav>', html, re.S)
    assert m, "no menu"
    return [_text(a) for a in re.findall(r"<a [^>]*>(.*?)</a>", m.group(1), re.S)]


def _menu_links(html: str) -> dict[str, str]:
    m = re.search(r'<header class="topbar">.*?<nav>(.*?)</nav>', html, re.S)
    assert m, "no menu"
    return {_text(t): h for h, t in re.findall(r'<a href="([^"]+)">(.*?)</a>', m.group(1), re.S)}


def _crumbs(html: str) -> list[str]:
    """The breadcrumb's items, in order."""
    m = re.search(r'<nav class="crumbs"[^>]*>(.*?)</nav>', html, re.S)
    assert m, "no breadcrumb on the page"
    return [p.strip() for p in _text(m.group(1)).split("›")]


def _crumb_links(html: str) -> list[tuple[str, str]]:
    m = re.search(r'<nav class="crumbs"[^>]*>(.*?)</nav>', html, re.S)
    assert m, "no breadcrumb on the page"
    return [(_text(t), h) for h, t in re.findall(r'<a href="([^"]+)">(.*?)</a>', m.group(1), re.S)]


def _title(html: str) -> str:
    m = re.search(r"<title>(.*?) · ", html, re.S)
    assert m
    return _text(m.group(1))


def _login(client, username: str, next_: str = ""):
    page = client.get("/login")
    return client.post(
        "/login",
        data={
            "username": username,
            "password": DEMO_PASSWORD,
            "next": next_,
            "csrf_token": form_token(page.text),
        },
        follow_redirects=False,
    )


def _liangxi(session) -> Area:
    return session.exec(select(Area).where(Area.name == "梁溪区")).one()


def _huaxia(session) -> Park:
    return session.exec(select(Park).where(Park.name == HUAXIA)).one()


@pytest.fixture
def landing(app):
    """Logs a fresh browser in as `username` and follows where the login sends it."""
    from fastapi.testclient import TestClient

    opened = []

    def land(username: str, next_: str = ""):
        c = TestClient(app)
        opened.append(c)
        resp = _login(c, username, next_)
        assert resp.status_code == 303, resp.text[:300]
        location = resp.headers["location"]
        return location, c.get(location)

    yield land
    for c in opened:
        c.close()


# ---- where a login lands ------------------------------------------------------------


def test_city_office_and_leader_land_on_the_city_overview(landing):
    for username in ("city_admin", "leader"):
        location, page = landing(username)
        assert location == "/"
        assert page.status_code == 200
        assert _h1(page.text) == "无锡市特色产业园区产改总览", username


def test_district_office_lands_on_its_district(landing, session):
    liangxi = _liangxi(session)
    location, page = landing("district_liangxi")
    assert location == f"/districts/{liangxi.id}"
    assert page.status_code == 200
    assert _h1(page.text).startswith(liangxi.name)


def test_park_administrator_lands_on_its_park(landing, session):
    huaxia = _huaxia(session)
    location, page = landing("park_huaxia")
    assert location == f"/parks/{huaxia.id}"
    assert _h1(page.text) == HUAXIA


def test_liaison_lands_on_their_grids(landing):
    location, page = landing("liaison_huaxia_1")
    assert location == "/my"
    assert _h1(page.text) == "我的网格"


def test_a_page_the_user_was_sent_away_from_still_wins(client, landing, session):
    huaxia = _huaxia(session)
    sent = client.get("/rankings", follow_redirects=False)
    assert sent.status_code == 303 and "next=%2Frankings" in sent.headers["location"]
    location, page = landing("district_liangxi", "/rankings")
    assert location == "/rankings" and page.status_code == 200
    location, _page = landing("liaison_huaxia_1", f"/parks/{huaxia.id}")
    assert location == f"/parks/{huaxia.id}"
    # Another site is never a target: the user goes home instead.
    location, _page = landing("park_huaxia", "//evil.example/x")
    assert location == f"/parks/{huaxia.id}"


def test_the_site_root_as_next_means_home(landing, session):
    location, _page = landing("district_liangxi", "/")
    assert location == f"/districts/{_liangxi(session).id}"


def test_failed_logins_notice_continues_home(app, session):
    """After failed logins the owner first sees the notice; its link goes home."""
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        page = c.get("/login")
        token = form_token(page.text)
        data = {"username": "park_huaxia", "password": "wrong-one", "csrf_token": token}
        assert c.post("/login", data=data).status_code == 401
        resp = _login(c, "park_huaxia")
        assert "/account/signed-in" in resp.headers["location"]
        notice = c.get(resp.headers["location"])
        m = re.search(r'<a href="([^"]+)" id="continue">', notice.text)
        assert m and m.group(1) == f"/parks/{_huaxia(session).id}"


# ---- the home rule itself ------------------------------------------------------------


def _principal(session, username: str):
    user = session.exec(select(User).where(User.username == username)).one()
    return principal(session=session, user=user)


def test_home_rule_per_role(session):
    liangxi, huaxia = _liangxi(session), _huaxia(session)
    assert home(session=session, who=_principal(session, "city_admin")).route == "overview"
    assert home(session=session, who=_principal(session, "leader")).route == "overview"
    district = home(session=session, who=_principal(session, "district_liangxi"))
    assert (district.route, district.params) == ("district", {"area_id": liangxi.id})
    assert district.districts == ((liangxi.id, "梁溪区"),)
    park = home(session=session, who=_principal(session, "park_huaxia"))
    assert (park.route, park.params) == ("park", {"park_id": huaxia.id})
    liaison = home(session=session, who=_principal(session, "liaison_huaxia_1"))
    assert (liaison.route, liaison.overview) == ("my_grids", False)


def test_a_district_office_of_two_districts_lands_on_the_first(session):
    from app.accounts.models import UserScope

    user = session.exec(select(User).where(User.username == "district_liangxi")).one()
    districts = session.exec(
        select(Area)
        .where(Area.level == AreaLevel.district)
        .order_by(col(Area.sort_order), col(Area.id))
    ).all()
    other = next(d for d in districts if d.name != "梁溪区")
    session.add(UserScope(user_id=user.id, area_id=other.id))
    session.flush()
    found = home(session=session, who=principal(session=session, user=user))
    order = [d.id for d in districts if d.id in {other.id, _liangxi(session).id}]
    assert found.params == {"area_id": order[0]}
    assert [i for i, _n in found.districts] == order


# ---- the menu and the brand link ---------------------------------------------------------


def test_liaison_menu_has_no_city_overview_and_the_root_sends_them_home(login):
    c = login("liaison_huaxia_1")
    page = c.get("/my")
    menu = _menu(page.text)
    assert "全市概览" not in menu and "我的网格" in menu
    assert re.search(r'<a class="brand" href="[^"]*/my">', page.text)
    sent = c.get("/", follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"].endswith("/my")


def test_district_office_menu_names_its_district(login, session):
    liangxi = _liangxi(session)
    c = login("district_liangxi")
    page = c.get("/rankings")
    links = _menu_links(page.text)
    assert links["梁溪区"].endswith(f"/districts/{liangxi.id}")
    assert "全市概览" in links  # the city's league tables are still theirs to read
    assert re.search(rf'<a class="brand" href="[^"]*/districts/{liangxi.id}">', page.text)


def test_park_administrator_menu_and_brand(login, session):
    huaxia = _huaxia(session)
    c = login("park_huaxia")
    page = c.get("/rankings")
    assert _menu_links(page.text)[HUAXIA].endswith(f"/parks/{huaxia.id}")
    assert re.search(rf'<a class="brand" href="[^"]*/parks/{huaxia.id}">', page.text)


def test_city_office_and_leaders_keep_the_overview(login):
    for username in ("city_admin", "leader"):
        page = login(username).get("/rankings")
        assert "全市概览" in _menu(page.text)
        assert re.search(r'<a class="brand" href="http://testserver/">', page.text)


def test_header_names_the_person_not_the_account(login):
    page = login("district_liangxi").get("/rankings")
    m = re.search(r'<div class="me">\s*<span>(.*?)</span>', page.text, re.S)
    assert m and _text(m.group(1)) == "梁溪区产改办（区产改办）"
    assert "district_liangxi" not in page.text


# ---- the breadcrumb ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "title"),
    [
        ("/rankings", "排名"),
        ("/reports", "季度报告"),
        ("/admin/audit", "操作日志"),
        ("/admin/users", "用户管理"),
        ("/notices", "通知与任务"),
        ("/demands", "职工诉求"),
    ],
)
def test_a_page_without_ancestry_has_a_breadcrumb_ending_in_its_title(login, path, title):
    page = login("city_admin").get(path)
    assert page.status_code == 200
    crumbs = _crumbs(page.text)
    assert crumbs[0] == "首页"
    assert crumbs[-1] == _title(page.text)
    # The page's own title is the last crumb, not a link; home is one.
    links = _crumb_links(page.text)
    assert [t for t, _h in links] == crumbs[:-1]
    assert links[0][1] == "http://testserver/"


def test_titles_in_the_breadcrumb_are_the_pages_own(login):
    """The last crumb is the template's own title, whatever page it is."""
    c = login("city_admin")
    page = c.get("/rankings")
    assert _crumbs(page.text) == ["首页", _title(page.text)]
    assert _title(page.text) == "排名"


def test_a_page_below_another_names_it(login):
    c = login("city_admin")
    page = c.get("/admin/users/new")
    assert _crumbs(page.text) == ["首页", "用户管理", _title(page.text)]
    assert _crumb_links(page.text)[1][1].endswith("/admin/users")


def test_home_shows_only_its_own_title(login, session):
    assert _crumbs(login("city_admin").get("/").text) == ["全市概览"]
    assert _crumbs(login("liaison_huaxia_1").get("/my").text) == ["我的网格"]
    page = login("district_liangxi").get(f"/districts/{_liangxi(session).id}")
    assert _crumbs(page.text) == ["梁溪区"]


def test_the_overview_below_a_district_office_home(login, session):
    liangxi = _liangxi(session)
    page = login("district_liangxi").get("/")
    assert _crumbs(page.text) == ["首页", "全市概览"]
    assert _crumb_links(page.text)[0][1].endswith(f"/districts/{liangxi.id}")


def test_place_pages_start_at_home(login, session):
    huaxia = _huaxia(session)
    grid = session.exec(
        select(Grid).where(Grid.park_id == huaxia.id).order_by(col(Grid.sort_order), col(Grid.id))
    ).first()
    page = login("park_huaxia").get(f"/grids/{grid.id}")
    assert _crumbs(page.text) == ["首页", "梁溪区", HUAXIA, grid.name]
    links = _crumb_links(page.text)
    assert links[0] == ("首页", f"http://testserver/parks/{huaxia.id}")
    page = login("city_admin").get(f"/parks/{huaxia.id}")
    assert _crumbs(page.text) == ["首页", "梁溪区", HUAXIA]
    assert _crumb_links(page.text)[0] == ("首页", "http://testserver/")


def test_every_signed_in_page_has_a_breadcrumb(login, session):
    """Each page of the menu, for each role, shows one."""
    for username in ("city_admin", "district_liangxi", "park_huaxia", "liaison_huaxia_1", "leader"):
        c = login(username)
        page = c.get("/rankings")
        for href in set(_menu_links(page.text).values()):
            opened = c.get(href)
            assert opened.status_code == 200, (username, href)
            crumbs = _crumbs(opened.text)
            assert crumbs[-1], (username, href)


def test_the_login_page_has_no_breadcrumb(client):
    assert '<nav class="crumbs"' not in client.get("/login").text


def test_log_in_helper_still_lands(app):
    """tests.helpers.log_in asks for / after logging in: each role gets a page with a token."""
    from fastapi.testclient import TestClient

    for username in ("liaison_huaxia_1", "district_liangxi"):
        with TestClient(app) as c:
            log_in(c, username, DEMO_PASSWORD)


def test_an_error_page_keeps_the_menu_and_a_breadcrumb(login, session):
    page = login("district_liangxi").get("/parks/999999")
    assert page.status_code == 404
    assert "梁溪区" in _menu(page.text)
    assert _crumbs(page.text) == ["首页", "404"]
