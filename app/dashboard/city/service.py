"""The city's figures: roster and report totals, district trends, aspect shares, pilots."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, func, select

from app.assessment.models import DistrictScore, Period
from app.assessment.rankings.service import aspects as framework_aspects
from app.assessment.reports import service as reports
from app.assessment.results import service as assessment
from app.core.templating import LOCAL_TZ
from app.core.types import utcnow
from app.enterprises import service as roster
from app.framework.models import Aspect
from app.geo import service as geo
from app.geo.models import Park, PilotLevel


@dataclass(frozen=True)
class Kpis:
    """The city's headline numbers: the roster as it stands, reports of one period."""

    districts: int
    parks: int
    grids: int
    enterprises: int
    workers: int
    in_reform: int
    period: Period | None  # the period the report figures are for
    reports_expected: int = 0
    reports_on_time: int = 0
    # Whether the period's deadline is still ahead: reports not yet in are not late yet.
    deadline_ahead: bool = False

    @property
    def participation(self) -> float | None:
        """Enterprises taking part in the reform, in % of the roster."""
        return 100.0 * self.in_reform / self.enterprises if self.enterprises else None

    @property
    def on_time_pct(self) -> float | None:
        """Quarterly reports first submitted by the deadline, in % of the reports expected."""
        if not self.reports_expected:
            return None
        return 100.0 * self.reports_on_time / self.reports_expected


def kpis(*, session: Session, period: Period | None) -> Kpis:
    """The city's totals, with report timeliness for `period` (none without a period)."""
    totals = roster.city_totals(session=session)
    expected = on_time = 0
    ahead = False
    if period is not None:
        city = reports.tally(session=session, period=period)
        expected, on_time = city.expected, city.on_time
        ahead = utcnow().astimezone(LOCAL_TZ).date() <= period.deadline
    places = geo.counts(session=session)
    return Kpis(
        districts=places.districts,
        parks=places.parks,
        grids=places.grids,
        enterprises=totals.enterprises,
        workers=totals.workers,
        in_reform=totals.in_reform,
        period=period,
        reports_expected=expected,
        reports_on_time=on_time,
        deadline_ahead=ahead,
    )


def district_trend(
    *, session: Session, periods: Sequence[Period], district_ids: Sequence[int]
) -> list[list[float | None]]:
    """Each district's stored score in each period (None where none is stored), read in one
    query; rows follow `district_ids`, columns follow `periods`."""
    column = {p.id: i for i, p in enumerate(periods)}
    rows = session.exec(
        select(DistrictScore.area_id, DistrictScore.period_id, DistrictScore.score).where(
            col(DistrictScore.period_id).in_(list(column))
        )
    )
    found: dict[int, list[float | None]] = defaultdict(lambda: [None] * len(periods))
    for area_id, period_id, score in rows:
        found[area_id][column[period_id]] = score
    return [found[d] if d in found else [None] * len(periods) for d in district_ids]


@dataclass(frozen=True)
class AspectShares:
    """Each aspect's points in % of its full marks: per district, and the city's average."""

    aspects: list[Aspect]
    districts: dict[int, list[float | None]]
    city: list[float | None]


def aspect_shares(*, session: Session, res: assessment.PeriodResults) -> AspectShares:
    """The aspects of the period's framework, scored as the districts are: a district's share
    is the mean of its parks' shares, and the city's is the mean over every park, so a park
    with no data counts as 0 here as it does in the ranking. Read from the districts' stored
    aspect means: a few rows, whatever the number of parks."""
    aspects = framework_aspects(
        session=session, framework_id=res.framework.id if res.framework else None
    )
    full = {a.id: sum(i.weight for i in res.indicators if i.aspect_id == a.id) for a in aspects}
    sums = res.aspect_sums()
    counts = {d.district.id: d.park_count for d in res.districts}

    def share(total: float, parks: int, aspect: Aspect) -> float | None:
        if not parks or not full[aspect.id]:
            return None
        return round(100.0 * total / parks / full[aspect.id], 1)

    every = sum(counts.get(d, 0) for d in sums)
    return AspectShares(
        aspects=aspects,
        districts={
            d: [share(s.get(a.id, 0.0), counts[d], a) for a in aspects]
            for d, s in sums.items()
            if counts.get(d)
        },
        city=[share(sum(s.get(a.id, 0.0) for s in sums.values()), every, a) for a in aspects],
    )


# The pyramid's order, from its top (the fewest, highest honours) to its base.
PILOT_ORDER = (
    PilotLevel.national,
    PilotLevel.provincial,
    PilotLevel.city,
    PilotLevel.district,
    PilotLevel.street,
)


def pilot_counts(*, session: Session) -> list[tuple[PilotLevel, int]]:
    """How many parks hold each pilot level, highest level first, levels with none as 0."""
    counted = dict(
        session.exec(
            select(Park.pilot_level, func.count(col(Park.id)))
            .where(col(Park.pilot_level).is_not(None))
            .group_by(col(Park.pilot_level))
        ).all()
    )
    return [(level, counted.get(level, 0)) for level in PILOT_ORDER]


def ends_of_ranking(
    res: assessment.PeriodResults, n: int = 5
) -> tuple[list[assessment.ParkResult], list[assessment.ParkResult]]:
    """The n best parks and the n last ones, in ranking order; with fewer than 2n parks
    the two lists do not overlap. Two small reads, whatever the number of parks."""
    top = res.parks(assessment.ParkQuery(limit=n))
    last = min(n, max(res.park_count - n, 0))
    bottom = res.parks(assessment.ParkQuery(limit=last, from_bottom=True)) if last else []
    return top, bottom
