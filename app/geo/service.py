"""Operations on areas, parks and grids."""

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import literal, union_all
from sqlmodel import Session, col, func, select

from app.core import permissions
from app.core.errors import NotFound
from app.core.permissions import Principal
from app.geo.models import Area, AreaLevel, Grid, Park


def get_district(*, session: Session, who: Principal, area_id: int) -> Area:
    """Gets a district in the principal's scope; NotFound for anything else."""
    area = permissions.get(session, who, "view", Area, area_id)
    if area.level != AreaLevel.district:
        raise NotFound
    return area


def get_park(*, session: Session, who: Principal, park_id: int, action: str = "view") -> Park:
    """Gets a park in the principal's scope for the action."""
    return permissions.get(session, who, action, Park, park_id)


def get_grid(*, session: Session, who: Principal, grid_id: int, action: str = "view") -> Grid:
    """Gets a grid in the principal's scope for the action."""
    return permissions.get(session, who, action, Grid, grid_id)


class Everything:
    """The ids of a principal who may view every place: holds any id, costs no query."""

    def __contains__(self, _item: object) -> bool:
        return True

    def preload(self, _ids: Iterable[int]) -> None:
        pass

    def few(self, _limit: int) -> None:
        return None


class Scoped:
    """The ids of one kind of place the principal may view, read only as far as a page
    asks: a league table asks about the rows it shows, so a city-wide reader's page does
    not read the city's 2,000 park ids to link 50 of them."""

    def __init__(self, session: Session, who: Principal, model: type):
        self._session, self._who, self._model = session, who, model
        self._known: dict[int, bool] = {}
        self._pending: set[int] = set()
        self._all: set[int] | None = None

    def preload(self, ids: Iterable[int]) -> None:
        """Notes ids the page will ask about; the first question reads them all in one
        query, so the parts of a page can each note their rows."""
        if self._all is None:
            self._pending.update(i for i in ids if i not in self._known)

    def _resolve(self) -> None:
        asked, self._pending = self._pending, set()
        pk = self._model.__table__.primary_key.columns[0]  # type: ignore[attr-defined]
        stmt = permissions.restrict(select(pk).where(pk.in_(asked)), self._who, "view", self._model)
        seen = set(self._session.exec(stmt))
        self._known.update((i, i in seen) for i in asked)

    def few(self, limit: int) -> set[int] | None:
        """Every id in scope when there are at most `limit`; None for more. The ids noted
        by `preload` are answered in the same statement, so a page reads as many
        statements for a scope of 3 parks as for one of 2,000."""
        if self._all is not None:
            return self._all if len(self._all) <= limit else None
        pk = self._model.__table__.primary_key.columns[0]  # type: ignore[attr-defined]
        scoped = permissions.restrict(select(pk), self._who, "view", self._model)
        first = scoped.limit(limit + 1).subquery()
        parts = [select(first.c[0], literal(True).label("listed"))]
        asked, self._pending = self._pending, set()
        if asked:
            parts.append(scoped.add_columns(literal(False)).where(pk.in_(asked)))
        rows = self._session.exec(union_all(*parts) if len(parts) > 1 else parts[0]).all()
        listed = {i for i, whole in rows if whole}
        if len(listed) <= limit:
            self._all = listed
            return listed
        seen = {i for i, whole in rows if not whole}
        self._known.update((i, i in seen) for i in asked)
        return None

    def __contains__(self, item: object) -> bool:
        if self._all is not None:
            return item in self._all
        if self._pending and item not in self._known:
            self._resolve()
        if item in self._known:
            return self._known[item]  # type: ignore[index]
        # Not preloaded: one read of the whole scope rather than a query per link.
        self._all = permissions.ids(self._session, self._who, "view", self._model)
        return item in self._all


class Visible:
    """The places a principal may open, so pages link only to those. Each kind is read on
    first use (a page that links only to parks never reads the grids), and parks and grids
    only for the ids a page preloads."""

    def __init__(self, session: Session, who: Principal):
        self._session, self._who = session, who
        self._everything = who.everything and who.can("view")

    def _scoped(self, model: type) -> Scoped | Everything:
        return Everything() if self._everything else Scoped(self._session, self._who, model)

    @cached_property
    def districts(self) -> set[int] | Everything:
        # A principal's districts are its area ids, known without a query.
        if self._everything:
            return Everything()
        return permissions.ids(self._session, self._who, "view", Area)

    @cached_property
    def parks(self) -> Scoped | Everything:
        return self._scoped(Park)

    @cached_property
    def grids(self) -> Scoped | Everything:
        return self._scoped(Grid)


def visible(*, session: Session, who: Principal) -> Visible:
    """What the principal may view (for links on published tables)."""
    return Visible(session, who)


