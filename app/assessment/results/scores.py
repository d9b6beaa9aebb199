"""Stored scores: every park's and district's result per period, recomputed from the inputs.

The inputs are the period's framework (indicators, per-park targets, tiers, bonus and
deduction items), its values, and its quarterly reports. Reported values count once the
park has submitted them (submitted or approved); computed values always count. Scores are
stored so pages read them fast, and `compute` rebuilds them from the inputs alone, so the
stored numbers can always be checked.
"""

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import NamedTuple

from sqlalchemy import bindparam, insert, update
from sqlmodel import Session, col, delete, select

from app.assessment.models import (
    AdjustmentCount,
    AspectScore,
    DistrictAspectScore,
    DistrictScore,
    IndicatorValue,
    ParkReport,
    Period,
    ReportState,
    Score,
    ValueOrigin,
)
from app.assessment.results import scoring
from app.core.templating import LOCAL_TZ
from app.core.types import utcnow
from app.framework.models import (
    Adjustment,
    AdjustmentKind,
    AdjustmentSource,
    Aspect,
    Framework,
    Indicator,
    TargetOverride,
    Tier,
)
from app.geo import service as geo
from app.geo.models import Park

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
    aspects: list[int]  # the framework's aspect ids, in display order
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

    @cached_property
    def aspect_members(self) -> dict[int, list[int]]:
        """Each aspect's indicator ids."""
        return {a: [i.id for i in self.indicators if i.aspect_id == a] for a in self.aspects}


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
    late: int = 0
    aspects: dict[int, float] = field(default_factory=dict)  # aspect → points
    rank_city: int = 0
    rank_district: int = 0
    # aspect → (rank in the city, rank in the district) by that aspect's points
    aspect_ranks: dict[int, tuple[int, int]] = field(default_factory=dict)


@dataclass
class DistrictOutcome:
    area_id: int
    score: float | None
    tier: str
    parks: int
    rank: int | None = None
    # aspect → (mean of the parks' points, their sum, rank among the districts)
    aspects: dict[int, tuple[float | None, float, int | None]] = field(default_factory=dict)


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

    Values and reports are read as plain rows on the session's connection: at province
    scale they are tens of thousands, and the ORM's handling of them would cost far more
    than the scoring itself. So are the stored results written.
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
    aspects = list(
        session.exec(
            select(Aspect.id)
            .where(Aspect.framework_id == fid)
            .order_by(col(Aspect.sort_order), col(Aspect.id))
        )
    )

    def only(stmt, column):
        return stmt if park_ids is None else stmt.where(col(column).in_(list(park_ids)))

    targets = {
        (park, indicator): target
        for park, indicator, target in session.connection()
        .execute(
            only(
                select(
                    TargetOverride.park_id, TargetOverride.indicator_id, TargetOverride.target
                ).where(col(TargetOverride.indicator_id).in_([i.id for i in indicators])),
                TargetOverride.park_id,
            )
        )
        .all()
    }
    values: dict[int, dict[int, ValueRow]] = defaultdict(dict)
    for park, indicator, value, origin in (
        session.connection()
        .execute(
            only(
                select(
                    IndicatorValue.park_id,
                    IndicatorValue.indicator_id,
                    IndicatorValue.value,
                    IndicatorValue.origin,
                ).where(IndicatorValue.period_id == period.id),
                IndicatorValue.park_id,
            )
        )
        .all()
    ):
        values[park][indicator] = ValueRow(value, origin)

    deadlines = dict(
        session.connection()
        .execute(
            select(Period.id, Period.deadline).where(
                Period.year == period.year, Period.quarter <= period.quarter
            )
        )
        .all()
    )
    reports: dict[int, ReportRow] = {}
    late: dict[int, int] = defaultdict(int)
    for park, period_id, state, first in (
        session.connection()
        .execute(
            only(
                select(
                    ParkReport.park_id,
                    ParkReport.period_id,
                    ParkReport.state,
                    ParkReport.first_submitted_at,
                ).where(col(ParkReport.period_id).in_(list(deadlines))),
                ParkReport.park_id,
            )
        )
        .all()
    ):
        row = ReportRow(state, first)
        if period_id == period.id:
            reports[park] = row
        late[park] += is_late(row, deadlines[period_id])
    counts: dict[int, dict[int, int]] = defaultdict(dict)
    for park, item, n in (
        session.connection()
        .execute(
            only(
                select(
                    AdjustmentCount.park_id, AdjustmentCount.adjustment_id, AdjustmentCount.count
                ).where(AdjustmentCount.period_id == period.id),
                AdjustmentCount.park_id,
            )
        )
        .all()
    ):
        counts[park][item] = n
    return Inputs(
        period, fw, indicators, tiers, adjustments, aspects, targets, values, reports, late, counts
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
    # Points already rounded for display are summed and rounded again, as scoring.score
    # does, so two parks that read the same also rank the same.
    aspects = {
        a: round(sum(base.points[i] for i in members), scoring.PRECISION)
        for a, members in inputs.aspect_members.items()
    }
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
        late=inputs.late.get(park_id, 0),
        aspects=aspects,
    )


