"""Stored scores: every park's and district's result per period, recomputed from the inputs.

The inputs are the period's framework (indicators, per-park targets, tiers, bonus and
deduction items), its values, and its quarterly reports. Reported values count once the
park has submitted them (submitted or approved); computed values always count. Scores are
stored so pages read them fast, and `compute` rebuilds them from the inputs alone, so the
stored numbers can always be checked.
"""

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import NamedTuple

from sqlalchemy import bindparam, insert, update
from sqlmodel import Session, col, delete, select

from app.assessment import scoring
from app.assessment.models import (
    AdjustmentCount,
    DistrictScore,
    IndicatorValue,
    ParkReport,
    Period,
    ReportState,
    Score,
    ValueOrigin,
)
from app.core.templating import LOCAL_TZ
from app.core.types import utcnow
from app.framework.models import (
    Adjustment,
    AdjustmentKind,
    AdjustmentSource,
    Framework,
    Indicator,
    TargetOverride,
    Tier,
)
from app.geo import service as geo

# Report states in which a park's reported values count towards its score.
COUNTING_STATES = frozenset({ReportState.submitted, ReportState.approved})


class ValueRow(NamedTuple):
    """A stored indicator value as scoring reads it: plain data, no ORM object."""

    value: float
    origin: ValueOrigin


class ReportRow(NamedTuple):
    """A quarterly report as scoring reads it."""

    state: ReportState
    first_submitted_at: datetime | None


@dataclass
class Inputs:
    period: Period
    framework: Framework | None
    indicators: list[Indicator]
    tiers: list[Tier]
    adjustments: list[Adjustment]
    targets: dict[tuple[int, int], float]  # (park, indicator) → a park's own target
    values: dict[int, dict[int, ValueRow]]  # park → indicator → value
    reports: dict[int, ReportRow]  # park → this period's report
    late: dict[int, int]  # park → late first submissions in the year so far
    counts: dict[int, dict[int, int]]  # park → reported adjustment → occurrences

    @cached_property
    def rules(self) -> list[scoring.Rule]:
        """The framework's indicators as scoring rules, with the framework's targets."""
        return [
            scoring.Rule(
                key=i.id, weight=i.weight, target=i.target, rule=i.rule, params=i.rule_params
            )
            for i in self.indicators
        ]

    @cached_property
    def parks_with_targets(self) -> frozenset[int]:
        return frozenset(park for park, _indicator in self.targets)


@dataclass
class Outcome:
    park_id: int
    district_id: int
    base: float
    adjustment: float
    total: float
    tier: str
    has_data: bool
    points: dict[int, float]
    adjustments: dict[int, float]
    rank_city: int = 0
    rank_district: int = 0


@dataclass
class DistrictOutcome:
    area_id: int
    score: float | None
    tier: str
    parks: int
    rank: int | None = None


@dataclass
class Computed:
    parks: list[Outcome] = field(default_factory=list)
    districts: list[DistrictOutcome] = field(default_factory=list)


def is_late(report: ParkReport | ReportRow, deadline) -> bool:
    """A report is late when its first submission falls after the deadline (Beijing time)."""
    return report.first_submitted_at is not None and (
        report.first_submitted_at.astimezone(LOCAL_TZ).date() > deadline
    )


