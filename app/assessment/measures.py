"""Computed indicator values: measures over the roster, the grids and park facilities.

Each measure maps park ids to a value for the parks' current state, with the counts it
came from (so a score can say which rows it was computed from), using a few grouped
queries for all parks at once. Indicators name their measure as data.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from app.core.i18n import N_, gettext
from app.enterprises.models import Enterprise
from app.geo.models import SERVICE_POSITIONS, Grid, Park


@dataclass(frozen=True)
class Measured:
    value: float
    num: float
    den: float | None
    template: str  # a message id with {num} and {den}

    @property
    def basis(self) -> str:
        """In words, what the value was computed from."""
        num = int(self.num) if float(self.num).is_integer() else self.num
        den = int(self.den) if self.den is not None and float(self.den).is_integer() else self.den
        return gettext(self.template).format(num=num, den=den)


Measure = Callable[[Session, list[int]], dict[int, Measured]]


def _percent(
    num: dict[int, int], den: dict[int, int], park_ids: Iterable[int], template: str
) -> dict[int, Measured]:
    # A park with nothing to count (no enterprises, no unions) has 0 %, never a division error.
    out = {}
    for pid in park_ids:
        n, d = num.get(pid, 0), den.get(pid, 0)
        out[pid] = Measured(round(100.0 * n / d, 2) if d else 0.0, n, d, template)
    return out


def _count_enterprises(session: Session, park_ids: list[int], *where) -> dict[int, int]:
    stmt = (
        select(Grid.park_id, func.count(col(Enterprise.id)))
        .join(Grid, col(Enterprise.grid_id) == col(Grid.id))
        .where(col(Grid.park_id).in_(park_ids), *where)
        .group_by(col(Grid.park_id))
    )
    return {pid: n for pid, n in session.exec(stmt)}


def participation_rate(session: Session, park_ids: list[int]) -> dict[int, Measured]:
    """Share of the park's enterprises taking part in the reform, in %."""
    return _percent(
        _count_enterprises(session, park_ids, col(Enterprise.in_reform)),
        _count_enterprises(session, park_ids),
        park_ids,
        N_("{num} of {den} enterprises in the roster take part in the reform"),
    )


def collective_contract_rate(session: Session, park_ids: list[int]) -> dict[int, Measured]:
    """Enterprises with a signed collective contract among those with a union, in %."""
    return _percent(
        _count_enterprises(
            session, park_ids, col(Enterprise.union_founded), col(Enterprise.collective_contract)
        ),
        _count_enterprises(session, park_ids, col(Enterprise.union_founded)),
        park_ids,
        N_("{num} of {den} enterprises with a union have signed a collective contract"),
    )


def grid_coverage(session: Session, park_ids: list[int]) -> dict[int, Measured]:
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
        {pid: int(eq or 0) for pid, _, eq in rows},
        {pid: n for pid, n, _ in rows},
        park_ids,
        N_("{num} of {den} grids have both a liaison and a node enterprise"),
    )


def _parks(session: Session, park_ids: list[int]) -> list[Park]:
    return list(session.exec(select(Park).where(col(Park.id).in_(park_ids))))


def service_positions(session: Session, park_ids: list[int]) -> dict[int, Measured]:
    """Share of the required service positions the park has in place, in %."""
    return _percent(
        {p.id: sum(getattr(p, f) for f, _ in SERVICE_POSITIONS) for p in _parks(session, park_ids)},
        dict.fromkeys(park_ids, len(SERVICE_POSITIONS)),
        park_ids,
        N_("{num} of the {den} required service positions are in place"),
    )


def training_bases(session: Session, park_ids: list[int]) -> dict[int, Measured]:
    """Internal plus external training bases."""
    return {
        p.id: Measured(
            float(p.internal_training_bases + p.external_training_bases),
            p.internal_training_bases,
            p.external_training_bases,
            N_("{num} internal and {den} external training bases"),
        )
        for p in _parks(session, park_ids)
    }


MEASURES: dict[str, Measure] = {
    "participation_rate": participation_rate,
    "grid_coverage": grid_coverage,
    "collective_contract_rate": collective_contract_rate,
    "service_positions": service_positions,
    "training_bases": training_bases,
}


def is_computed(measure: str) -> bool:
    """Whether the system computes this measure (else the park reports it)."""
    return measure in MEASURES


def measure(session: Session, name: str, park_ids: list[int]) -> dict[int, Measured] | None:
    """The measure's current values with their basis, or None when no such measure exists yet."""
    fn = MEASURES.get(name)
    return fn(session, park_ids) if fn else None


def compute(session: Session, name: str, park_ids: list[int]) -> dict[int, float] | None:
    """The measure's current values for the parks, or None when no such measure exists yet."""
    found = measure(session, name, park_ids)
    return None if found is None else {pid: m.value for pid, m in found.items()}
