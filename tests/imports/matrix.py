"""Authorisation matrix entries of the roster in Excel: downloads, uploads and import jobs."""

from sqlmodel import select

from app.geo.models import Park
from app.imports import service
from app.imports.models import ImportFile, ImportJob, ImportLine, ImportStatus, LineKind
from tests.imports.books import XLSX

ROLES = ("city_admin", "district_liangxi", "park_huaxia", "liaison_huaxia_1", "leader")


def _park(session, name: str) -> Park:
    return session.exec(select(Park).where(Park.name == name)).one()


def _job(session, park: Park) -> int:
    """A checked file with one error: its preview is a 200 page, its error workbook downloads."""
    job = ImportJob(
        park_id=park.id,
        filename="矩阵.xlsx",
        sha256="0" * 64,
        status=ImportStatus.invalid,
        errors=1,
        counts={
            k: {"new": 0, "updated": 0, "unchanged": 0, "error": 0} for k in service.sheet_titles()
        },
    )
    session.add(job)
    session.flush()
    session.add(ImportFile(job_id=job.id, content=service.template(session, park)))
    session.add(
        ImportLine(
            job_id=job.id, kind=LineKind.error, sheet="企业", row=2, column="A", message="矩阵"
        )
    )
    session.flush()
    return job.id


def _jobs(session) -> dict:
    """In scope: a job of 无锡华夏家居港; out: one of the 惠山 park (another district)."""
    huaxia = _job(session, _park(session, "无锡华夏家居港"))
    huishan = _job(session, _park(session, "无锡惠山高新技术产业创业服务中心"))
    return {
        "city_admin": (huaxia, None),
        "district_liangxi": (huaxia, huishan),
        "park_huaxia": (huaxia, huishan),
        "liaison_huaxia_1": (huaxia, huishan),
        "leader": (huaxia, None),
    }


OBJECTS = {"job_id": _jobs}


def _upload(role, ids, session) -> dict:
    park = _park(session, "无锡华夏家居港")
    return {
        "data": {"park_id": str(park.id)},
        "files": {"file": ("模板.xlsx", service.template(session, park), XLSX)},
    }


VIEW = {r: (200, 404) for r in ROLES}
CHANGE_PARK = {
    "city_admin": (200, None),
    "district_liangxi": (200, 404),
    "park_huaxia": (200, 404),
    "liaison_huaxia_1": (404, 404),
    "leader": (404, None),
}


def _job_answers(status: int) -> dict:
    return {r: ((status, 404) if r != "leader" else (404, None)) for r in ROLES} | {
        "city_admin": (status, None),
        "liaison_huaxia_1": (404, 404),
    }


ENTRIES = {
    ("GET", "/parks/{park_id}/import-template.xlsx"): (CHANGE_PARK, None),
    ("GET", "/parks/{park_id}/roster.xlsx"): (VIEW, None),
    ("GET", "/grids/{grid_id}/roster.xlsx"): (VIEW, None),
    ("GET", "/grids/{grid_id}/roster.csv"): (VIEW, None),
    # A liaison changes grids, not a park's roster: the page lists no park for them.
    ("GET", "/imports"): ({r: 200 for r in ROLES if r != "leader"}, None),
    ("POST", "/imports"): (
        {"city_admin": 303, "district_liangxi": 303, "park_huaxia": 303},
        _upload,
    ),
    ("GET", "/imports/{job_id}"): (_job_answers(200), None),
    ("GET", "/imports/{job_id}/progress"): (_job_answers(200), None),
    # A job with errors cannot be confirmed: 409 is the confirmation's answer in scope.
    ("POST", "/imports/{job_id}/confirm"): (_job_answers(409), None),
    ("GET", "/imports/{job_id}/errors.xlsx"): (_job_answers(200), None),
}
