"""Operations on the roster: enterprises and liaisons, and the validation of their codes."""

import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, func, select
from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength

from app.core import permissions
from app.core.i18n import _
from app.core.permissions import Principal
from app.enterprises.models import Enterprise, Liaison
from app.geo.models import Grid

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
