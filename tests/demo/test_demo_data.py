"""Tests of the Wuxi demo: its counts, roster rules, computed values, data gap and determinism."""

import re
from collections import Counter, defaultdict
from collections.abc import Iterator

import pytest
from sqlmodel import Session, select
from stdnum.cn import uscc

from app.accounts.models import User
from app.assessment.models import IndicatorValue, Period
from app.assessment.results import measures
from app.core.db import make_engine
from app.demo import data
from app.demo.loader import COMPUTED_SOURCES, DemoSummary, is_empty, load_demo
from app.enterprises.models import Enterprise, Liaison, LiaisonRole
from app.framework import defaults
from app.framework.models import Indicator
from app.geo.models import Area, AreaLevel, Grid, Park
from app.migrate import upgrade


def _loaded(path) -> Iterator[tuple[Session, DemoSummary]]:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    try:
        with Session(engine) as session:
            summary = load_demo(session=session)
            session.flush()
            yield session, summary
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Iterator[tuple[Session, DemoSummary]]:
    yield from _loaded(tmp_path_factory.mktemp("demo") / "demo.db")


@pytest.fixture(scope="module")
def demo_session(demo) -> Session:
    return demo[0]


def _all(session: Session, model) -> list:
    return list(session.exec(select(model).order_by(model.id)))


def _latest(session: Session) -> Period:
    year, quarter = data.PERIODS[-1]
    return session.exec(select(Period).where(Period.year == year, Period.quarter == quarter)).one()


def _values(session: Session) -> list[tuple[str, str, int, str, float, str]]:
    parks = {p.id: p.name for p in _all(session, Park)}
    periods = {p.id: p.label for p in _all(session, Period)}
    indicators = {i.id: (i.framework_id, i.code) for i in _all(session, Indicator)}
    return [
        (parks[v.park_id], periods[v.period_id], *indicators[v.indicator_id], v.value, v.origin)
        for v in _all(session, IndicatorValue)
    ]


def test_summary_matches_the_rows(demo):
    session, summary = demo
    enterprises = _all(session, Enterprise)
    districts = [a for a in _all(session, Area) if a.level == AreaLevel.district]
    assert summary == DemoSummary(
        districts=len(districts),
        parks=len(_all(session, Park)),
        grids=len(_all(session, Grid)),
        enterprises=len(enterprises),
        workers=sum(e.worker_count for e in enterprises),
        liaisons=len(_all(session, Liaison)),
        periods=len(_all(session, Period)),
        values=len(_all(session, IndicatorValue)),
        users=len(_all(session, User)),
    )
    assert summary.users == 5
    assert (summary.districts, summary.parks, summary.enterprises, summary.periods) == (
        8,
        15,
        1227,
        8,
    )
    assert 95_000 <= summary.workers <= 105_000
    assert not is_empty(session=session)


def test_every_district_has_a_park(demo_session):
    areas = {a.id: a for a in _all(demo_session, Area)}

    def district(area_id: int) -> str:
        area = areas[area_id]
        while area.level != AreaLevel.district:
            area = areas[area.parent_id]
        return area.name

    covered = Counter(district(p.area_id) for p in _all(demo_session, Park))
    names = {a.name for a in areas.values() if a.level == AreaLevel.district}
    assert set(covered) == names
    assert len({a.code for a in areas.values()}) == len(areas)


def test_every_grid_has_enterprises_and_at_most_one_node(demo_session):
    grids = _all(demo_session, Grid)
    per_grid = Counter(e.grid_id for e in _all(demo_session, Enterprise))
    nodes = Counter(e.grid_id for e in _all(demo_session, Enterprise) if e.is_node)
    assert all(per_grid[g.id] >= 1 for g in grids)
    assert all(nodes[g.id] <= 1 for g in grids)
    assert all(3 <= n <= 10 for n in Counter(g.park_id for g in grids).values())

    # The gaps (no liaison, no node) sit in the two lagging parks only.
    lagging = {p.id for p in _all(demo_session, Park) if p.name in {d.name for d in _lagging()}}
    unstaffed = [g for g in grids if g.liaison_id is None]
    nodeless = [g for g in grids if nodes[g.id] == 0]
    assert 3 <= len(unstaffed) <= 5
    assert nodeless
    assert {g.park_id for g in unstaffed + nodeless} <= lagging
    assert {g.status for g in grids} == {"green", "amber", "red"}
    assert all(g.status_changed_at.year == 2026 and g.status_note for g in grids)