def districts(*, session: Session) -> list[Area]:
    """Gets every district-level area in display order."""
    return list(
        session.exec(
            select(Area)
            .where(Area.level == AreaLevel.district)
            .order_by(col(Area.sort_order), col(Area.id))
        )
    )


def parks(*, session: Session, who: Principal | None = None) -> list[Park]:
    """Gets the parks in the principal's scope (without one: every park, for league tables)."""
    stmt = select(Park).order_by(col(Park.id))
    if who is not None:
        stmt = permissions.restrict(stmt, who, "view", Park)
    return list(session.exec(stmt))


def grids_of_park(*, session: Session, who: Principal, park_id: int) -> list[Grid]:
    """Gets a park's grids in the principal's scope, in display order."""
    stmt = select(Grid).where(Grid.park_id == park_id).order_by(col(Grid.sort_order), col(Grid.id))
    return list(session.exec(permissions.restrict(stmt, who, "view", Grid)))


def parks_of_district(*, session: Session, who: Principal, area_id: int) -> list[Park]:
    """Gets a district's parks in the principal's scope, those hanging under its streets too:
    the parks of the district's subtree of areas (a recursive query), not every park."""
    tree = select(Area.id).where(Area.id == area_id).cte("district_areas", recursive=True)
    tree = tree.union_all(select(Area.id).join(tree, col(Area.parent_id) == tree.c.id))
    stmt = select(Park).where(col(Park.area_id).in_(select(tree.c.id))).order_by(col(Park.id))
    return list(session.exec(permissions.restrict(stmt, who, "view", Park)))


def grids_of_parks(*, session: Session, who: Principal, park_ids: list[int]) -> list[Grid]:
    """Gets the grids of these parks in the principal's scope, park by park in display order."""
    stmt = (
        select(Grid)
        .where(col(Grid.park_id).in_(park_ids))
        .order_by(col(Grid.park_id), col(Grid.sort_order), col(Grid.id))
    )
    return list(session.exec(permissions.restrict(stmt, who, "view", Grid)))


def my_grids(*, session: Session, who: Principal) -> list[Grid]:
    """The grids scoped to the principal directly (a liaison's own grids)."""
    stmt = select(Grid).where(col(Grid.id).in_(who.grid_ids)).order_by(col(Grid.id))
    return list(session.exec(stmt))


def district_of(*, session: Session) -> dict[int, Area]:
    """Maps each park id to its district, walking up from a street where the park hangs lower."""
    areas = {a.id: a for a in session.exec(select(Area))}

    def climb(area: Area) -> Area:
        while area.level != AreaLevel.district and area.parent_id in areas:
            area = areas[area.parent_id]
        return area

    return {pid: climb(areas[aid]) for pid, aid in session.exec(select(Park.id, Park.area_id))}


def district_of_park(*, session: Session, park: Park) -> Area:
    """One park's district, above it however deep the park hangs (one query)."""
    chain = ancestors(session=session, area_id=park.area_id)
    return next(
        (a for a in reversed(chain) if a.level == AreaLevel.district),
        chain[-1],
    )


def ancestors(*, session: Session, area_id: int) -> list[Area]:
    """The chain of areas from the top of the tree down to this one, in one recursive
    query: a page's statements do not depend on how deep its park hangs."""
    up = (
        select(Area.id, Area.parent_id, literal(0).label("depth"))
        .where(Area.id == area_id)
        .cte("area_chain", recursive=True)
    )
    up = up.union_all(
        select(Area.id, Area.parent_id, (up.c.depth + 1).label("depth")).join(
            up, col(Area.id) == up.c.parent_id
        )
    )
    stmt = select(Area).join(up, col(Area.id) == up.c.id).order_by(up.c.depth.desc())
    return list(session.exec(stmt))


@dataclass(frozen=True)
class Counts:
    districts: int
    parks: int
    grids: int


def counts(*, session: Session) -> Counts:
    """How many districts, parks and grids there are, in one statement."""
    districts, parks, grids = session.execute(
        select(
            select(func.count(col(Area.id)))
            .where(Area.level == AreaLevel.district)
            .scalar_subquery(),
            select(func.count(col(Park.id))).scalar_subquery(),
            select(func.count(col(Grid.id))).scalar_subquery(),
        )
    ).one()
    return Counts(districts, parks, grids)


def grids_per_park(*, session: Session, park_ids: list[int] | None = None) -> dict[int, int]:
    """How many grids each park has (of these parks, when given), in one grouped query."""
    stmt = select(Grid.park_id, func.count(col(Grid.id))).group_by(col(Grid.park_id))
    if park_ids is not None:
        stmt = stmt.where(col(Grid.park_id).in_(park_ids))
    return dict(session.exec(stmt).all())