def gather(session: Session, period: Period, park_ids: Collection[int] | None = None) -> Inputs:
    """Loads everything a period's scores depend on (for some parks only, when given).

    Values and reports are read as plain rows: at province scale they are tens of
    thousands, and ORM objects for them cost far more than the scoring itself.
    """
    fw = session.get(Framework, period.framework_id) if period.framework_id else None
    fid = fw.id if fw else -1
    indicators = list(
        session.exec(
            select(Indicator)
            .where(Indicator.framework_id == fid)
            .order_by(col(Indicator.sort_order))
        )
    )
    tiers = list(session.exec(select(Tier).where(Tier.framework_id == fid)))
    adjustments = list(
        session.exec(
            select(Adjustment)
            .where(Adjustment.framework_id == fid)
            .order_by(col(Adjustment.sort_order))
        )
    )

    def only(stmt, column):
        return stmt if park_ids is None else stmt.where(col(column).in_(list(park_ids)))

    targets = {
        (park, indicator): target
        for park, indicator, target in session.execute(
            only(
                select(
                    TargetOverride.park_id, TargetOverride.indicator_id, TargetOverride.target
                ).where(col(TargetOverride.indicator_id).in_([i.id for i in indicators])),
                TargetOverride.park_id,
            )
        )
    }
    values: dict[int, dict[int, ValueRow]] = defaultdict(dict)
    for park, indicator, value, origin in session.execute(
        only(
            select(
                IndicatorValue.park_id,
                IndicatorValue.indicator_id,
                IndicatorValue.value,
                IndicatorValue.origin,
            ).where(IndicatorValue.period_id == period.id),
            IndicatorValue.park_id,
        )
    ):
        values[park][indicator] = ValueRow(value, origin)

    deadlines = dict(
        session.execute(
            select(Period.id, Period.deadline).where(
                Period.year == period.year, Period.quarter <= period.quarter
            )
        ).all()
    )
    reports: dict[int, ReportRow] = {}
    late: dict[int, int] = defaultdict(int)
    for park, period_id, state, first in session.execute(
        only(
            select(
                ParkReport.park_id,
                ParkReport.period_id,
                ParkReport.state,
                ParkReport.first_submitted_at,
            ).where(col(ParkReport.period_id).in_(list(deadlines))),
            ParkReport.park_id,
        )
    ):
        row = ReportRow(state, first)
        if period_id == period.id:
            reports[park] = row
        late[park] += is_late(row, deadlines[period_id])
    counts: dict[int, dict[int, int]] = defaultdict(dict)
    for park, item, n in session.execute(
        only(
            select(
                AdjustmentCount.park_id, AdjustmentCount.adjustment_id, AdjustmentCount.count
            ).where(AdjustmentCount.period_id == period.id),
            AdjustmentCount.park_id,
        )
    ):
        counts[park][item] = n
    return Inputs(
        period, fw, indicators, tiers, adjustments, targets, values, reports, late, counts
    )


def counted_values(inputs: Inputs, park_id: int) -> dict[int, float]:
    """The values that count for a park: computed ones always, reported ones once submitted."""
    report = inputs.reports.get(park_id)
    reported_counts = report is not None and report.state in COUNTING_STATES
    return {
        ind_id: v.value
        for ind_id, v in inputs.values.get(park_id, {}).items()
        if v.origin is ValueOrigin.computed or reported_counts
    }


def rules_for(inputs: Inputs, park_id: int) -> list[scoring.Rule]:
    """The framework's indicators as scoring rules, with the park's own targets."""
    base = inputs.rules
    if park_id not in inputs.parks_with_targets:
        return base  # the framework's rules, built once for every park
    return [
        replace(r, target=inputs.targets[(park_id, r.key)])
        if (park_id, r.key) in inputs.targets
        else r
        for r in base
    ]


def occurrences(inputs: Inputs, park_id: int, item: Adjustment) -> int:
    if item.source is AdjustmentSource.late_reports:
        return inputs.late.get(park_id, 0)
    return inputs.counts.get(park_id, {}).get(item.id, 0)


def _district_ids(session: Session) -> dict[int, int]:
    return {park: area.id for park, area in geo.district_of(session=session).items()}


