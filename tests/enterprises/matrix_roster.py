"""Authorisation matrix entries of the roster: a grid's roster, adding, editing, moving, node."""

from sqlmodel import col, select
from stdnum.cn import uscc

from app.enterprises.models import Enterprise, Liaison
from app.geo.models import Grid, Park

ROLES = ("city_admin", "district_liangxi", "park_huaxia", "liaison_huaxia_1", "leader")


def _grids(session, park_name: str) -> list[int]:
    park = session.exec(select(Park.id).where(Park.name == park_name)).one()
    return list(
        session.exec(select(Grid.id).where(Grid.park_id == park).order_by(col(Grid.sort_order)))
    )


def _ordinary(session, grid_id: int) -> Enterprise:
    """The first enterprise of a grid that is not its node (so designating it changes it)."""
    return session.exec(
        select(Enterprise)
        .where(Enterprise.grid_id == grid_id, ~col(Enterprise.is_node))
        .order_by(col(Enterprise.id))
    ).first()


def _enterprises(session) -> dict:
    """In scope: one in 华夏家居港's first grid; out: one in 盛阳食品城 or in 惠山."""
    huaxia = _ordinary(session, _grids(session, "无锡华夏家居港")[0]).id
    shengyang = _ordinary(session, _grids(session, "无锡盛阳食品城")[0]).id
    huishan = _ordinary(session, _grids(session, "无锡惠山高新技术产业创业服务中心")[0]).id
    return {
        "city_admin": (huaxia, None),
        "district_liangxi": (huaxia, huishan),
        "park_huaxia": (huaxia, shengyang),
        "liaison_huaxia_1": (huaxia, shengyang),
        "leader": (huaxia, None),
    }


def _liaisons(session) -> dict:
    """People (for their number in full): in scope one of 华夏家居港; out one of 盛阳食品城
    or of 惠山."""

    def first(park_name: str) -> int:
        park = session.exec(select(Park.id).where(Park.name == park_name)).one()
        return session.exec(
            select(Liaison.id).where(Liaison.park_id == park).order_by(col(Liaison.id))
        ).first()

    huaxia = first("无锡华夏家居港")
    shengyang = first("无锡盛阳食品城")
    huishan = first("无锡惠山高新技术产业创业服务中心")
    return {
        "city_admin": (huaxia, None),
        "district_liangxi": (huaxia, huishan),
        "park_huaxia": (huaxia, shengyang),
        "liaison_huaxia_1": (huaxia, shengyang),
        "leader": (huaxia, None),
    }


OBJECTS = {"enterprise_id": _enterprises, "liaison_id": _liaisons}

VIEW = {r: (200, 404) for r in ROLES}
CHANGE_PAGE = {r: (200, 404) for r in ROLES} | {"leader": (404, None)}
CHANGE = {r: (303, 404) for r in ROLES} | {"leader": (404, None)}
# Moving changes two grids; the liaison of the first grid may not change the second: 404.
MOVE = CHANGE | {"liaison_huaxia_1": (404, 404)}


def _new_enterprise(role, ids, session) -> dict:
    body = f"91320213MAM{ROLES.index(role):06d}"
    return {
        "data": {
            "credit_code": body + uscc.calc_check_digit(body),
            "name": f"矩阵测试{role}有限公司",
            "ownership": "private",
            "size": "small",
            "worker_count": "12",
        }
    }


def _edit(role, ids, session) -> dict:
    """The in-scope enterprise's own facts with one more worker: valid for whoever may save it."""
    e = _ordinary(session, ids.huaxia_grid_1)
    data = {
        "credit_code": e.credit_code,
        "name": e.name,
        "ownership": e.ownership.value,
        "size": e.size.value,
        "industry": e.industry,
        "worker_count": str(e.worker_count + 1),
        "reform_type": e.reform_type.value if e.reform_type else "",
        "liaison_id": str(e.liaison_id or ""),
    }
    for flag in ("union_founded", "collective_contract", "in_reform"):
        if getattr(e, flag):
            data[flag] = "on"
    return {"data": data}


ENTRIES = {
    ("GET", "/grids/{grid_id}/roster"): (VIEW, None),
    ("GET", "/grids/{grid_id}/enterprises"): (CHANGE_PAGE, None),
    ("POST", "/grids/{grid_id}/enterprises"): (CHANGE, _new_enterprise),
    ("GET", "/enterprises/{enterprise_id}"): (VIEW, None),
    ("POST", "/enterprises/{enterprise_id}"): (CHANGE, _edit),
    (
        "POST",
        "/enterprises/{enterprise_id}/move",
    ): (MOVE, lambda role, ids, session: {"data": {"grid_id": str(ids.huaxia_grid_2)}}),
    ("POST", "/enterprises/{enterprise_id}/node"): (CHANGE, None),
    # Whoever may view a person may ask for their number in full (audited).
    ("POST", "/liaisons/{liaison_id}/mobile"): (VIEW, None),
}
