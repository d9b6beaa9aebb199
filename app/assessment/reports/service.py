"""Quarterly reports: a park fills and submits its values, the district approves or returns.

States: draft → submitted → returned or approved → (reopened → submitted …). Reported
values are typed by the park; computed ones are refreshed from the roster, grids and
facilities whenever the park saves or submits, and freeze when the report is approved.
A published year changes no more. Every change is audited and rescored at once.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from app.assessment.models import (
    AdjustmentCount,
    Evidence,
    IndicatorValue,
    ParkReport,
    Period,
    ReportState,
    Score,
    ValueOrigin,
    YearPublication,
)
from app.assessment.results import measures, scores
from app.audit import service as audit
from app.audit.models import AuditAction, AuditLog
from app.core import permissions
from app.core.calendar import working_day
from app.core.db import add_new
from app.core.errors import Conflict, Invalid
from app.core.i18n import _
from app.core.inputs import bounded_int, finite
from app.core.permissions import Principal
from app.core.templating import LOCAL_TZ
from app.core.types import utcnow
from app.framework.models import Adjustment, AdjustmentSource, Indicator, TargetOverride
from app.geo.models import Park

# An adjustment counts events in a quarter (awards, incidents): never this many.
MAX_COUNT = 100_000
EDITABLE = frozenset({ReportState.draft, ReportState.returned, ReportState.reopened})
SUBMITTABLE = EDITABLE


@dataclass
class Row:
    indicator: Indicator
    value: IndicatorValue | None
    computed: bool
    target: float
    target_reason: str
    evidence: list[Evidence]


@dataclass
class ReportView:
    park: Park
    period: Period
    report: ParkReport | None
    rows: list[Row]
    adjustments: list[tuple[Adjustment, AdjustmentCount | None]]
    published: bool

    @property
    def state(self) -> ReportState:
        return self.report.state if self.report else ReportState.draft

    @property
    def version(self) -> int:
        return self.report.version if self.report else 0

    @property
    def editable(self) -> bool:
        return not self.published and self.state in EDITABLE

    @property
    def late(self) -> bool:
        """Submitted after the deadline, or still not submitted once it has passed."""
        if self.report and self.report.first_submitted_at:
            return scores.is_late(self.report, self.period.deadline)
        return utcnow().astimezone(LOCAL_TZ).date() > self.period.deadline

    @property
    def deadline_known(self) -> bool:
        return working_day(self.period.deadline).known


def published(session: Session, year: int) -> bool:
    return (
        session.exec(select(YearPublication.id).where(YearPublication.year == year)).first()
        is not None
    )


def load(*, session: Session, who: Principal, park_id: int, period: Period) -> ReportView:
    """A park's report for a period as its page shows it (in the principal's view scope)."""
    park = permissions.get(session, who, "view", Park, park_id)
    report = session.exec(
        select(ParkReport).where(ParkReport.park_id == park_id, ParkReport.period_id == period.id)
    ).first()
    indicators = list(
        session.exec(
            select(Indicator)
            .where(Indicator.framework_id == period.framework_id)
            .order_by(col(Indicator.sort_order))
        )
    )
    values = {
        v.indicator_id: v
        for v in session.exec(
            select(IndicatorValue).where(
                IndicatorValue.park_id == park_id, IndicatorValue.period_id == period.id
            )
        )
    }
    overrides = {
        o.indicator_id: o
        for o in session.exec(
            select(TargetOverride).where(
                TargetOverride.park_id == park_id,
                col(TargetOverride.indicator_id).in_([i.id for i in indicators]),
            )
        )
    }
    evidence: dict[int, list[Evidence]] = {}
    value_ids = [v.id for v in values.values()]
    for e in session.exec(
        select(Evidence).where(col(Evidence.value_id).in_(value_ids)).order_by(col(Evidence.id))
    ):
        evidence.setdefault(e.value_id, []).append(e)
    # Grid-work indicators are computed once the park has grid-work rows for the period
    # (confirmed monthly reports, worker demands); until then the park reports them.
    from_grid_work = {
        i.id
        for i in indicators
        if not measures.is_computed(i.measure)
        and park_id in (measures.measure(session, i.measure, [park_id], period) or {})
    }
    rows = [
        Row(
            indicator=i,
            value=values.get(i.id),
            computed=measures.is_computed(i.measure) or i.id in from_grid_work,
            target=overrides[i.id].target if i.id in overrides else i.target,
            target_reason=overrides[i.id].reason if i.id in overrides else "",
            evidence=evidence.get(values[i.id].id, []) if i.id in values else [],
        )
        for i in indicators
    ]
    items = list(
        session.exec(
            select(Adjustment)
            .where(
                Adjustment.framework_id == period.framework_id,
                Adjustment.source == AdjustmentSource.reported,
            )
            .order_by(col(Adjustment.sort_order))
        )
    )
    counts = {
        c.adjustment_id: c
        for c in session.exec(
            select(AdjustmentCount).where(
                AdjustmentCount.park_id == park_id, AdjustmentCount.period_id == period.id
            )
        )
    }
    return ReportView(
        park=park,
        period=period,
        report=report,
        rows=rows,
        adjustments=[(a, counts.get(a.id)) for a in items],
        published=published(session, period.year),
    )


# ---- guards ------------------------------------------------------------------------


def _open(session: Session, period: Period) -> None:
    if published(session, period.year):
        raise Conflict(
            _("The {year} results are published and can no longer change.").format(year=period.year)
        )


def _current(view: ReportView, version: int | None) -> None:
    # A form carries the version it was read at; a state change since then refuses it.
    if version is not None and version != view.version:
        raise Conflict(
            _("This report was changed by someone else meanwhile. Reload it and try again.")
        )


def _for_change(session: Session, who: Principal, park_id: int, period: Period) -> ReportView:
    """The report as it stands now, its row locked until the request commits.

    Simultaneous writers queue on the lock (PostgreSQL; SQLite writers are serial anyway)
    and each then sees the version its predecessor left, so a form read before that
    predecessor's write gets a conflict instead of overwriting it.
    """
    session.exec(
        select(ParkReport)
        .where(ParkReport.park_id == park_id, ParkReport.period_id == period.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    return load(session=session, who=who, park_id=park_id, period=period)


def _ensure(session: Session, view: ReportView) -> ParkReport:
    if view.report is None:
        report = ParkReport(park_id=view.park.id, period_id=view.period.id)
        add_new(
            session,
            report,
            conflict=_(
                "This report was changed by someone else meanwhile. Reload it and try again."
            ),
        )
        view.report = report
    return view.report


def _transition(
    session: Session,
    who: Principal,
    report: ParkReport,
    allowed: frozenset[ReportState],
    new: ReportState,
    refusal: str,
) -> dict[str, Any]:
    if report.state not in allowed:
        raise Conflict(refusal)
    before = audit.snapshot(report)
    report.state = new
    report.version += 1
    session.add(report)
    return before


def _moved(
    session: Session, who: Principal, report: ParkReport, before: dict[str, Any], view: ReportView
) -> ParkReport:
    """Every state change ends alike: audited with before and after, and rescored at once."""
    label = f"{view.park.name} {view.period.label}"
    audit.record(
        session=session, who=who, action=AuditAction.update, obj=report, before=before, label=label
    )
    scores.store_from(session, view.period, view.park.id)
    return report


# ---- the park's side ---------------------------------------------------------------


def refresh_computed(*, session: Session, who: Principal, view: ReportView) -> None:
    """Recomputes the computed indicators from today's roster, grids and facilities."""
    for row in view.rows:
        if not row.computed:
            continue
        found = measures.measure(session, row.indicator.measure, [view.park.id], view.period) or {}
        m = found.get(view.park.id)
        if m is None:
            continue
        if row.value is None:
            row.value = IndicatorValue(
                park_id=view.park.id,
                period_id=view.period.id,
                indicator_id=row.indicator.id,
                value=m.value,
                origin=ValueOrigin.computed,
            )
        elif (row.value.value, row.value.basis) == (m.value, m.basis):
            continue
        row.value.value, row.value.basis = m.value, m.basis
        row.value.origin = ValueOrigin.computed
        row.value.updated_at, row.value.updated_by = utcnow(), who.username
        session.add(row.value)


