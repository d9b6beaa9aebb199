"""The roster: enterprises and liaisons, the validation of their codes, and the roster in
the grid (add, edit and move enterprises, designate a grid's node enterprise).

Search and sort run in Python over one grid's rows (a whole park has at most a few hundred
enterprises), so they can use pinyin without a column for it.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pydantic import field_validator
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, func, select
from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength

from app.audit import service as audit
from app.audit.models import AuditAction
from app.core import permissions
from app.core.errors import Conflict, Invalid
from app.core.forms import parse
from app.core.i18n import N_, _, gettext
from app.core.inputs import is_id
from app.core.permissions import Principal
from app.enterprises import pinyin
from app.enterprises.models import (
    Enterprise,
    Liaison,
    LiaisonRole,
    Ownership,
    ReformType,
    Size,
)
from app.geo.models import Grid, Park

MOBILE = re.compile(r"^1[3-9]\d{9}$")


class InvalidCode(ValueError):
    """A unified social credit code that fails GB 32100-2015; the message says why."""


def check_credit_code(code: str) -> str:
    """Normalises a unified social credit code and checks it, or raises InvalidCode."""
    try:
        return uscc.validate(code)
    except InvalidLength:
        raise InvalidCode(_("A unified social credit code has 18 characters.")) from None
    except InvalidFormat:
        raise InvalidCode(
            _(
                "The first 8 characters of a unified social credit code are digits and the "
                "rest digits or capital letters other than I, O, S, V and Z."
            )
        ) from None
    except InvalidChecksum:
        expected = uscc.calc_check_digit(uscc.compact(code)[:17])
        raise InvalidCode(
            _(
                "The check character is wrong: with these first 17 characters it must be {ch}."
            ).format(ch=expected)
        ) from None


def check_mobile(number: str) -> str:
    """Normalises a mainland mobile number (11 digits starting 13–19), or raises ValueError."""
    digits = re.sub(r"[\s-]", "", number).removeprefix("+86")
    if not MOBILE.match(digits):
        raise ValueError(_("A mobile number has 11 digits and starts with 13 to 19."))
    return digits


def get_liaison(*, session: Session, liaison_id: int) -> Liaison | None:
    """Gets a liaison by its id."""
    return session.get(Liaison, liaison_id)


def of_grid(*, session: Session, who: Principal, grid_id: int) -> list[Enterprise]:
    """Gets a grid's enterprises in the principal's scope, the node enterprise first."""
    stmt = (
        select(Enterprise)
        .where(Enterprise.grid_id == grid_id)
        .order_by(col(Enterprise.is_node).desc(), col(Enterprise.name))
    )
    return list(session.exec(permissions.restrict(stmt, who, "view", Enterprise)))


def node_of_grids(*, session: Session, grid_ids: list[int]) -> dict[int, Enterprise]:
    """Maps grid ids to their node enterprise, where they have one."""
    rows = session.exec(
        select(Enterprise).where(col(Enterprise.grid_id).in_(grid_ids), col(Enterprise.is_node))
    )
    return {e.grid_id: e for e in rows}


def liaisons_by_id(*, session: Session, ids: list[int]) -> dict[int, Liaison]:
    """Loads the liaisons with these ids in one query."""
    return {li.id: li for li in session.exec(select(Liaison).where(col(Liaison.id).in_(ids)))}


@dataclass(frozen=True)
class RosterTotals:
    enterprises: int = 0
    workers: int = 0
    in_reform: int = 0


def _totals(key, *where) -> sa.Select:
    """Enterprise, worker and participating-enterprise counts grouped by a key column."""
    return (
        select(
            key,
            func.count(col(Enterprise.id)),
            func.coalesce(func.sum(Enterprise.worker_count), 0),
            func.count(col(Enterprise.id)).filter(col(Enterprise.in_reform)),
        )
        .join(Grid, col(Enterprise.grid_id) == col(Grid.id))
        .where(*where)
        .group_by(key)
    )


def totals_by_park(
    *, session: Session, park_ids: list[int] | None = None
) -> dict[int, RosterTotals]:
    """Enterprise, worker and participating-enterprise counts per park (of these parks
    only, when given: a page reads the parks it shows), from the roster."""
    where = () if park_ids is None else (col(Grid.park_id).in_(park_ids),)
    rows = session.exec(_totals(col(Grid.park_id), *where))
    return {pid: RosterTotals(n, int(w), r) for pid, n, w, r in rows}


def city_totals(*, session: Session) -> RosterTotals:
    """The whole roster's enterprise, worker and participating-enterprise counts: one
    aggregate that the totals index answers without reading the enterprises' rows."""
    n, workers, in_reform = session.execute(
        select(
            func.count(col(Enterprise.id)),
            func.coalesce(func.sum(Enterprise.worker_count), 0),
            func.count(col(Enterprise.id)).filter(col(Enterprise.in_reform)),
        )
    ).one()
    return RosterTotals(n, int(workers), in_reform)


