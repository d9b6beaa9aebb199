"""Scope rules of the roster: an enterprise by its grid, a liaison by their park."""

from sqlmodel import col

from app.core.permissions import Principal, scope_rule
from app.enterprises.models import Enterprise, Liaison
from app.geo.scope import grid_ids, park_ids


@scope_rule(Enterprise)
def _enterprise_clause(p: Principal, action: str):
    return col(Enterprise.grid_id).in_(grid_ids(p, action))


@scope_rule(Liaison)
def _liaison_clause(p: Principal, action: str):
    return col(Liaison.park_id).in_(park_ids(p, action))
