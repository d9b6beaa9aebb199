"""The city's figures: roster and report totals, district trends, aspect shares, pilots."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, func, select

from app.assessment import reports
from app.assessment import service as assessment
from app.assessment.models import DistrictScore, Period
from app.assessment.rankings_service import aspects as framework_aspects
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
    totals = roster.totals_by_park(session=session).values()
    district_of = {pid: d.id for pid, d in geo.district_of(session=session).items()}
    expected = on_time = 0
    ahead = False
    if period is not None:
        city = reports.completeness(session=session, period=period, district_of=district_of)[None]
        expected, on_time = city.expected, city.on_time
        ahead = utcnow().astimezone(LOCAL_TZ).date() <= period.deadline
    return Kpis(
        districts=len(geo.districts(session=session)),
        parks=len(district_of),
        grids=sum(geo.grids_per_park(session=session).values()),
        enterprises=sum(t.enterprises for t in totals),
        workers=sum(t.workers for t in totals),
        in_reform=sum(t.in_reform for t in totals),
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


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def aspect_shares(*, session: Session, res: assessment.PeriodResults) -> AspectShares:
    """The aspects of the period's framework, scored as the districts are: a district's share
    is the mean of its parks' shares, and the city's is the mean over every park, so a park
    with no data counts as 0 here as it does in the ranking."""
    aspects = framework_aspects(
        session=session, framework_id=res.framework.id if res.framework else None
    )
    members = {a.id: [i.id for i in res.indicators if i.aspect_id == a.id] for a in aspects}
    full = {a.id: sum(i.weight for i in res.indicators if i.aspect_id == a.id) for a in aspects}
    by_district: dict[int, list[list[float]]] = defaultdict(lambda: [[] for _ in aspects])
    every: list[list[float]] = [[] for _ in aspects]
    for r in res.parks:
        for k, a in enumerate(aspects):
            if not full[a.id]:
                continue
            share = 100.0 * sum(r.score.points.get(i, 0.0) for i in members[a.id]) / full[a.id]
            by_district[r.district.id][k].append(share)
            every[k].append(share)
    return AspectShares(
        aspects=aspects,
        districts={d: [_mean(v) for v in cols] for d, cols in by_district.items()},
        city=[_mean(v) for v in every],
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
    the two lists do not overlap."""
    parks = res.parks
    top = parks[:n]
    bottom = parks[max(n, len(parks) - n) :]
    return top, bottom