def _lagging() -> list[data.ParkDef]:
    return [d for d in data.PARKS if d.story == data.Story.lagging]


def test_credit_codes_are_valid_and_unique(demo_session):
    codes = [e.credit_code for e in _all(demo_session, Enterprise)]
    assert all(len(c) == 18 and c.startswith("91") and uscc.is_valid(c) for c in codes)
    assert len(set(codes)) == len(codes)
    names = [e.name for e in _all(demo_session, Enterprise)]
    assert len(set(names)) == len(names)


def test_liaisons_have_distinct_valid_mobiles(demo_session):
    liaisons = _all(demo_session, Liaison)
    mobiles = [p.mobile for p in liaisons]
    assert all(re.fullmatch(r"1[3-9]\d{9}", m) for m in mobiles)
    assert len(set(mobiles)) == len(mobiles)
    roles = Counter(p.role for p in liaisons)
    assert roles[LiaisonRole.guidance_officer] == roles[LiaisonRole.observer] == 15
    assert roles[LiaisonRole.enterprise_liaison] > 600


def test_missing_data_park_has_no_latest_values(demo_session):
    latest = _latest(demo_session)
    park = demo_session.exec(select(Park).where(Park.name == data.MISSING_DATA_PARK)).one()
    rows = demo_session.exec(select(IndicatorValue).where(IndicatorValue.period_id == latest.id))
    reported = Counter(v.park_id for v in rows)
    assert park.id not in reported
    # Every other park has a value for each of the twelve indicators.
    assert len(reported) == 14
    assert set(reported.values()) == {len(defaults.INDICATORS)}


def test_latest_computed_values_equal_the_measures(demo_session):
    latest = _latest(demo_session)
    indicators = {i.id: i for i in _all(demo_session, Indicator)}
    stored: dict[str, dict[int, float]] = defaultdict(dict)
    for v in demo_session.exec(select(IndicatorValue).where(IndicatorValue.period_id == latest.id)):
        ind = indicators[v.indicator_id]
        if ind.source in COMPUTED_SOURCES:
            assert v.origin == "computed"
            stored[ind.measure][v.park_id] = v.value
        else:
            assert v.origin == "reported"
    assert len(stored) == 5
    for measure, values in stored.items():
        assert measures.compute(demo_session, measure, list(values)) == values


def test_percentages_stay_within_bounds_and_scores_span_every_tier(demo_session):
    rows = _values(demo_session)
    units = {(i.framework_id, i.code): i for i in _all(demo_session, Indicator)}
    scores: dict[tuple[str, str], float] = defaultdict(float)
    for park, period, fw, code, value, _ in rows:
        ind = units[(fw, code)]
        if ind.unit == "%":
            assert 0 <= value <= 100
        assert value >= 0
        scores[(park, period)] += ind.weight * min(value / ind.target, 1)
    floors = [t[1] for t in defaults.TIERS]

    def tier(score: float) -> int:
        return next(i for i, floor in enumerate(floors) if score >= floor)

    for period in ("2024Q4", "2025Q4", "2026Q3"):
        tiers = {tier(s) for (_, p), s in scores.items() if p == period}
        assert tiers == set(range(len(floors))), period


def test_loading_twice_gives_identical_rows(demo_session, tmp_path):
    def roster(s: Session) -> list[tuple]:
        return [(e.credit_code, e.name, e.worker_count, e.is_node) for e in _all(s, Enterprise)]

    for again, _ in _loaded(tmp_path / "again.db"):
        assert roster(again) == roster(demo_session)
        assert [(p.name, p.mobile) for p in _all(again, Liaison)] == [
            (p.name, p.mobile) for p in _all(demo_session, Liaison)
        ]
        assert _values(again) == _values(demo_session)


def test_refuses_a_database_that_has_data(demo_session):
    with pytest.raises(ValueError):
        load_demo(session=demo_session)