def _outcome(inputs: Inputs, park_id: int, district_id: int) -> Outcome:
    """One park's result from the inputs (ranks are set once every park is scored)."""
    tier_pairs = [(t.name, t.min_score) for t in inputs.tiers]
    base = scoring.score(rules_for(inputs, park_id), counted_values(inputs, park_id))
    adj = {
        a.id: scoring.adjustment(
            bonus=a.kind is AdjustmentKind.bonus,
            points_each=a.points,
            cap=a.cap,
            count=occurrences(inputs, park_id, a),
        )
        for a in inputs.adjustments
    }
    total = scoring.total(base.total, adj.values())
    return Outcome(
        park_id=park_id,
        district_id=district_id,
        base=base.total,
        adjustment=round(sum(adj.values()), scoring.PRECISION),
        total=total,
        tier=scoring.tier(total, tier_pairs) or "",
        has_data=base.has_data,
        points={int(k): v for k, v in base.points.items()},
        adjustments=adj,
    )


def _rank(session: Session, parks: list[Outcome], tiers: list[Tier]) -> list[DistrictOutcome]:
    """Sets every park's city and district rank; the districts' means, tiers and ranks."""
    tier_pairs = [(t.name, t.min_score) for t in tiers]
    city = scoring.ranks({o.park_id: o.total for o in parks})
    by_district: dict[int, list[Outcome]] = defaultdict(list)
    for o in parks:
        o.rank_city = city[o.park_id]
        by_district[o.district_id].append(o)
    for members in by_district.values():
        local = scoring.ranks({o.park_id: o.total for o in members})
        for o in members:
            o.rank_district = local[o.park_id]
    districts = []
    for d in geo.districts(session=session):
        members = by_district.get(d.id, [])
        mean = scoring.mean([o.total for o in members])
        tier = scoring.tier(mean, tier_pairs) if mean is not None else None
        districts.append(DistrictOutcome(d.id, mean, tier or "", len(members)))
    ranked = scoring.ranks({d.area_id: d.score for d in districts if d.score is not None})
    for d in districts:
        d.rank = ranked.get(d.area_id)
    return districts


def compute(session: Session, period: Period, inputs: Inputs | None = None) -> Computed:
    """Every park's and district's result for a period, from the inputs alone."""
    inputs = inputs or gather(session, period)
    district_of = _district_ids(session)
    parks = [_outcome(inputs, park, district_of[park]) for park in sorted(district_of)]
    return Computed(parks=parks, districts=_rank(session, parks, inputs.tiers))


def _score_row(period: Period, o: Outcome, now: datetime) -> dict:
    return {
        "park_id": o.park_id,
        "period_id": period.id,
        "framework_id": period.framework_id,
        "base": o.base,
        "adjustment": o.adjustment,
        "total": o.total,
        "tier": o.tier,
        "rank_city": o.rank_city,
        "rank_district": o.rank_district,
        "has_data": o.has_data,
        "points": {str(k): v for k, v in o.points.items()},
        "adjustments": {str(k): v for k, v in o.adjustments.items()},
        "computed_at": now,
    }


def _district_row(period: Period, d: DistrictOutcome) -> dict:
    return {
        "area_id": d.area_id,
        "period_id": period.id,
        "score": d.score,
        "tier": d.tier,
        "rank": d.rank,
        "parks": d.parks,
    }


def store(session: Session, period: Period, now: datetime | None = None) -> Computed:
    """Recomputes a period's scores and replaces the stored ones, in two bulk statements."""
    computed = compute(session, period)
    if period.framework_id is None:
        return computed  # nothing to score by; pages compute on the fly
    write(session, period, computed, now)
    return computed


def write(
    session: Session, period: Period, computed: Computed, now: datetime | None = None
) -> None:
    """Replaces a period's stored scores with computed ones: a quick bulk write, so a
    recompute read and computed beforehand holds the write lock only for this."""
    now = now or utcnow()
    session.flush()
    session.execute(delete(Score).where(col(Score.period_id) == period.id))
    session.execute(delete(DistrictScore).where(col(DistrictScore.period_id) == period.id))
    if computed.parks:
        session.execute(
            insert(Score.__table__),  # type: ignore[attr-defined]
            [_score_row(period, o, now) for o in computed.parks],
        )
    if computed.districts:
        session.execute(
            insert(DistrictScore.__table__),  # type: ignore[attr-defined]
            [_district_row(period, d) for d in computed.districts],
        )
    _forget_stored(session)