def totals_by_grid(*, session: Session, grid_ids: list[int]) -> dict[int, RosterTotals]:
    """Enterprise, worker and participating-enterprise counts per grid."""
    rows = session.exec(_totals(col(Grid.id), col(Grid.id).in_(grid_ids)))
    return {gid: RosterTotals(n, int(w), r) for gid, n, w, r in rows}


# ---- the roster in the grid ------------------------------------------------------

FIELD_LABELS = {
    "credit_code": N_("Unified social credit code"),
    "name": N_("Enterprise name"),
    "ownership": N_("Ownership"),
    "size": N_("Size"),
    "industry": N_("Industry"),
    "worker_count": N_("Number of workers"),
    "union_founded": N_("Union founded"),
    "collective_contract": N_("Collective contract signed"),
    "in_reform": N_("Taking part in the reform"),
    "reform_type": N_("Reform type"),
    "liaison_id": N_("Enterprise liaison"),
    "new_liaison_name": N_("New liaison's name"),
    "new_liaison_mobile": N_("New liaison's mobile"),
    "grid_id": N_("Grid"),
    "is_node": N_("Node enterprise"),
}
# The fields a form sets on the enterprise itself (the liaison is resolved separately).
ENTERPRISE_FIELDS = (
    "credit_code",
    "name",
    "ownership",
    "size",
    "industry",
    "worker_count",
    "union_founded",
    "collective_contract",
    "in_reform",
    "reform_type",
)
TRUE_WORDS = frozenset({"1", "on", "true", "yes"})
WHOLE = re.compile(r"^\d{1,7}$")


def labels() -> dict[str, str]:
    return {k: gettext(v) for k, v in FIELD_LABELS.items()}


class EnterpriseForm(SQLModel):
    """An enterprise as the add and edit forms post it."""

    credit_code: str = Field(min_length=1)
    name: str = Field(min_length=1, max_length=100)
    ownership: Ownership
    size: Size
    industry: str = Field(default="", max_length=60)
    worker_count: int = 0
    union_founded: bool = False
    collective_contract: bool = False
    in_reform: bool = False
    reform_type: ReformType | None = None
    liaison_id: int | None = None
    new_liaison_name: str = Field(default="", max_length=40)
    new_liaison_mobile: str = ""

    @field_validator("*", mode="before")
    @classmethod
    def _strip(cls, v: object) -> object:
        return v.strip() if isinstance(v, str) else v

    @field_validator("reform_type", "liaison_id", mode="before")
    @classmethod
    def _blank_is_none(cls, v: object) -> object:
        return None if v == "" else v

    @field_validator("credit_code")
    @classmethod
    def _code(cls, v: str) -> str:
        return check_credit_code(v)  # InvalidCode is a ValueError: its message reaches the user

    @field_validator("worker_count", mode="before")
    @classmethod
    def _whole(cls, v: object) -> object:
        if v == "" or v is None:
            return 0
        if isinstance(v, str) and not WHOLE.match(v.replace(",", "")):
            raise ValueError(_("Enter a whole number of 0 or more."))
        return v.replace(",", "") if isinstance(v, str) else v


# ---- reading the roster ------------------------------------------------------------


def match(enterprise: Enterprise, query: str) -> int | None:
    """How well a typed query finds the enterprise (0 best), or None when it does not.

    The name itself, the credit code and the usual pinyin rank 0; a match only through a
    rarer reading of a polyphonic character ranks 1, after them.
    """
    q = query.strip()
    if not q or q.lower() in enterprise.name.lower():
        return 0
    # Codes have letters too: only a query with a digit in it is read as (part of) a code,
    # so "hx" is never found in some code's middle.
    code = re.sub(r"\s", "", q).upper()
    if any(ch.isdigit() for ch in code) and code in enterprise.credit_code:
        return 0
    return pinyin.pinyin_match(enterprise.name, q)


def matches(enterprise: Enterprise, query: str) -> bool:
    """Whether a typed query finds the enterprise: name, pinyin, initials or credit code."""
    return match(enterprise, query) is not None


