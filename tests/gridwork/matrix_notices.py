"""Authorisation matrix entries of notices and tasks (上传下达)."""

from sqlmodel import col, select

from app.accounts.models import User
from app.core import files
from app.core.config import Settings
from app.geo.models import Grid, Park
from app.gridwork.models import Notice, NoticeAttachment, NoticeKind, NoticeTarget

PDF = b"%PDF-1.4\n% matrix notice\n%%EOF\n"
ROLES = ("city_admin", "district_liangxi", "park_huaxia", "liaison_huaxia_1", "leader")


def _grids(session, park_name: str) -> list[int]:
    park = session.exec(select(Park).where(Park.name == park_name)).one()
    return list(
        session.exec(
            select(Grid.id)
            .where(Grid.park_id == park.id)
            .order_by(col(Grid.sort_order), col(Grid.id))
        )
    )


def _notice(session, sender: str, kind: NoticeKind, grid_ids: list[int]) -> tuple:
    user = session.exec(select(User).where(User.username == sender)).one()
    notice = Notice(
        kind=kind,
        title=f"矩阵测试{kind.value}",
        body="请各网格按要求落实。",
        sender_id=user.id,
        sender_name=user.display_name,
    )
    session.add(notice)
    session.flush()
    targets = [NoticeTarget(notice_id=notice.id, grid_id=g) for g in grid_ids]
    session.add_all(targets)
    stored = files.store(Settings().evidence_dir, PDF, files.PDF)
    att = NoticeAttachment(
        notice_id=notice.id,
        filename="通知.pdf",
        stored_name=stored.stored_name,
        content_type=files.PDF.content_type,
        size=stored.size,
        sha256=stored.sha256,
    )
    session.add(att)
    session.flush()
    return notice.id, [t.id for t in targets], att.id


def _made(session) -> dict:
    """Three notices, made once per test: 梁溪区's task to two 华夏 grids, the city's to others."""
    if "matrix_notices" not in session.info:
        huaxia = _grids(session, "无锡华夏家居港")
        inside = _notice(session, "district_liangxi", NoticeKind.task, huaxia[:2])
        shengyang = _notice(
            session, "city_admin", NoticeKind.notice, _grids(session, "无锡盛阳食品城")[:1]
        )
        huishan = _notice(
            session,
            "city_admin",
            NoticeKind.notice,
            _grids(session, "无锡惠山高新技术产业创业服务中心")[:1],
        )
        session.info["matrix_notices"] = {
            "inside": inside,
            "shengyang": shengyang,
            "huishan": huishan,
        }
    return session.info["matrix_notices"]


def _notices(session) -> dict:
    m = _made(session)
    return {
        "city_admin": (m["inside"][0], None),
        "district_liangxi": (m["inside"][0], m["huishan"][0]),
        "park_huaxia": (m["inside"][0], m["shengyang"][0]),
        "liaison_huaxia_1": (m["inside"][0], m["shengyang"][0]),
        "leader": (m["inside"][0], None),
    }


def _targets(session) -> dict:
    m = _made(session)
    first, second = m["inside"][1]
    return {
        "city_admin": (first, None),
        "district_liangxi": (first, m["huishan"][1][0]),
        "park_huaxia": (first, m["shengyang"][1][0]),
        # The liaison may view the whole park, but acts on their own grid only.
        "liaison_huaxia_1": (first, second),
        "leader": (first, None),
    }


def _attachments(session) -> dict:
    m = _made(session)
    return {
        "city_admin": (m["inside"][2], None),
        "district_liangxi": (m["inside"][2], m["huishan"][2]),
        "park_huaxia": (m["inside"][2], m["shengyang"][2]),
        "liaison_huaxia_1": (m["inside"][2], m["shengyang"][2]),
        "leader": (m["inside"][2], None),
    }


OBJECTS = {"notice_id": _notices, "target_id": _targets, "attachment_id": _attachments}

SENDERS = {"city_admin": 303, "district_liangxi": 303, "park_huaxia": 303}  # others 404
VIEW = {r: (200, 404) for r in ROLES}
ACT = {r: (303, 404) for r in ROLES} | {"leader": (404, None)}
REMIND = {
    "city_admin": (303, None),
    "district_liangxi": (303, 404),
    "park_huaxia": (303, 404),
    "liaison_huaxia_1": (404, 404),
    "leader": (404, None),
}


def _send(role, ids, session):
    return {
        "data": {
            "kind": "notice",
            "title": "关于报送三季度产改工作进展的通知",
            "content": "请于月底前报送。",
            "grid": str(ids.huaxia_grid_1),
        }
    }


ENTRIES = {
    ("GET", "/notices"): (200, None),
    ("GET", "/notices/new"): (
        {"city_admin": 200, "district_liangxi": 200, "park_huaxia": 200},
        None,
    ),
    ("POST", "/notices"): (SENDERS, _send),
    ("GET", "/notices/{notice_id}"): (VIEW, None),
    ("GET", "/notices/attachments/{attachment_id}"): (VIEW, None),
    ("POST", "/notices/targets/{target_id}/acknowledge"): (ACT, None),
    (
        "POST",
        "/notices/targets/{target_id}/complete",
    ): (ACT, lambda role, ids, session: {"data": {"note": "已组织网格内企业学习落实"}}),
    ("POST", "/notices/{notice_id}/remind"): (REMIND, None),
}
