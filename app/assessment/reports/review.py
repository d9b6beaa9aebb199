"""What the review screen adds to a report: each indicator beside the previous quarter and
the same quarter last year, flagged where scoring counts it short or where it moved a lot,
and, for a report that cannot be changed, why and whom to ask.

Values are cumulative for the year and targets annual: scoring compares a value with the
full target (no share per quarter), so a value is short when it earns less than its
indicator's full points. Reads are a fixed number of statements, whatever the number of
indicators or parks.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.accounts.models import Role, User, UserScope
from app.assessment.models import IndicatorValue, Period, ReportState, YearPublication
from app.assessment.reports.service import ReportView, Row
from app.assessment.results import scoring
from app.core.calendar import default_deadline, quarter_end, working_day
from app.framework.models import Indicator
from app.geo import service as geo

# Default for Settings.review_change_threshold: ±50 % from the same quarter last year.
DEFAULT_CHANGE_THRESHOLD = 0.5


def previous_quarter(year: int, quarter: int) -> tuple[int, int]:
    """The quarter before: values are cumulative for the year, so the first quarter's
    predecessor is the year before's fourth (its total), as the dashboards compare."""
    return (year, quarter - 1) if quarter > 1 else (year - 1, 4)


@dataclass(frozen=True)
class Compared:
    """One indicator of the report beside its earlier values."""

    row: Row
    previous: float | None
    last_year: float | None
    # Scoring counts the value short: it earns less than the indicator's full points.
    short: bool
    # The relative change from the same quarter last year (0.5 = +50 %), None when not
    # comparable. Values are counted from January, so only the same quarter of another
    # year is like for like: a count's third quarter is half as much again as its second
    # by the calendar alone.
    change: float | None
    large_change: bool
    # Reported values are backed by files; computed ones say where they come from.
    needs_evidence: bool

    @property
    def evidence_count(self) -> int:
        return len(self.row.evidence)


@dataclass(frozen=True)
class Comparison:
    previous_label: str
    last_year_label: str
    first_quarter: bool
    threshold: float
    rows: list[Compared]


def _short(row: Row) -> bool:
    """Whether scoring counts the value short of its (annual, park's own) target."""
    value = row.value.value if row.value else None
    if value is None:
        return False
    i = row.indicator
    rule = scoring.Rule(
        key=i.id, weight=i.weight, target=row.target, rule=i.rule, params=i.rule_params
    )
    if i.weight > 0:
        return round(scoring.points(rule, value), scoring.PRECISION) < i.weight
    # A weightless indicator earns nothing either way: compare it with its target.
    done = scoring.completion(rule, value)
    return done is not None and done < 100


def _values(
    session: Session, park_id: int, quarters: list[tuple[int, int]]
) -> dict[tuple[int, int], dict[str, float]]:
    """The park's values in the given quarters, by quarter and indicator code, in one
    statement. By code: another year (or version) of the framework has its own indicators."""
    which = sa.or_(*(sa.and_(Period.year == y, Period.quarter == q) for y, q in quarters))
    stmt = (
        select(Period.year, Period.quarter, Indicator.code, IndicatorValue.value)
        .join(Period, col(Period.id) == IndicatorValue.period_id)
        .join(Indicator, col(Indicator.id) == IndicatorValue.indicator_id)
        .where(IndicatorValue.park_id == park_id, which)
    )
    found: dict[tuple[int, int], dict[str, float]] = {q: {} for q in quarters}
    for year, quarter, code, value in session.exec(stmt):
        found[(year, quarter)][code] = value
    return found