def _number(raw: str, label: str, *, percent: bool) -> float:
    try:
        value = float(raw.replace(",", "").strip())
    except ValueError:
        raise ValueError(_("{field} must be a number.").format(field=label)) from None
    # float() reads "NaN", "Infinity" and "1e309" (as inf): none is a value of an indicator.
    try:
        finite(value)
    except ValueError as exc:
        raise ValueError(f"{label}{exc}") from None
    if value < 0:
        raise ValueError(_("{field} must be at least {n}.").format(field=label, n=0))
    if percent and value > 100:
        raise ValueError(_("{field} must be at most {n}.").format(field=label, n=100))
    return value


def save(
    *,
    session: Session,
    who: Principal,
    park_id: int,
    period: Period,
    data: Mapping[str, str],
    version: int | None = None,
) -> ParkReport:
    """Saves the park's reported values, notes and counts; nothing is saved if any is wrong.

    Form fields: value_<indicator id>, note_<indicator id>, count_<adjustment id>.
    """
    permissions.get(session, who, "report", Park, park_id)
    _open(session, period)
    view = _for_change(session, who, park_id, period)
    _current(view, version)
    if not view.editable:
        raise Conflict(
            _("An approved report cannot be changed; the district office can reopen it.")
            if view.state is ReportState.approved
            else _("A submitted report cannot be changed while it waits for review.")
        )
    errors: dict[str, str] = {}
    parsed: dict[int, float | None] = {}
    for row in view.rows:
        if row.computed:
            continue
        raw = (data.get(f"value_{row.indicator.id}") or "").strip()
        label = f"{row.indicator.code} {row.indicator.name}"
        if raw == "":
            parsed[row.indicator.id] = None
            continue
        try:
            parsed[row.indicator.id] = _number(raw, label, percent=row.indicator.unit == "%")
        except ValueError as exc:
            errors[f"value_{row.indicator.id}"] = str(exc)
    counts: dict[int, int] = {}
    for item, _count in view.adjustments:
        raw = (data.get(f"count_{item.id}") or "0").strip()
        if bounded_int(raw, low=0, high=MAX_COUNT) is None:
            errors[f"count_{item.id}"] = _("{field} must be a whole number of at least 0.").format(
                field=item.name
            )
        else:
            counts[item.id] = int(raw)
    if errors:
        raise Invalid(errors)

    report = _ensure(session, view)
    # Every save moves the version on, so a form read before it cannot overwrite it. The
    # version is concurrency control, not content: the values carry their own audit rows.
    report.version += 1
    session.add(report)
    for row in view.rows:
        if row.computed:
            continue
        new, note = (
            parsed[row.indicator.id],
            (data.get(f"note_{row.indicator.id}") or "").strip()[:500],
        )
        old = row.value
        if new is None:
            if old is not None and not (
                session.exec(select(Evidence.id).where(Evidence.value_id == old.id)).first()
            ):
                audit.record(
                    session=session,
                    who=who,
                    action=AuditAction.delete,
                    obj=old,
                    before=audit.snapshot(old),
                )
                session.delete(old)
            continue
        if old is not None and (old.value, old.note) == (new, note):
            continue
        before = audit.snapshot(old) if old else None
        value = old or IndicatorValue(
            park_id=park_id,
            period_id=period.id,
            indicator_id=row.indicator.id,
            value=new,
            origin=ValueOrigin.reported,
        )
        value.value, value.note = new, note
        value.updated_at, value.updated_by = utcnow(), who.username
        session.add(value)
        audit.record(
            session=session,
            who=who,
            action=AuditAction.update if old else AuditAction.create,
            obj=value,
            label=f"{view.park.name} {period.label} {row.indicator.code}",
            before=before,
        )
    for item, existing in view.adjustments:
        n = counts[item.id]
        if (existing is None and n == 0) or (existing is not None and existing.count == n):
            continue
        row = existing or AdjustmentCount(
            park_id=park_id, period_id=period.id, adjustment_id=item.id
        )
        before = audit.snapshot(existing) if existing else None
        row.count = n
        session.add(row)
        audit.record(
            session=session,
            who=who,
            action=AuditAction.update if existing else AuditAction.create,
            obj=row,
            label=item.name,
            before=before,
        )
    refresh_computed(session=session, who=who, view=view)
    session.flush()
    scores.store_from(session, period, park_id)
    return report


