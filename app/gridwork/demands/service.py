"""Worker demands (职工诉求): the grid-management event loop, from receipt to closure.

received → assigned → handled → verified → closed, one step at a time, each a function
here that checks the demand's version and state, stamps the step and writes an audit row.

Who works the loop:
- record, assign, handle and close: whoever may change the demand's grid — the grid's
  liaison first of all, and the park administrator and district and city offices above;
- verify (回访核实, checking back with the worker that the handling settled the demand):
  the office above the grid, that is the park administrator (the "report" action on the
  park) or a district or city office (the "review" action on the park). The liaison who
  handled a demand does not also vouch for it; that keeps the loop honest.

A demand is due `DUE_WORKING_DAYS` Chinese working days after it was received; it is
overdue while it is not closed and today (Beijing time) is past its due date, and on
closing it is flagged on time or late for good.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from pydantic import field_validator, model_validator
from sqlmodel import Field, Session, SQLModel, col, func, select

from app.audit import service as audit
from app.audit.models import AuditAction
from app.core import permissions
from app.core.calendar import add_working_days, working_day
from app.core.errors import Conflict, Denied, Invalid
from app.core.forms import parse
from app.core.i18n import N_, gettext
from app.core.inputs import MultiLine
from app.core.permissions import Principal
from app.core.templating import LOCAL_TZ
from app.core.types import utcnow
from app.enterprises.models import Enterprise
from app.geo.models import Grid, Park
from app.gridwork.models import (
    DEMAND_STATE_LABELS,
    Demand,
    DemandCategory,
    DemandChannel,
    DemandState,
)

# Ten working days: the usual promise of a reform office to answer a worker.
DUE_WORKING_DAYS = 10

LABELS = {
    "channel": N_("Channel"),
    "category": N_("Category"),
    "enterprise_id": N_("Enterprise concerned"),
    "summary": N_("What the worker asks for"),
    "contact": N_("Contact"),
    "received_on": N_("Received on"),
    "assignee": N_("Assigned to"),
    "handling_note": N_("How it was handled"),
    "verification_note": N_("Verification with the worker"),
}


class _Input(SQLModel):
    """Input whose text fields arrive trimmed, so blank means missing."""

    @model_validator(mode="before")
    @classmethod
    def _strip(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            return {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
        return data


class DemandIn(_Input):
    """A new demand as the liaison records it."""

    channel: DemandChannel
    category: DemandCategory
    enterprise_id: int | None = None
    summary: MultiLine = Field(min_length=1, max_length=500)
    contact: str = Field(default="", max_length=60)
    received_on: date

    @field_validator("enterprise_id", mode="before")
    @classmethod
    def _none(cls, v: object) -> object:
        return None if v == "" else v


class AssignIn(_Input):
    assignee: str = Field(min_length=1, max_length=60)


class HandleIn(_Input):
    handling_note: MultiLine = Field(min_length=1, max_length=1000)


class VerifyIn(_Input):
    verification_note: MultiLine = Field(min_length=1, max_length=500)


class CloseIn(_Input):
    pass


@dataclass(frozen=True)
class Step:
    """One move of the loop: from which state, to which, with what input."""

    name: str
    source: DemandState
    target: DemandState
    shape: type[SQLModel]
    label: str  # the button
    refusal: str  # the 409 when the demand is elsewhere in the loop


STEPS: dict[str, Step] = {
    s.name: s
    for s in (
        Step(
            "assign",
            DemandState.received,
            DemandState.assigned,
            AssignIn,
            N_("Assign"),
            N_("Only a received demand can be assigned; this one is {state}."),
        ),
        Step(
            "handle",
            DemandState.assigned,
            DemandState.handled,
            HandleIn,
            N_("Record the handling"),
            N_("Only an assigned demand can be marked handled; this one is {state}."),
        ),
        Step(
            "verify",
            DemandState.handled,
            DemandState.verified,
            VerifyIn,
            N_("Verify"),
            N_("Only a handled demand can be verified; this one is {state}."),
        ),
        Step(
            "close",
            DemandState.verified,
            DemandState.closed,
            CloseIn,
            N_("Close"),
            N_("Only a verified demand can be closed; this one is {state}."),
        ),
    )
}
NEXT_STEP = {s.source: s for s in STEPS.values()}


def local_today() -> date:
    """Today in Beijing time, the calendar the offices count in."""
    return utcnow().astimezone(LOCAL_TZ).date()


def due_date(received_on: date) -> date:
    """The day a demand received on `received_on` is due."""
    return add_working_days(received_on, DUE_WORKING_DAYS).day


def due_known(demand: Demand) -> bool:
    """False when the due date was counted Monday to Friday (its year's holidays unknown)."""
    return working_day(demand.due_on).known


def is_overdue(demand: Demand, today: date | None = None) -> bool:
    """Not closed, and today is past the due date."""
    return demand.state != DemandState.closed and (today or local_today()) > demand.due_on


def next_step(demand: Demand) -> Step | None:
    """The step that moves the demand on, None once it is closed."""
    return NEXT_STEP.get(demand.state)


def may_verify(*, session: Session, who: Principal, demand: Demand) -> bool:
    """Whether the principal is the office above the demand's grid (its park or higher)."""
    grid = session.get(Grid, demand.grid_id)
    return grid is not None and any(
        permissions.allows(session, who, action, Park, grid.park_id)
        for action in ("report", "review")
    )


def may_take(*, session: Session, who: Principal, demand: Demand, step: Step | None) -> bool:
    """Whether the principal may take this step on the demand (for showing its button)."""
    if step is None or not permissions.allows(session, who, "change", Demand, demand.id):
        return False
    return step.name != "verify" or may_verify(session=session, who=who, demand=demand)


def _labels() -> dict[str, str]:
    return {k: gettext(v) for k, v in LABELS.items()}


def _label(demand: Demand) -> str:
    return f"#{demand.id} {demand.summary[:40]}"


def get(*, session: Session, who: Principal, demand_id: int, action: str = "view") -> Demand:
    """Gets a demand in the principal's scope for the action."""
    return permissions.get(session, who, action, Demand, demand_id)


def record(
    *,
    session: Session,
    who: Principal,
    grid_id: int,
    data: Mapping[str, Any],
    today: date | None = None,
) -> Demand:
    """Records a demand received in a grid, due DUE_WORKING_DAYS working days later."""
    grid = permissions.get(session, who, "change", Grid, grid_id)
    today = today or local_today()
    labels = _labels()
    found = parse(DemandIn, data, labels)
    errors: dict[str, str] = {}
    if found.received_on > today:
        errors["received_on"] = gettext("{field} cannot be later than today.").format(
            field=labels["received_on"]
        )
    if found.enterprise_id is not None:
        in_grid = session.exec(
            select(Enterprise.id).where(
                Enterprise.id == found.enterprise_id, Enterprise.grid_id == grid.id
            )
        ).first()
        if in_grid is None:
            errors["enterprise_id"] = gettext("{field} is not an enterprise of this grid.").format(
                field=labels["enterprise_id"]
            )
    if errors:
        raise Invalid(errors)
    demand = Demand(
        grid_id=grid.id,
        enterprise_id=found.enterprise_id,
        channel=found.channel,
        category=found.category,
        summary=found.summary,
        contact=found.contact,
        received_on=found.received_on,
        due_on=due_date(found.received_on),
        created_by=who.display_name,
    )
    session.add(demand)
    session.flush()
    permissions.recheck(session, who, "change", demand)
    audit.record(
        session=session, who=who, action=AuditAction.create, obj=demand, label=_label(demand)
    )
    return demand


def advance(
    *,
    session: Session,
    who: Principal,
    demand_id: int,
    step: str,
    data: Mapping[str, Any] | None = None,
    version: int | None = None,
    today: date | None = None,
) -> Demand:
    """Takes one step of the loop (assign, handle, verify, close), checked and audited."""
    move = STEPS[step]
    demand = permissions.get(session, who, "change", Demand, demand_id)
    if move.name == "verify" and not may_verify(session=session, who=who, demand=demand):
        # Seen from the grid, verification belongs to the office above: out of scope, 404.
        raise Denied(row=permissions.denial(who, "verify", "Demand", demand_id))
    # Read the row afresh, locked where the engine can, so two people racing on one
    # demand cannot both pass the version check below.
    session.refresh(demand, with_for_update=True)
    if version is not None and version != demand.version:
        raise Conflict(
            gettext("This demand was changed by someone else meanwhile. Reload it and try again.")
        )
    if demand.state != move.source:
        raise Conflict(
            gettext(move.refusal).format(state=gettext(DEMAND_STATE_LABELS[demand.state]))
        )
    found = parse(move.shape, data or {}, _labels())
    before = audit.snapshot(demand)
    now = utcnow()
    if isinstance(found, AssignIn):
        demand.assignee = found.assignee
    elif isinstance(found, HandleIn):
        demand.handling_note, demand.handled_at = found.handling_note, now
    elif isinstance(found, VerifyIn):
        demand.verification_note, demand.verified_at = found.verification_note, now
    else:
        closed_on = today or now.astimezone(LOCAL_TZ).date()
        demand.closed_at, demand.closed_on_time = now, closed_on <= demand.due_on
    demand.state = move.target
    demand.version += 1
    session.add(demand)
    permissions.recheck(session, who, "change", demand)
    audit.record(
        session=session,
        who=who,
        action=AuditAction.update,
        obj=demand,
        before=before,
        label=_label(demand),
    )
    return demand


def assign(*, session: Session, who: Principal, demand_id: int, assignee: str, **kw) -> Demand:
    """Assigns a received demand to the person or department that will handle it."""
    return advance(
        session=session,
        who=who,
        demand_id=demand_id,
        step="assign",
        data={"assignee": assignee},
        **kw,
    )


def handle(*, session: Session, who: Principal, demand_id: int, note: str, **kw) -> Demand:
    """Records how an assigned demand was handled."""
    return advance(
        session=session,
        who=who,
        demand_id=demand_id,
        step="handle",
        data={"handling_note": note},
        **kw,
    )


def verify(*, session: Session, who: Principal, demand_id: int, note: str, **kw) -> Demand:
    """Records the check back with the worker that the handling settled the demand."""
    return advance(
        session=session,
        who=who,
        demand_id=demand_id,
        step="verify",
        data={"verification_note": note},
        **kw,
    )


def close(*, session: Session, who: Principal, demand_id: int, **kw) -> Demand:
    """Closes a verified demand, flagging it on time or late against its due date."""
    return advance(session=session, who=who, demand_id=demand_id, step="close", **kw)


# ---- lists and counts --------------------------------------------------------------


OPEN = "open"  # a state filter of its own: every state but closed


@dataclass(frozen=True)
class DemandFilter:
    park_id: int | None = None
    grid_id: int | None = None
    year: int | None = None  # of receipt
    state: str | None = None  # a DemandState value or OPEN
    overdue: bool = False


@dataclass(frozen=True)
class DemandCounts:
    received: int = 0
    open: int = 0
    overdue: int = 0
    closed: int = 0
    closed_on_time: int = 0


def _place(stmt: sa.Select, f: DemandFilter) -> sa.Select:
    if f.grid_id:
        stmt = stmt.where(Demand.grid_id == f.grid_id)
    if f.park_id:
        stmt = stmt.where(col(Demand.grid_id).in_(select(Grid.id).where(Grid.park_id == f.park_id)))
    if f.year:
        stmt = stmt.where(
            col(Demand.received_on) >= date(f.year, 1, 1),
            col(Demand.received_on) <= date(f.year, 12, 31),
        )
    return stmt


def _overdue_clause(today: date):
    return sa.and_(col(Demand.state) != DemandState.closed, col(Demand.due_on) < today)


def search(
    *,
    session: Session,
    who: Principal,
    f: DemandFilter,
    today: date | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[Demand], int]:
    """A page of the demands in scope matching the filter, most urgent first, and the total."""
    today = today or local_today()
    stmt = permissions.restrict(_place(select(Demand), f), who, "view", Demand)
    if f.state == OPEN:
        stmt = stmt.where(col(Demand.state) != DemandState.closed)
    elif f.state:
        stmt = stmt.where(col(Demand.state) == DemandState(f.state))
    if f.overdue:
        stmt = stmt.where(_overdue_clause(today))
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    # Open demands first, the soonest due on top; then closed ones, the latest first.
    is_closed = col(Demand.state) == DemandState.closed
    rows = session.exec(
        stmt.order_by(
            sa.case((is_closed, 1), else_=0),
            sa.case((sa.not_(is_closed), col(Demand.due_on))),
            col(Demand.closed_at).desc(),
            col(Demand.id).desc(),
        )
        .offset((max(page, 1) - 1) * per_page)
        .limit(per_page)
    )
    return list(rows), total


def pages(total: int, per_page: int = 50) -> int:
    """How many pages `total` rows fill."""
    return max(1, math.ceil(total / per_page))


def counts(
    *, session: Session, who: Principal, f: DemandFilter, today: date | None = None
) -> DemandCounts:
    """Received, open, overdue, closed and closed-on-time demands in scope and place."""
    today = today or local_today()
    closed = col(Demand.state) == DemandState.closed

    def n(cond) -> Any:
        return func.coalesce(func.sum(sa.case((cond, 1), else_=0)), 0)

    stmt = select(
        func.count(col(Demand.id)),
        n(sa.not_(closed)),
        n(_overdue_clause(today)),
        n(closed),
        n(sa.and_(closed, col(Demand.closed_on_time).is_(True))),
    )
    stmt = permissions.restrict(_place(stmt.select_from(Demand), f), who, "view", Demand)
    received, open_, overdue, n_closed, on_time = session.exec(stmt).one()
    return DemandCounts(int(received), int(open_), int(overdue), int(n_closed), int(on_time))


def places(*, session: Session, demands: list[Demand]) -> tuple[dict[int, Grid], dict[int, Park]]:
    """The grids and parks of these demands, by id, for showing where each one is."""
    grid_ids = {d.grid_id for d in demands}
    grids = {g.id: g for g in session.exec(select(Grid).where(col(Grid.id).in_(grid_ids)))}
    park_ids = {g.park_id for g in grids.values()}
    parks = {p.id: p for p in session.exec(select(Park).where(col(Park.id).in_(park_ids)))}
    return grids, parks


def enterprise_names(*, session: Session, demands: list[Demand]) -> dict[int, str]:
    """The names of the enterprises these demands concern, by id."""
    ids = {d.enterprise_id for d in demands if d.enterprise_id}
    stmt = select(Enterprise.id, Enterprise.name).where(col(Enterprise.id).in_(ids))
    return dict(session.exec(stmt).all())


# ---- the demand-resolution indicator -------------------------------------------------


@dataclass(frozen=True)
class Resolution:
    """A park's demand-resolution rate, shaped like assessment.measures.Measured."""

    value: float
    num: float
    den: float | None
    template: str

    @property
    def basis(self) -> str:
        """In words, what the rate was computed from."""
        return gettext(self.template).format(num=int(self.num), den=int(self.den or 0))


RESOLUTION_BASIS = N_("{num} of {den} worker demands received this year are closed")


def resolution(
    *, session: Session, park_ids: list[int], year: int, until: date
) -> dict[int, Resolution]:
    """Per park: the % of demands received in `year` up to `until` that are closed by then."""
    # A park that received none has no value (it is left out), never 0 % or 100 %.
    last = min(until, date(year, 12, 31))
    # closed_at is UTC; "closed by `until`" means before the next Beijing midnight.
    closed_by = datetime.combine(until + timedelta(days=1), time(), LOCAL_TZ)
    closed = sa.and_(
        col(Demand.state) == DemandState.closed,
        col(Demand.closed_at).is_not(None),
        col(Demand.closed_at) < closed_by,
    )
    stmt = (
        select(
            Grid.park_id,
            func.count(col(Demand.id)),
            func.coalesce(func.sum(sa.case((closed, 1), else_=0)), 0),
        )
        .join(Grid, col(Demand.grid_id) == col(Grid.id))
        .where(
            col(Grid.park_id).in_(park_ids),
            col(Demand.received_on) >= date(year, 1, 1),
            col(Demand.received_on) <= last,
        )
        .group_by(col(Grid.park_id))
    )
    out: dict[int, Resolution] = {}
    for park_id, received, n_closed in session.exec(stmt):
        if received:
            value = round(100.0 * n_closed / received, 2)
            out[park_id] = Resolution(value, int(n_closed), int(received), RESOLUTION_BASIS)
    return out
