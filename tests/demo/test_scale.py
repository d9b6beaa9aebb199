"""Tests of the province-scale demo (`parkgrid demo --scale N`): counts, rules, determinism.

Small builds (60 parks) on SQLite, or on PostgreSQL in databases of their own on the
suite's server when PARKGRID_TEST_DATABASE_URL is set.
"""

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.accounts.models import User, UserScope
from app.accounts.service import DEMO_PASSWORD, principal
from app.assessment.models import DistrictScore, IndicatorValue, ParkReport, Period, Score
from app.assessment.results import measures
from app.core import config, db
from app.core.config import Settings
from app.core.security import passwords
from app.demo import scale
from app.demo.loader import COMPUTED_SOURCES
from app.enterprises.models import Enterprise, Liaison, LiaisonRole
from app.enterprises.service import check_credit_code, check_mobile
from app.framework import defaults
from app.framework.models import Indicator
from app.geo.models import Area, AreaLevel, Grid, Park
from app.main import create_app
from app.migrate import upgrade
from tests.helpers import log_in, own_database

PARKS = 60
# The tables whose rows must come out the same on every build of the same size.
CHECKED = (Area, Park, Grid, Liaison, Enterprise, Period, IndicatorValue, ParkReport, Score)


def _built(url: str) -> Iterator[tuple[Engine, scale.ScaleSummary]]:
    engine = db.make_engine(url)
    upgrade(engine)
    try:
        with Session(db.writer(engine)) as session:
            summary = scale.build(session=session, parks=PARKS)
            session.commit()
        yield engine, summary
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def built(db_url, tmp_path_factory) -> Iterator[tuple[Engine, scale.ScaleSummary]]:
    with own_database(db_url, tmp_path_factory.mktemp("scale_a"), "scale_a") as url:
        yield from _built(url)


@pytest.fixture(scope="module")
def session(built) -> Iterator[Session]:
    with Session(built[0]) as s:
        yield s


def _all(session: Session, model) -> list:
    return list(session.exec(select(model).order_by(model.id)))


def test_counts_follow_the_number_of_parks(built, session):
    _, summary = built
    areas = _all(session, Area)
    levels = Counter(a.level for a in areas)
    assert levels[AreaLevel.province] == 1
    assert summary.districts == levels[AreaLevel.district] == round(PARKS / 20)
    assert summary.parks == len(_all(session, Park)) == PARKS
    grids, enterprises = _all(session, Grid), _all(session, Enterprise)
    assert summary.grids == len(grids) and 4.5 <= len(grids) / PARKS <= 6.5
    assert summary.enterprises == len(enterprises) and 70 <= len(enterprises) / PARKS <= 130
    assert summary.liaisons == len(_all(session, Liaison)) > len(enterprises) / 2
    assert summary.workers == sum(e.worker_count for e in enterprises)
    assert summary.users == 6


def test_a_province_above_two_cities_each_with_districts(session):
    areas = {a.id: a for a in _all(session, Area)}
    province = next(a for a in areas.values() if a.level == AreaLevel.province)
    assert province.parent_id is None and province.name == "江苏省"
    cities = [a for a in areas.values() if a.level == AreaLevel.city]
    assert [c.name for c in cities] == ["无锡市", "江南市"]
    assert all(c.parent_id == province.id for c in cities)
    districts = [a for a in areas.values() if a.level == AreaLevel.district]
    assert {areas[d.parent_id].name for d in districts} == {"无锡市", "江南市"}
    assert districts[0].name == "梁溪区"
    assert len({a.code for a in areas.values()}) == len(areas)

    def district(area_id: int) -> int:
        area = areas[area_id]
        while area.level != AreaLevel.district:
            area = areas[area.parent_id]
        return area.id

    parks = _all(session, Park)
    assert {district(p.area_id) for p in parks} == {d.id for d in districts}
    # Some parks hang under a street or town, as in the Wuxi demo.
    assert any(areas[p.area_id].level == AreaLevel.street for p in parks)
    assert len({p.name for p in parks}) == len(parks)
    assert parks[0].name == "无锡华夏家居港"


def test_roster_codes_pass_the_projects_own_checks(session):
    enterprises = _all(session, Enterprise)
    assert all(check_credit_code(e.credit_code) == e.credit_code for e in enterprises)
    assert len({e.credit_code for e in enterprises}) == len(enterprises)
    assert len({e.name for e in enterprises}) == len(enterprises)
    liaisons = _all(session, Liaison)
    assert all(check_mobile(p.mobile) == p.mobile for p in liaisons)
    assert len({p.mobile for p in liaisons}) == len(liaisons)
    roles = Counter(p.role for p in liaisons)
    assert roles[LiaisonRole.guidance_officer] == roles[LiaisonRole.observer] == PARKS


def test_every_grid_has_enterprises_and_at_most_one_node(session):
    grids = _all(session, Grid)
    enterprises = _all(session, Enterprise)
    per_grid = Counter(e.grid_id for e in enterprises)
    nodes = Counter(e.grid_id for e in enterprises if e.is_node)
    assert all(per_grid[g.id] >= 1 for g in grids)
    assert all(nodes[g.id] <= 1 for g in grids)
    assert sum(nodes.values()) > 0.9 * len(grids)
    per_park = Counter(g.park_id for g in grids)
    assert all(3 <= n <= 10 for n in per_park.values())


