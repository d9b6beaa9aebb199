"""The authorisation matrix: every route × every role × an object in and out of scope.

A route the app has but the matrix lacks fails the test, so a new route cannot ship
without saying who may use it. Domains add their own routes in `tests/<domain>/matrix.py`:
`ENTRIES = {(method, path): (expected, body)}` where body(role, ids, session) gives the
request's keyword arguments, optionally `OBJECTS = {"param": f(session) -> {role:
(in-scope id, out-of-scope id)}}` for path parameters of their own, and `FIXED = {"param":
value}` for path parameters that are the same for everyone (a period, a year).
"""

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from sqlmodel import col, select

from app.accounts.models import User
from app.geo.models import Area, Grid, Park
from app.main import ROUTERS

ROLES = ("city_admin", "district_liangxi", "park_huaxia", "liaison_huaxia_1", "leader")


@dataclass
class Ids:
    liangxi: int
    huishan: int
    huaxia: int
    shengyang: int
    huishan_park: int
    huaxia_grid_1: int
    huaxia_grid_2: int
    shengyang_grid: int
    huishan_grid: int
    user_park_huaxia: int
    user_leader: int
    user_liaison: int


@pytest.fixture
def ids(session) -> Ids:
    def area(name):
        return session.exec(select(Area.id).where(Area.name == name)).one()

    def park(name):
        return session.exec(select(Park.id).where(Park.name == name)).one()

    def grids(park_id):
        return session.exec(
            select(Grid.id).where(Grid.park_id == park_id).order_by(col(Grid.sort_order))
        ).all()

    def user(name):
        return session.exec(select(User.id).where(User.username == name)).one()

    huaxia, shengyang = park("无锡华夏家居港"), park("无锡盛阳食品城")
    huishan_park = park("无锡惠山高新技术产业创业服务中心")
    return Ids(
        liangxi=area("梁溪区"),
        huishan=area("惠山区"),
        huaxia=huaxia,
        shengyang=shengyang,
        huishan_park=huishan_park,
        huaxia_grid_1=grids(huaxia)[0],
        huaxia_grid_2=grids(huaxia)[1],
        shengyang_grid=grids(shengyang)[0],
        huishan_grid=grids(huishan_park)[0],
        user_park_huaxia=user("park_huaxia"),
        user_leader=user("leader"),
        user_liaison=user("liaison_huaxia_1"),
    )


def objects(ids: Ids, session) -> dict[str, dict[str, tuple[int | None, int | None]]]:
    """Per path parameter and role: (an object in scope, one out of scope); None = none exists."""
    extra = {k: f(session) for m in DOMAIN_MATRICES for k, f in getattr(m, "OBJECTS", {}).items()}
    return extra | {
        "area_id": {
            "city_admin": (ids.liangxi, None),
            "district_liangxi": (ids.liangxi, ids.huishan),
            "park_huaxia": (None, ids.liangxi),
            "liaison_huaxia_1": (None, ids.liangxi),
            "leader": (ids.liangxi, None),
        },
        "park_id": {
            "city_admin": (ids.huaxia, None),
            "district_liangxi": (ids.huaxia, ids.huishan_park),
            "park_huaxia": (ids.huaxia, ids.shengyang),
            "liaison_huaxia_1": (ids.huaxia, ids.shengyang),
            "leader": (ids.huaxia, None),
        },
        "grid_id": {
            "city_admin": (ids.huaxia_grid_1, None),
            "district_liangxi": (ids.huaxia_grid_1, ids.huishan_grid),
            "park_huaxia": (ids.huaxia_grid_1, ids.shengyang_grid),
            "liaison_huaxia_1": (ids.huaxia_grid_1, ids.shengyang_grid),
            "leader": (ids.huaxia_grid_1, None),
        },
        "user_id": {
            "city_admin": (ids.user_park_huaxia, None),
            "district_liangxi": (ids.user_park_huaxia, ids.user_leader),
            "park_huaxia": (None, ids.user_liaison),
            "liaison_huaxia_1": (None, ids.user_park_huaxia),
            "leader": (None, ids.user_park_huaxia),
        },
    }


# Expected answers: a number for every role alike, or a dict role -> (in scope, out of scope).
ALL_200 = 200
ADMINS = {
    "city_admin": (200, None),
    "district_liangxi": (200, 404),
    "park_huaxia": (None, 404),
    "liaison_huaxia_1": (None, 404),
    "leader": (None, 404),
}
ADMIN_LIST = {"city_admin": 200, "district_liangxi": 200}  # others 404
ADMIN_WRITE = {k: (303 if v[0] else None, v[1]) for k, v in ADMINS.items()}
VIEW_DISTRICT = {
    "city_admin": (200, None),
    "district_liangxi": (200, 404),
    "park_huaxia": (None, 404),
    "liaison_huaxia_1": (None, 404),
    "leader": (200, None),
}
VIEW = {r: (200, 404) for r in ROLES}
CHANGE_GRID = {r: (303, 404) for r in ROLES} | {"leader": (404, None)}
CHANGE_GRID_API = {r: (200, 404) for r in ROLES} | {"leader": (404, None)}


def _user_form(role: str) -> dict:
    return {
        "username": f"new_{role}",
        "display_name": "新用户",
        "role": "park_admin",
        "password": "一个足够长的密码2026",
    }


