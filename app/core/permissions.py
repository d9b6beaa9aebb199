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
from sqlmodel import Session, SQLModel, select

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


# A scope rule: the WHERE clause that keeps the rows of one table a principal may act on
# (for a principal whose role has the action and who does not see everything).
Rule = Callable[[Principal, str], sa.ColumnElement]


@dataclass(frozen=True)
class _Registered:
    rule: Rule
    # The ids in scope read off the principal itself, when it carries them (areas).
    known_ids: Callable[[Principal], frozenset[int]] | None = None


# Each domain registers the rules of its own tables (app/<domain>/scope.py): core cannot
# import the domains, and app.models imports every scope module with every table.
_RULES: dict[type, _Registered] = {}


def register(
    model: type, rule: Rule, *, known_ids: Callable[[Principal], frozenset[int]] | None = None
) -> None:
    """Declares the scope rule of `model`; a second rule for the same table is a mistake."""
    if model in _RULES:
        raise RuntimeError(f"{model.__name__} has a scope rule already")
    _RULES[model] = _Registered(rule, known_ids)


def scope_rule(model: type, **options):
    """Decorator form of `register`: `@scope_rule(Park)` over the rule's function."""

    def decorate(rule: Rule) -> Rule:
        register(model, rule, **options)
        return rule

    return decorate


def _registered(model: type) -> _Registered:
    try:
        return _RULES[model]
    except KeyError:
        # Never a silent "everything" or "nothing": a table without a rule is a bug.
        raise LookupError(
            f"no scope rule for {model.__name__}: declare one in its domain's scope.py, "
            "imported by app.models"
        ) from None


def scope_clause(p: Principal, action: str, model: type) -> sa.ColumnElement:
    """The WHERE clause that keeps the rows of `model` the principal may act on."""
    # Looked up first, so a table without a rule fails for every principal alike.
    rule = _registered(model).rule
    if not p.can(action):
        return sa.false()
    if p.everything:
        return sa.true()
    return rule(p, action)


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


@dataclass(frozen=True)
class Refusal:
    """A refused attempt, as the audit domain records it (see audit `refused`)."""

    user_id: int | None
    username: str
    role: str
    client_address: str
    object_type: str
    object_id: int | None
    object_label: str
    after: dict


def denial(
    p: Principal, action: str, object_type: str, object_id: int | None, *, label: str = ""
) -> Refusal:
    """The record of a refused attempt: on an object out of scope, or (object type "Route")
    on a page the role does not have. With the request's route in it, repeats by the same
    user on that route within a minute fold into one audit row (see audit `refused`)."""
    after = {"action": action} | ({"route": p.route} if p.route else {})
    return Refusal(
        user_id=p.user_id,
        username=p.username,
        role=p.role,
        client_address=p.address,
        object_type=object_type,
        object_id=object_id,
        # A path is the requester's to choose: only its printable characters are kept
        # (PostgreSQL's text refuses NUL).
        object_label="".join(ch for ch in label if ch.isprintable())[:120],
        after=after,
    )


def ids(session: Session, p: Principal, action: str, model: type[M]) -> set[int]:
    """The ids of every `model` row the principal may act on."""
    known_ids = _registered(model).known_ids
    if known_ids is not None and not p.everything:
        # The principal carries these ids (its areas, read from the tree this request):
        # asking the database again would only echo them back.
        return set(known_ids(p)) if p.can(action) else set()
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
