"""Computed indicator values: measures over the roster, the grids and park facilities.

Each measure maps park ids to a value for the parks' current state, with the counts it
came from (so a score can say which rows it was computed from), using a few grouped
queries for all parks at once. Indicators name their measure as data.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from app.assessment.models import Period
from app.core.calendar import quarter_end
from app.core.i18n import N_, gettext
from app.enterprises.models import Enterprise
from app.geo.models import SERVICE_POSITIONS, Grid, Park
from app.gridwork.demands import service as demands_service
from app.gridwork.monthly import service as monthly_service


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


# ---- measures over a period's grid work ---------------------------------------------
#
# Sums of confirmed monthly grid reports and the demand-resolution rate, cumulative for
# the year up to the period's quarter. A park that has none of those rows yet keeps
# reporting the indicator itself: the measure leaves it out.

PeriodMeasure = Callable[[Session, list[int], Period], dict[int, Measured]]


def _monthly_sum(field: str) -> PeriodMeasure:
    def fn(session: Session, park_ids: list[int], period: Period) -> dict[int, Measured]:
        sums = monthly_service.quarter_sums(
            session=session, park_ids=park_ids, year=period.year, quarter=period.quarter
        )
        counts = monthly_service.reports_count(
            session=session, park_ids=park_ids, year=period.year, quarter=period.quarter
        )
        return {
            pid: Measured(float(s[field]), counts.get(pid, 0), None, MONTHLY_BASIS)
            for pid, s in sums.items()
        }

    return fn


MONTHLY_BASIS = N_("summed from {num} confirmed monthly grid reports")


def training_coverage(session: Session, park_ids: list[int], period: Period) -> dict[int, Measured]:
    """Training person-times from confirmed monthly reports ÷ the park's workers, in %."""
    sums = monthly_service.quarter_sums(
        session=session, park_ids=park_ids, year=period.year, quarter=period.quarter
    )
    workers = dict(
        session.exec(
            select(Grid.park_id, func.coalesce(func.sum(Enterprise.worker_count), 0))
            .join(Grid, col(Enterprise.grid_id) == col(Grid.id))
            .where(col(Grid.park_id).in_(list(sums)))
            .group_by(col(Grid.park_id))
        ).all()
    )
    out = {}
    for pid, s in sums.items():
        times, n = s["training_person_times"], int(workers.get(pid, 0))
        value = round(100.0 * times / n, 2) if n else 0.0
        out[pid] = Measured(value, times, n, N_("{num} training person-times for {den} workers"))
    return out


def demand_resolution(session: Session, park_ids: list[int], period: Period) -> dict[int, Measured]:
    """Worker demands closed ÷ received this year up to the quarter's end, in %."""
    found = demands_service.resolution(
        session=session,
        park_ids=park_ids,
        year=period.year,
        until=quarter_end(period.year, period.quarter),
    )
    return {pid: Measured(r.value, r.num, r.den, r.template) for pid, r in found.items()}


PERIOD_MEASURES: dict[str, PeriodMeasure] = {
    "guidance_sessions": _monthly_sum("guidance_sessions"),
    "training_coverage": training_coverage,
    "competition": _monthly_sum("competition_participants"),
    "innovations": _monthly_sum("innovations"),
    "culture_reach": _monthly_sum("culture_reach"),
    "demand_resolution": demand_resolution,
}


def is_computed(measure: str) -> bool:
    """Whether the system always computes this measure (else the park may report it)."""
    return measure in MEASURES


def measure(
    session: Session, name: str, park_ids: list[int], period: Period | None = None
) -> dict[int, Measured] | None:
    """The measure's values with their basis (None when no such measure exists).

    Roster measures give today's state; grid-work measures need the period and leave out
    the parks that have no grid-work rows for it yet.
    """
    if name in MEASURES:
        return MEASURES[name](session, park_ids)
    if name in PERIOD_MEASURES and period is not None:
        return PERIOD_MEASURES[name](session, park_ids, period)
    return None


def compute(session: Session, name: str, park_ids: list[int]) -> dict[int, float] | None:
    """The measure's current values for the parks, or None when no such measure exists yet."""
    found = measure(session, name, park_ids)
    return None if found is None else {pid: m.value for pid, m in found.items()}