def _forget_stored(session: Session) -> None:
    # The bulk statements bypass the ORM: score objects the request already loaded would
    # otherwise show their old figures.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Score | DistrictScore):
            session.expire(obj)


def store_park(session: Session, period: Period, park_id: int) -> None:
    """Re-scores one park whose inputs changed and re-ranks the period around it.

    Only that park's inputs are read and scored; the others' stored totals are read as
    plain rows to rank everyone again, and only rows whose rank or score moved are
    written. The result is the same as a full recompute (a test checks it).
    """
    if period.framework_id is None:
        return
    session.flush()
    stored = {
        park: (total, rank_city, rank_district)
        for park, total, rank_city, rank_district in session.execute(
            select(Score.park_id, Score.total, Score.rank_city, Score.rank_district).where(
                Score.period_id == period.id
            )
        )
    }
    district_of = _district_ids(session)
    if set(stored) != set(district_of):
        store(session, period)  # never stored, or parks came or went: score them all
        return
    inputs = gather(session, period, park_ids=[park_id])
    mine = _outcome(inputs, park_id, district_of[park_id])
    others = [
        Outcome(p, district_of[p], 0.0, 0.0, total, "", False, {}, {})
        for p, (total, _c, _d) in stored.items()
        if p != park_id
    ]
    districts = _rank(session, [mine, *others], inputs.tiers)
    now = utcnow()
    session.execute(
        update(Score.__table__)  # type: ignore[attr-defined]
        .where(Score.park_id == park_id, Score.period_id == period.id)
        .values({k: v for k, v in _score_row(period, mine, now).items() if k != "park_id"})
    )
    moved = [
        {"p": o.park_id, "rc": o.rank_city, "rd": o.rank_district}
        for o in others
        if (o.rank_city, o.rank_district) != stored[o.park_id][1:]
    ]
    if moved:
        session.execute(
            update(Score.__table__)  # type: ignore[attr-defined]
            .where(Score.park_id == bindparam("p"), Score.period_id == period.id)
            .values(rank_city=bindparam("rc"), rank_district=bindparam("rd")),
            moved,
        )
    current = {
        d.area_id: (d.score, d.tier, d.rank, d.parks)
        for d in session.exec(select(DistrictScore).where(DistrictScore.period_id == period.id))
    }
    changed = [
        _district_row(period, d)
        for d in districts
        if current.get(d.area_id) != (d.score, d.tier, d.rank, d.parks)
    ]
    for row in changed:
        session.execute(
            update(DistrictScore.__table__)  # type: ignore[attr-defined]
            .where(DistrictScore.area_id == row["area_id"], DistrictScore.period_id == period.id)
            .values(score=row["score"], tier=row["tier"], rank=row["rank"], parks=row["parks"])
        )
    _forget_stored(session)


def later_periods(session: Session, period: Period) -> list[Period]:
    """A period and the later periods of its year (late reports carry forward)."""
    return list(
        session.exec(
            select(Period)
            .where(Period.year == period.year, Period.quarter >= period.quarter)
            .order_by(col(Period.quarter))
        )
    )


def store_from(session: Session, period: Period, park_id: int | None = None) -> None:
    """Recomputes a period and the later periods of its year; with a park, only that
    park is re-scored (and everyone re-ranked around it)."""
    for p in later_periods(session, period):
        if park_id is None:
            store(session, p)
        else:
            store_park(session, p, park_id)


def store_all(session: Session) -> None:
    """Recomputes every period (after loading data, or a framework change)."""
    for p in session.exec(select(Period).order_by(col(Period.year), col(Period.quarter))):
        store(session, p)
