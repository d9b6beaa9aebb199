"""The framework editor's routes in the authorisation matrix: the city office's alone."""

from app.framework import service

ROLES = ("city_admin", "district_liangxi", "park_huaxia", "liaison_huaxia_1", "leader")

# Only the city office has these pages; for everyone else they do not exist.
CITY_PAGE = {"city_admin": (200, None)} | {r: (None, 404) for r in ROLES[1:]}
CITY_WRITE = {"city_admin": (303, None)} | {r: (None, 404) for r in ROLES[1:]}


def _framework(session):
    # The newest 2026 framework; every sheet body below posts it back unchanged, so the
    # walk stays on this version whether or not the demo has locked it.
    return service.for_year(session=session, year=2026)


def _framework_ids(session) -> dict[str, tuple[int | None, int | None]]:
    fid = _framework(session).id
    return {"city_admin": (fid, None)} | {r: (None, fid) for r in ROLES[1:]}


OBJECTS = {"framework_id": _framework_ids}


def _rows(rows: list[dict]) -> dict:
    return {
        "data": {
            f"rows-{i}-{k}": "" if v is None else str(v)
            for i, r in enumerate(rows)
            for k, v in r.items()
        }
    }


def _aspects(role, ids, session):
    fid = _framework(session).id
    return _rows(
        [{"id": a.id, "name": a.name} for a in service.aspects(session=session, framework_id=fid)]
    )


def _indicators(role, ids, session):
    fid = _framework(session).id
    return _rows(
        [
            {
                "id": i.id,
                "code": i.code,
                "name": i.name,
                "aspect_id": i.aspect_id,
                "unit": i.unit,
                "source": i.source.value,
                "measure": i.measure,
                "target": f"{i.target:g}",
                "weight": f"{i.weight:g}",
                "rule": i.rule.value,
                "steps": service.format_steps(i.rule_params),
            }
            for i in service.indicators(session=session, framework_id=fid)
        ]
    )


def _tiers(role, ids, session):
    fid = _framework(session).id
    return _rows(
        [
            {"id": t.id, "name": t.name, "min_score": f"{t.min_score:g}", "colour": t.colour}
            for t in service.tiers(session=session, framework_id=fid)
        ]
    )


def _adjustments(role, ids, session):
    fid = _framework(session).id
    return _rows(
        [
            {
                "id": a.id,
                "code": a.code,
                "name": a.name,
                "kind": a.kind.value,
                "source": a.source.value,
                "points": f"{a.points:g}",
                "cap": f"{a.cap:g}",
            }
            for a in service.adjustments(session=session, framework_id=fid)
        ]
    )


def _overrides(role, ids, session):
    fid = _framework(session).id
    return _rows(
        [
            {
                "id": o.id,
                "park_id": o.park_id,
                "indicator_id": o.indicator_id,
                "target": f"{o.target:g}",
                "reason": o.reason,
            }
            for o in service.overrides(session=session, framework_id=fid)
        ]
    )


def _copy(role, ids, session):
    return {"data": {"source_id": str(_framework(session).id), "year": "2099"}}


ENTRIES = {
    ("GET", "/frameworks"): ({"city_admin": 200}, None),
    ("POST", "/frameworks/copy"): ({"city_admin": 303}, _copy),
    ("GET", "/frameworks/{framework_id}"): (CITY_PAGE, None),
    ("POST", "/frameworks/{framework_id}/aspects"): (CITY_WRITE, _aspects),
    ("POST", "/frameworks/{framework_id}/indicators"): (CITY_WRITE, _indicators),
    ("POST", "/frameworks/{framework_id}/tiers"): (CITY_WRITE, _tiers),
    ("POST", "/frameworks/{framework_id}/adjustments"): (CITY_WRITE, _adjustments),
    ("POST", "/frameworks/{framework_id}/overrides"): (CITY_WRITE, _overrides),
}
