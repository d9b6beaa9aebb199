"""What the district dashboard reads: its parks in rank order, the park × indicator scorecard
with movement, its quarterly reports' completeness and timeliness, and the drill-down to one
park and one indicator. Plain data for the views and the downloads; no web imports.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from app.assessment.models import (
    REPORT_STATE_LABELS,
    IndicatorValue,
    ParkReport,
    Period,
    ReportState,
    ValueOrigin,
)
from app.assessment.reports import service as reports
from app.assessment.results import scores, scoring
from app.assessment.results import service as assessment
from app.core.errors import NotFound
from app.core.i18n import N_
from app.core.permissions import Principal
from app.core.templating import LOCAL_TZ
from app.core.types import utcnow
from app.enterprises import service as roster
from app.framework.models import Indicator, TargetOverride
from app.geo import service as geo
from app.geo.models import Grid, GridStatus, Park
from app.gridwork.demands import service as demands_service

# Traffic-light categories of a cell, in the order of the heat map's colour scale and its
# legend; the names are the CSS classes of static/app.css (.cell.reached, …).
REACHED, PROGRESSING, BEHIND, MISSING = range(4)
CATEGORIES = ("reached", "progressing", "behind", "missing")
CATEGORY_LABELS = (N_("reached"), N_("progressing"), N_("not on track"), N_("no data"))
# Completion (in %) from which an indicator counts as reached, or as progressing.
REACHED_AT, PROGRESSING_AT = 100.0, 60.0


def category(completion: float | None) -> int:
    """The traffic light of a completion in %: reached, progressing, not on track, no data."""
    if completion is None:
        return MISSING
    if completion >= REACHED_AT:
        return REACHED
    return PROGRESSING if completion >= PROGRESSING_AT else BEHIND


def arrow(now: float | None, before: float | None) -> str:
    """↑ or ↓ when the completion rose or fell since the previous quarter, — otherwise."""
    if now is None or before is None or round(now, 1) == round(before, 1):
        return "—"
    return "↑" if now > before else "↓"


# ---- the parks ---------------------------------------------------------------------------


def ranked_parks(
    *, session: Session, who: Principal, res: assessment.PeriodResults, area_id: int
) -> list[assessment.ParkResult]:
    """The district's parks in the reader's scope, in their rank in the district."""
    dres = res.district(area_id)
    shown = {p.id for p in geo.parks_of_district(session=session, who=who, area_id=area_id)}
    return [r for r in (dres.parks if dres else []) if r.park.id in shown]


def park_in_district(*, session: Session, who: Principal, area_id: int, park_id: int) -> Park:
    """A park of this district in the reader's scope; NotFound for any other."""
    park = geo.get_park(session=session, who=who, park_id=park_id)
    if geo.district_of_park(session=session, park=park).id != area_id:
        raise NotFound
    return park


# ---- the scorecard -----------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One park's indicator in a period, against its target, with the previous quarter's."""

    indicator: Indicator
    value: float | None
    target: float
    completion: float | None
    points: float
    previous: float | None = None  # completion in the previous quarter

    @property
    def category(self) -> int:
        return category(self.completion)

    @property
    def css(self) -> str:
        return CATEGORIES[self.category]

    @property
    def arrow(self) -> str:
        return arrow(self.completion, self.previous)


@dataclass(frozen=True)
class ScorecardRow:
    result: assessment.ParkResult
    cells: list[Cell]


def _targets(
    session: Session, indicator_ids: Iterable[int], park_ids: Iterable[int]
) -> dict[tuple[int, int], float]:
    """(park, indicator) → the park's own target, where it has one."""
    rows = session.exec(
        select(TargetOverride.park_id, TargetOverride.indicator_id, TargetOverride.target).where(
            col(TargetOverride.indicator_id).in_(list(indicator_ids)),
            col(TargetOverride.park_id).in_(list(park_ids)),
        )
    )
    return {(p, i): t for p, i, t in rows}


def _rule(indicator: Indicator, target: float) -> scoring.Rule:
    return scoring.Rule(
        key=indicator.id,
        weight=indicator.weight,
        target=target,
        rule=indicator.rule,
        params=indicator.rule_params,
    )


@dataclass(frozen=True)
class Counted:
    """A value that counts towards a park's score, with the target it is measured against."""

    period_id: int
    park_id: int
    indicator: Indicator
    value: float
    target: float

    @property
    def completion(self) -> float | None:
        return scoring.completion(_rule(self.indicator, self.target), self.value)


