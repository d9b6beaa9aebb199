"""Who may see and change what: scope as a query filter.

A user's scope is a set of places in the tree (areas, parks, grids) and covers everything
below them. Every list and fetch of user-visible rows goes through `restrict`, which adds
the user's scope for an action to the query; an object out of scope is simply not found.

Roles grant actions:
- view   — read pages and data (every role);
- change — edit domain data (not leaders);
- admin  — manage users (city and district offices);
- report — fill and submit a park's quarterly report (park administrators);
- review — approve, return and reopen quarterly reports (district and city offices);
- send   — send notices and tasks down to parks and grids (city, district and park offices);
- audit  — read the whole audit trail, edit frameworks, publish a year (city office).

One widening, for the grid model's mutual learning (互鉴交流): a grid liaison may *view*
the whole park their grids belong to, while changing only their own grids.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from app.core.errors import Denied, NotFound
from app.core.i18n import N_

# A query, or an UPDATE whose WHERE carries the scope (the write cannot land out of it).
S = TypeVar("S", bound=sa.Select | sa.Update)
M = TypeVar("M", bound=SQLModel)

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    "city_admin": frozenset({"view", "change", "admin", "review", "send", "audit"}),
    "district_office": frozenset({"view", "change", "admin", "review", "send"}),
    "park_admin": frozenset({"view", "change", "report", "send"}),
    "grid_liaison": frozenset({"view", "change"}),
    "leader": frozenset({"view"}),
    "system": frozenset({"view", "change", "admin", "report", "review", "send", "audit"}),
}

# The people's roles by name (accounts' Role values, a StrEnum: its members look these up).
# Here beside the actions: a principal carries its role, and every domain names it.
ROLE_LABELS: dict[str, str] = {
    "city_admin": N_("City reform office"),
    "district_office": N_("District reform office"),
    "park_admin": N_("Park administrator"),
    "grid_liaison": N_("Grid liaison"),
    "leader": N_("Leader (read only)"),
}


@dataclass(frozen=True)
class Principal:
    """The person behind a request (or a command-line run), with their expanded scope."""

    user_id: int | None
    username: str
    display_name: str
    role: str
    address: str = ""
    area_ids: frozenset[int] = frozenset()  # scoped areas and every area below them
    park_ids: frozenset[int] = frozenset()  # parks scoped directly
    grid_ids: frozenset[int] = frozenset()  # grids scoped directly
    view_park_ids: frozenset[int] = frozenset()  # parks a liaison may view (their grids' parks)
    everything: bool = False
    # A park administrator's parks and a liaison's grids as (id, name), for the menu.
    parks: tuple[tuple[int, str], ...] = ()
    grids: tuple[tuple[int, str], ...] = ()
    session_key: str = field(default="", repr=False)
    # The request's route ("GET /parks/{park_id}"): its refusals fold into one audit row.
    route: str = ""

    def can(self, action: str) -> bool:
        return action in ROLE_ACTIONS.get(self.role, frozenset())


def system(name: str = "system") -> Principal:
    """The principal of command-line work and the demo loader: sees and changes everything."""
    return Principal(None, name, name, "system", everything=True)


def _parks(p: Principal, action: str):
    from app.geo.models import Park

    parks = set(p.park_ids) | (set(p.view_park_ids) if action == "view" else set())
    return sa.or_(col(Park.area_id).in_(p.area_ids), col(Park.id).in_(parks))


def _park_clause(p: Principal, action: str):
    from app.geo.models import Park

    return col(Park.id).in_(select(Park.id).where(_parks(p, action)))


def _grid_clause(p: Principal, action: str):
    from app.geo.models import Grid, Park

    return sa.or_(
        col(Grid.park_id).in_(select(Park.id).where(_parks(p, action))),
        col(Grid.id).in_(p.grid_ids),
    )


def _area_clause(p: Principal, action: str):
    from app.geo.models import Area

    return col(Area.id).in_(p.area_ids)


def _enterprise_clause(p: Principal, action: str):
    from app.enterprises.models import Enterprise
    from app.geo.models import Grid

    return col(Enterprise.grid_id).in_(select(Grid.id).where(_grid_clause(p, action)))


def _liaison_clause(p: Principal, action: str):
    from app.enterprises.models import Liaison
    from app.geo.models import Park

    return col(Liaison.park_id).in_(select(Park.id).where(_parks(p, action)))


def _by_grid(model: type) -> Callable[[Principal, str], sa.ColumnElement]:
    """The scope of rows that belong to a grid: the grid's scope."""

    def clause(p: Principal, action: str):
        from app.geo.models import Grid

        return col(model.grid_id).in_(select(Grid.id).where(_grid_clause(p, action)))

    return clause


def _by_park(model: type) -> Callable[[Principal, str], sa.ColumnElement]:
    """The scope of rows that belong to a park as a whole: the park's scope."""

    def clause(p: Principal, action: str):
        from app.geo.models import Park

        return col(model.park_id).in_(select(Park.id).where(_parks(p, action)))

    return clause