def ordered(enterprises: Iterable[Enterprise], query: str = "") -> list[Enterprise]:
    """The best matches first; among equals the grid's node enterprise, then by pinyin."""
    ranked = [(rank, e) for e in enterprises if (rank := match(e, query)) is not None]
    ranked.sort(key=lambda pair: (pair[0], not pair[1].is_node, pinyin.sort_key(pair[1].name)))
    return [e for _, e in ranked]


@dataclass(frozen=True)
class Roster:
    grid: Grid
    park: Park
    enterprises: list[Enterprise]  # those the query found, best first (see `ordered`)
    total: int  # the grid's enterprises, found or not
    query: str


def roster(*, session: Session, who: Principal, grid_id: int, query: str = "") -> Roster:
    """A grid's enterprises in the principal's view, those matching the query, sorted by pinyin."""
    grid = permissions.get(session, who, "view", Grid, grid_id)
    park = permissions.get(session, who, "view", Park, grid.park_id)
    stmt = select(Enterprise).where(Enterprise.grid_id == grid.id)
    rows = list(session.exec(permissions.restrict(stmt, who, "view", Enterprise)))
    return Roster(grid, park, ordered(rows, query), len(rows), query.strip())


def get(
    *, session: Session, who: Principal, enterprise_id: int, action: str = "view"
) -> Enterprise:
    """Gets an enterprise in the principal's scope for the action."""
    return permissions.get(session, who, action, Enterprise, enterprise_id)


def liaison_choices(*, session: Session, park_id: int) -> list[Liaison]:
    """The park's enterprise liaisons, by the pinyin of their names, for the liaison picker."""
    rows = session.exec(
        select(Liaison).where(
            Liaison.park_id == park_id, Liaison.role == LiaisonRole.enterprise_liaison
        )
    )
    return sorted(rows, key=lambda li: pinyin.sort_key(li.name))


def served_by(*, session: Session, park_id: int) -> dict[int, str]:
    """Maps each enterprise liaison of the park to the enterprise they serve (one name)."""
    rows = session.exec(
        select(Enterprise.liaison_id, Enterprise.name)
        .join(Grid, col(Grid.id) == col(Enterprise.grid_id))
        .where(Grid.park_id == park_id, col(Enterprise.liaison_id).is_not(None))
        .order_by(col(Enterprise.id))
    )
    served: dict[int, str] = {}
    for liaison_id, name in rows:
        served.setdefault(liaison_id, name)
    return served


def movable_to(*, session: Session, who: Principal, enterprise: Enterprise) -> list[Grid]:
    """The other grids of the enterprise's park that the principal may change."""
    park_id = session.exec(select(Grid.park_id).where(Grid.id == enterprise.grid_id)).one()
    stmt = (
        select(Grid)
        .where(Grid.park_id == park_id, Grid.id != enterprise.grid_id)
        .order_by(col(Grid.sort_order), col(Grid.id))
    )
    return list(session.exec(permissions.restrict(stmt, who, "change", Grid)))


# ---- checking a posted form --------------------------------------------------------


def _flag(value: Any) -> bool:
    return str(value or "").strip().lower() in TRUE_WORDS


def _registered_where(
    session: Session, who: Principal, code: str, current_id: int | None
) -> str | None:
    """Where a credit code is already registered, naming the place only if the user may view it."""
    stmt = select(Enterprise).where(Enterprise.credit_code == code)
    if current_id is not None:
        stmt = stmt.where(Enterprise.id != current_id)
    other = session.exec(stmt).first()
    if other is None:
        return None
    if not permissions.allows(session, who, "view", Enterprise, other.id):
        return _("This unified social credit code is already registered in another park.")
    grid = session.get(Grid, other.grid_id)
    park = session.get(Park, grid.park_id)
    return _(
        "This unified social credit code is already registered: {name}, in {park} · {grid}."
    ).format(name=other.name, park=park.name, grid=grid.name)


