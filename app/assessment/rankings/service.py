"""League tables of a period: filters, rankings by total or by one aspect, and movement."""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from operator import attrgetter
from typing import TypeVar

from sqlmodel import Session, col, select

from app.assessment.models import Period
from app.assessment.results import scoring
from app.assessment.results import service as assessment
from app.core.errors import Invalid
from app.core.i18n import N_, _
from app.core.inputs import is_id
from app.enterprises import pinyin
from app.framework.models import Aspect
from app.geo import service as geo
from app.geo.models import Area, ParkKind, PilotLevel

E = TypeVar("E", bound=StrEnum)

# The value of `by` that ranks by the total score rather than by one aspect.
TOTAL = "total"
# A park's name is at most 80 characters: a longer search matches nothing and is refused.
SEARCH_MAX = 80
FILTER_LABELS = {
    "q": N_("Park name"),
    "district": N_("District"),
    "kind": N_("Park kind"),
    "pilot": N_("Pilot level"),
    "by": N_("Rank by"),
    "sort": N_("Sort by"),
}

# How the park table may be ordered. Each column sorts its natural way first (ranks and
# names up, scores down); a leading "-" reverses it. Ranks are the default.
RANK = "rank"
SORTS = ("rank", "name", "score", "district")
SORT_LABELS = {
    "rank": N_("Rank"),
    "name": N_("Park name"),
    "score": N_("Score"),
    "district": N_("District"),
}


@dataclass(frozen=True)
class Filters:
    """What the reader chose to see; None means no restriction (or, for aspect, the total)."""

    district: Area | None = None
    kind: ParkKind | None = None
    pilot: PilotLevel | None = None
    aspect: Aspect | None = None
    search: str = ""  # part of a park's name
    sort: str = RANK  # one of SORTS, "-" in front for the other way

    @property
    def sort_field(self) -> str:
        return self.sort.removeprefix("-")

    @property
    def sort_reversed(self) -> bool:
        return self.sort.startswith("-")

    @property
    def narrowed(self) -> bool:
        """Whether any filter hides parks."""
        return bool(self.search) or any(
            f is not None for f in (self.district, self.kind, self.pilot)
        )


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
    # A longer number cannot be an id (nor fit a query); "²" is a digit to isdigit, not to int.
    if not is_id(by):
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
    q: str | None = None,
    sort: str | None = None,
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
    search, key = (q or "").strip(), "q"
    if len(search) > SEARCH_MAX:
        errors[key] = _("{field} is at most {n} characters.").format(
            field=_(FILTER_LABELS[key]), n=SEARCH_MAX
        )
    order = (sort or RANK).strip()
    if order.removeprefix("-") not in SORTS:
        bad("sort")
    if errors:
        raise Invalid(errors)
    return Filters(
        district=area, kind=park_kind, pilot=level, aspect=aspect, search=search, sort=order
    )


