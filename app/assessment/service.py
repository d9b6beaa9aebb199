"""Assessment results as pages read them: stored scores with tiers, ranks and movement."""

from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from app.assessment import scores, scoring
from app.assessment.models import DistrictScore, IndicatorValue, Period, Score
from app.framework.models import Framework, Indicator, Tier
from app.geo import service as geo_service
from app.geo.models import Area, Park


def periods(*, session: Session) -> list[Period]:
    """Gets every period, oldest first."""
    return list(session.exec(select(Period).order_by(col(Period.year), col(Period.quarter))))


def get_period(*, session: Session, label: str | None) -> Period | None:
    """Gets a period by its label ("2026Q3"); without one, the latest period that has values."""
    if label:
        year, _, quarter = label.upper().partition("Q")
        if not (year.isdigit() and quarter.isdigit()):
            return None
        return session.exec(
            select(Period).where(Period.year == int(year), Period.quarter == int(quarter))
        ).first()
    return session.exec(
        select(Period)
        .where(select(IndicatorValue.id).where(IndicatorValue.period_id == Period.id).exists())
        .order_by(col(Period.year).desc(), col(Period.quarter).desc())
    ).first()


def previous_period(*, session: Session, period: Period) -> Period | None:
    """The quarter before this one (across a year's end)."""
    year, quarter = (
        (period.year, period.quarter - 1) if period.quarter > 1 else (period.year - 1, 4)
    )
    return session.exec(
        select(Period).where(Period.year == year, Period.quarter == quarter)
    ).first()


@dataclass
class ParkResult:
    park: Park
    district: Area
    score: scoring.Score
    tier: Tier | None
    values: dict[int, float]
    rank_city: int = 0
    rank_district: int = 0
    base: float = 0.0
    adjustment: float = 0.0
    adjustments: dict[int, float] = field(default_factory=dict)
    previous_rank_city: int | None = None
    previous_rank_district: int | None = None

    @property
    def total(self) -> float:
        return self.score.total

    @property
    def movement_city(self) -> str:
        return scoring.movement(self.rank_city, self.previous_rank_city)

    @property
    def movement_district(self) -> str:
        return scoring.movement(self.rank_district, self.previous_rank_district)


@dataclass
class DistrictResult:
    district: Area
    score: float | None
    tier: Tier | None
    parks: list[ParkResult] = field(default_factory=list)
    rank: int | None = None
    previous_rank: int | None = None

    @property
    def movement(self) -> str:
        return scoring.movement(self.rank, self.previous_rank)


@dataclass
class PeriodResults:
    period: Period
    framework: Framework | None
    indicators: list[Indicator]
    tiers: list[Tier]
    parks: list[ParkResult]
    districts: list[DistrictResult]

    def park(self, park_id: int) -> ParkResult | None:
        return next((r for r in self.parks if r.park.id == park_id), None)

    def district(self, area_id: int) -> DistrictResult | None:
        return next((d for d in self.districts if d.district.id == area_id), None)


def rules(indicators: list[Indicator]) -> list[scoring.Rule]:
    """The framework's indicators as scoring rules (framework targets)."""
    return [
        scoring.Rule(key=i.id, weight=i.weight, target=i.target, rule=i.rule, params=i.rule_params)
        for i in indicators
    ]


def _stored(session: Session, period: Period) -> scores.Computed | None:
    rows = list(session.exec(select(Score).where(Score.period_id == period.id)))
    if not rows:
        return None
    districts = list(
        session.exec(select(DistrictScore).where(DistrictScore.period_id == period.id))
    )
    district_of = geo_service.district_of(session=session)
    return scores.Computed(
        parks=[
            scores.Outcome(
                park_id=r.park_id,
                district_id=district_of[r.park_id].id,
                base=r.base,
                adjustment=r.adjustment,
                total=r.total,
                tier=r.tier,
                has_data=r.has_data,
                points={int(k): v for k, v in r.points.items()},
                adjustments={int(k): v for k, v in r.adjustments.items()},
                rank_city=r.rank_city,
                rank_district=r.rank_district,
            )
            for r in rows
        ],
        districts=[
            scores.DistrictOutcome(d.area_id, d.score, d.tier, d.parks, d.rank) for d in districts
        ],
    )


def _previous_ranks(session: Session, period: Period) -> tuple[dict, dict, dict]:
    prev = previous_period(session=session, period=period)
    if prev is None:
        return {}, {}, {}
    rows = session.exec(select(Score).where(Score.period_id == prev.id))
    city, district = {}, {}
    for r in rows:
        city[r.park_id], district[r.park_id] = r.rank_city, r.rank_district
    areas = {
        d.area_id: d.rank
        for d in session.exec(select(DistrictScore).where(DistrictScore.period_id == prev.id))
    }
    return city, district, areas


def results(*, session: Session, period: Period) -> PeriodResults:
    """Scores, tiers, ranks and movement of every park and district for a period.

    Read from the stored scores; a period never stored is computed on the fly. A park with
    no values scores 0 and stays in the ranking, flagged by its score's `has_data`.
    """
    inputs = scores.gather(session, period)
    outcome = _stored(session, period) or scores.compute(session, period, inputs)
    tiers = sorted(inputs.tiers, key=lambda t: -t.min_score)
    tier_by_name = {t.name: t for t in tiers}
    parks = {p.id: p for p in geo_service.parks(session=session)}
    areas = {a.id: a for a in geo_service.districts(session=session)}
    prev_city, prev_district, prev_areas = _previous_ranks(session, period)
    missing_of = {i.id for i in inputs.indicators}

    park_results = []
    for o in outcome.parks:
        values = scores.counted_values(inputs, o.park_id)
        park_results.append(
            ParkResult(
                park=parks[o.park_id],
                district=areas[o.district_id],
                score=scoring.Score(
                    total=o.total,
                    points=o.points,
                    missing=tuple(i for i in missing_of if i not in values),
                ),
                tier=tier_by_name.get(o.tier),
                values=values,
                rank_city=o.rank_city,
                rank_district=o.rank_district,
                base=o.base,
                adjustment=o.adjustment,
                adjustments=o.adjustments,
                previous_rank_city=prev_city.get(o.park_id),
                previous_rank_district=prev_district.get(o.park_id),
            )
        )
    park_results.sort(key=lambda r: (r.rank_city, r.park.name))
    district_results = []
    for d in outcome.districts:
        members = sorted(
            (r for r in park_results if r.district.id == d.area_id), key=lambda r: r.rank_district
        )
        district_results.append(
            DistrictResult(
                district=areas[d.area_id],
                score=d.score,
                tier=tier_by_name.get(d.tier),
                parks=members,
                rank=d.rank,
                previous_rank=prev_areas.get(d.area_id),
            )
        )
    district_results.sort(key=lambda d: (d.rank is None, d.rank or 0, d.district.sort_order))
    return PeriodResults(
        period, inputs.framework, inputs.indicators, tiers, park_results, district_results
    )
