"""The request's principal: its scope read once per request, in a query or two, and never
kept from an earlier request, so a change of scope or role, or a disabled account, counts
from the very next request."""

import pytest
from sqlalchemy import event
from sqlmodel import col, select

from app.accounts import service as accounts
from app.accounts.models import User
from app.geo.models import Area, Grid, GridStatus, Park

HX = {"HX-Request": "true"}


def _user(session, username: str) -> User:
    return session.exec(select(User).where(User.username == username)).one()


def _principal(session, username: str):
    return accounts.principal(session=session, user=_user(session, username))


def _park(session, name: str) -> Park:
    return session.exec(select(Park).where(Park.name == name)).one()


def _grids(session, park: Park) -> list[Grid]:
    return list(
        session.exec(
            select(Grid).where(Grid.park_id == park.id).order_by(col(Grid.sort_order), col(Grid.id))
        )
    )


def _below(session, root: int) -> set[int]:
    """The area and every area under it, walked in Python over the whole table."""
    children: dict[int | None, list[int]] = {}
    for aid, parent in session.exec(select(Area.id, Area.parent_id)):
        children.setdefault(parent, []).append(aid)
    found, stack = set(), [root]
    while stack:
        aid = stack.pop()
        found.add(aid)
        stack.extend(children.get(aid, []))
    return found


@pytest.fixture
def statements(engine):
    """The SQL statements the test's requests send, in order."""
    sent: list[str] = []

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:
        sent.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    yield sent
    event.remove(engine, "before_cursor_execute", record)


def test_each_demo_role_gets_its_scope_expanded_down_the_tree(session):
    city = session.exec(select(Area.id).where(Area.level == "city")).one()
    liangxi = session.exec(select(Area.id).where(Area.name == "梁溪区")).one()
    huaxia = _park(session, "无锡华夏家居港")
    first = _grids(session, huaxia)[0]

    for username in ("city_admin", "leader"):
        p = _principal(session, username)
        assert p.area_ids == _below(session, city) and len(p.area_ids) > 8
        assert (p.park_ids, p.grid_ids, p.parks, p.grids) == (set(), set(), (), ())
    district = _principal(session, "district_liangxi")
    assert district.area_ids == _below(session, liangxi) and liangxi in district.area_ids
    assert city not in district.area_ids
    park = _principal(session, "park_huaxia")
    assert (park.area_ids, park.park_ids, park.parks) == (
        set(),
        {huaxia.id},
        ((huaxia.id, "无锡华夏家居港"),),
    )
    liaison = _principal(session, "liaison_huaxia_1")
    assert (liaison.grid_ids, liaison.view_park_ids, liaison.grids) == (
        {first.id},
        {huaxia.id},
        ((first.id, first.name),),
    )
    assert liaison.area_ids == set() and liaison.park_ids == set()


def test_a_request_reads_the_scope_once(login, session, statements):
    huaxia = _park(session, "无锡华夏家居港")
    first = _grids(session, huaxia)[0]
    for username, reads in (("liaison_huaxia_1", 1), ("district_liangxi", 2)):
        c = login(username)
        statements.clear()
        assert c.get(f"/grids/{first.id}/history").status_code == 200
        # The scope with its grids' and parks' names in one query; the area subtree in a
        # second one, only for a scope that has areas.
        scope = [s for s in statements if "FROM user_scope" in s or "RECURSIVE" in s]
        assert len(scope) == reads, scope
        assert sum("FROM area" in s and "RECURSIVE" not in s for s in statements) == 0


