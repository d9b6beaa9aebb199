"""League tables of a period: filters, rankings by total or by one aspect, and movement."""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from sqlmodel import Session, col, select

from app.assessment import scoring
from app.assessment import service as assessment
from app.assessment.models import Period
from app.core.errors import Invalid
from app.core.i18n import N_, _
from app.framework.models import Aspect, Tier
from app.geo import service as geo
from app.geo.models import Area, Park, ParkKind, PilotLevel

E = TypeVar("E", bound=StrEnum)

# The value of `by` that ranks by the total score rather than by one aspect.
TOTAL = "total"
FILTER_LABELS = {
    "district": N_("District"),
    "kind": N_("Park kind"),
    "pilot": N_("Pilot level"),
    "by": N_("Rank by"),
}


@dataclass(frozen=True)
class Filters:
    """What the reader chose to see; None means no restriction (or, for aspect, the total)."""

    district: Area | None = None
    kind: ParkKind | None = None
    pilot: PilotLevel | None = None
    aspect: Aspect | None = None

    def keeps(self, park: Park, district: Area) -> bool:
        """Whether a park passes the district, kind and pilot filters."""
        return (
            (self.district is None or district.id == self.district.id)
            and (self.kind is None or park.kind == self.kind)
            and (self.pilot is None or park.pilot_level == self.pilot)
        )

    @property
    def narrowed(self) -> bool:
        """Whether any filter hides parks."""
        return any(f is not None for f in (self.district, self.kind, self.pilot))


def aspects(*, session: Session, framework_id: int | None) -> list[Aspect]:
    """The aspects of a framework in display order (none without a framework)."""
    if framework_id is None:
        return []
    return list(
        session.exec(
            select(Aspect)
            .where(Aspect.framework_id == framework_id)
            .order_by(col(Aspect.sort_order), col(Aspect.id))
        )
    )


def _aspect(session: Session, by: str, choices: list[Aspect]) -> Aspect | None:
    # A database id has at most a few digits; a longer number cannot be one (nor fit a query).
    if not by.isdigit() or len(by) > 12:
        return None
    wanted = int(by)
    found = next((a for a in choices if a.id == wanted), None)
    if found is not None:
        return found
    # An aspect of another year's framework (the reader switched the period with an aspect
    # chosen) means the same-named aspect of this period's framework.
    other = session.get(Aspect, wanted)
    return next((a for a in choices if other is not None and a.name == other.name), None)


def _choice(enum_type: type[E], value: str | None) -> E | None:
    try:
        return enum_type(value) if value else None
    except ValueError:
        return None


def parse_filters(
    *,
    session: Session,
    period: Period,
    district: str | None = None,
    kind: str | None = None,
    pilot: str | None = None,
    by: str | None = None,
) -> Filters:
    """Turns the query's filter values into Filters, or raises Invalid naming each bad one."""
    errors: dict[str, str] = {}

    def bad(name: str) -> None:
        errors[name] = _("{field} has a value that is not one of the choices.").format(
            field=_(FILTER_LABELS[name])
        )

    area = None
    if district:
        areas = {str(a.id): a for a in geo.districts(session=session)}
        area = areas.get(district)
        if area is None:
            bad("district")
    park_kind = _choice(ParkKind, kind)
    if kind and park_kind is None:
        bad("kind")
    level = _choice(PilotLevel, pilot)
    if pilot and level is None:
        bad("pilot")
    aspect = None
    if by and by != TOTAL:
        aspect = _aspect(session, by, aspects(session=session, framework_id=period.framework_id))
        if aspect is None:
            bad("by")
    if errors:
        raise Invalid(errors)
    return Filters(district=area, kind=park_kind, pilot=level, aspect=aspect)


@dataclass(frozen=True)
class AspectRanks:
    """One aspect's league tables: parks in the city and in their district, districts."""

    scores: dict[int, float]  # park → the aspect's points
    city: dict[int, int]  # park → rank in the city
    district: dict[int, int]  # park → rank in its district
    district_scores: dict[int, float]  # district → mean of its parks' aspect points
    district_ranks: dict[int, int]  # district → rank in the city


def rank_by_aspect(
    *,
    points: Mapping[int, Mapping[int, float]],
    district_of: Mapping[int, int],
    indicator_ids: Iterable[int],
) -> AspectRanks:
    """Ranks parks (points: park → indicator → points) and districts by one aspect's points."""
    keys = set(indicator_ids)
    # Sum points already rounded for display, then round again, as scoring.score does, so
    # two parks that read the same also rank the same.
    scores = {
        park: round(sum(p for ind, p in pts.items() if ind in keys), scoring.PRECISION)
        for park, pts in points.items()
    }
    members: dict[int, list[int]] = defaultdict(list)
    for park in scores:
        members[district_of[park]].append(park)
    local: dict[int, int] = {}
    for parks in members.values():
        local |= scoring.ranks({p: scores[p] for p in parks})
    means = {
        d: mean
        for d, parks in members.items()
        if (mean := scoring.mean([scores[p] for p in parks])) is not None
    }
    return AspectRanks(
        scores=scores,
        city=scoring.ranks(scores),
        district=local,
        district_scores=means,
        district_ranks=scoring.ranks(means),
    )