def _cross_checks(
    session: Session,
    who: Principal,
    data: Mapping[str, Any],
    *,
    park_id: int,
    current: Enterprise | None,
) -> dict[str, str]:
    """The rules between fields and against the database, read from the raw form.

    They run even when some field failed its own check, so one round shows every problem.
    """
    errors: dict[str, str] = {}
    union, contract = _flag(data.get("union_founded")), _flag(data.get("collective_contract"))
    if contract and not union:
        errors["collective_contract"] = _(
            "A collective contract is signed through the union: tick “Union founded” first, "
            "or untick the collective contract."
        )
    if str(data.get("reform_type") or "").strip() and not _flag(data.get("in_reform")):
        errors["reform_type"] = _(
            "Only an enterprise taking part in the reform has a reform type: tick “Taking part "
            "in the reform”, or choose no reform type."
        )
    try:
        code = check_credit_code(str(data.get("credit_code") or ""))
    except InvalidCode:
        code = None  # the field's own check says what is wrong
    if code:
        where = _registered_where(session, who, code, current.id if current else None)
        if where:
            errors["credit_code"] = where
    new_name = str(data.get("new_liaison_name") or "").strip()
    new_mobile = str(data.get("new_liaison_mobile") or "").strip()
    if new_name or new_mobile:
        if not new_name:
            errors["new_liaison_name"] = _("{field} is required.").format(
                field=labels()["new_liaison_name"]
            )
        try:
            check_mobile(new_mobile)
        except ValueError as exc:
            errors["new_liaison_mobile"] = f"{labels()['new_liaison_mobile']}：{exc}"
    else:
        raw = str(data.get("liaison_id") or "").strip()
        kept = current is not None and raw == str(current.liaison_id)
        if raw and not kept and not _is_enterprise_liaison(session, raw, park_id):
            errors["liaison_id"] = _("{field} has a value that is not one of the choices.").format(
                field=labels()["liaison_id"]
            )
    return errors


def _is_enterprise_liaison(session: Session, raw: str, park_id: int) -> bool:
    # Only the park's own enterprise liaisons are offered; any other id is not a choice.
    if not is_id(raw):
        return True  # the field's own check reports a non-number
    li = session.get(Liaison, int(raw))
    return li is not None and li.park_id == park_id and li.role == LiaisonRole.enterprise_liaison


def _unrepeated(message: str, label: str) -> str:
    # "统一社会信用代码：统一社会信用代码应为 18 位。" says the field's name once too often.
    prefix = f"{label}："
    if message.startswith(prefix) and message[len(prefix) :].startswith(label):
        return message[len(prefix) :]
    return message


def _read(
    session: Session,
    who: Principal,
    data: Mapping[str, Any],
    *,
    park_id: int,
    current: Enterprise | None = None,
) -> EnterpriseForm:
    """The posted form, checked field by field and across fields, or Invalid naming each field."""
    errors: dict[str, str] = {}
    form: EnterpriseForm | None = None
    names = labels()
    try:
        form = parse(EnterpriseForm, data, names)
    except Invalid as exc:
        errors = {k: _unrepeated(v, names.get(k, k)) for k, v in exc.errors.items()}
    for name, message in _cross_checks(
        session, who, data, park_id=park_id, current=current
    ).items():
        errors.setdefault(name, message)
    if errors or form is None:
        raise Invalid(errors)
    return form


def _liaison_of(session: Session, who: Principal, form: EnterpriseForm, park_id: int) -> int | None:
    """The enterprise's liaison: a new person when the form names one, else the one chosen."""
    if not form.new_liaison_name:
        return form.liaison_id
    person = Liaison(
        park_id=park_id,
        name=form.new_liaison_name,
        mobile=check_mobile(form.new_liaison_mobile),
        role=LiaisonRole.enterprise_liaison,
    )
    session.add(person)
    audit.record(session=session, who=who, action=AuditAction.create, obj=person)
    return person.id


# ---- writing -----------------------------------------------------------------------


def _flush(session: Session, message: str) -> None:
    """Flushes; a unique rule broken by someone else's write since our checks is a 409.

    SQLite serialises writing requests, so only PostgreSQL can get here: two people saving
    the same code, or designating two node enterprises of one grid, at the same moment.
    """
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(message) from None


def _code_taken() -> str:
    return _(
        "Someone registered this unified social credit code meanwhile. Reload the page and "
        "check the roster."
    )


def add(*, session: Session, who: Principal, grid_id: int, data: Mapping[str, Any]) -> Enterprise:
    """Adds an enterprise to a grid the principal may change; audited."""
    grid = permissions.get(session, who, "change", Grid, grid_id)
    form = _read(session, who, data, park_id=grid.park_id)
    enterprise = Enterprise(
        grid_id=grid.id,
        liaison_id=_liaison_of(session, who, form, grid.park_id),
        **{k: getattr(form, k) for k in ENTERPRISE_FIELDS},
    )
    session.add(enterprise)
    _flush(session, _code_taken())
    permissions.recheck(session, who, "change", enterprise)
    audit.record(session=session, who=who, action=AuditAction.create, obj=enterprise)
    return enterprise