def test_a_scope_change_counts_from_the_very_next_request(login, session):
    huaxia, shengyang = _park(session, "无锡华夏家居港"), _park(session, "无锡盛阳食品城")
    mine, theirs = _grids(session, huaxia)[0], _grids(session, shengyang)[0]
    liaison = login("liaison_huaxia_1")
    assert "保存状态" in liaison.get(f"/grids/{mine.id}").text
    assert liaison.get(f"/grids/{theirs.id}").status_code == 404

    user = _user(session, "liaison_huaxia_1")
    accounts.update_user(
        session=session,
        who=_principal(session, "city_admin"),
        user_id=user.id,
        data={
            "display_name": user.display_name,
            "role": "grid_liaison",
            "scope": [f"grid:{theirs.id}"],
        },
    )
    session.flush()

    # The very next request: the old grid (and its park) are gone, the new one is theirs.
    assert liaison.get(f"/grids/{mine.id}").status_code == 404
    saved = liaison.post(
        f"/grids/{mine.id}/status",
        data={"status": "red", "note": "调走后", "version": mine.status_version},
        headers=HX,
    )
    assert saved.status_code == 404
    session.expire_all()
    assert session.get(Grid, mine.id).status_note != "调走后"
    page = liaison.get(f"/grids/{theirs.id}")
    assert page.status_code == 200 and "保存状态" in page.text
    assert theirs.name in liaison.get("/my").text


def test_a_role_change_counts_from_the_very_next_request(login, session):
    huaxia = _park(session, "无锡华夏家居港")
    grid = _grids(session, huaxia)[0]
    office = login("park_huaxia")
    assert "保存状态" in office.get(f"/grids/{grid.id}").text

    user = _user(session, "park_huaxia")
    liangxi = session.exec(select(Area.id).where(Area.name == "梁溪区")).one()
    accounts.update_user(
        session=session,
        who=_principal(session, "city_admin"),
        user_id=user.id,
        data={"display_name": user.display_name, "role": "leader", "scope": [f"area:{liangxi}"]},
    )
    session.flush()

    # Now a leader of the district: reads the grid, changes nothing.
    page = office.get(f"/grids/{grid.id}")
    assert page.status_code == 200 and "保存状态" not in page.text
    refused = office.post(
        f"/grids/{grid.id}/status",
        data={"status": "red", "note": "改任之后", "version": grid.status_version},
        headers=HX,
    )
    assert refused.status_code == 404


def test_a_disabled_account_is_refused_at_the_very_next_request(login, session):
    grid = _grids(session, _park(session, "无锡华夏家居港"))[0]
    liaison = login("liaison_huaxia_1")
    assert liaison.get(f"/grids/{grid.id}").status_code == 200

    accounts.set_active(
        session=session,
        who=_principal(session, "city_admin"),
        user_id=_user(session, "liaison_huaxia_1").id,
        active=False,
    )
    session.flush()

    assert liaison.get(f"/grids/{grid.id}", follow_redirects=False).status_code == 303
    refused = liaison.post(
        f"/grids/{grid.id}/status",
        data={"status": "red", "note": "停用之后", "version": grid.status_version},
        headers=HX,
    )
    assert refused.status_code == 401 and "/login" in refused.headers["HX-Redirect"]
    session.expire_all()
    stored = session.get(Grid, grid.id)
    assert stored.status_note != "停用之后" and stored.status_version == grid.status_version
    assert stored.status != GridStatus.red or grid.status == GridStatus.red


def test_an_account_disabled_behind_the_services_back_is_refused_too(login, session):
    """Sessions left open (a script flipped the flag): the account is checked every request."""
    liaison = login("liaison_huaxia_1")
    assert liaison.get("/my").status_code == 200
    user = _user(session, "liaison_huaxia_1")
    user.is_active = False
    session.add(user)
    session.flush()
    assert liaison.get("/my", follow_redirects=False).status_code == 303


def test_the_areas_in_scope_come_from_the_principal_as_the_database_has_them(session, statements):
    from app.core import permissions

    for username in ("city_admin", "district_liangxi", "park_huaxia", "liaison_huaxia_1"):
        p = _principal(session, username)
        stored = set(
            session.exec(permissions.restrict(select(Area.id), p, "view", Area))
        )  # the scope filter itself, as every query of areas uses it
        statements.clear()
        assert permissions.ids(session, p, "view", Area) == stored
        assert statements == []  # already in hand: no query
    leader = _principal(session, "leader")
    assert permissions.ids(session, leader, "change", Area) == set()