def _notice_clause(p: Principal, action: str):
    # A notice is the sender's, and reaches the grids it was sent to.
    from app.geo.models import Grid
    from app.gridwork.models import Notice, NoticeTarget

    reached = (
        select(NoticeTarget.id)
        .where(
            NoticeTarget.notice_id == Notice.id,
            col(NoticeTarget.grid_id).in_(select(Grid.id).where(_grid_clause(p, action))),
        )
        .exists()
    )
    return sa.or_(col(Notice.sender_id) == p.user_id, reached)


def _user_clause(p: Principal, action: str):
    # A user is within an administrator's scope when each place of theirs is.
    from app.accounts.models import User, UserScope
    from app.geo.models import Grid, Park

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
                        col(UserScope.park_id).in_(select(Park.id).where(_parks(p, action))),
                    ),
                    sa.and_(
                        col(UserScope.grid_id).is_not(None),
                        col(UserScope.grid_id).in_(select(Grid.id).where(_grid_clause(p, action))),
                    ),
                )
            ),
        )
        .exists()
    )
    has_scope = select(UserScope.id).where(UserScope.user_id == User.id).exists()
    return sa.and_(has_scope, sa.not_(outside))


def _clauses() -> dict[type, Callable[[Principal, str], sa.ColumnElement]]:
    from app.accounts.models import User
    from app.audit.models import AuditLog
    from app.enterprises.models import Enterprise, Liaison
    from app.geo.models import Area, Grid, Park
    from app.gridwork.models import Demand, MonthlyReport, Notice, NoticeTarget
    from app.imports.models import ImportJob

    return {
        ImportJob: _by_park(ImportJob),
        Demand: _by_grid(Demand),
        MonthlyReport: _by_grid(MonthlyReport),
        NoticeTarget: _by_grid(NoticeTarget),
        Notice: _notice_clause,
        # The whole trail is for those whose role has the audit action (the city office).
        AuditLog: lambda p, action: sa.true(),
        Area: _area_clause,
        Park: _park_clause,
        Grid: _grid_clause,
        Enterprise: _enterprise_clause,
        Liaison: _liaison_clause,
        User: _user_clause,
    }


def scope_clause(p: Principal, action: str, model: type) -> sa.ColumnElement:
    """The WHERE clause that keeps the rows of `model` the principal may act on."""
    if not p.can(action):
        return sa.false()
    if p.everything:
        return sa.true()
    return _clauses()[model](p, action)


def restrict(stmt: S, p: Principal, action: str, model: type) -> S:
    """Adds the principal's scope for the action to a query (or an UPDATE) over `model`."""
    return stmt.where(scope_clause(p, action, model))


def get(session: Session, p: Principal, action: str, model: type[M], obj_id: int) -> M:
    """Fetches one object within scope; out of scope it is NotFound, and the denial is audited."""
    pk = model.__table__.primary_key.columns[0]  # type: ignore[attr-defined]
    obj = session.exec(restrict(select(model).where(pk == obj_id), p, action, model)).first()
    if obj is not None:
        return obj
    if session.get(model, obj_id) is None:
        raise NotFound
    raise Denied(row=denial(p, action, model.__name__, obj_id))


def denial(p: Principal, action: str, object_type: str, object_id: int | None, *, label: str = ""):
    """The audit row of a refused attempt: on an object out of scope, or (object type
    "Route") on a page the role does not have. With the request's route in it, repeats by
    the same user on that route within a minute fold into the row (see audit `refused`)."""
    from app.audit.models import AuditAction, AuditLog

    after = {"action": action} | ({"route": p.route} if p.route else {})
    return AuditLog(
        user_id=p.user_id,
        username=p.username,
        role=p.role,
        client_address=p.address,
        action=AuditAction.denied,
        object_type=object_type,
        object_id=object_id,
        # A path is the requester's to choose: only its printable characters are kept
        # (PostgreSQL's text refuses NUL).
        object_label="".join(ch for ch in label if ch.isprintable())[:120],
        after=after,
    )


def ids(session: Session, p: Principal, action: str, model: type[M]) -> set[int]:
    """The ids of every `model` row the principal may act on."""
    from app.geo.models import Area

    if model is Area and not p.everything:
        # The scope's areas are the principal's area_ids, read from the tree this request:
        # asking the database again would only echo them back.
        return set(p.area_ids) if p.can(action) else set()
    pk = model.__table__.primary_key.columns[0]  # type: ignore[attr-defined]
    return set(session.exec(restrict(select(pk), p, action, model)))


def allows(session: Session, p: Principal, action: str, model: type, obj_id: int) -> bool:
    """Whether the principal may act on this object (for showing or hiding a control)."""
    pk = model.__table__.primary_key.columns[0]  # type: ignore[attr-defined]
    stmt = restrict(select(pk).where(pk == obj_id), p, action, model)
    return session.exec(stmt).first() is not None


def recheck(session: Session, p: Principal, action: str, obj: SQLModel) -> None:
    """After a write, inside the transaction: is the object still in scope? Else undo it all."""
    session.flush()
    get(session, p, action, type(obj), obj.id)  # type: ignore[attr-defined]
