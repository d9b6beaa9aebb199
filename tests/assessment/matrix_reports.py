"""Authorisation matrix entries of quarterly reports, evidence, explanations and publishing."""

from sqlmodel import col, select

from app.assessment.models import Evidence, IndicatorValue, Period, ValueOrigin
from app.assessment.reports.evidence import path_of
from app.core.config import Settings
from app.geo.models import Park

PDF = b"%PDF-1.4\n%%EOF\n"
ROLES = ("city_admin", "district_liangxi", "park_huaxia", "liaison_huaxia_1", "leader")

# In the demo every 2026Q3 report of 无锡华夏家居港 is approved: a park administrator's
# write reaches the workflow (409: approved reports are locked) instead of a 404.
FIXED = {"period": "2026Q3", "year": 2025}

VIEW = {r: (200, 404) for r in ROLES}
REPORT = {r: (404, 404) for r in ROLES} | {"park_huaxia": (409, 404)}
REVIEW = {
    "city_admin": (409, None),
    "district_liangxi": (409, 404),
    "park_huaxia": (404, 404),
    "liaison_huaxia_1": (404, 404),
    "leader": (404, None),
}
REOPEN = REVIEW | {"city_admin": (303, None), "district_liangxi": (303, 404)}


def _evidence(session) -> dict:
    """An evidence file on 无锡华夏家居港's latest reported value, and one on 无锡盛阳食品城's."""
    period = session.exec(select(Period).where(Period.year == 2026, Period.quarter == 3)).one()
    ids = []
    for name in ("无锡华夏家居港", "无锡盛阳食品城"):
        park = session.exec(select(Park).where(Park.name == name)).one()
        value = session.exec(
            select(IndicatorValue)
            .where(
                IndicatorValue.park_id == park.id,
                IndicatorValue.period_id == period.id,
                IndicatorValue.origin == ValueOrigin.reported,
            )
            .order_by(col(IndicatorValue.id))
        ).first()
        ev = Evidence(
            value_id=value.id,
            filename=f"{name}.pdf",
            stored_name=f"matrix{park.id:04d}.pdf",
            content_type="application/pdf",
            size=len(PDF),
            sha256="0" * 64,
        )
        session.add(ev)
        session.flush()
        target = path_of(Settings().evidence_dir, ev.stored_name)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(PDF)
        ids.append(ev.id)
    huaxia, shengyang = ids
    return {
        "city_admin": (huaxia, None),
        "district_liangxi": (huaxia, None),
        "park_huaxia": (huaxia, shengyang),
        "liaison_huaxia_1": (huaxia, shengyang),
        "leader": (huaxia, None),
    }


OBJECTS = {"evidence_id": _evidence}


def _upload(role, ids, session):
    from app.assessment.models import IndicatorValue

    value = session.exec(
        select(IndicatorValue).where(IndicatorValue.origin == ValueOrigin.reported)
    ).first()
    return {"data": {"indicator_id": str(value.indicator_id)}, "files": {"file": ("a.pdf", PDF)}}


ENTRIES = {
    ("GET", "/reports"): (200, None),
    ("GET", "/parks/{park_id}/reports/{period}"): (VIEW, None),
    ("GET", "/parks/{park_id}/explain"): (VIEW, None),
    ("POST", "/parks/{park_id}/reports/{period}"): (REPORT, None),
    ("POST", "/parks/{park_id}/reports/{period}/submit"): (REPORT, None),
    ("POST", "/parks/{park_id}/reports/{period}/evidence"): (REPORT, _upload),
    ("GET", "/evidence/{evidence_id}"): (VIEW, None),
    ("POST", "/evidence/{evidence_id}/delete"): (
        {r: (404, 404) for r in ROLES} | {"park_huaxia": (409, 404)},
        None,
    ),
    ("POST", "/parks/{park_id}/reports/{period}/approve"): (REVIEW, None),
    (
        "POST",
        "/parks/{park_id}/reports/{period}/return",
    ): (REVIEW, lambda role, ids, session: {"data": {"comment": "请核实"}}),
    (
        "POST",
        "/parks/{park_id}/reports/{period}/reopen",
    ): (REOPEN, lambda role, ids, session: {"data": {"reason": "复核"}}),
    ("POST", "/years/{year}/publish"): ({"city_admin": 303}, None),
}
