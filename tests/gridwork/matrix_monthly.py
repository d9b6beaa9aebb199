"""Authorisation matrix entries of monthly grid reports (网格月报) and their photos.

The liaison, the park and the offices above fill a grid's report ("change" on the grid);
only the park's administrator confirms or returns it ("report" on the park): the liaison,
the district and the city office get 404 there, like the leader everywhere but reading.
"""

from sqlmodel import col, select

from app.core import files
from app.core.config import Settings
from app.geo.models import Grid, Park
from app.gridwork.models import MonthlyPhoto, MonthlyReport, MonthlyState

ROLES = ("city_admin", "district_liangxi", "park_huaxia", "liaison_huaxia_1", "leader")
JPG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00matrix"

# A past month the walk fills, submits, returns and confirms; photos sit in the month before.
FIXED = {"month": "2026-10"}
PHOTO_MONTH = (2026, 9)

VIEW = {r: (200, 404) for r in ROLES}
CHANGE = {r: (303, 404) for r in ROLES} | {"leader": (404, None)}
CONFIRM = {r: (404, 404) for r in ROLES} | {"park_huaxia": (303, 404), "leader": (404, None)}


def _first_grid(session, park_name: str) -> Grid:
    park = session.exec(select(Park).where(Park.name == park_name)).one()
    return session.exec(
        select(Grid).where(Grid.park_id == park.id).order_by(col(Grid.sort_order))
    ).first()


def _report(session, grid: Grid, year: int, month: int, state: MonthlyState) -> MonthlyReport:
    """The grid's report of the month, made or put back into `state`."""
    session.expire_all()
    report = session.exec(
        select(MonthlyReport).where(
            MonthlyReport.grid_id == grid.id,
            MonthlyReport.year == year,
            MonthlyReport.month == month,
        )
    ).first() or MonthlyReport(grid_id=grid.id, year=year, month=month)
    report.state = state
    session.add(report)
    session.flush()
    return report


def _photos(session) -> dict:
    """A draft report with one photo in 无锡华夏家居港, 无锡盛阳食品城 and the Huishan park."""
    year, month = PHOTO_MONTH
    root = Settings().evidence_dir
    stored = files.store(root, JPG, files.JPG)
    ids = []
    for name in ("无锡华夏家居港", "无锡盛阳食品城", "无锡惠山高新技术产业创业服务中心"):
        report = _report(session, _first_grid(session, name), year, month, MonthlyState.draft)
        photo = MonthlyPhoto(
            report_id=report.id,
            filename=f"{name}.jpg",
            stored_name=stored.stored_name,
            content_type="image/jpeg",
            size=stored.size,
            sha256=stored.sha256,
        )
        session.add(photo)
        session.flush()
        ids.append(photo.id)
    # The walked month starts as a draft (or absent) whatever earlier data holds.
    huaxia = _first_grid(session, "无锡华夏家居港")
    y, m = map(int, FIXED["month"].split("-"))
    if session.exec(
        select(MonthlyReport.id).where(
            MonthlyReport.grid_id == huaxia.id, MonthlyReport.year == y, MonthlyReport.month == m
        )
    ).first():
        _report(session, huaxia, y, m, MonthlyState.draft)
    huaxia_photo, shengyang_photo, huishan_photo = ids
    return {
        "city_admin": (huaxia_photo, None),
        "district_liangxi": (huaxia_photo, huishan_photo),
        "park_huaxia": (huaxia_photo, shengyang_photo),
        "liaison_huaxia_1": (huaxia_photo, shengyang_photo),
        "leader": (huaxia_photo, None),
    }


OBJECTS = {"photo_id": _photos}


def _figures(role, ids, session):
    return {
        "data": {
            "guidance_sessions": "2",
            "guidance_attendance": "85",
            "training_sessions": "1",
            "training_person_times": "40",
            "notes": "矩阵测试",
        }
    }


def _photo(role, ids, session):
    return {"files": {"photo": ("现场.jpg", JPG, "image/jpeg")}}


def _submitted(role, ids, session):
    # Whatever the walk did before, the park finds the month submitted and waiting.
    y, m = map(int, FIXED["month"].split("-"))
    _report(session, _first_grid(session, "无锡华夏家居港"), y, m, MonthlyState.submitted)
    return {"data": {"comment": "请补充培训照片"}}


ENTRIES = {
    ("GET", "/monthly"): ({"park_huaxia": 200}, None),
    ("GET", "/grids/{grid_id}/monthly"): (VIEW, None),
    ("GET", "/grids/{grid_id}/monthly/{month}"): (VIEW, None),
    ("POST", "/grids/{grid_id}/monthly/{month}"): (CHANGE, _figures),
    ("POST", "/grids/{grid_id}/monthly/{month}/photos"): (CHANGE, _photo),
    ("POST", "/grids/{grid_id}/monthly/{month}/submit"): (CHANGE, None),
    ("POST", "/grids/{grid_id}/monthly/{month}/return"): (CONFIRM, _submitted),
    ("POST", "/grids/{grid_id}/monthly/{month}/confirm"): (CONFIRM, _submitted),
    ("GET", "/monthly/photos/{photo_id}"): (VIEW, None),
    ("POST", "/monthly/photos/{photo_id}/delete"): (CHANGE, None),
}