def _counted(session: Session, *where: sa.ColumnElement) -> list[Counted]:
    """Counted values matching `where`, with their targets, in one query.

    The rule is that of scores.counted_values: computed values always count, reported ones
    once the park's report for the period is submitted or approved.
    """
    counts = sa.or_(
        col(IndicatorValue.origin) == ValueOrigin.computed,
        col(ParkReport.state).in_(list(scores.COUNTING_STATES)),
    )
    stmt = (
        select(
            IndicatorValue.period_id,
            IndicatorValue.park_id,
            Indicator,
            IndicatorValue.value,
            TargetOverride.target,
        )
        .join(Indicator, col(Indicator.id) == col(IndicatorValue.indicator_id))
        .outerjoin(
            ParkReport,
            sa.and_(
                col(ParkReport.park_id) == col(IndicatorValue.park_id),
                col(ParkReport.period_id) == col(IndicatorValue.period_id),
            ),
        )
        .outerjoin(
            TargetOverride,
            sa.and_(
                col(TargetOverride.park_id) == col(IndicatorValue.park_id),
                col(TargetOverride.indicator_id) == col(IndicatorValue.indicator_id),
            ),
        )
        .where(counts, *where)
    )
    return [
        Counted(period_id, park_id, ind, value, own if own is not None else ind.target)
        for period_id, park_id, ind, value, own in session.exec(stmt)
    ]


def previous_completion(
    *, session: Session, period: assessment.Period, park_ids: list[int]
) -> dict[tuple[int, str], float | None]:
    """(park, indicator code) → completion in the quarter before `period`.

    Codes, not ids: a new year's framework has new indicator rows under the same codes.
    """
    prev = assessment.previous_period(session=session, period=period)
    if prev is None or not park_ids:
        return {}
    rows = _counted(
        session,
        col(IndicatorValue.period_id) == prev.id,
        col(IndicatorValue.park_id).in_(park_ids),
    )
    return {(c.park_id, c.indicator.code): c.completion for c in rows}


def scorecard(
    *, session: Session, res: assessment.PeriodResults, parks: list[assessment.ParkResult]
) -> list[ScorecardRow]:
    """Each park × indicator: value, target, completion, points, and last quarter's completion."""
    parks = res.with_values(parks)
    targets = _targets(session, [i.id for i in res.indicators], [r.park.id for r in parks])
    before = previous_completion(
        session=session, period=res.period, park_ids=[r.park.id for r in parks]
    )
    rows = []
    for r in parks:
        cells = []
        for ind in res.indicators:
            target = targets.get((r.park.id, ind.id), ind.target)
            value = r.values.get(ind.id)
            cells.append(
                Cell(
                    indicator=ind,
                    value=value,
                    target=target,
                    completion=scoring.completion(_rule(ind, target), value),
                    points=r.score.points.get(ind.id, 0.0),
                    previous=before.get((r.park.id, ind.code)),
                )
            )
        rows.append(ScorecardRow(r, cells))
    return rows


# ---- quarterly reports -------------------------------------------------------------------


@dataclass(frozen=True)
class ParkReportStatus:
    park: Park
    report: ParkReport | None
    timeliness: str  # on_time, late, overdue (not submitted, deadline passed), not_due

    @property
    def state(self) -> ReportState:
        return self.report.state if self.report else ReportState.draft

    @property
    def state_label(self) -> str:
        return REPORT_STATE_LABELS[self.state]


@dataclass
class ReportStatus:
    """The district's quarterly reports for a period, beside the city's."""

    period: Period
    district: reports.Completeness
    city: reports.Completeness
    parks: list[ParkReportStatus] = field(default_factory=list)
    deadline_passed: bool = False


def report_status(
    *, session: Session, period: Period, area_id: int, parks: list[Park], today: date | None = None
) -> ReportStatus:
    """Completeness and timeliness of the period's reports, district and city, park by park."""
    today = today or utcnow().astimezone(LOCAL_TZ).date()
    # The figures are published city-wide, as on /reports; the rows are the reader's parks.
    found = {
        r.park_id: r
        for r in session.exec(
            select(ParkReport).where(
                ParkReport.period_id == period.id,
                col(ParkReport.park_id).in_([p.id for p in parks]),
            )
        )
    }
    overdue = today > period.deadline
    rows = []
    for p in parks:
        r = found.get(p.id)
        if r is not None and r.first_submitted_at is not None:
            timeliness = "late" if scores.is_late(r, period.deadline) else "on_time"
        else:
            timeliness = "overdue" if overdue else "not_due"
        rows.append(ParkReportStatus(p, r, timeliness))
    return ReportStatus(
        period=period,
        district=reports.tally(session=session, period=period, district_id=area_id),
        city=reports.tally(session=session, period=period),
        parks=rows,
        deadline_passed=overdue,
    )


