"""What the park dashboard and the printed reports aggregate: aspects, history, demands."""

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from app.assessment.models import DistrictScore, ParkReport, Period, ReportState, Score
from app.assessment.reports import service as reports
from app.assessment.results import service as assessment
from app.core import permissions
from app.core.permissions import Principal
from app.core.templating import LOCAL_TZ
from app.core.types import utcnow
from app.dashboard.common import completion_rows
from app.enterprises import service as roster
from app.framework.models import Aspect
from app.geo import service as geo
from app.geo.models import Area, Grid
from app.gridwork.models import (
    DEMAND_STATE_LABELS,
    Demand,
    DemandState,
    MonthlyReport,
    MonthlyState,
    Notice,
    NoticeKind,
    NoticeTarget,
)

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


# ---- what is due ----------------------------------------------------------------------

# The report states in which the park still has to act (fill, change, submit).
REPORT_TO_DO = frozenset({ReportState.draft, ReportState.returned, ReportState.reopened})


@dataclass(frozen=True)
class DueNotice:
    """A notice or task sent to the park that some of its grids have not yet dealt with."""

    notice: Notice
    pending: int  # grids of the park yet to acknowledge (a notice) or complete (a task)
    overdue: bool


@dataclass(frozen=True)
class Due:
    """What a park has to deal with now, for the panel at the top of its page."""

    period: Period | None  # the quarter being reported (None before any period exists)
    report_state: ReportState
    report_started: bool  # False while the park has no report for the quarter at all
    monthly_waiting: int  # grid reports submitted, awaiting the park's confirmation
    notices: list[DueNotice]
    demands_overdue: int  # open demands past their due date
    today: date

    @property
    def report_to_do(self) -> bool:
        return self.period is not None and self.report_state in REPORT_TO_DO

    @property
    def report_late(self) -> bool:
        return self.report_to_do and self.period is not None and self.today > self.period.deadline

    @property
    def nothing(self) -> bool:
        return not (
            self.report_to_do or self.monthly_waiting or self.notices or self.demands_overdue
        )


def reporting_period(periods: list[Period], today: date) -> Period | None:
    """The quarter being reported: the latest period that has begun by today (the latest of
    all when every one lies ahead). `periods` oldest first, as assessment.periods gives."""
    begun = [p for p in periods if date(p.year, 3 * p.quarter - 2, 1) <= today]
    return (begun or periods or [None])[-1]


def local_today() -> date:
    """Today in Beijing, the calendar deadlines are counted in."""
    return utcnow().astimezone(LOCAL_TZ).date()


def due(
    *,
    session: Session,
    who: Principal,
    park_id: int,
    periods: list[Period],
    today: date | None = None,
) -> Due:
    """What the park has to deal with: this quarter's report, grid reports to confirm,
    notices and tasks its grids have not dealt with, demands past due. Two statements,
    whatever the number of grids, notices or parks."""
    today = today or local_today()
    period = reporting_period(periods, today)
    park_grids = select(Grid.id).where(Grid.park_id == park_id)
    waiting = permissions.restrict(
        select(func.count(col(MonthlyReport.id))).where(
            col(MonthlyReport.grid_id).in_(park_grids),
            MonthlyReport.state == MonthlyState.submitted,
        ),
        who,
        "view",
        MonthlyReport,
    )
    overdue = permissions.restrict(
        select(func.count(col(Demand.id))).where(
            col(Demand.grid_id).in_(park_grids),
            col(Demand.state) != DemandState.closed,
            col(Demand.due_on) < today,
        ),
        who,
        "view",
        Demand,
    )
    report = select(ParkReport.state).where(
        ParkReport.park_id == park_id,
        ParkReport.period_id == (period.id if period else None),
    )
    state, n_waiting, n_overdue = session.execute(
        select(report.scalar_subquery(), waiting.scalar_subquery(), overdue.scalar_subquery())
    ).one()
    # A notice is dealt with once acknowledged, a task once its completion is reported.
    undone = sa.or_(
        sa.and_(Notice.kind == NoticeKind.task, col(NoticeTarget.completed_at).is_(None)),
        sa.and_(Notice.kind == NoticeKind.notice, col(NoticeTarget.acknowledged_at).is_(None)),
    )
    pending = session.exec(
        permissions.restrict(
            select(Notice, func.count(col(NoticeTarget.id)))
            .join(NoticeTarget, col(NoticeTarget.notice_id) == col(Notice.id))
            .where(col(NoticeTarget.grid_id).in_(park_grids), undone)
            .group_by(col(Notice.id))
            # Those due first, then those without a due date, the newest first.
            .order_by(
                col(Notice.due_on).is_(None),
                col(Notice.due_on),
                col(Notice.sent_at).desc(),
                col(Notice.id).desc(),
            ),
            who,
            "view",
            NoticeTarget,
        )
    ).all()
    return Due(
        period=period,
        report_state=ReportState(state) if state else ReportState.draft,
        report_started=state is not None,
        monthly_waiting=n_waiting or 0,
        notices=[
            DueNotice(n, count, n.due_on is not None and today > n.due_on) for n, count in pending
        ],
        demands_overdue=n_overdue or 0,
        today=today,
    )
