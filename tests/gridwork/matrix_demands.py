"""Authorisation matrix entries of worker demands: grid lists, the demand loop, the office list."""

from sqlmodel import col, select

from app.core.permissions import system
from app.geo.models import Grid, Park
from app.gridwork.demands import service as demands_service

ROLES = ("city_admin", "district_liangxi", "park_huaxia", "liaison_huaxia_1", "leader")

# The step walked is the first of the loop: whoever may change the grid may assign.
FIXED = {"step": "assign"}

VIEW = {r: (200, 404) for r in ROLES} | {"city_admin": (200, None), "leader": (200, None)}
CHANGE = {r: (303, 404) for r in ROLES} | {"city_admin": (303, None), "leader": (404, None)}


def _first_grid(session, park_name: str) -> int:
    park = session.exec(select(Park.id).where(Park.name == park_name)).one()
    return session.exec(
        select(Grid.id).where(Grid.park_id == park).order_by(col(Grid.sort_order))
    ).first()


def _demands(session) -> dict[str, tuple[int | None, int | None]]:
    """A received demand in the first grid of 华夏家居港, one in 盛阳食品城 and one in 惠山."""
    made = {}
    for key, park in (
        ("huaxia", "无锡华夏家居港"),
        ("shengyang", "无锡盛阳食品城"),
        ("huishan", "无锡惠山高新技术产业创业服务中心"),
    ):
        made[key] = demands_service.record(
            session=session,
            who=system("matrix"),
            grid_id=_first_grid(session, park),
            data={
                "channel": "visit",
                "category": "wages",
                "summary": "矩阵测试诉求",
                "received_on": "2026-11-02",
            },
        ).id
    session.flush()
    return {
        "city_admin": (made["huaxia"], None),
        "district_liangxi": (made["huaxia"], made["huishan"]),
        "park_huaxia": (made["huaxia"], made["shengyang"]),
        "liaison_huaxia_1": (made["huaxia"], made["shengyang"]),
        "leader": (made["huaxia"], None),
    }


OBJECTS = {"demand_id": _demands}


def _new_demand(role, ids, session) -> dict:
    return {
        "data": {
            "channel": "hotline",
            "category": "safety",
            "summary": "车间通风不足",
            "contact": "王师傅",
            "received_on": "2026-11-02",
        }
    }


ENTRIES = {
    ("GET", "/demands"): (200, None),
    ("GET", "/grids/{grid_id}/demands"): (VIEW, None),
    ("POST", "/grids/{grid_id}/demands"): (CHANGE, _new_demand),
    ("GET", "/demands/{demand_id}"): (VIEW, None),
    (
        "POST",
        "/demands/{demand_id}/{step}",
    ): (CHANGE, lambda role, ids, session: {"data": {"assignee": "园区人社专员"}}),
}