def submit(
    *, session: Session, who: Principal, park_id: int, period: Period, version: int | None = None
) -> ParkReport:
    """Submits the report for review; every reported indicator needs a value first."""
    permissions.get(session, who, "report", Park, park_id)
    _open(session, period)
    view = _for_change(session, who, park_id, period)
    _current(view, version)
    missing = [
        f"{r.indicator.code} {r.indicator.name}"
        for r in view.rows
        if not r.computed and r.value is None
    ]
    if missing:
        raise Invalid(
            {
                "__all__": _("These indicators have no value yet: {names}").format(
                    names="、".join(missing)
                )
            }
        )
    report = _ensure(session, view)
    refresh_computed(session=session, who=who, view=view)
    before = _transition(
        session,
        who,
        report,
        SUBMITTABLE,
        ReportState.submitted,
        _("This report is already submitted or approved."),
    )
    report.submitted_at, report.submitted_by = utcnow(), who.username
    report.first_submitted_at = report.first_submitted_at or report.submitted_at
    return _moved(session, who, report, before, view)


# ---- the district's side -----------------------------------------------------------


def _review_target(
    session: Session, who: Principal, park_id: int, period: Period, version: int | None
) -> tuple[ReportView, ParkReport]:
    permissions.get(session, who, "review", Park, park_id)
    _open(session, period)
    view = _for_change(session, who, park_id, period)
    _current(view, version)
    if view.report is None:
        raise Conflict(_("This park has not submitted a report for this period."))
    return view, view.report