# ---- the drill-down: a park --------------------------------------------------------------


@dataclass(frozen=True)
class ParkFacts:
    """What a district office wants to know of a park at a glance."""

    park: Park
    totals: roster.RosterTotals
    grids: dict[GridStatus, int]
    demands: demands_service.DemandCounts
    report: ParkReport | None

    @property
    def grid_count(self) -> int:
        return sum(self.grids.values())


def park_facts(*, session: Session, who: Principal, park: Park, period: Period | None) -> ParkFacts:
    """The park's roster totals, grids by status, worker demands and this period's report."""
    grids = {s: 0 for s in GridStatus}
    for status, n in session.exec(
        select(Grid.status, func.count(col(Grid.id)))
        .where(Grid.park_id == park.id)
        .group_by(col(Grid.status))
    ):
        grids[status] = n
    report = (
        session.exec(
            select(ParkReport).where(
                ParkReport.park_id == park.id, ParkReport.period_id == period.id
            )
        ).first()
        if period
        else None
    )
    return ParkFacts(
        park=park,
        totals=roster.totals_by_park(session=session, park_ids=[park.id]).get(
            park.id, roster.RosterTotals()
        ),
        grids=grids,
        demands=demands_service.counts(
            session=session, who=who, f=demands_service.DemandFilter(park_id=park.id)
        ),
        report=report,
    )


# ---- the drill-down: an indicator --------------------------------------------------------


@dataclass(frozen=True)
class IndicatorDetail:
    """The rows behind one park's value for one indicator, and its history."""

    cell: Cell
    row: reports.Row  # the report's entry: value, basis or note, evidence, target's reason
    report: reports.ReportView
    counted: bool
    periods: list[str]
    values: list[float | None]
    targets: list[float | None]


def find_indicator(res: assessment.PeriodResults, code: str) -> Indicator:
    """The period's indicator with this code (I01, …); NotFound for none such."""
    found = next((i for i in res.indicators if i.code.lower() == code.strip().lower()), None)
    if found is None:
        raise NotFound
    return found


def history(*, session: Session, park_id: int, code: str) -> tuple[list, list, list]:
    """A park's counted value and target for an indicator code in every period, oldest first."""
    periods = assessment.periods(session=session)
    counted = {
        c.period_id: c
        for c in _counted(
            session, col(IndicatorValue.park_id) == park_id, col(Indicator.code) == code
        )
    }
    # The target of each period's framework, or the park's own, also where no value is.
    own = TargetOverride.target
    stmt = (
        select(Indicator.framework_id, Indicator.target, own)
        .outerjoin(
            TargetOverride,
            sa.and_(
                col(TargetOverride.indicator_id) == col(Indicator.id),
                col(TargetOverride.park_id) == park_id,
            ),
        )
        .where(Indicator.code == code)
    )
    target_of = {fid: o if o is not None else t for fid, t, o in session.exec(stmt)}
    values = [counted[p.id].value if p.id in counted else None for p in periods]
    targets = [target_of.get(p.framework_id) for p in periods]
    return [p.label for p in periods], values, targets


def indicator_detail(
    *,
    session: Session,
    who: Principal,
    res: assessment.PeriodResults,
    row: ScorecardRow,
    indicator: Indicator,
) -> IndicatorDetail:
    """One cell of the scorecard opened: its report entry, how it counts, and its quarters."""
    view = reports.load(session=session, who=who, park_id=row.result.park.id, period=res.period)
    entry = next(r for r in view.rows if r.indicator.id == indicator.id)
    cell = next(c for c in row.cells if c.indicator.id == indicator.id)
    labels, values, targets = history(
        session=session, park_id=row.result.park.id, code=indicator.code
    )
    return IndicatorDetail(
        cell=cell,
        row=entry,
        report=view,
        counted=indicator.id in row.result.values,
        periods=labels,
        values=values,
        targets=targets,
    )