def update(
    *, session: Session, who: Principal, enterprise_id: int, data: Mapping[str, Any]
) -> Enterprise:
    """Changes an enterprise's facts (not its grid or node flag); audited with before and after."""
    enterprise = permissions.get(session, who, "change", Enterprise, enterprise_id)
    park_id = session.exec(select(Grid.park_id).where(Grid.id == enterprise.grid_id)).one()
    form = _read(session, who, data, park_id=park_id, current=enterprise)
    before = audit.snapshot(enterprise)
    for k in ENTERPRISE_FIELDS:
        setattr(enterprise, k, getattr(form, k))
    enterprise.liaison_id = _liaison_of(session, who, form, park_id)
    session.add(enterprise)
    _flush(session, _code_taken())
    permissions.recheck(session, who, "change", enterprise)
    # Saving an unchanged form changes nothing, so it leaves no trace in the history.
    if audit.snapshot(enterprise) != before:
        audit.record(
            session=session, who=who, action=AuditAction.update, obj=enterprise, before=before
        )
    return enterprise


@dataclass(frozen=True)
class Moved:
    enterprise: Enterprise
    source: Grid
    target: Grid
    was_node: bool  # it led the grid it left, which now has no node enterprise


def move(*, session: Session, who: Principal, enterprise_id: int, grid_id: str | int) -> Moved:
    """Moves an enterprise to another grid of its park; a node enterprise stops being one."""
    enterprise = permissions.get(session, who, "change", Enterprise, enterprise_id)
    source = session.get(Grid, enterprise.grid_id)
    label = labels()["grid_id"]
    raw = str(grid_id).strip()
    if not raw:
        raise Invalid({"grid_id": _("{field} is required.").format(field=label)})
    if not is_id(raw):
        raise Invalid({"grid_id": _("{field} must be a number.").format(field=label)})
    # Both grids change: the target must be one the principal may change too (else 404).
    target = permissions.get(session, who, "change", Grid, int(raw))
    if target.park_id != source.park_id:
        raise Invalid(
            {
                "grid_id": _(
                    "An enterprise moves only between grids of its own park; {grid} belongs "
                    "to another park."
                ).format(grid=target.name)
            }
        )
    if target.id == source.id:
        raise Invalid(
            {"grid_id": _("The enterprise is already in {grid}.").format(grid=target.name)}
        )
    before = audit.snapshot(enterprise)
    was_node = enterprise.is_node
    enterprise.grid_id = target.id
    # The node enterprise leads its own grid; in the new grid it is one enterprise among others.
    enterprise.is_node = False
    session.add(enterprise)
    permissions.recheck(session, who, "change", enterprise)
    audit.record(session=session, who=who, action=AuditAction.update, obj=enterprise, before=before)
    return Moved(enterprise, source, target, was_node)


@dataclass(frozen=True)
class NodeSwitch:
    enterprise: Enterprise
    previous: Enterprise | None  # the grid's node enterprise until now, if it had one
    changed: bool


def designate_node(*, session: Session, who: Principal, enterprise_id: int) -> NodeSwitch:
    """Makes an enterprise its grid's node enterprise, the previous one ceasing in the same step."""
    enterprise = permissions.get(session, who, "change", Enterprise, enterprise_id)
    if enterprise.is_node:
        return NodeSwitch(enterprise, None, changed=False)
    previous = session.exec(
        select(Enterprise).where(Enterprise.grid_id == enterprise.grid_id, col(Enterprise.is_node))
    ).first()
    if previous is not None:
        before = audit.snapshot(previous)
        previous.is_node = False
        session.add(previous)
        # The old flag must be off in the database before the new one is set: the partial
        # unique index uq_enterprise_one_node_per_grid allows one node per grid at any moment.
        session.flush()
        audit.record(
            session=session, who=who, action=AuditAction.update, obj=previous, before=before
        )
    before = audit.snapshot(enterprise)
    enterprise.is_node = True
    session.add(enterprise)
    _flush(
        session,
        _(
            "Someone changed the node enterprise of this grid meanwhile. Reload the page and "
            "try again."
        ),
    )
    permissions.recheck(session, who, "change", enterprise)
    audit.record(session=session, who=who, action=AuditAction.update, obj=enterprise, before=before)
    return NodeSwitch(enterprise, previous, changed=True)