def aspect_ranks(
    *, session: Session, res: assessment.PeriodResults, name: str
) -> AspectRanks | None:
    """A period's ranking by the aspect of this name in its framework; None if it has none."""
    framework_id = res.framework.id if res.framework else None
    aspect = next(
        (a for a in aspects(session=session, framework_id=framework_id) if a.name == name), None
    )
    return None if aspect is None else _ranked(res, aspect.id)


def _ranked(res: assessment.PeriodResults, aspect_id: int | None) -> AspectRanks:
    return rank_by_aspect(
        points={r.park.id: r.score.points for r in res.parks},
        district_of={r.park.id: r.district.id for r in res.parks},
        indicator_ids=[i.id for i in res.indicators if i.aspect_id == aspect_id],
    )


@dataclass(frozen=True)
class ParkRow:
    result: assessment.ParkResult
    score: float
    rank_city: int
    rank_district: int
    previous_rank_city: int | None
    previous_rank_district: int | None

    @property
    def park(self) -> Park:
        return self.result.park

    @property
    def district(self) -> Area:
        return self.result.district

    @property
    def tier(self) -> Tier | None:
        return self.result.tier

    @property
    def has_data(self) -> bool:
        return self.result.score.has_data

    @property
    def movement_city(self) -> str:
        return scoring.movement(self.rank_city, self.previous_rank_city)

    @property
    def movement_district(self) -> str:
        return scoring.movement(self.rank_district, self.previous_rank_district)


@dataclass(frozen=True)
class DistrictRow:
    result: assessment.DistrictResult
    score: float | None
    rank: int | None
    previous_rank: int | None

    @property
    def district(self) -> Area:
        return self.result.district

    @property
    def parks(self) -> int:
        return len(self.result.parks)

    @property
    def tier(self) -> Tier | None:
        return self.result.tier

    @property
    def movement(self) -> str:
        return scoring.movement(self.rank, self.previous_rank)


@dataclass(frozen=True)
class Rankings:
    results: assessment.PeriodResults
    filters: Filters
    # Full marks of the score column when ranking by an aspect (its indicators' weights).
    out_of: float | None
    districts: list[DistrictRow]
    parks: list[ParkRow]  # only the parks the filters keep, best first

    @property
    def period(self) -> Period:
        return self.results.period


def _by_total(res: assessment.PeriodResults) -> tuple[list[DistrictRow], list[ParkRow]]:
    districts = [DistrictRow(d, d.score, d.rank, d.previous_rank) for d in res.districts]
    parks = [
        ParkRow(
            r,
            r.total,
            r.rank_city,
            r.rank_district,
            r.previous_rank_city,
            r.previous_rank_district,
        )
        for r in res.parks
    ]
    return districts, parks


def _by_aspect(
    session: Session, res: assessment.PeriodResults, aspect: Aspect
) -> tuple[list[DistrictRow], list[ParkRow]]:
    now = _ranked(res, aspect.id)
    # The previous period may be another year, scored by another framework: its aspect of
    # the same name is the one to compare with.
    prev_period = assessment.previous_period(session=session, period=res.period)
    prev = (
        aspect_ranks(
            session=session,
            res=assessment.results(session=session, period=prev_period),
            name=aspect.name,
        )
        if prev_period is not None
        else None
    )
    parks = sorted(
        (
            ParkRow(
                r,
                now.scores[r.park.id],
                now.city[r.park.id],
                now.district[r.park.id],
                prev.city.get(r.park.id) if prev else None,
                prev.district.get(r.park.id) if prev else None,
            )
            for r in res.parks
        ),
        key=lambda row: (row.rank_city, row.park.name),
    )
    districts = sorted(
        (
            DistrictRow(
                d,
                now.district_scores.get(d.district.id),
                now.district_ranks.get(d.district.id),
                prev.district_ranks.get(d.district.id) if prev else None,
            )
            for d in res.districts
        ),
        key=lambda row: (row.rank is None, row.rank or 0, row.district.sort_order),
    )
    return districts, parks


def rankings(*, session: Session, period: Period, filters: Filters) -> Rankings:
    """The district and park league tables of a period, by total or by one aspect.

    Filters hide parks but never re-rank them: a park keeps its rank in the city and in its
    district. The district table is the whole city's, whatever the filters.
    """
    res = assessment.results(session=session, period=period)
    out_of = None
    if filters.aspect is None:
        districts, parks = _by_total(res)
    else:
        districts, parks = _by_aspect(session, res, filters.aspect)
        out_of = sum(i.weight for i in res.indicators if i.aspect_id == filters.aspect.id)
    shown = [row for row in parks if filters.keeps(row.park, row.district)]
    return Rankings(res, filters, out_of, districts, shown)