MATRIX = {
    ("GET", "/"): {r: 200 for r in ROLES} | {"liaison_huaxia_1": 303},  # to their grids
    ("GET", "/my"): ALL_200,
    ("GET", "/healthz"): ALL_200,
    ("GET", "/login"): ALL_200,
    ("POST", "/login"): 401,  # a wrong password, for every role
    ("GET", "/api/openapi.json"): ALL_200,
    ("GET", "/account/password"): ALL_200,
    ("POST", "/account/password"): 422,  # a wrong current password
    ("GET", "/districts/{area_id}"): VIEW_DISTRICT,
    ("GET", "/parks/{park_id}"): VIEW,
    ("GET", "/grids/{grid_id}"): VIEW,
    ("GET", "/grids/{grid_id}/status"): VIEW,
    ("POST", "/grids/{grid_id}/status"): CHANGE_GRID,
    ("GET", "/api/v1/parks"): ALL_200,
    ("GET", "/api/v1/parks/{park_id}"): VIEW,
    ("PUT", "/api/v1/grids/{grid_id}/status"): CHANGE_GRID_API,
    ("GET", "/api/v1/rankings"): ALL_200,
    ("GET", "/admin/users"): ADMIN_LIST,
    ("GET", "/admin/users/new"): ADMIN_LIST,
    ("POST", "/admin/users"): {"city_admin": 303, "district_liangxi": 303},
    ("GET", "/admin/users/{user_id}"): ADMINS,
    ("POST", "/admin/users/{user_id}"): ADMIN_WRITE,
    ("POST", "/admin/users/{user_id}/password"): ADMIN_WRITE,
    ("POST", "/admin/users/{user_id}/active"): ADMIN_WRITE,
    ("GET", "/admin/audit"): {"city_admin": 200},
    ("POST", "/logout"): 303,  # walked last
}


def _body(method: str, path: str, role: str, ids: Ids, session) -> dict:
    """A valid request body for each writing route (so success is the route's success)."""
    if path == "/login":
        return {"data": {"username": role, "password": "wrong-password-1"}}
    if path == "/account/password":
        return {"data": {"current_password": "wrong", "new_password": "x" * 12}}
    if path.endswith("/status"):
        version = session.exec(
            select(Grid.status_version).where(Grid.id == ids.huaxia_grid_1)
        ).one()
        body = {"status": "amber", "note": "矩阵测试", "version": version}
        return {"json": body} if method == "PUT" else {"data": body}
    if path == "/admin/users":
        return {"data": {**_user_form(role), "scope": f"park:{ids.huaxia}"}}
    if path == "/admin/users/{user_id}":
        return {
            "data": {
                "display_name": "华夏园区管理员",
                "role": "park_admin",
                "scope": f"park:{ids.huaxia}",
            }
        }
    if path.endswith("/password"):
        return {"data": {"password": "另一个足够长的密码"}}
    if path.endswith("/active"):
        return {"data": {"active": "1"}}
    return {}


def _domain_matrices() -> list:
    modules = []
    for path in sorted(Path(__file__).parent.glob("*/matrix*.py")):
        spec = importlib.util.spec_from_file_location(f"{path.parent.name}_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        modules.append(module)
    return modules


DOMAIN_MATRICES = _domain_matrices()
BODIES = {}
for _m in DOMAIN_MATRICES:
    for _key, (_spec, _body_fn) in _m.ENTRIES.items():
        MATRIX[_key] = _spec
        BODIES[_key] = _body_fn
# Logout ends the session: it must stay the last route walked.
MATRIX[("POST", "/logout")] = MATRIX.pop(("POST", "/logout"))


def _expected(spec, role: str, inside: bool):
    if isinstance(spec, int):
        return spec
    if isinstance(next(iter(spec.values())), tuple):
        return spec[role][0 if inside else 1]
    return spec.get(role, 404)


def test_every_route_is_in_the_matrix():
    routes = {
        (method, r.path_format)
        for router in ROUTERS
        for r in router.routes
        if isinstance(r, APIRoute)
        for method in r.methods
        if method != "HEAD"
    }
    assert routes == set(MATRIX)


@pytest.mark.parametrize("role", ROLES)
def test_authorisation_matrix(role, login, ids, session):
    client = login(role)
    objs = objects(ids, session)
    mismatches = []
    for (method, path), spec in MATRIX.items():
        params = [p for p in objs if "{" + p + "}" in path]
        cases = [(True, None)] if not params else []
        for inside in (True, False):
            if params:
                obj = objs[params[0]][role][0 if inside else 1]
                if obj is not None:
                    cases.append((inside, obj))
        for inside, obj in cases:
            expected = _expected(spec, role, inside)
            if expected is None:
                continue
            fixed = {k: v for m in DOMAIN_MATRICES for k, v in getattr(m, "FIXED", {}).items()}
            url = path.format(**fixed, **({params[0]: obj} if params else {}))
            if (method, path) in BODIES:
                body = BODIES[(method, path)](role, ids, session) if BODIES[(method, path)] else {}
            else:
                body = _body(method, path, role, ids, session)
            resp = client.request(method, url, follow_redirects=False, **body)
            if resp.status_code != expected:
                mismatches.append(
                    (method, url, "in" if inside else "out", expected, resp.status_code)
                )
    assert not mismatches, "\n".join(map(str, mismatches))
