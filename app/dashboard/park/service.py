"""What the park dashboard and the printed reports aggregate: aspects, history, demands."""

from dataclasses import dataclass, field

from sqlmodel import Session, col, func, select

from app.assessment.models import DistrictScore, Period, Score
from app.assessment.reports import service as reports
from app.assessment.results import service as assessment
from app.core import permissions
from app.core.permissions import Principal
from app.dashboard.common import completion_rows
from app.enterprises import service as roster
from app.framework.models import Aspect
from app.geo import service as geo
from app.geo.models import Area, Grid
from app.gridwork.models import DEMAND_STATE_LABELS, Demand, DemandState

# The demand loop in order; a demand in a later state has passed every earlier stage.
STAGES = tuple(DemandState)


@dataclass(frozen=True)
class AspectShares:
    """Each aspect's points as % of its maximum, for the park and its district's average."""

    names: list[str]
    park: list[float | None]
    district: list[float | None]


def _share(points: float, maximum: float) -> float | None:
    return round(100.0 * points / maximum, 1) if maximum else None


def aspect_shares(
    *, session: Session, res: assessment.PeriodResults, park_result: assessment.ParkResult
) -> AspectShares:
    """The park's aspects against the mean of its district's parks (one query: the aspects)."""
    if res.framework is None:
        return AspectShares([], [], [])
    aspects = list(
        session.exec(
            select(Aspect)
            .where(Aspect.framework_id == res.framework.id)
            .order_by(col(Aspect.sort_order), col(Aspect.id))
        )
    )
    full = {a.id: sum(i.weight for i in res.indicators if i.aspect_id == a.id) for a in aspects}
    park = res.park_aspects([park_result.park.id]).get(park_result.park.id, {})
    # Every park of the district counts, those without data too: the district's own score
    # is the plain mean of its parks, so its aspects are the same mean (stored as a sum).
    sums = res.aspect_sums(park_result.district.id).get(park_result.district.id, {})
    parks = res.district(park_result.district.id).park_count

    def shares(points: dict[int, float], count: int) -> list[float | None]:
        return [
            _share(points[a.id] / count, full[a.id]) if a.id in points and count else None
            for a in aspects
        ]

    return AspectShares([a.name for a in aspects], shares(park, 1), shares(sums, parks))


@dataclass(frozen=True)
class History:
    """The park's total and its district's mean score per period, oldest first."""

    labels: list[str]
    park: list[float | None]
    district: list[float | None]


def score_history(
    *,
    session: Session,
    periods: list[Period],
    park_id: int,
    district_id: int,
) -> History:
    """Stored scores over the periods (two queries); periods with neither score are left out."""
    park = dict(
        session.exec(select(Score.period_id, Score.total).where(Score.park_id == park_id)).all()
    )
    district = dict(
        session.exec(
            select(DistrictScore.period_id, DistrictScore.score).where(
                DistrictScore.area_id == district_id
            )
        ).all()
    )
    shown = [p for p in periods if p.id in park or district.get(p.id) is not None]
    return History(
        labels=[p.label for p in shown],
        park=[park.get(p.id) for p in shown],
        district=[district.get(p.id) for p in shown],
    )


@dataclass(frozen=True)
class Funnel:
    """How many of the park's demands reached each stage of the loop."""

    stages: list[DemandState]
    counts: list[int]
    labels: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.counts[0] if self.counts else 0


def demand_funnel(*, session: Session, who: Principal, park_id: int) -> Funnel:
    """Every demand of the park's grids in the reader's scope, counted at each stage reached."""
    stmt = (
        select(Demand.state, func.count(col(Demand.id)))
        .join(Grid, col(Demand.grid_id) == col(Grid.id))
        .where(Grid.park_id == park_id)
        .group_by(col(Demand.state))
    )
    by_state = {
        DemandState(s): n for s, n in session.exec(permissions.restrict(stmt, who, "view", Demand))
    }
    counts = [sum(by_state.get(s, 0) for s in STAGES[i:]) for i in range(len(STAGES))]
    return Funnel(list(STAGES), counts, [DEMAND_STATE_LABELS[s] for s in STAGES])


@dataclass
class GridRows:
    """A park's grids in scope with what the grid table shows beside each one."""

    grids: list[Grid]
    nodes: dict
    liaisons: dict
    totals: dict


def grid_rows(*, session: Session, who: Principal, park_id: int) -> GridRows:
    """The park's grids in the reader's scope, with node enterprise, liaison and roster totals."""
    grids = geo.grids_of_park(session=session, who=who, park_id=park_id)
    ids = [g.id for g in grids]
    return GridRows(
        grids=grids,
        nodes=roster.node_of_grids(session=session, grid_ids=ids),
        liaisons=roster.liaisons_by_id(
            session=session, ids=[g.liaison_id for g in grids if g.liaison_id]
        ),
        totals=roster.totals_by_grid(session=session, grid_ids=ids),
    )


@dataclass
class DistrictReport:
    """What a district's printed quarterly report shows."""

    area: Area
    res: assessment.PeriodResults | None
    dres: assessment.DistrictResult | None
    scorecard: list
    roster_totals: dict
    grids: dict[int, int]
    completeness: reports.Completeness | None
    city_completeness: reports.Completeness | None
    district_count: int = 0


def district_report(
    *, session: Session, area: Area, res: assessment.PeriodResults | None
) -> DistrictReport:
    """A district's ranking, scorecard and report completeness for a period."""
    dres = res.district(area.id) if res else None
    shown = [r.park.id for r in dres.parks] if dres else []
    completeness = city = None
    if res is not None:
        completeness = reports.tally(session=session, period=res.period, district_id=area.id)
        city = reports.tally(session=session, period=res.period)
    return DistrictReport(
        area=area,
        res=res,
        dres=dres,
        scorecard=[(r, completion_rows(res, r)) for r in res.with_values(dres.parks)]
        if res and dres
        else [],
        roster_totals=roster.totals_by_park(session=session, park_ids=shown),
        grids=geo.grids_per_park(session=session, park_ids=shown),
        completeness=completeness,
        city_completeness=city,
        district_count=len(res.districts) if res else 0,
    )
