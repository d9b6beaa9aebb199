"""Assessment results as pages read them: stored scores with tiers, ranks and movement.

Pages never score. Everything they show was stored when an input changed (see
`scores`), and each reader here selects only the rows a page shows: one park, one
district's parks, a page of a league table. The previous period's ranks come in the same
statement, joined on the park, so movement needs no second pass. A page therefore costs
the same with 15 parks or 2,000.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

from sqlalchemy import and_, func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.assessment.models import (
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
from app.assessment.results import scores, scoring
from app.core.inputs import parse_period
from app.framework.models import Aspect, Framework, Indicator, Tier
from app.geo.models import Area, Park, ParkKind, PilotLevel


def periods(*, session: Session) -> list[Period]:
    """Gets every period, oldest first."""
    return list(session.exec(select(Period).order_by(col(Period.year), col(Period.quarter))))


def up_to(periods: Sequence[Period], period: Period) -> list[Period]:
    """The periods a trend draws: the one shown and those before it. A quarter still being
    filled in holds drafts' low year-to-date values; drawn after the quarter a reader looks
    at, it reads as a collapse."""
    return [p for p in periods if (p.year, p.quarter) <= (period.year, period.quarter)]


def get_period(*, session: Session, label: str | None) -> Period | None:
    """Gets a period by its label ("2026Q3"); without one, the latest period with an approved
    report, else (before any approval) the latest period that has values.

    A quarter open for reporting has drafts long before anyone approves them: leaders'
    pages keep showing the last reviewed quarter until the new one has approved results.
    """
    if label:
        # A label that is no quarter of a sensible year names no period (never a query
        # with a number the column cannot hold).
        parsed = parse_period(label)
        if parsed is None:
            return None
        year, quarter = parsed
        return session.exec(
            select(Period).where(Period.year == year, Period.quarter == quarter)
        ).first()
    newest = (col(Period.year).desc(), col(Period.quarter).desc())
    approved = (
        select(ParkReport.id)
        .where(ParkReport.period_id == Period.id, ParkReport.state == ReportState.approved)
        .exists()
    )
    found = session.exec(select(Period).where(approved).order_by(*newest)).first()
    if found is not None:
        return found
    return session.exec(
        select(Period)
        .where(select(IndicatorValue.id).where(IndicatorValue.period_id == Period.id).exists())
        .order_by(*newest)
    ).first()


def previous_period(*, session: Session, period: Period) -> Period | None:
    """The quarter before this one (across a year's end)."""
    year, quarter = (
        (period.year, period.quarter - 1) if period.quarter > 1 else (period.year - 1, 4)
    )
    return session.exec(
        select(Period).where(Period.year == year, Period.quarter == quarter)
    ).first()


class ParkRef(NamedTuple):
    """A park as a league table's row shows it (no ORM object)."""

    id: int
    name: str
    kind: ParkKind
    pilot_level: PilotLevel | None


class AreaRef(NamedTuple):
    id: int
    name: str


class DistrictRef(NamedTuple):
    """A district as a league table shows it (no ORM object)."""

    id: int
    name: str
    sort_order: int


# The previous period's rows (and, by aspect, this period's), joined beside the current
# ones. Made once: building an alias adapts every column of its table, which cost a tenth
# of a league table's page when each read made its own.
PREVIOUS_SCORE = aliased(Score, name="previous_score")
PREVIOUS_DISTRICT = aliased(DistrictScore, name="previous_district")
ASPECT_NOW = aliased(AspectScore, name="aspect_now")
ASPECT_BEFORE = aliased(AspectScore, name="aspect_before")
DISTRICT_ASPECT_NOW = aliased(DistrictAspectScore, name="district_aspect_now")
DISTRICT_ASPECT_BEFORE = aliased(DistrictAspectScore, name="district_aspect_before")

# The columns of a league table's row, in the order of PeriodResults._light_row.
LIGHT_COLUMNS = (
    Score.park_id,
    Score.total,
    Score.tier,
    Score.rank_city,
    Score.rank_district,
    Score.has_data,
    Score.late,
    Score.base,
    Score.adjustment,
    Park.name,
    Park.kind,
    Park.pilot_level,
    Area.id,
    Area.name,
)


@dataclass
class ParkResult:
    park: Park
    district: Area
    score: scoring.Score
    tier: Tier | None
    # The values that count, by indicator id: read for one park's page only (empty in a
    # league table's rows).
    values: dict[int, float]
    rank_city: int = 0
    rank_district: int = 0
    base: float = 0.0
    adjustment: float = 0.0
    adjustments: dict[int, float] = field(default_factory=dict)
    previous_rank_city: int | None = None
    previous_rank_district: int | None = None
    late: int = 0
    # When ranked by one aspect: the park's points in it (its ranks are then the aspect's).
    aspect_points: float | None = None
    # Whether any value counted, as stored (a league table's row may not read its points).
    stored_has_data: bool | None = None

    @property
    def total(self) -> float:
        return self.score.total

    @property
    def has_data(self) -> bool:
        if self.stored_has_data is not None:
            return self.stored_has_data
        return self.score.has_data

    @property
    def movement_city(self) -> str:
        return scoring.movement(self.rank_city, self.previous_rank_city)

    @property
    def movement_district(self) -> str:
        return scoring.movement(self.rank_district, self.previous_rank_district)


@dataclass
class DistrictResult:
    district: Area
    score: float | None
    tier: Tier | None
    park_count: int = 0
    rank: int | None = None
    previous_rank: int | None = None
    # Reads the district's parks when a page asks for them (see PeriodResults.district).
    load: Callable[[], list[ParkResult]] | None = field(default=None, repr=False)

    @cached_property
    def parks(self) -> list[ParkResult]:
        """The district's parks, best first: one query, on first use."""
        return self.load() if self.load else []

    @property
    def movement(self) -> str:
        return scoring.movement(self.rank, self.previous_rank)


@dataclass(frozen=True)
class ParkQuery:
    """Which parks of a league table to read: filters, then a page of the rest in rank order.

    `search` matches a park's name; `limit` None reads every park that passes.
    """

    district_id: int | None = None
    kind: ParkKind | None = None
    pilot: PilotLevel | None = None
    search: str = ""
    park_ids: tuple[int, ...] | None = None
    limit: int | None = None
    offset: int = 0
    # Rank by this aspect's points instead of the total.
    aspect: Aspect | None = None
    # From the bottom of the table up (the last parks), still returned best first.
    from_bottom: bool = False
    # A league table needs no points per indicator: not reading them (JSON, per row)
    # halves the cost of 2,000 rows.
    with_points: bool = True


def _filtered(stmt, q: ParkQuery):
    """A select of score rows (joined to their parks) narrowed to the parks `q` keeps."""
    if q.district_id is not None:
        stmt = stmt.where(Score.district_id == q.district_id)
    if q.kind is not None:
        stmt = stmt.where(Park.kind == q.kind)
    if q.pilot is not None:
        stmt = stmt.where(Park.pilot_level == q.pilot)
    if q.park_ids is not None:
        stmt = stmt.where(col(Score.park_id).in_(q.park_ids))
    if q.search.strip():
        stmt = stmt.where(col(Park.name).contains(q.search.strip(), autoescape=True))
    return stmt


class PeriodResults:
    """A period's stored results, read narrowly: the framework and the districts (a few
    dozen rows) at once, parks only as a page asks for them."""

    def __init__(self, session: Session, period: Period):
        self.session = session
        self.period = period
        fid = period.framework_id or -1
        self.framework: Framework | None = (
            session.get(Framework, period.framework_id) if period.framework_id else None
        )
        self.indicators: list[Indicator] = list(
            session.exec(
                select(Indicator)
                .where(Indicator.framework_id == fid)
                .order_by(col(Indicator.sort_order))
            )
        )
        self.tiers: list[Tier] = sorted(
            session.exec(select(Tier).where(Tier.framework_id == fid)), key=lambda t: -t.min_score
        )
        self._tier = {t.name: t for t in self.tiers}
        self._previous = previous_period(session=session, period=period)
        self._one_district: dict[int, DistrictResult | None] = {}

    # --- districts -------------------------------------------------------------------------

    def _district_results(self, *where) -> list[DistrictResult]:
        prev = PREVIOUS_DISTRICT
        # Plain columns: a province's hundred districts as ORM objects cost a tenth of a
        # league table's page.
        rows = self.session.execute(
            select(
                DistrictScore.area_id,
                Area.name,
                Area.sort_order,
                DistrictScore.score,
                DistrictScore.tier,
                DistrictScore.parks,
                DistrictScore.rank,
                prev.rank,
            )
            .join(Area, col(Area.id) == DistrictScore.area_id)
            .outerjoin(
                prev,
                and_(
                    col(prev.area_id) == DistrictScore.area_id,
                    col(prev.period_id) == self._previous_id,
                ),
            )
            .where(DistrictScore.period_id == self.period.id, *where)
        )
        return [
            DistrictResult(
                district=DistrictRef(area_id, name, sort_order),  # type: ignore[arg-type]
                score=score,
                tier=self._tier.get(tier),
                park_count=parks,
                rank=rank,
                previous_rank=previous,
                load=self._district_loader(area_id),
            )
            for area_id, name, sort_order, score, tier, parks, rank, previous in rows
        ]

    @cached_property
    def districts(self) -> list[DistrictResult]:
        """Every district's result, best first (districts with no park last)."""
        found = self._district_results()
        found.sort(key=lambda d: (d.rank is None, d.rank or 0, d.district.sort_order))
        return found

    def _district_loader(self, area_id: int) -> Callable[[], list[ParkResult]]:
        return lambda: self.parks(ParkQuery(district_id=area_id), order_in_district=True)

    def district(self, area_id: int) -> DistrictResult | None:
        """One district's result: its own row, unless every district was read already."""
        if "districts" in self.__dict__:
            return next((d for d in self.districts if d.district.id == area_id), None)
        if area_id not in self._one_district:
            found = self._district_results(col(DistrictScore.area_id) == area_id)
            self._one_district[area_id] = found[0] if found else None
        return self._one_district[area_id]

    @cached_property
    def park_count(self) -> int:
        """How many parks the period ranks (the "of N" of a rank in the city)."""
        if "districts" in self.__dict__:
            return sum(d.park_count for d in self.districts)
        total = self.session.execute(
            select(func.sum(DistrictScore.parks)).where(DistrictScore.period_id == self.period.id)
        ).scalar_one()
        return int(total or 0)

    # --- parks -----------------------------------------------------------------------------

    @property
    def _previous_id(self) -> int:
        return self._previous.id if self._previous else -1

    def _park_select(self, q: ParkQuery, columns: tuple = ()):
        prev = PREVIOUS_SCORE
        # A league table's rows are plain columns (2,000 rows of three ORM objects each
        # cost more than the rest of the export); a park's page gets the objects.
        head = (Score, Park, Area) if q.with_points else LIGHT_COLUMNS
        stmt = (
            select(*head, prev.rank_city, prev.rank_district, *columns)
            .select_from(Score)
            .join(Park, col(Park.id) == Score.park_id)
            .join(Area, col(Area.id) == Score.district_id)
            .outerjoin(
                prev,
                and_(col(prev.park_id) == Score.park_id, col(prev.period_id) == self._previous_id),
            )
            .where(Score.period_id == self.period.id)
        )
        return _filtered(stmt, q)

    def parks(self, q: ParkQuery | None = None, *, order_in_district: bool = False):
        """The parks the query keeps, best first, by total (or rank in their district)."""
        q = q or ParkQuery()
        if q.aspect is not None:
            return self._aspect_parks(q)
        stmt = self._park_select(q)
        rank = col(Score.rank_district) if order_in_district else col(Score.rank_city)
        stmt = (
            stmt.order_by(rank.desc(), col(Park.name).desc())
            if q.from_bottom
            else stmt.order_by(rank, col(Park.name))
        )
        stmt = stmt.offset(q.offset).limit(q.limit)
        found = [self._any_row(q, r)[0] for r in self.session.exec(stmt)]
        return found[::-1] if q.from_bottom else found

    def _any_row(self, q: ParkQuery, r) -> tuple[ParkResult, tuple]:
        """A row of _park_select as a result, and the extra columns after it."""
        if q.with_points:
            s, park, area, prev_city, prev_district, *extra = r
            return self._row(s, park, area, prev_city, prev_district), tuple(extra)
        n = len(LIGHT_COLUMNS)
        return self._light_row(*r[: n + 2]), tuple(r[n + 2 :])

    def _light_row(
        self,
        park_id: int,
        total: float,
        tier: str,
        rank_city: int,
        rank_district: int,
        has_data: bool,
        late: int,
        base: float,
        adjustment: float,
        name: str,
        kind: ParkKind,
        pilot_level: PilotLevel | None,
        area_id: int,
        area_name: str,
        prev_city: int | None,
        prev_district: int | None,
    ) -> ParkResult:
        return ParkResult(
            park=ParkRef(park_id, name, kind, pilot_level),  # type: ignore[arg-type]
            district=AreaRef(area_id, area_name),  # type: ignore[arg-type]
            score=scoring.Score(total=total, points={}, missing=()),
            tier=self._tier.get(tier),
            values={},
            rank_city=rank_city,
            rank_district=rank_district,
            base=base,
            adjustment=adjustment,
            previous_rank_city=prev_city,
            previous_rank_district=prev_district,
            late=late,
            stored_has_data=has_data,
        )

    def count(self, q: ParkQuery | None = None) -> int:
        """How many parks the query keeps (before its page)."""
        q = q or ParkQuery()
        # The score rows alone, joined to their parks only for a filter on the park: the
        # count runs on every page of a league table.
        stmt = select(func.count(col(Score.id))).where(Score.period_id == self.period.id)
        if q.kind is not None or q.pilot is not None or q.search.strip():
            stmt = stmt.join(Park, col(Park.id) == Score.park_id)
        return self.session.execute(_filtered(stmt, q)).scalar_one()

    def _row(
        self, s: Score, park: Park, area: Area, prev_city, prev_district, *_extra
    ) -> ParkResult:
        points = {int(k): v for k, v in s.points.items()}
        return ParkResult(
            park=park,
            district=area,
            # A league table's row knows whether any value counted, not which: its
            # `missing` is every indicator or none.
            score=scoring.Score(
                total=s.total, points=points, missing=() if s.has_data else tuple(points)
            ),
            stored_has_data=s.has_data,
            tier=self._tier.get(s.tier),
            values={},
            rank_city=s.rank_city,
            rank_district=s.rank_district,
            base=s.base,
            adjustment=s.adjustment,
            adjustments={int(k): v for k, v in s.adjustments.items()},
            previous_rank_city=prev_city,
            previous_rank_district=prev_district,
            late=s.late,
        )

    def park(self, park_id: int) -> ParkResult | None:
        """One park's result with the values that counted for it."""
        found = self.parks(ParkQuery(park_ids=(park_id,)))
        return self.with_values(found)[0] if found else None

    def with_values(self, rows: list[ParkResult]) -> list[ParkResult]:
        """Fills these parks' counted values (and which indicators have none), in two
        queries for them all."""
        values = counted_values(self.session, self.period, [r.park.id for r in rows])
        for r in rows:
            r.values = values.get(r.park.id, {})
            r.score = scoring.Score(
                total=r.score.total,
                points=r.score.points,
                missing=tuple(i.id for i in self.indicators if i.id not in r.values),
            )
        return rows

    # --- aspects ---------------------------------------------------------------------------

    def _aspect_parks(self, q: ParkQuery) -> list[ParkResult]:
        """Parks ranked by one aspect: their ranks and points in it (the previous period's
        ranks by the aspect of the same name, which may be another year's framework)."""
        aspect = q.aspect
        assert aspect is not None
        now, before = ASPECT_NOW, ASPECT_BEFORE
        stmt = (
            self._park_select(
                q,
                (
                    now.points,
                    now.rank_city,
                    now.rank_district,
                    before.rank_city,
                    before.rank_district,
                ),
            )
            .join(
                now, and_(col(now.park_id) == Score.park_id, col(now.period_id) == self.period.id)
            )
            .where(col(now.aspect_id) == aspect.id)
            .outerjoin(
                before,
                and_(
                    col(before.park_id) == Score.park_id,
                    col(before.period_id) == self._previous_id,
                    col(before.aspect_id) == self._previous_aspect_id(aspect),
                ),
            )
        )
        stmt = (
            (
                stmt.order_by(col(now.rank_city).desc(), col(Park.name).desc())
                if q.from_bottom
                else stmt.order_by(col(now.rank_city), col(Park.name))
            )
            .offset(q.offset)
            .limit(q.limit)
        )
        found = []
        for r in self.session.exec(stmt):
            row, (points, rc, rd, prc, prd) = self._any_row(q, r)
            row.aspect_points, row.rank_city, row.rank_district = points, rc, rd
            # Movement compares with the previous period's ranks by the same aspect.
            row.previous_rank_city, row.previous_rank_district = prc, prd
            found.append(row)
        return found[::-1] if q.from_bottom else found

    def _previous_aspect_id(self, aspect: Aspect) -> int:
        """The aspect of the same name in the previous period's framework (-1 for none)."""
        if self._previous is None or self._previous.framework_id is None:
            return -1
        found = self.session.exec(
            select(Aspect.id).where(
                Aspect.framework_id == self._previous.framework_id, Aspect.name == aspect.name
            )
        ).first()
        return found if found is not None else -1

    def district_aspects(self, aspect: Aspect) -> list[DistrictResult]:
        """Every district ranked by one aspect: its mean points in it, best first."""
        now, before = DISTRICT_ASPECT_NOW, DISTRICT_ASPECT_BEFORE
        rows = self.session.exec(
            select(now.area_id, now.score, now.rank, before.rank)
            .select_from(now)
            .outerjoin(
                before,
                and_(
                    col(before.area_id) == now.area_id,
                    col(before.period_id) == self._previous_id,
                    col(before.aspect_id) == self._previous_aspect_id(aspect),
                ),
            )
            .where(col(now.period_id) == self.period.id, col(now.aspect_id) == aspect.id)
        )
        by_area = {d.district.id: d for d in self.districts}
        found = [
            DistrictResult(
                district=by_area[area_id].district,
                score=score,
                tier=by_area[area_id].tier,
                park_count=by_area[area_id].park_count,
                rank=rank,
                previous_rank=previous,
            )
            for area_id, score, rank, previous in rows
            if area_id in by_area
        ]
        found.sort(key=lambda d: (d.rank is None, d.rank or 0, d.district.sort_order))
        return found

    def aspect_sums(self, area_id: int | None = None) -> dict[int, dict[int, float]]:
        """Every district's (or one's) sum of its parks' points per aspect: district →
        aspect → points (a mean is this over the district's park count)."""
        found: dict[int, dict[int, float]] = {}
        stmt = select(
            DistrictAspectScore.area_id,
            DistrictAspectScore.aspect_id,
            DistrictAspectScore.total,
        ).where(DistrictAspectScore.period_id == self.period.id)
        if area_id is not None:
            stmt = stmt.where(DistrictAspectScore.area_id == area_id)
        for district_id, aspect_id, total in self.session.exec(stmt):
            found.setdefault(district_id, {})[aspect_id] = total
        return found

    def park_aspects(self, park_ids: list[int]) -> dict[int, dict[int, float]]:
        """Some parks' points per aspect: park → aspect → points."""
        found: dict[int, dict[int, float]] = {}
        for park_id, aspect_id, points in self.session.exec(
            select(AspectScore.park_id, AspectScore.aspect_id, AspectScore.points).where(
                AspectScore.period_id == self.period.id, col(AspectScore.park_id).in_(park_ids)
            )
        ):
            found.setdefault(park_id, {})[aspect_id] = points
        return found


def counted_values(
    session: Session, period: Period, park_ids: list[int]
) -> dict[int, dict[int, float]]:
    """The values that count for some parks (park → indicator → value): computed ones
    always, reported ones once the park's report is submitted (the rule of
    scores.counted_values, read for these parks only)."""
    if not park_ids:
        return {}
    submitted = set(
        session.exec(
            select(ParkReport.park_id).where(
                ParkReport.period_id == period.id,
                col(ParkReport.park_id).in_(park_ids),
                col(ParkReport.state).in_(list(scores.COUNTING_STATES)),
            )
        )
    )
    found: dict[int, dict[int, float]] = {}
    for park_id, indicator_id, value, origin in session.exec(
        select(
            IndicatorValue.park_id,
            IndicatorValue.indicator_id,
            IndicatorValue.value,
            IndicatorValue.origin,
        ).where(IndicatorValue.period_id == period.id, col(IndicatorValue.park_id).in_(park_ids))
    ):
        if origin == ValueOrigin.computed or park_id in submitted:
            found.setdefault(park_id, {})[indicator_id] = value
    return found


def rules(indicators: list[Indicator]) -> list[scoring.Rule]:
    """The framework's indicators as scoring rules (framework targets)."""
    return [
        scoring.Rule(key=i.id, weight=i.weight, target=i.target, rule=i.rule, params=i.rule_params)
        for i in indicators
    ]


def results(*, session: Session, period: Period) -> PeriodResults:
    """A period's stored results, read as a page asks for them.

    A park with no values scores 0 and stays in the ranking, flagged by its score's
    `has_data`. A period with no framework has no stored results: every table is empty.
    """
    return PeriodResults(session, period)