def approve(
    *, session: Session, who: Principal, park_id: int, period: Period, version: int | None = None
) -> ParkReport:
    """Approves a submitted report; it locks until the district reopens it."""
    view, report = _review_target(session, who, park_id, period, version)
    before = _transition(
        session,
        who,
        report,
        frozenset({ReportState.submitted}),
        ReportState.approved,
        _("Only a submitted report can be approved."),
    )
    report.reviewed_at, report.reviewed_by, report.review_comment = utcnow(), who.username, ""
    for row in view.rows:
        if row.value is not None and row.value.review_comment:
            row.value.review_comment = ""
            session.add(row.value)
    return _moved(session, who, report, before, view)


def return_report(
    *,
    session: Session,
    who: Principal,
    park_id: int,
    period: Period,
    comment: str,
    comments: Mapping[int, str],
    version: int | None = None,
) -> ParkReport:
    """Returns a submitted report with a comment on each indicator questioned."""
    view, report = _review_target(session, who, park_id, period, version)
    comments = {k: v.strip()[:500] for k, v in comments.items() if v and v.strip()}
    if not comments and not comment.strip():
        raise Invalid(
            {
                "comment": _(
                    "Say what the park should change: a comment on the report or on an indicator."
                )
            }
        )
    before = _transition(
        session,
        who,
        report,
        frozenset({ReportState.submitted}),
        ReportState.returned,
        _("Only a submitted report can be returned."),
    )
    report.reviewed_at, report.reviewed_by = utcnow(), who.username
    report.review_comment = comment.strip()[:1000]
    for row in view.rows:
        text = comments.get(row.indicator.id, "")
        if row.value is not None and row.value.review_comment != text:
            row.value.review_comment = text
            session.add(row.value)
    return _moved(session, who, report, before, view)


def reopen(
    *,
    session: Session,
    who: Principal,
    park_id: int,
    period: Period,
    reason: str,
    version: int | None = None,
) -> ParkReport:
    """Reopens an approved report so the park can correct it; the reason is audited."""
    view, report = _review_target(session, who, park_id, period, version)
    if not reason.strip():
        raise Invalid({"reason": _("Give the reason for reopening.")})
    before = _transition(
        session,
        who,
        report,
        frozenset({ReportState.approved}),
        ReportState.reopened,
        _("Only an approved report can be reopened."),
    )
    report.review_comment = reason.strip()[:1000]
    report.reviewed_at, report.reviewed_by = utcnow(), who.username
    return _moved(session, who, report, before, view)


# ---- the year ----------------------------------------------------------------------


