"""Re-scoring one park re-ranks the period exactly as a full recompute would."""

from sqlmodel import col, select

from app.assessment.models import (
    AspectScore,
    DistrictAspectScore,
    DistrictScore,
    IndicatorValue,
    Period,
    Score,
    ValueOrigin,
)
from app.assessment.results import scores
from app.geo.models import Park


def _stored(session, period):
    parks = {
        s.park_id: (s.total, s.base, s.tier, s.rank_city, s.rank_district, s.points)
        for s in session.exec(select(Score).where(Score.period_id == period.id))
    }
    districts = {
        d.area_id: (d.score, d.tier, d.rank, d.parks)
        for d in session.exec(select(DistrictScore).where(DistrictScore.period_id == period.id))
    }
    return parks, districts


def _aspects(session, period):
    """The stored aspect rows of a period: park and district points and ranks per aspect."""
    parks = {
        (a.park_id, a.aspect_id): (a.points, a.rank_city, a.rank_district, a.district_id)
        for a in session.exec(select(AspectScore).where(AspectScore.period_id == period.id))
    }
    districts = {
        (d.area_id, d.aspect_id): (d.score, d.total, d.rank)
        for d in session.exec(
            select(DistrictAspectScore).where(DistrictAspectScore.period_id == period.id)
        )
    }
    return parks, districts


def _recomputed(session, period):
    out = scores.compute(session, period)
    parks = {
        o.park_id: (
            o.total,
            o.base,
            o.tier,
            o.rank_city,
            o.rank_district,
            {str(k): v for k, v in o.points.items()},
        )
        for o in out.parks
    }
    districts = {d.area_id: (d.score, d.tier, d.rank, d.parks) for d in out.districts}
    return parks, districts


def test_one_park_falling_moves_the_ranks_of_the_others_as_a_recompute_would(session):
    period = session.exec(select(Period).where(Period.year == 2026, Period.quarter == 2)).one()
    park = session.exec(select(Park).where(Park.name == "无锡华夏家居港")).one()
    before, _ = _stored(session, period)
    first_before = before[park.id][3]
    # Every reported value of the park drops to nothing: it falls down the ranking.
    for v in session.exec(
        select(IndicatorValue).where(
            IndicatorValue.park_id == park.id,
            IndicatorValue.period_id == period.id,
            IndicatorValue.origin == ValueOrigin.reported,
        )
    ):
        v.value = 0.0
        session.add(v)
    session.flush()

    scores.store_park(session, period, park.id)

    after_parks, after_districts = _stored(session, period)
    assert (after_parks, after_districts) == _recomputed(session, period)
    # The aspect league tables moved with it, as a full store would leave them.
    aspects = _aspects(session, period)
    assert len(aspects[0]) == 15 * 9 and len(aspects[1]) == 8 * 9
    scores.store(session, period)
    assert _aspects(session, period) == aspects
    assert after_parks[park.id][0] < before[park.id][0]
    assert after_parks[park.id][3] > first_before  # it fell in the city ranking
    moved = [p for p in after_parks if p != park.id and after_parks[p][3] != before[p][3]]
    assert moved  # and parks that were below it moved up


def test_store_from_with_a_park_rescores_the_later_quarters_too(session):
    q2 = session.exec(select(Period).where(Period.year == 2026, Period.quarter == 2)).one()
    park = session.exec(select(Park).where(Park.name == "无锡华夏家居港")).one()
    value = session.exec(
        select(IndicatorValue)
        .where(
            IndicatorValue.park_id == park.id,
            IndicatorValue.period_id == q2.id,
            IndicatorValue.origin == ValueOrigin.reported,
        )
        .order_by(col(IndicatorValue.id))
    ).first()
    value.value = 0.0
    session.add(value)
    session.flush()

    scores.store_from(session, q2, park.id)

    for label in ((2026, 2), (2026, 3)):
        period = session.exec(
            select(Period).where(Period.year == label[0], Period.quarter == label[1])
        ).one()
        assert _stored(session, period) == _recomputed(session, period)