@dataclass(frozen=True)
class ParkRow:
    result: assessment.ParkResult
    score: float
    rank_city: int
    rank_district: int
    previous_rank_city: int | None
    previous_rank_district: int | None

    # What a template reads of the row's stored result.
    park = property(attrgetter("result.park"))
    district = property(attrgetter("result.district"))
    tier = property(attrgetter("result.tier"))
    has_data = property(attrgetter("result.has_data"))

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

    district = property(attrgetter("result.district"))
    parks = property(attrgetter("result.park_count"))
    tier = property(attrgetter("result.tier"))

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
    parks: list[ParkRow]  # the page of the parks the filters keep, best first
    matched: int = 0  # how many parks the filters keep, on every page
    page: int = 1
    per_page: int | None = None

    @property
    def period(self) -> Period:
        return self.results.period

    @property
    def pages(self) -> int:
        if not self.per_page:
            return 1
        return max(1, -(-self.matched // self.per_page))


def _park_row(r: assessment.ParkResult, aspect: Aspect | None) -> ParkRow:
    return ParkRow(
        r,
        r.aspect_points if aspect is not None and r.aspect_points is not None else r.total,
        r.rank_city,
        r.rank_district,
        r.previous_rank_city,
        r.previous_rank_district,
    )


def _district_rows(res: assessment.PeriodResults, aspect: Aspect | None) -> list[DistrictRow]:
    found = res.districts if aspect is None else res.district_aspects(aspect)
    return [DistrictRow(d, d.score, d.rank, d.previous_rank) for d in found]


def _query(filters: Filters) -> assessment.ParkQuery:
    """The league table's rows these filters keep (no points per indicator: not shown)."""
    return assessment.ParkQuery(
        district_id=filters.district.id if filters.district else None,
        kind=filters.kind,
        pilot=filters.pilot,
        search=filters.search,
        aspect=filters.aspect,
        with_points=False,
    )


def _name_key(r: assessment.ParkResult):
    return pinyin.sort_key(r.park.name)


def _sorted_page(
    res: assessment.PeriodResults,
    query: assessment.ParkQuery,
    filters: Filters,
    page: int,
    per_page: int | None,
) -> list[assessment.ParkResult]:
    """The page of parks the filters keep, in the order the reader chose.

    Rank and score orders are the stored rank order (a score's rank is its place), read a
    page at a time from the top or the bottom. Name and district orders need every row
    the filters keep: pinyin is not the database's collation, so they are sorted here.
    """
    field, backwards = filters.sort_field, filters.sort_reversed
    offset = (page - 1) * per_page if per_page else 0
    if field in (RANK, "score"):
        # Rank up is score down (equal scores share a rank, names break ties): both read
        # best first, and reversed from the bottom of the table.
        found = res.parks(replace(query, limit=per_page, offset=offset, from_bottom=backwards))
        return found[::-1] if backwards else found
    rows = res.parks(query)
    if field == "name":
        rows.sort(key=_name_key, reverse=backwards)
    else:
        # By district (in pinyin), and by rank within each; "-district" reverses only the
        # districts, so each district's best park still comes first.
        districts = sorted({r.district.name for r in rows}, key=pinyin.sort_key, reverse=backwards)
        place = {name: i for i, name in enumerate(districts)}
        rows.sort(key=lambda r: (place[r.district.name], r.rank_city, r.park.name))
    return rows[offset : offset + per_page] if per_page else rows


def rankings(
    *,
    session: Session,
    period: Period,
    filters: Filters,
    page: int = 1,
    per_page: int | None = None,
) -> Rankings:
    """The district and park league tables of a period, by total or by one aspect: the
    parks as a page of `per_page` (all of them without one), read from the stored ranks.

    Filters hide parks but never re-rank them: a park keeps its rank in the city and in its
    district. The district table is the whole city's, whatever the filters.
    """
    res = assessment.results(session=session, period=period)
    query = _query(filters)
    matched = res.count(query)
    page = min(max(page, 1), max(1, -(-matched // per_page))) if per_page else 1
    out_of = None
    if filters.aspect is not None:
        out_of = sum(i.weight for i in res.indicators if i.aspect_id == filters.aspect.id)
    return Rankings(
        res,
        filters,
        out_of,
        _district_rows(res, filters.aspect),
        [_park_row(r, filters.aspect) for r in _sorted_page(res, query, filters, page, per_page)],
        matched=matched,
        page=page,
        per_page=per_page,
    )


def top(
    *,
    res: assessment.PeriodResults,
    filters: Filters,
    n: int,
    own: Iterable[int] = (),
    first: list[ParkRow] | None = None,
) -> list[ParkRow]:
    """The first n parks the filters keep (or `first`, read before), and the reader's own
    parks below them."""
    query = _query(filters)
    rows = (
        first
        if first is not None
        else [_park_row(r, filters.aspect) for r in res.parks(replace(query, limit=n))]
    )
    shown = {r.park.id for r in rows}
    mine = tuple(sorted(set(own) - shown))[:n]
    if mine:
        rows = rows + [
            _park_row(r, filters.aspect) for r in res.parks(replace(query, park_ids=mine))
        ]
    return rows