def publish_year(*, session: Session, who: Principal, year: int) -> YearPublication:
    """Publishes a year's result (its approved Q4); afterwards nothing of that year changes."""
    if not who.can("audit"):
        raise Conflict(_("Only the city reform office publishes a year's result."))
    q4 = session.exec(select(Period).where(Period.year == year, Period.quarter == 4)).first()
    if q4 is None:
        raise Conflict(_("There is no fourth quarter of {year} to publish.").format(year=year))
    _open(session, q4)
    approved = set(
        session.exec(
            select(ParkReport.park_id).where(
                ParkReport.period_id == q4.id, ParkReport.state == ReportState.approved
            )
        )
    )
    waiting = [
        p.name for p in session.exec(select(Park).order_by(col(Park.id))) if p.id not in approved
    ]
    if waiting:
        raise Conflict(
            _("Not every fourth-quarter report is approved yet: {names}").format(
                names="、".join(waiting)
            )
        )
    pub = YearPublication(year=year, published_by=who.username)
    session.add(pub)
    audit.record(session=session, who=who, action=AuditAction.create, obj=pub, label=str(year))
    return pub


# ---- completeness and timeliness ---------------------------------------------------


@dataclass
class Completeness:
    expected: int = 0
    submitted: int = 0
    on_time: int = 0
    approved: int = 0

    def pct(self, n: int) -> float | None:
        return round(100.0 * n / self.expected, 1) if self.expected else None


def tally(*, session: Session, period: Period, district_id: int | None = None) -> Completeness:
    """The city's reports (or one district's) for a period, counted by the database in one
    statement: a dashboard's cost does not grow with the number of parks. A district's
    parks are those its stored scores name."""
    # A first submission is on time up to the end of the deadline's day in Beijing.
    cutoff = datetime.combine(period.deadline + timedelta(days=1), time(), tzinfo=LOCAL_TZ)
    first = col(ParkReport.first_submitted_at)
    stmt = (
        select(
            func.count(col(Park.id)),
            func.count(first),
            func.count(first).filter(first < cutoff),
            func.count(col(ParkReport.id)).filter(ParkReport.state == ReportState.approved),
        )
        .select_from(Park)
        .outerjoin(
            ParkReport,
            (col(ParkReport.park_id) == Park.id) & (col(ParkReport.period_id) == period.id),
        )
    )
    if district_id is not None:
        stmt = stmt.join(
            Score, (col(Score.park_id) == Park.id) & (col(Score.period_id) == period.id)
        ).where(Score.district_id == district_id)
    expected, submitted, on_time, approved = session.execute(stmt).one()
    return Completeness(expected, submitted, on_time, approved)


def completeness(
    *, session: Session, period: Period, district_of: Mapping[int, int]
) -> dict[int | None, Completeness]:
    """Reports expected, submitted, on time and approved, per district id and (None) the city."""
    out: dict[int | None, Completeness] = {None: Completeness()}
    for district in set(district_of.values()):
        out[district] = Completeness()
    reports = {
        r.park_id: r
        for r in session.exec(select(ParkReport).where(ParkReport.period_id == period.id))
    }
    for park_id, district in district_of.items():
        r = reports.get(park_id)
        for c in (out[None], out[district]):
            c.expected += 1
            if r is not None and r.first_submitted_at is not None:
                c.submitted += 1
                c.on_time += not scores.is_late(r, period.deadline)
            if r is not None and r.state is ReportState.approved:
                c.approved += 1
    return out


def history(*, session: Session, view: ReportView, limit: int = 50) -> list[AuditLog]:
    """The audit rows of a report and of what it holds, newest first: its steps, the values
    saved into it and the evidence attached or removed, so a reviewer sees what changed
    between a return and the next submission."""
    if view.report is None:
        return []
    values = select(IndicatorValue.id).where(
        IndicatorValue.park_id == view.park.id, IndicatorValue.period_id == view.period.id
    )
    # An evidence row's snapshot names its value (a removed file only in `before`).
    of_value = sa.or_(
        col(AuditLog.after)["value_id"].as_integer().in_(values),
        col(AuditLog.before)["value_id"].as_integer().in_(values),
    )
    return list(
        session.exec(
            select(AuditLog)
            .where(
                sa.or_(
                    sa.and_(
                        AuditLog.object_type == "ParkReport", AuditLog.object_id == view.report.id
                    ),
                    sa.and_(
                        AuditLog.object_type == "IndicatorValue",
                        col(AuditLog.object_id).in_(values),
                    ),
                    sa.and_(AuditLog.object_type == "Evidence", of_value),
                )
            )
            .order_by(col(AuditLog.at).desc(), col(AuditLog.id).desc())
            .limit(limit)
        )
    )