@dataclass
class League:
    """One league table of a period: parks in the city and in their district, districts."""

    city: dict[int, int]  # park → rank in the city
    district: dict[int, int]  # park → rank in its district
    means: dict[int, float | None]  # district → mean of its parks (None with no park)
    sums: dict[int, float]  # district → sum of its parks' scores
    counts: dict[int, int]  # district → parks
    district_ranks: dict[int, int]  # district → rank among the districts with parks


def league(
    scores: Mapping[int, float], district_of: Mapping[int, int], districts: Collection[int]
) -> League:
    """Ranks parks (by `scores`) in the city and in their district, and the districts by
    the mean of their parks.

    Ranks are competition ranks at the shown precision, as scoring.ranks gives them, but
    from one sort for the city and every district at once: a re-score of one park ranks
    2,000 parks by ten tables in a few milliseconds each.
    """
    shown = {p: round(v, scoring.PRECISION) for p, v in scores.items()}
    order = sorted(shown, key=shown.__getitem__, reverse=True)
    city: dict[int, int] = {}
    local: dict[int, int] = {}
    place: dict[int, int] = defaultdict(int)  # district → parks seen so far
    last: dict[int | None, tuple[float, int]] = {}  # district (None: city) → (score, rank)
    for i, p in enumerate(order, start=1):
        value, d = shown[p], district_of[p]
        place[d] += 1
        if last.get(None, (None,))[0] != value:
            last[None] = (value, i)
        if last.get(d, (None,))[0] != value:
            last[d] = (value, place[d])
        city[p], local[p] = last[None][1], last[d][1]
    # Members in park order, so a mean is summed the same way however `scores` was built.
    members: dict[int, list[int]] = defaultdict(list)
    for park in sorted(scores):
        members[district_of[park]].append(park)
    means = {d: scoring.mean([scores[p] for p in members.get(d, [])]) for d in districts}
    return League(
        city=city,
        district=local,
        means=means,
        # Scores have two decimals, so their sum does too: rounding it makes it the same
        # whatever order the parks were added in.
        sums={
            d: round(sum(scores[p] for p in members.get(d, [])), scoring.PRECISION)
            for d in districts
        },
        counts={d: len(members.get(d, [])) for d in districts},
        district_ranks=scoring.ranks({d: m for d, m in means.items() if m is not None}),
    )


def _rank(session: Session, parks: list[Outcome], inputs: Inputs) -> list[DistrictOutcome]:
    """Sets every park's ranks, by total and by each aspect; the districts' means, tiers
    and ranks."""
    tier_pairs = [(t.name, t.min_score) for t in inputs.tiers]
    district_of = {o.park_id: o.district_id for o in parks}
    areas = [d.id for d in geo.districts(session=session)]
    total = league({o.park_id: o.total for o in parks}, district_of, areas)
    by_aspect = {
        a: league({o.park_id: o.aspects.get(a, 0.0) for o in parks}, district_of, areas)
        for a in inputs.aspects
    }
    for o in parks:
        o.rank_city, o.rank_district = total.city[o.park_id], total.district[o.park_id]
        o.aspect_ranks = {
            a: (lg.city[o.park_id], lg.district[o.park_id]) for a, lg in by_aspect.items()
        }
    districts = []
    for d in areas:
        mean = total.means[d]
        tier = scoring.tier(mean, tier_pairs) if mean is not None else None
        districts.append(
            DistrictOutcome(
                d,
                mean,
                tier or "",
                total.counts[d],
                total.district_ranks.get(d),
                aspects={
                    a: (lg.means[d], lg.sums[d], lg.district_ranks.get(d))
                    for a, lg in by_aspect.items()
                },
            )
        )
    return districts


def compute(session: Session, period: Period, inputs: Inputs | None = None) -> Computed:
    """Every park's and district's result for a period, from the inputs alone."""
    inputs = inputs or gather(session, period)
    district_of = _district_ids(session)
    parks = [_outcome(inputs, park, district_of[park]) for park in sorted(district_of)]
    return Computed(parks=parks, districts=_rank(session, parks, inputs))