def compare(*, session: Session, view: ReportView, threshold: float) -> Comparison:
    """The report's indicators beside the previous quarter and the same quarter last year."""
    p = view.period
    before = previous_quarter(p.year, p.quarter)
    last_year = (p.year - 1, p.quarter)
    found = _values(session, view.park.id, [before, last_year])
    rows = []
    for row in view.rows:
        code = row.indicator.code
        earlier = found[last_year].get(code)
        current = row.value.value if row.value else None
        change = None
        if current is not None and earlier:
            change = (current - earlier) / abs(earlier)
        large = (change is not None and abs(change) > threshold) or (
            # From nothing to something is no percentage, but as large a move as any.
            earlier == 0 and current not in (None, 0)
        )
        rows.append(
            Compared(
                row=row,
                previous=found[before].get(code),
                last_year=earlier,
                short=_short(row),
                change=change,
                large_change=large,
                needs_evidence=not row.computed,
            )
        )
    return Comparison(
        previous_label=f"{before[0]}Q{before[1]}",
        last_year_label=f"{last_year[0]}Q{last_year[1]}",
        first_quarter=p.quarter == 1,
        threshold=threshold,
        rows=rows,
    )


# ---- why a report cannot be changed ----------------------------------------------


@dataclass(frozen=True)
class NextPeriod:
    label: str
    year: int
    quarter: int
    # Open: the period exists and parks can report for it.
    open: bool
    # The day after its quarter ends: reports are of a finished quarter.
    opens: date
    deadline: date
    deadline_known: bool


@dataclass(frozen=True)
class Standing:
    """Why a report cannot be changed now, in facts the page puts in words."""

    state: ReportState
    published: bool
    reviewed_by: str
    reviewed_at: datetime | None
    submitted_by: str
    submitted_at: datetime | None
    # Whom to ask to reopen (or return) it: the district office of the park's district.
    office: str
    district: str
    next_period: NextPeriod


def _display_names(session: Session, usernames: list[str]) -> dict[str, str]:
    """Accounts as they call themselves (a review records the username), in one statement
    asked whatever the report's state, so every report page reads as much."""
    stmt = select(User.username, User.display_name).where(col(User.username).in_(usernames))
    return dict(session.exec(stmt).all())


def _office(session: Session, district_id: int) -> str:
    stmt = (
        select(User.display_name)
        .join(UserScope, col(UserScope.user_id) == User.id)
        .where(
            UserScope.area_id == district_id,
            User.role == Role.district_office,
            col(User.is_active).is_(True),
        )
        .order_by(col(User.id))
    )
    return session.exec(stmt).first() or ""


def _next_period(session: Session, period: Period) -> NextPeriod:
    year, quarter = (
        (period.year, period.quarter + 1) if period.quarter < 4 else (period.year + 1, 1)
    )
    row = session.exec(select(Period).where(Period.year == year, Period.quarter == quarter)).first()
    # A period not made yet would get the default deadline: 10 working days after its end.
    deadline = row.deadline if row is not None else default_deadline(year, quarter).day
    return NextPeriod(
        label=f"{year}Q{quarter}",
        year=year,
        quarter=quarter,
        open=row is not None,
        opens=quarter_end(year, quarter) + timedelta(days=1),
        deadline=deadline,
        deadline_known=working_day(deadline).known,
    )


def standing(*, session: Session, view: ReportView) -> Standing | None:
    """Why the report cannot be changed (None when it can), with the next period and the
    office to ask; a fixed handful of statements."""
    if view.editable:
        return None
    district = geo.district_of_park(session=session, park=view.park)
    report = view.report
    reviewed_by, submitted_by = (report.reviewed_by, report.submitted_by) if report else ("", "")
    names = _display_names(session, [reviewed_by, submitted_by])
    return Standing(
        state=view.state,
        published=view.published,
        reviewed_by=names.get(reviewed_by, reviewed_by),
        reviewed_at=report.reviewed_at if report else None,
        submitted_by=names.get(submitted_by, submitted_by),
        submitted_at=report.submitted_at if report else None,
        office=_office(session, district.id),
        district=district.name,
        next_period=_next_period(session, view.period),
    )


def open_period(*, session: Session) -> Period | None:
    """The period parks report for now: the latest one of a year not yet published."""
    stmt = (
        select(Period)
        .where(col(Period.year).not_in(select(YearPublication.year)))
        .order_by(col(Period.year).desc(), col(Period.quarter).desc())
    )
    return session.exec(stmt).first()
