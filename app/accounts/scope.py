"""Scope rule of users: an administrator's scope holds a user when it holds each place of theirs."""

import sqlalchemy as sa
from sqlmodel import col, select

from app.accounts.models import User, UserScope
from app.core.permissions import Principal, scope_rule
from app.geo.scope import grid_ids, park_ids


@scope_rule(User)
def _user_clause(p: Principal, action: str):
    outside = (
        select(UserScope.id)
        .where(
            UserScope.user_id == User.id,
            # Each branch tests its column for NULL first: NOT over a NULL comparison is
            # NULL, which would let a place slip through as "not outside".
            sa.not_(
                sa.or_(
                    sa.and_(
                        col(UserScope.area_id).is_not(None),
                        col(UserScope.area_id).in_(p.area_ids),
                    ),
                    sa.and_(
                        col(UserScope.park_id).is_not(None),
                        col(UserScope.park_id).in_(park_ids(p, action)),
                    ),
                    sa.and_(
                        col(UserScope.grid_id).is_not(None),
                        col(UserScope.grid_id).in_(grid_ids(p, action)),
                    ),
                )
            ),
        )
        .exists()
    )
    has_scope = select(UserScope.id).where(UserScope.user_id == User.id).exists()
    return sa.and_(has_scope, sa.not_(outside))
