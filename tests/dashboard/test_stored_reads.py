"""Pages read stored results: no GET scores anything, and a page's statements do not grow
with the number of parks (issue 12).

The first test plants a tripwire in every scoring entry point and walks every GET route
of the app with the demo's ids. The second builds two province databases of different
sizes (`parkgrid demo --scale`) and counts the SQL statements of each dashboard page in
both: a page that read per park would count more in the bigger one.
"""

import re
from collections.abc import Iterator

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.accounts.service import DEMO_PASSWORD, principal
from app.assessment.models import Period
from app.assessment.results import scores, scoring
from app.core import db
from app.core.config import Settings
from app.demo import scale
from app.framework.models import Aspect
from app.geo import service as geo
from app.geo.models import Area, AreaLevel, Grid, Park
from app.main import create_app
from app.migrate import upgrade
from tests.helpers import log_in, own_database

# Every function through which a score, a rank or a stored result comes about.
SCORING = [
    (scoring, "score"),
    (scoring, "ranks"),
    (scoring, "mean"),
    (scores, "compute"),
    (scores, "league"),
    (scores, "store"),
    (scores, "store_park"),
    (scores, "store_from"),
    (scores, "write"),
    (scores, "_outcome"),
    (scores, "_rank"),
]

# GET routes that need more than the ids below, or that answer something else than a
# page built from results (a file download by a stored name, the login, static files).
SKIPPED_PARAMS = {"path", "token", "job_id", "demand_id", "notice_id", "report_id"}


class Tripped(AssertionError):
    pass


def _tripwire(name: str):
    def tripped(*_args, **_kwargs):
        raise Tripped(f"a GET called {name}")

    return tripped


def _ids(session: Session) -> dict[str, str]:
    period = session.exec(
        select(Period).order_by(col(Period.year).desc(), col(Period.quarter).desc())
    ).first()
    district = session.exec(select(Area).where(Area.level == AreaLevel.district)).first()
    park = session.exec(select(Park).where(Park.name == "无锡华夏家居港")).one()
    grid = session.exec(select(Grid).where(Grid.park_id == park.id)).first()
    return {
        "area_id": str(district.id),
        "park_id": str(park.id),
        "grid_id": str(grid.id),
        "year": str(period.year),
        "label": period.label,
        "period": period.label,
    }


def _routes(routes):
    for r in routes:
        if isinstance(r, APIRoute):
            yield r
        elif hasattr(r, "original_router"):  # an included router
            yield from _routes(r.original_router.routes)


def _get_paths(app, ids: dict[str, str]) -> list[str]:
    paths = []
    for route in _routes(app.routes):
        if "GET" not in route.methods:
            continue
        params = set(re.findall(r"{(\w+)(?::\w+)?}", route.path))
        if params & SKIPPED_PARAMS or not params <= set(ids):
            continue
        paths.append(re.sub(r"{(\w+)(?::\w+)?}", lambda m: ids[m.group(1)], route.path))
    return paths


def test_no_get_scores_anything(login, session, monkeypatch):
    ids = _ids(session)
    client = login("city_admin")
    paths = _get_paths(client.app, ids)
    aspect = session.exec(select(Aspect)).first()
    extra = [
        f"/?period={ids['period']}&district={ids['area_id']}&radar={ids['area_id']}",
        f"/?district=&park={ids['park_id']}",
        f"/districts/{ids['area_id']}?park={ids['park_id']}&indicator=I03",
        f"/rankings?by={aspect.id}",
        "/rankings?q=无锡&page=1",
        f"/rankings.xlsx?by={aspect.id}",
        "/screen?part=figures",
    ]
    # The walk reaches the dashboards, rankings, exports, the API and the explanations.
    for needed in ("/", "/rankings", "/rankings.xlsx", "/screen", "/api/v1/rankings"):
        assert needed in paths
    assert any("/explain" in p for p in paths) and any(p.startswith("/districts/") for p in paths)
    for module, name in SCORING:
        monkeypatch.setattr(module, name, _tripwire(f"{module.__name__}.{name}"))
    answered = {}
    for path in paths + extra:
        resp = client.get(path, headers={"HX-Request": "true"} if "part=" in path else {})
        answered[path] = resp.status_code
    # Every page answered (a pdf needs Chromium, which a test machine may lack: 503).
    failed = {p: s for p, s in answered.items() if s >= 500 and not p.endswith(".pdf")}
    assert failed == {}
    assert sum(s == 200 for s in answered.values()) >= 30


# ---- statements per page at two sizes ----------------------------------------------------

SIZES = (40, 120)


@pytest.fixture(scope="module")
def provinces(db_url, tmp_path_factory) -> Iterator[dict[int, Engine]]:
    engines: dict[int, Engine] = {}
    with (
        own_database(db_url, tmp_path_factory.mktemp("small"), "reads_small") as small,
        own_database(db_url, tmp_path_factory.mktemp("big"), "reads_big") as big,
    ):
        for parks, url in zip(SIZES, (small, big), strict=True):
            engine = db.make_engine(url)
            upgrade(engine)
            with Session(db.writer(engine)) as s:
                scale.build(session=s, parks=parks)
                s.commit()
            engines[parks] = engine
        yield engines
        for engine in engines.values():
            engine.dispose()