def test_twenty_quarters_of_values_and_reports(session):
    periods = _all(session, Period)
    assert [p.label for p in periods] == [f"{y}Q{q}" for y, q in scale.PERIODS]
    assert (periods[0].label, periods[-1].label, len(periods)) == ("2021Q4", "2026Q3", 20)
    values: dict[tuple[int, int], int] = Counter(
        (v.park_id, v.period_id) for v in _all(session, IndicatorValue)
    )
    reports = {(r.park_id, r.period_id): r for r in _all(session, ParkReport)}
    latest = periods[-1].id
    for park in _all(session, Park):
        for period in periods:
            if period.id == latest and (park.id, latest) not in reports:
                # A park with no report for the latest quarter has entered nothing yet.
                assert values[(park.id, latest)] == 0
                continue
            assert values[(park.id, period.id)] == len(defaults.INDICATORS)
    older = {r.state for (_, period_id), r in reports.items() if period_id != latest}
    assert older == {"approved"}
    states = Counter(r.state for (_, period_id), r in reports.items() if period_id == latest)
    assert {"approved", "submitted", "draft"} <= set(states)
    assert 0 < PARKS - sum(states.values()) < PARKS / 4


def test_latest_computed_values_equal_the_measures(session):
    latest = _all(session, Period)[-1]
    indicators = {i.id: i for i in _all(session, Indicator)}
    stored: dict[str, dict[int, float]] = defaultdict(dict)
    for v in session.exec(select(IndicatorValue).where(IndicatorValue.period_id == latest.id)):
        ind = indicators[v.indicator_id]
        if ind.source in COMPUTED_SOURCES:
            assert v.origin == "computed" and v.basis
            stored[ind.measure][v.park_id] = v.value
    assert len(stored) == 5
    for measure, values in stored.items():
        assert measures.compute(session, measure, list(values)) == values


def test_every_park_has_a_score_for_every_quarter_and_they_span_the_tiers(session):
    parks, periods = _all(session, Park), _all(session, Period)
    stored = _all(session, Score)
    assert {(s.park_id, s.period_id) for s in stored} == {
        (p.id, q.id) for p in parks for q in periods
    }
    assert len(stored) == len(parks) * len(periods)
    districts = [a for a in _all(session, Area) if a.level == AreaLevel.district]
    assert len(_all(session, DistrictScore)) == len(districts) * len(periods)
    latest = [s for s in stored if s.period_id == periods[-1].id]
    assert len({s.tier for s in latest}) >= 3


def _checksums(engine: Engine) -> dict[str, str]:
    out = {}
    with engine.connect() as conn:
        for model in CHECKED:
            table = model.__table__
            # When the scores were computed is the build's time, not data.
            columns = [c for c in table.columns if c.name != "computed_at"]
            digest = hashlib.sha256()
            for row in conn.execute(sa.select(*columns).order_by(table.c.id)):
                digest.update(repr(tuple(row)).encode())
            out[table.name] = digest.hexdigest()
    return out


def test_building_twice_gives_identical_rows(built, db_url, tmp_path_factory):
    with own_database(db_url, tmp_path_factory.mktemp("scale_b"), "scale_b") as url:
        for again, summary in _built(url):
            assert _checksums(again) == _checksums(built[0])
            assert summary.parks == built[1].parks


def test_the_demo_accounts_log_in_with_their_scopes(built, session):
    users = {u.username: u for u in _all(session, User)}
    assert set(users) == {
        "city_admin",
        "district_liangxi",
        "park_huaxia",
        "liaison_huaxia_1",
        "leader",
        "province_admin",
    }
    assert all(passwords.verify(DEMO_PASSWORD, u.password_hash) for u in users.values())
    areas = _all(session, Area)
    wuxi = next(a for a in areas if a.name == "无锡市")
    province = principal(session=session, user=users["province_admin"])
    assert province.area_ids == {a.id for a in areas}
    city = principal(session=session, user=users["city_admin"])
    assert wuxi.id in city.area_ids and len(city.area_ids) < len(areas)
    liaison = users["liaison_huaxia_1"]
    scope = session.exec(select(UserScope).where(UserScope.user_id == liaison.id)).one()
    grid = session.get(Grid, scope.grid_id)
    assert grid.liaison_id == liaison.liaison_id is not None
    assert session.get(Park, grid.park_id).name == "无锡华夏家居港"

    engine = built[0]
    url = engine.url.render_as_string(hide_password=False)
    app = create_app(Settings(database_url=url), engine=engine)
    for username in ("province_admin", "leader", "park_huaxia"):
        with TestClient(app) as client:
            log_in(client, username, DEMO_PASSWORD)
            assert client.get("/").status_code == 200


def test_the_command_builds_into_an_empty_database_only(private_db_url, monkeypatch):
    from app.cli import cli

    monkeypatch.setenv("PARKGRID_DATABASE_URL", private_db_url)
    config.get_settings.cache_clear()
    db.get_engine.cache_clear()
    runner = CliRunner()
    try:
        assert runner.invoke(cli, ["demo", "--no-scores"]).exit_code == 2
        assert runner.invoke(cli, ["migrate"]).exit_code == 0
        done = runner.invoke(cli, ["demo", "--scale", "30", "--no-scores"])
        assert done.exit_code == 0, done.output
        assert "2 cities, 2 districts" in done.output and "30 parks" in done.output
        again = runner.invoke(cli, ["demo", "--scale", "30", "--if-empty"])
        assert again.exit_code == 0 and "未载入演示数据" in again.output
        assert runner.invoke(cli, ["demo", "--scale", "30"]).exit_code == 1
        with Session(db.get_engine()) as s:
            assert s.exec(select(sa.func.count()).select_from(Score)).one() == 0
            # The ids continue after the bulk-inserted rows (PostgreSQL sequences moved on).
            s.add(Liaison(park_id=1, name="新联络员", mobile="13900000000", role="observer"))
            s.commit()
    finally:
        db.get_engine().dispose()
        config.get_settings.cache_clear()
        db.get_engine.cache_clear()
