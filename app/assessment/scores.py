"""Stored scores: every park's and district's result per period, recomputed from the inputs.

The inputs are the period's framework (indicators, per-park targets, tiers, bonus and
deduction items), its values, and its quarterly reports. Reported values count once the
park has submitted them (submitted or approved); computed values always count. Scores are
stored so pages read them fast, and `compute` rebuilds them from the inputs alone, so the
stored numbers can always be checked.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

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


@dataclass
class Inputs:
    period: Period
    framework: Framework | None
    indicators: list[Indicator]
    tiers: list[Tier]
    adjustments: list[Adjustment]
    targets: dict[tuple[int, int], float]  # (park, indicator) → a park's own target
    values: dict[int, dict[int, IndicatorValue]]  # park → indicator → value
    reports: dict[int, ParkReport]  # park → this period's report
    late: dict[int, int]  # park → late first submissions in the year so far
    counts: dict[int, dict[int, int]]  # park → reported adjustment → occurrences


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


def is_late(report: ParkReport, deadline) -> bool:
    """A report is late when its first submission falls after the deadline (Beijing time)."""
    return report.first_submitted_at is not None and (
        report.first_submitted_at.astimezone(LOCAL_TZ).date() > deadline
    )


def gather(session: Session, period: Period) -> Inputs:
    """Loads everything a period's scores depend on."""
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
    targets = {
        (o.park_id, o.indicator_id): o.target
        for o in session.exec(
            select(TargetOverride).where(
                col(TargetOverride.indicator_id).in_([i.id for i in indicators])
            )
        )
    }
    values: dict[int, dict[int, IndicatorValue]] = defaultdict(dict)
    for v in session.exec(select(IndicatorValue).where(IndicatorValue.period_id == period.id)):
        values[v.park_id][v.indicator_id] = v

    year_periods = {
        p.id: p
        for p in session.exec(
            select(Period).where(Period.year == period.year, Period.quarter <= period.quarter)
        )
    }
    reports: dict[int, ParkReport] = {}
    late: dict[int, int] = defaultdict(int)
    for r in session.exec(select(ParkReport).where(col(ParkReport.period_id).in_(year_periods))):
        if r.period_id == period.id:
            reports[r.park_id] = r
        late[r.park_id] += is_late(r, year_periods[r.period_id].deadline)
    counts: dict[int, dict[int, int]] = defaultdict(dict)
    for c in session.exec(select(AdjustmentCount).where(AdjustmentCount.period_id == period.id)):
        counts[c.park_id][c.adjustment_id] = c.count
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
    return [
        scoring.Rule(
            key=i.id,
            weight=i.weight,
            target=inputs.targets.get((park_id, i.id), i.target),
            rule=i.rule,
            params=i.rule_params,
        )
        for i in inputs.indicators
    ]


def occurrences(inputs: Inputs, park_id: int, item: Adjustment) -> int:
    if item.source is AdjustmentSource.late_reports:
        return inputs.late.get(park_id, 0)
    return inputs.counts.get(park_id, {}).get(item.id, 0)


def compute(session: Session, period: Period, inputs: Inputs | None = None) -> Computed:
    """Every park's and district's result for a period, from the inputs alone."""
    inputs = inputs or gather(session, period)
    tier_pairs = [(t.name, t.min_score) for t in inputs.tiers]
    district_of = geo.district_of(session=session)
    out = Computed()
    for park in geo.parks(session=session):
        base = scoring.score(rules_for(inputs, park.id), counted_values(inputs, park.id))
        adj = {
            a.id: scoring.adjustment(
                bonus=a.kind is AdjustmentKind.bonus,
                points_each=a.points,
                cap=a.cap,
                count=occurrences(inputs, park.id, a),
            )
            for a in inputs.adjustments
        }
        total = scoring.total(base.total, adj.values())
        out.parks.append(
            Outcome(
                park_id=park.id,
                district_id=district_of[park.id].id,
                base=base.total,
                adjustment=round(sum(adj.values()), scoring.PRECISION),
                total=total,
                tier=scoring.tier(total, tier_pairs) or "",
                has_data=base.has_data,
                points={int(k): v for k, v in base.points.items()},
                adjustments=adj,
            )
        )
    city = scoring.ranks({o.park_id: o.total for o in out.parks})
    by_district: dict[int, list[Outcome]] = defaultdict(list)
    for o in out.parks:
        o.rank_city = city[o.park_id]
        by_district[o.district_id].append(o)
    for members in by_district.values():
        local = scoring.ranks({o.park_id: o.total for o in members})
        for o in members:
            o.rank_district = local[o.park_id]
    for d in geo.districts(session=session):
        members = by_district.get(d.id, [])
        mean = scoring.mean([o.total for o in members])
        tier = scoring.tier(mean, tier_pairs) if mean is not None else None
        out.districts.append(DistrictOutcome(d.id, mean, tier or "", len(members)))
    ranked = scoring.ranks({d.area_id: d.score for d in out.districts if d.score is not None})
    for d in out.districts:
        d.rank = ranked.get(d.area_id)
    return out


def store(session: Session, period: Period, now: datetime | None = None) -> Computed:
    """Recomputes a period's scores and replaces the stored ones."""
    computed = compute(session, period)
    if period.framework_id is None:
        return computed  # nothing to score by; pages compute on the fly
    session.execute(delete(Score).where(col(Score.period_id) == period.id))
    session.execute(delete(DistrictScore).where(col(DistrictScore.period_id) == period.id))
    extra = {"computed_at": now} if now else {}
    for o in computed.parks:
        session.add(
            Score(
                park_id=o.park_id,
                period_id=period.id,
                framework_id=period.framework_id,
                base=o.base,
                adjustment=o.adjustment,
                total=o.total,
                tier=o.tier,
                rank_city=o.rank_city,
                rank_district=o.rank_district,
                has_data=o.has_data,
                points={str(k): v for k, v in o.points.items()},
                adjustments={str(k): v for k, v in o.adjustments.items()},
                **extra,
            )
        )
    for d in computed.districts:
        session.add(
            DistrictScore(
                area_id=d.area_id,
                period_id=period.id,
                score=d.score,
                tier=d.tier,
                rank=d.rank,
                parks=d.parks,
            )
        )
    session.flush()
    return computed


def store_from(session: Session, period: Period) -> None:
    """Recomputes a period and the later periods of its year (late reports carry forward)."""
    later = session.exec(
        select(Period)
        .where(Period.year == period.year, Period.quarter >= period.quarter)
        .order_by(col(Period.quarter))
    )
    for p in later:
        store(session, p)


def store_all(session: Session) -> None:
    """Recomputes every period (after loading data, or a framework change)."""
    for p in session.exec(select(Period).order_by(col(Period.year), col(Period.quarter))):
        store(session, p)