def _statements(engine: Engine, username: str) -> dict[str, int]:
    """SQL statements per page, as `username`, on this database."""
    with Session(engine) as s:
        district = s.exec(
            select(Area).where(Area.level == AreaLevel.district).order_by(col(Area.id))
        ).first()
        park = s.exec(select(Park).where(Park.name == "无锡华夏家居港")).one()
        aspect = s.exec(select(Aspect).order_by(col(Aspect.id).desc())).first()
    pages = {
        "overview": "/",
        "overview, a park opened": f"/?district={district.id}&park={park.id}",
        "district": f"/districts/{district.id}",
        "district, an indicator opened": f"/districts/{district.id}?park={park.id}&indicator=I03",
        "park": f"/parks/{park.id}",
        "rankings": "/rankings",
        "rankings by aspect, page 2": f"/rankings?by={aspect.id}&page=2",
        "rankings searched": "/rankings?q=园",
        "screen": "/screen",
        "rankings.xlsx": "/rankings.xlsx",
        "explain": f"/parks/{park.id}/explain",
    }
    app = create_app(
        Settings(database_url=engine.url.render_as_string(hide_password=False)), engine=engine
    )
    counted: dict[str, int] = {}
    with TestClient(app) as client:
        log_in(client, username, DEMO_PASSWORD)
        for name, path in pages.items():
            counted[name] = _statements_of(client, engine, path)
    return counted


@pytest.mark.parametrize("username", ["province_admin", "leader", "district_liangxi"])
def test_statements_per_page_do_not_grow_with_the_parks(provinces, username):
    small, big = (_statements(provinces[n], username) for n in SIZES)
    assert small == big
    # And they stay few (an opened indicator, the most, reads its report, evidence and
    # history: about 60).
    assert max(small.values()) <= 64


def _statements_of(client, target, path: str) -> int:
    """The SQL statements sent on `target` (an engine or a connection) for one GET of
    `path`, asked once before to warm what is cached per process."""
    client.get(path)
    n = 0

    def count(*_args):
        nonlocal n
        n += 1

    event.listen(target, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200, path
    finally:
        event.remove(target, "before_cursor_execute", count)
    return n


def test_a_park_page_reads_as_much_under_a_street_as_under_its_district(login, session, connection):
    # In the demo 无锡华夏家居港 hangs under 广益街道 (a street of 梁溪区) and 无锡盛阳食品城
    # right under 梁溪区: the breadcrumb and the district are one query however deep.
    parks = {p.name: p for p in session.exec(select(Park))}
    street, district = parks["无锡华夏家居港"], parks["无锡盛阳食品城"]
    assert session.get(Area, street.area_id).level == AreaLevel.street
    assert session.get(Area, district.area_id).level == AreaLevel.district
    client = login("city_admin")
    for page in ("/parks/{id}", "/parks/{id}/explain", "/parks/{id}/reports/2026Q3"):
        deep, shallow = (
            _statements_of(client, connection, page.format(id=p.id)) for p in (street, district)
        )
        assert deep == shallow, page


def test_a_league_table_reads_which_of_its_rows_link_not_the_whole_scope(session, connection):
    # 梁溪区's office may open its own parks only. Its page asks about the rows it shows:
    # one query with their ids, however many parks the city has.
    office = principal(
        session=session,
        user=session.exec(select(User).where(User.username == "district_liangxi")).one(),
    )
    parks = {p.name: p.id for p in session.exec(select(Park))}
    own, other = parks["无锡华夏家居港"], parks["江阴高新区生物医药产业园"]
    sent: list[tuple[str, object]] = []

    def note(_conn, _cursor, statement, parameters, *_args):
        sent.append((statement, parameters))

    visible = geo.visible(session=session, who=office)
    visible.parks.preload([own, other])
    event.listen(connection, "before_cursor_execute", note)
    try:
        answers = (own in visible.parks, other in visible.parks)
    finally:
        event.remove(connection, "before_cursor_execute", note)
    assert answers == (True, False)
    assert len(sent) == 1
    # SQLite's driver takes a tuple of values, psycopg a dict of named ones.
    params = sent[0][1]
    values = params.values() if isinstance(params, dict) else params
    assert sorted(p for p in values if p in (own, other)) == sorted([own, other])

    # Asked about a park it was not told of, it reads the whole scope once.
    unknown = geo.visible(session=session, who=office)
    assert [own in unknown.parks, other in unknown.parks] == [True, False]
    # 梁溪区's two parks are few enough to be listed whole, but not within one.
    assert geo.visible(session=session, who=office).parks.few(2) == {
        parks["无锡华夏家居港"],
        parks["无锡盛阳食品城"],
    }
    assert geo.visible(session=session, who=office).parks.few(1) is None
