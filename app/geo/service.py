"""Operations on areas, parks and grids."""

from dataclasses import dataclass

from sqlmodel import Session, col, func, select

from app.geo.models import Area, AreaLevel, Grid, Park


def get_area(*, session: Session, area_id: int) -> Area | None:
    """Gets an area by its id."""
    return session.get(Area, area_id)


def get_park(*, session: Session, park_id: int) -> Park | None:
    """Gets a park by its id."""
    return session.get(Park, park_id)


def get_grid(*, session: Session, grid_id: int) -> Grid | None:
    """Gets a grid by its id."""
    return session.get(Grid, grid_id)


def districts(*, session: Session) -> list[Area]:
    """Gets every district-level area in display order."""
    return list(
        session.exec(
            select(Area)
            .where(Area.level == AreaLevel.district)
            .order_by(col(Area.sort_order), col(Area.id))
        )
    )


def parks(*, session: Session) -> list[Park]:
    """Gets every park by name order."""
    return list(session.exec(select(Park).order_by(col(Park.id))))


def grids_of_park(*, session: Session, park_id: int) -> list[Grid]:
    """Gets a park's grids in display order."""
    return list(
        session.exec(
            select(Grid).where(Grid.park_id == park_id).order_by(col(Grid.sort_order), col(Grid.id))
        )
    )


def district_of(*, session: Session) -> dict[int, Area]:
    """Maps each park id to its district, walking up from a street where the park hangs lower."""
    areas = {a.id: a for a in session.exec(select(Area))}

    def climb(area: Area) -> Area:
        while area.level != AreaLevel.district and area.parent_id in areas:
            area = areas[area.parent_id]
        return area

    return {pid: climb(areas[aid]) for pid, aid in session.exec(select(Park.id, Park.area_id))}


def ancestors(*, session: Session, area_id: int) -> list[Area]:
    """The chain of areas from the top of the tree down to this one."""
    chain: list[Area] = []
    area = session.get(Area, area_id)
    while area is not None:
        chain.append(area)
        area = session.get(Area, area.parent_id) if area.parent_id else None
    return chain[::-1]


@dataclass(frozen=True)
class GridCounts:
    grids: int
    by_status: dict[str, int]


def grid_counts(*, session: Session, park_ids: list[int] | None = None) -> GridCounts:
    """How many grids there are, and how many in each status."""
    stmt = select(Grid.status, func.count(col(Grid.id))).group_by(col(Grid.status))
    if park_ids is not None:
        stmt = stmt.where(col(Grid.park_id).in_(park_ids))
    by_status = {str(s): n for s, n in session.exec(stmt)}
    return GridCounts(grids=sum(by_status.values()), by_status=by_status)
