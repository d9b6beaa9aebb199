"""Assessment results: a period's values scored, tiered and ranked for every park and district."""

from collections import defaultdict
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from app.assessment import scoring
from app.assessment.models import IndicatorValue, Period
from app.framework import service as framework_service
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


@dataclass
class ParkResult:
    park: Park
    district: Area
    score: scoring.Score
    tier: Tier | None
    values: dict[int, float]
    rank_city: int = 0
    rank_district: int = 0

    @property
    def total(self) -> float:
        return self.score.total


@dataclass
class DistrictResult:
    district: Area
    score: float | None
    tier: Tier | None
    parks: list[ParkResult] = field(default_factory=list)
    rank: int | None = None


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


def _tier(total: float | None, tiers: list[Tier]) -> Tier | None:
    if total is None:
        return None
    name = scoring.tier(total, [(t.name, t.min_score) for t in tiers])
    return next((t for t in tiers if t.name == name), None)


def rules(indicators: list[Indicator]) -> list[scoring.Rule]:
    """The framework's indicators as scoring rules."""
    return [
        scoring.Rule(key=i.id, weight=i.weight, target=i.target, rule=i.rule, params=i.rule_params)
        for i in indicators
    ]


def results(*, session: Session, period: Period) -> PeriodResults:
    """Scores, tiers and ranks of every park and district for a period.

    A park with no values scores 0 and stays in the ranking, flagged by its score's
    `has_data`; a district scores the mean of all its parks.
    """
    fw = session.get(Framework, period.framework_id) if period.framework_id else None
    indicators = framework_service.indicators(session=session, framework_id=fw.id) if fw else []
    tiers = framework_service.tiers(session=session, framework_id=fw.id) if fw else []
    values: dict[int, dict[int, float]] = defaultdict(dict)
    for v in session.exec(select(IndicatorValue).where(IndicatorValue.period_id == period.id)):
        values[v.park_id][v.indicator_id] = v.value

    district_of = geo_service.district_of(session=session)
    rule_list = rules(indicators)
    park_results = []
    for park in geo_service.parks(session=session):
        s = scoring.score(rule_list, values[park.id])
        park_results.append(
            ParkResult(
                park=park,
                district=district_of[park.id],
                score=s,
                tier=_tier(s.total, tiers),
                values=values[park.id],
            )
        )

    city_ranks = scoring.ranks({r.park.id: r.total for r in park_results})
    by_district: dict[int, list[ParkResult]] = defaultdict(list)
    for r in park_results:
        r.rank_city = city_ranks[r.park.id]
        by_district[r.district.id].append(r)
    for members in by_district.values():
        local = scoring.ranks({r.park.id: r.total for r in members})
        for r in members:
            r.rank_district = local[r.park.id]
    park_results.sort(key=lambda r: (r.rank_city, r.park.name))

    districts = []
    for d in geo_service.districts(session=session):
        members = sorted(by_district.get(d.id, []), key=lambda r: r.rank_district)
        mean = scoring.mean([r.total for r in members])
        districts.append(DistrictResult(d, mean, _tier(mean, tiers), members))
    district_ranks = scoring.ranks(
        {d.district.id: d.score for d in districts if d.score is not None}
    )
    for d in districts:
        d.rank = district_ranks.get(d.district.id)
    districts.sort(key=lambda d: (d.rank is None, d.rank or 0, d.district.sort_order))
    return PeriodResults(period, fw, indicators, tiers, park_results, districts)