def _score_row(period: Period, o: Outcome, now: datetime) -> dict:
    return {
        "park_id": o.park_id,
        "period_id": period.id,
        "district_id": o.district_id,
        "framework_id": period.framework_id,
        "base": o.base,
        "adjustment": o.adjustment,
        "total": o.total,
        "tier": o.tier,
        "rank_city": o.rank_city,
        "rank_district": o.rank_district,
        "has_data": o.has_data,
        "late": o.late,
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


def _aspect_rows(period: Period, o: Outcome) -> list[dict]:
    return [
        {
            "park_id": o.park_id,
            "period_id": period.id,
            "aspect_id": a,
            "district_id": o.district_id,
            "points": points,
            "rank_city": o.aspect_ranks[a][0],
            "rank_district": o.aspect_ranks[a][1],
        }
        for a, points in o.aspects.items()
    ]


def _district_aspect_rows(period: Period, d: DistrictOutcome) -> list[dict]:
    return [
        {
            "area_id": d.area_id,
            "period_id": period.id,
            "aspect_id": a,
            "score": mean,
            "total": total,
            "rank": rank,
        }
        for a, (mean, total, rank) in d.aspects.items()
    ]


def store(session: Session, period: Period, now: datetime | None = None) -> Computed:
    """Recomputes a period's scores and replaces the stored ones, in a few bulk statements."""
    computed = compute(session, period)
    if period.framework_id is None:
        return computed  # nothing to score by, so nothing to show
    write(session, period, computed, now)
    return computed


# The stored results of a period, every table of them.
STORED = (Score, DistrictScore, AspectScore, DistrictAspectScore)


def _insert(session: Session, table, rows: list[dict]) -> None:
    if rows:
        session.connection().execute(insert(table.__table__), rows)


def _insert_numbers(session: Session, table, rows: list[dict]) -> None:
    """Inserts rows of plain numbers straight through the driver's executemany.

    The aspect rows are nine per park and period (18,000 at 2,000 parks): SQLAlchemy's
    per-value type processing would cost more than the database's insert. Numbers need
    none, so the statement is compiled once for the dialect and its rows handed over as
    the driver takes them.
    """
    if not rows:
        return
    conn = session.connection()
    compiled = insert(table.__table__).compile(dialect=conn.dialect, column_keys=list(rows[0]))
    if compiled.positional:
        order = compiled.positiontup or []
        params = [tuple(r[k] for k in order) for r in rows]
    else:
        params = rows
    conn.exec_driver_sql(str(compiled), params)


def write(
    session: Session, period: Period, computed: Computed, now: datetime | None = None
) -> None:
    """Replaces a period's stored scores with computed ones: a quick bulk write, so a
    recompute read and computed beforehand holds the write lock only for this."""
    now = now or utcnow()
    session.flush()
    for table in STORED:
        session.connection().execute(
            delete(table.__table__).where(table.__table__.c.period_id == period.id)
        )
    _insert(session, Score, [_score_row(period, o, now) for o in computed.parks])
    _insert(session, DistrictScore, [_district_row(period, d) for d in computed.districts])
    _insert_numbers(
        session, AspectScore, [r for o in computed.parks for r in _aspect_rows(period, o)]
    )
    _insert_numbers(
        session,
        DistrictAspectScore,
        [r for d in computed.districts for r in _district_aspect_rows(period, d)],
    )
    _bump(session, period)
    _forget_stored(session)


def _bump(session: Session, period: Period) -> None:
    """A new version of the period's results (downloads made from the old one are stale)."""
    table = Period.__table__  # type: ignore[attr-defined]
    session.connection().execute(
        update(table)
        .where(table.c.id == period.id)
        .values(results_version=table.c.results_version + 1)
    )
    if period in session:
        session.expire(period, ["results_version"])


def _forget_stored(session: Session) -> None:
    # The bulk statements bypass the ORM: score objects the request already loaded would
    # otherwise show their old figures.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, STORED):
            session.expire(obj)


def _update(session: Session, table, keys: tuple[str, ...], rows: list[dict]) -> None:
    """Updates rows found by `keys` (bound by the same names) to the rows' other values."""
    if not rows:
        return
    t = table.__table__
    fields = [k for k in rows[0] if k not in keys]
    session.connection().execute(
        update(t)
        .where(*(t.c[k] == bindparam("k_" + k) for k in keys))
        .values({f: bindparam("v_" + f) for f in fields}),
        [{("k_" if k in keys else "v_") + k: v for k, v in r.items()} for r in rows],
    )


def store_park(session: Session, period: Period, park_id: int) -> None:
    """Re-scores one park whose inputs changed and re-ranks the period around it.

    Only that park's inputs are read and scored; the others' stored totals and aspect
    points are read as plain rows to rank everyone again, and only rows whose figures
    moved are written. The result is the same as a full recompute (a test checks it).
    """
    if period.framework_id is None:
        return
    session.flush()
    rows = (
        session.connection()
        .execute(
            select(
                Score.park_id, Score.total, Score.rank_city, Score.rank_district, Score.district_id
            ).where(Score.period_id == period.id)
        )
        .all()
    )
    stored = {park: (total, city, district) for park, total, city, district, _a in rows}
    # The others' districts are those stored with their scores; the park's own is looked
    # up, and a park that moved district (or any park added or removed) means a full store.
    district_of = {park: area for park, *_figures, area in rows}
    park = session.get(Park, park_id)
    if park is None or district_of.get(park_id) != (
        geo.district_of_park(session=session, park=park).id
    ):
        store(session, period)
        return
    parks = set(session.connection().execute(select(Park.id)).scalars())
    inputs = gather(session, period, park_ids=[park_id])
    stored_aspects: dict[int, dict[int, tuple[float, int, int]]] = defaultdict(dict)
    for park, aspect, points, rank_city, rank_district in (
        session.connection()
        .execute(
            select(
                AspectScore.park_id,
                AspectScore.aspect_id,
                AspectScore.points,
                AspectScore.rank_city,
                AspectScore.rank_district,
            ).where(AspectScore.period_id == period.id)
        )
        .all()
    ):
        stored_aspects[park][aspect] = (points, rank_city, rank_district)
    current = {
        d.area_id: (d.score, d.tier, d.rank, d.parks)
        for d in session.exec(select(DistrictScore).where(DistrictScore.period_id == period.id))
    }
    if (
        set(stored) != parks
        or set(current) != {d.id for d in geo.districts(session=session)}
        or any(set(stored_aspects.get(p, ())) != set(inputs.aspects) for p in stored)
    ):
        store(session, period)  # never stored, or parks, districts or aspects came or went
        return
    mine = _outcome(inputs, park_id, district_of[park_id])
    others = [
        Outcome(
            p,
            district_of[p],
            0.0,
            0.0,
            total,
            "",
            False,
            {},
            {},
            aspects={a: v[0] for a, v in stored_aspects[p].items()},
        )
        for p, (total, _c, _d) in stored.items()
        if p != park_id
    ]
    districts = _rank(session, [mine, *others], inputs)
    now = utcnow()
    _update(session, Score, ("park_id", "period_id"), [_score_row(period, mine, now)])
    _update(
        session,
        Score,
        ("park_id", "period_id"),
        [
            {
                "park_id": o.park_id,
                "period_id": period.id,
                "rank_city": o.rank_city,
                "rank_district": o.rank_district,
            }
            for o in others
            if (o.rank_city, o.rank_district) != stored[o.park_id][1:]
        ],
    )
    _update(
        session,
        AspectScore,
        ("park_id", "period_id", "aspect_id"),
        [
            r
            for o in [mine, *others]
            for r in _aspect_rows(period, o)
            if o is mine
            or stored_aspects[o.park_id][r["aspect_id"]][1:] != (r["rank_city"], r["rank_district"])
        ],
    )
    _update(
        session,
        DistrictScore,
        ("area_id", "period_id"),
        [
            _district_row(period, d)
            for d in districts
            if current.get(d.area_id) != (d.score, d.tier, d.rank, d.parks)
        ],
    )
    current_aspects = {
        (area, aspect): (score, total, rank)
        for area, aspect, score, total, rank in session.connection()
        .execute(
            select(
                DistrictAspectScore.area_id,
                DistrictAspectScore.aspect_id,
                DistrictAspectScore.score,
                DistrictAspectScore.total,
                DistrictAspectScore.rank,
            ).where(DistrictAspectScore.period_id == period.id)
        )
        .all()
    }
    _update(
        session,
        DistrictAspectScore,
        ("area_id", "period_id", "aspect_id"),
        [
            r
            for d in districts
            for r in _district_aspect_rows(period, d)
            if current_aspects.get((d.area_id, r["aspect_id"]))
            != (r["score"], r["total"], r["rank"])
        ],
    )
    _bump(session, period)
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


def store_unscored(session: Session) -> int:
    """Stores the scores of every period that has a framework but none stored (after a
    migration emptied them, say); returns how many periods were scored."""
    if session.exec(select(Park.id).limit(1)).first() is None:
        return 0
    scored = select(Score.id).where(Score.period_id == Period.id).exists()
    periods = list(
        session.exec(
            select(Period)
            .where(col(Period.framework_id).is_not(None), ~scored)
            .order_by(col(Period.year), col(Period.quarter))
        )
    )
    for p in periods:
        store(session, p)
    return len(periods)
