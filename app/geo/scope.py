"""Scope rules of places: areas, parks and grids, and the parts other domains build on.

A scope covers everything below its places: a park is in it through its area or itself
(and, to view, a liaison's grids' parks); a grid through its park or itself.
"""

from collections.abc import Callable

import sqlalchemy as sa
from sqlmodel import col, select

from app.core.permissions import Principal, register, scope_rule
from app.geo.models import Area, Grid, Park


def _parks(p: Principal, action: str):
    parks = set(p.park_ids) | (set(p.view_park_ids) if action == "view" else set())
    return sa.or_(col(Park.area_id).in_(p.area_ids), col(Park.id).in_(parks))


def park_ids(p: Principal, action: str):
    """The ids of the parks in scope, as a subquery."""
    return select(Park.id).where(_parks(p, action))


@scope_rule(Park)
def _park_clause(p: Principal, action: str):
    return col(Park.id).in_(park_ids(p, action))


@scope_rule(Grid)
def grid_clause(p: Principal, action: str):
    return sa.or_(
        col(Grid.park_id).in_(park_ids(p, action)),
        col(Grid.id).in_(p.grid_ids),
    )


def grid_ids(p: Principal, action: str):
    """The ids of the grids in scope, as a subquery."""
    return select(Grid.id).where(grid_clause(p, action))


# An area's scope is the principal's own areas, which it carries (see permissions.ids).
register(Area, lambda p, action: col(Area.id).in_(p.area_ids), known_ids=lambda p: p.area_ids)


def by_grid(model: type) -> Callable[[Principal, str], sa.ColumnElement]:
    """The scope of rows that belong to a grid: the grid's scope."""

    def clause(p: Principal, action: str):
        return col(model.grid_id).in_(grid_ids(p, action))

    return clause


def by_park(model: type) -> Callable[[Principal, str], sa.ColumnElement]:
    """The scope of rows that belong to a park as a whole: the park's scope."""

    def clause(p: Principal, action: str):
        return col(model.park_id).in_(park_ids(p, action))

    return clause
