"""A district's tables for download: the park × indicator scorecard, its parks and its grids.

Columns and rows only (app.core.sheets writes them out); every row comes through the
reader's scope.
"""

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from app.assessment.results import service as assessment
from app.core import privacy, sheets
from app.core.i18n import _
from app.core.permissions import Principal
from app.core.sheets import Column
from app.dashboard.district import service as district_service
from app.enterprises import service as roster
from app.framework.models import Indicator, Tier
from app.geo import service as geo
from app.geo.models import (
    GRID_BASIS_LABELS,
    GRID_STATUS_LABELS,
    PARK_KIND_LABELS,
    PILOT_LEVEL_LABELS,
)

# Indicator values to one decimal, as the district page shows them.
VALUE_DIGITS = 1


@dataclass(frozen=True)
class Table:
    """One sheet of a download: its name, columns and rows."""

    name: str
    columns: list[Column]
    rows: list[list[Any]]

    @property
    def sheet(self) -> tuple[str, list[Column], list[list[Any]]]:
        return self.name, self.columns, self.rows


def _tier(tier: Tier | None) -> str:
    return tier.name if tier else ""


def _value_format(indicator: Indicator, values: list[float | None]) -> str:
    # Rates are stored as percentages (85.3 means 85.3%), so they keep a decimal and the
    # header carries the "%"; counts are whole numbers unless one of them is not.
    if indicator.unit == "%":
        return "0.0"
    if all(float(v).is_integer() for v in values if v is not None):
        return sheets.WHOLE
    return "#,##0.0"


def _indicator(indicator: Indicator) -> str:
    name = f"{indicator.code} {indicator.name}"
    return f"{name}（{indicator.unit}）" if indicator.unit else name


def scorecard(
    *, session: Session, who: Principal, res: assessment.PeriodResults, area_id: int
) -> tuple[Table, Table]:
    """The district's parks by indicator for a period: their values, and their points."""
    # The same parks, in the same order, as the district page's ranking and heat map.
    parks = district_service.ranked_parks(session=session, who=who, res=res, area_id=area_id)
    parks = res.with_values(parks)
    indicators = res.indicators
    values = [
        [None if (v := r.values.get(i.id)) is None else round(v, VALUE_DIGITS) for i in indicators]
        for r in parks
    ]
    score = Column(_("Score"), sheets.SCORE)
    tier = Column(_("Tier"))
    head = [Column(_("Rank in district"), sheets.WHOLE), Column(_("Park"))]

    value_columns = [
        Column(_indicator(ind), _value_format(ind, [row[k] for row in values]))
        for k, ind in enumerate(indicators)
    ]
    value_table = Table(
        _("Values per indicator"),
        head + value_columns + [score, tier],
        [
            [r.rank_district, r.park.name, *row, r.total, _tier(r.tier)]
            for r, row in zip(parks, values, strict=True)
        ],
    )

    point_columns = [
        Column(
            _("{indicator} (out of {n})").format(
                indicator=f"{ind.code} {ind.name}", n=f"{ind.weight:g}"
            ),
            sheets.SCORE,
        )
        for ind in indicators
    ]
    point_table = Table(
        _("Points per indicator"),
        head
        + point_columns
        + [
            Column(_("Indicator points"), sheets.SCORE),
            Column(_("Bonus and deduction points"), sheets.SCORE),
            score,
            tier,
        ],
        [
            [
                r.rank_district,
                r.park.name,
                *(r.score.points.get(ind.id) for ind in indicators),
                r.base,
                r.adjustment,
                r.total,
                _tier(r.tier),
            ]
            for r in parks
        ],
    )
    return value_table, point_table


def parks_and_grids(
    *,
    session: Session,
    who: Principal,
    area_id: int,
    res: assessment.PeriodResults | None = None,
) -> tuple[Table, Table]:
    """The district's parks (with their score in `res`, if given) and their grids."""
    parks = geo.parks_of_district(session=session, who=who, area_id=area_id)
    grids = geo.grids_of_parks(session=session, who=who, park_ids=[p.id for p in parks])
    grid_ids = [g.id for g in grids]
    grid_count = {p.id: 0 for p in parks}
    for g in grids:
        grid_count[g.park_id] += 1
    park_totals = roster.totals_by_park(session=session, park_ids=[p.id for p in parks])
    grid_totals = roster.totals_by_grid(session=session, grid_ids=grid_ids)
    nodes = roster.node_of_grids(session=session, grid_ids=grid_ids)
    liaisons = roster.liaisons_by_id(
        session=session, ids=[g.liaison_id for g in grids if g.liaison_id]
    )
    none = roster.RosterTotals()

    score = _("Score")
    if res is not None:
        score = _("Score ({period})").format(period=res.period.label)
    results = (
        {r.park.id: r for r in res.parks(assessment.ParkQuery(park_ids=tuple(p.id for p in parks)))}
        if res
        else {}
    )
    park_rows = []
    for p in parks:
        t = park_totals.get(p.id, none)
        result = results.get(p.id)
        park_rows.append(
            [
                p.name,
                _(PARK_KIND_LABELS[p.kind]),
                _(PILOT_LEVEL_LABELS[p.pilot_level]) if p.pilot_level else "",
                grid_count[p.id],
                t.enterprises,
                t.workers,
                t.in_reform,
                result.total if result else None,
                _tier(result.tier) if result else "",
            ]
        )
    park_table = Table(
        _("Park"),
        [
            Column(_("Park")),
            Column(_("Park kind")),
            Column(_("Pilot level")),
            Column(_("Grid count"), sheets.WHOLE),
            Column(_("Enterprise count"), sheets.WHOLE),
            Column(_("Worker count"), sheets.WHOLE),
            Column(_("Enterprises in the reform"), sheets.WHOLE),
            Column(score, sheets.SCORE),
            Column(_("Tier")),
        ],
        park_rows,
    )

    park_name = {p.id: p.name for p in parks}
    grid_rows = []
    for g in grids:
        t = grid_totals.get(g.id, none)
        li = liaisons.get(g.liaison_id) if g.liaison_id else None
        node = nodes.get(g.id)
        grid_rows.append(
            [
                park_name[g.park_id],
                g.name,
                _(GRID_BASIS_LABELS[g.basis]),
                _(GRID_STATUS_LABELS[g.status]),
                li.name if li else "",
                privacy.shown(who, li.mobile, park_id=g.park_id, grid_ids={g.id}) if li else "",
                node.name if node else "",
                t.enterprises,
                t.workers,
            ]
        )
    grid_table = Table(
        _("Grid"),
        [
            Column(_("Park")),
            Column(_("Grid")),
            Column(_("Grid basis")),
            Column(_("Status")),
            Column(_("Liaison")),
            # Text, so that Excel shows all eleven digits rather than a number.
            Column(_("Liaison's mobile"), sheets.TEXT),
            Column(_("Node enterprise")),
            Column(_("Enterprise count"), sheets.WHOLE),
            Column(_("Worker count"), sheets.WHOLE),
        ],
        grid_rows,
    )
    return park_table, grid_table
