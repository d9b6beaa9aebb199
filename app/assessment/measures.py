"""Computed indicator values: measures over the roster, the grids and park facilities.

Each measure maps park ids to a value for the parks' current state, computed with a
few grouped queries for all parks at once. Indicators name their measure as data.
"""

from collections.abc import Callable, Iterable

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from app.enterprises.models import Enterprise
from app.geo.models import SERVICE_POSITIONS, Grid, Park

Measure = Callable[[Session, list[int]], dict[int, float]]


def _percent(num: dict[int, int], den: dict[int, int], park_ids: Iterable[int]) -> dict[int, float]:
    # A park with nothing to count (no enterprises, no unions) has 0 %, never a division error.
    return {
        pid: round(100.0 * num.get(pid, 0) / den[pid], 2) if den.get(pid) else 0.0
        for pid in park_ids
    }


def _count_enterprises(session: Session, park_ids: list[int], *where) -> dict[int, int]:
    stmt = (
        select(Grid.park_id, func.count(col(Enterprise.id)))
        .join(Grid, col(Enterprise.grid_id) == col(Grid.id))
        .where(col(Grid.park_id).in_(park_ids), *where)
        .group_by(col(Grid.park_id))
    )
    return {pid: n for pid, n in session.exec(stmt)}


def participation_rate(session: Session, park_ids: list[int]) -> dict[int, float]:
    """Share of the park's enterprises taking part in the reform, in %."""
    return _percent(
        _count_enterprises(session, park_ids, col(Enterprise.in_reform)),
        _count_enterprises(session, park_ids),
        park_ids,
    )


def collective_contract_rate(session: Session, park_ids: list[int]) -> dict[int, float]:
    """Enterprises with a signed collective contract among those with a union, in %."""
    return _percent(
        _count_enterprises(
            session, park_ids, col(Enterprise.union_founded), col(Enterprise.collective_contract)
        ),
        _count_enterprises(session, park_ids, col(Enterprise.union_founded)),
        park_ids,
    )


def grid_coverage(session: Session, park_ids: list[int]) -> dict[int, float]:
    """Share of grids with both a liaison and a node enterprise, in %."""
    has_node = (
        select(Enterprise.id)
        .where(col(Enterprise.grid_id) == col(Grid.id), col(Enterprise.is_node))
        .exists()
    )
    equipped = sa.case((sa.and_(col(Grid.liaison_id).is_not(None), has_node), 1), else_=0)
    stmt = (
        select(Grid.park_id, func.count(col(Grid.id)), func.sum(equipped))
        .where(col(Grid.park_id).in_(park_ids))
        .group_by(col(Grid.park_id))
    )
    rows = list(session.exec(stmt))
    return _percent(
        {pid: int(eq or 0) for pid, _, eq in rows}, {pid: n for pid, n, _ in rows}, park_ids
    )


def _parks(session: Session, park_ids: list[int]) -> list[Park]:
    return list(session.exec(select(Park).where(col(Park.id).in_(park_ids))))


def service_positions(session: Session, park_ids: list[int]) -> dict[int, float]:
    """Share of the required service positions the park has in place, in %."""
    return {
        p.id: round(
            100.0 * sum(getattr(p, f) for f, _ in SERVICE_POSITIONS) / len(SERVICE_POSITIONS), 2
        )
        for p in _parks(session, park_ids)
    }


def training_bases(session: Session, park_ids: list[int]) -> dict[int, float]:
    """Internal plus external training bases."""
    return {
        p.id: float(p.internal_training_bases + p.external_training_bases)
        for p in _parks(session, park_ids)
    }


MEASURES: dict[str, Measure] = {
    "participation_rate": participation_rate,
    "grid_coverage": grid_coverage,
    "collective_contract_rate": collective_contract_rate,
    "service_positions": service_positions,
    "training_bases": training_bases,
}


def compute(session: Session, measure: str, park_ids: list[int]) -> dict[int, float] | None:
    """The measure's current values for the parks, or None when no such measure exists yet."""
    fn = MEASURES.get(measure)
    return fn(session, park_ids) if fn else None
