"""Notices and tasks sent down to grids (上传下达): send, read, acknowledge, complete, remind.

A notice reaches grids: one NoticeTarget per grid (a park chosen reaches each of its grids).
A target moves unread → read → acknowledged → (tasks only) completed; the sender follows
each grid and reminds those that have not acted yet.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pydantic import field_validator
from sqlmodel import Field, Session, SQLModel, col, select

from app.audit import service as audit
from app.audit.models import AuditAction
from app.core import files, permissions
from app.core.errors import Conflict, Invalid, NotFound
from app.core.forms import parse
from app.core.i18n import N_, _
from app.core.inputs import MultiLine, is_id
from app.core.permissions import Principal
from app.core.templating import LOCAL_TZ
from app.core.types import utcnow
from app.enterprises.models import Liaison
from app.geo import service as geo
from app.geo.models import Area, Grid, Park
from app.gridwork import attachments
from app.gridwork.models import Notice, NoticeAttachment, NoticeKind, NoticeTarget

# What a notice may carry, known by content (app.core.files).
ATTACHMENT_KINDS = files.DOCUMENTS
MAX_ATTACHMENTS = 10

LABELS = {
    "kind": N_("Kind"),
    "title": N_("Title"),
    "content": N_("Content"),
    "due_on": N_("Due date"),
    "targets": N_("Recipients"),
    "parks": N_("Parks to send to"),
    "grids": N_("Grids to send to"),
    "attachments": N_("Attachments"),
    "note": N_("Completion note"),
}

# A target's state, from the furthest step it has reached.
STATE_LABELS = {
    "unread": N_("Not read"),
    "read": N_("Read, not acknowledged"),
    "acknowledged": N_("Acknowledged"),
    "completed": N_("Completed"),
}


def local_today() -> date:
    """Today in Beijing; tests replace it to see a notice go overdue."""
    return utcnow().astimezone(LOCAL_TZ).date()


def _labels() -> dict[str, str]:
    return {k: _(v) for k, v in LABELS.items()}


def _stripped(v: object) -> object:
    return v.strip() if isinstance(v, str) else v


class NoticeForm(SQLModel):
    """What the sender types: kind, title, body and an optional due date."""

    kind: NoticeKind
    title: str = Field(min_length=1, max_length=120)
    # Not "body": app.core.forms reads that name as the request body, not a field.
    content: MultiLine = Field(min_length=1, max_length=5000)
    due_on: date | None = None

    @field_validator("title", "content", mode="before")
    @classmethod
    def _strip(cls, v: object) -> object:
        return _stripped(v)

    @field_validator("due_on", mode="before")
    @classmethod
    def _blank_is_none(cls, v: object) -> object:
        v = _stripped(v)
        return None if v == "" else v


class CompletionForm(SQLModel):
    """A grid's report that a task is done."""

    note: MultiLine = Field(min_length=1, max_length=1000)

    @field_validator("note", mode="before")
    @classmethod
    def _strip(cls, v: object) -> object:
        return _stripped(v)


@dataclass(frozen=True)
class Upload:
    """A file as the browser sent it (read up to one byte past the size limit)."""

    filename: str
    content: bytes


# ---- reading ------------------------------------------------------------------------


def is_done(target: NoticeTarget, kind: NoticeKind) -> bool:
    """A notice is done once acknowledged; a task once its completion is reported."""
    if kind is NoticeKind.task:
        return target.completed_at is not None
    return target.acknowledged_at is not None


def state_of(target: NoticeTarget) -> str:
    if target.completed_at is not None:
        return "completed"
    if target.acknowledged_at is not None:
        return "acknowledged"
    if target.read_at is not None:
        return "read"
    return "unread"


@dataclass
class TargetRow:
    """One grid a notice reached, as the pages show it."""

    target: NoticeTarget
    grid: Grid
    park: Park
    liaison: Liaison | None
    done: bool
    overdue: bool  # the due date has passed and the grid has not acted

    @property
    def state(self) -> str:
        return state_of(self.target)


@dataclass
class Counts:
    total: int = 0
    read: int = 0
    acknowledged: int = 0
    completed: int = 0
    done: int = 0
    overdue: int = 0

    @property
    def pending(self) -> int:
        return self.total - self.done

    def add(self, t: NoticeTarget, done: bool, overdue: bool) -> None:
        self.total += 1
        self.read += t.read_at is not None
        self.acknowledged += t.acknowledged_at is not None
        self.completed += t.completed_at is not None
        self.done += done
        self.overdue += overdue


@dataclass
class ParkGroup:
    park: Park
    rows: list[TargetRow]
    counts: Counts


@dataclass
class NoticeView:
    """A notice as one viewer sees it: their own grids to act on, and what they may follow."""

    notice: Notice
    attachments: list[NoticeAttachment]
    is_sender: bool
    past_due: bool
    mine: list[TargetRow]  # the viewer's own grids (a liaison's), with the actions
    tracking: bool  # whether the viewer follows the grids (sender, offices, leaders)
    groups: list[ParkGroup]
    counts: Counts
    can_remind: bool


def _overdue(notice: Notice, done: bool, today: date) -> bool:
    return notice.due_on is not None and today > notice.due_on and not done


@dataclass
class _Places:
    grids: dict[int, Grid]
    parks: dict[int, Park]
    liaisons: dict[int, Liaison]


def _places(session: Session, targets: Sequence[NoticeTarget]) -> _Places:
    """The grids, parks and liaisons of many targets, in three queries."""
    grids = {
        g.id: g
        for g in session.exec(select(Grid).where(col(Grid.id).in_({t.grid_id for t in targets})))
    }
    parks = {
        p.id: p
        for p in session.exec(
            select(Park).where(col(Park.id).in_({g.park_id for g in grids.values()}))
        )
    }
    liaisons = {
        li.id: li
        for li in session.exec(
            select(Liaison).where(
                col(Liaison.id).in_({g.liaison_id for g in grids.values() if g.liaison_id})
            )
        )
    }
    return _Places(grids, parks, liaisons)


def _rows(
    session: Session,
    notice: Notice,
    targets: Sequence[NoticeTarget],
    today: date,
    places: _Places | None = None,
) -> list[TargetRow]:
    places = places or _places(session, targets)
    grids, parks, liaisons = places.grids, places.parks, places.liaisons
    rows = []
    for t in targets:
        grid = grids[t.grid_id]
        done = is_done(t, notice.kind)
        rows.append(
            TargetRow(
                target=t,
                grid=grid,
                park=parks[grid.park_id],
                liaison=liaisons.get(grid.liaison_id) if grid.liaison_id else None,
                done=done,
                overdue=_overdue(notice, done, today),
            )
        )
    rows.sort(key=lambda r: (r.park.id, r.grid.sort_order, r.grid.id))
    return rows


def _targets(
    session: Session, who: Principal, notice_id: int, action: str | None
) -> list[NoticeTarget]:
    stmt = select(NoticeTarget).where(NoticeTarget.notice_id == notice_id)
    if action is not None:
        stmt = permissions.restrict(stmt, who, action, NoticeTarget)
    return list(session.exec(stmt.order_by(col(NoticeTarget.id))))


def _own_grid_targets(session: Session, who: Principal, notice_id: int) -> list[NoticeTarget]:
    # "Mine" are the grids scoped to the person directly (a liaison's): an office that can
    # change every grid of a park follows them on the tracking list instead.
    if not who.grid_ids:
        return []
    return [t for t in _targets(session, who, notice_id, "change") if t.grid_id in who.grid_ids]


def _follows(who: Principal) -> bool:
    # Offices follow the grids below them; leaders read everything. Liaisons act on their own.
    return who.can("send") or not who.can("change")


def load(
    *, session: Session, who: Principal, notice_id: int, today: date | None = None
) -> NoticeView:
    """A notice in the principal's view scope, with the grids they act on or follow."""
    today = today or local_today()
    notice = permissions.get(session, who, "view", Notice, notice_id)
    is_sender = who.user_id is not None and notice.sender_id == who.user_id
    mine = (
        []
        if is_sender
        else _rows(session, notice, _own_grid_targets(session, who, notice.id), today)
    )
    tracking = is_sender or _follows(who)
    groups: list[ParkGroup] = []
    counts = Counts()
    can_remind = False
    if tracking:
        followed = _targets(session, who, notice.id, None if is_sender else "view")
        by_park: dict[int, ParkGroup] = {}
        for row in _rows(session, notice, followed, today):
            group = by_park.get(row.park.id)
            if group is None:
                group = by_park[row.park.id] = ParkGroup(row.park, [], Counts())
                groups.append(group)
            group.rows.append(row)
            group.counts.add(row.target, row.done, row.overdue)
            counts.add(row.target, row.done, row.overdue)
        if who.can("send"):
            remindable = {t.id for t in _targets(session, who, notice.id, "send")}
            can_remind = any(
                not r.done and r.target.id in remindable for g in groups for r in g.rows
            )
    attachments = list(
        session.exec(
            select(NoticeAttachment)
            .where(NoticeAttachment.notice_id == notice.id)
            .order_by(col(NoticeAttachment.id))
        )
    )
    return NoticeView(
        notice=notice,
        attachments=attachments,
        is_sender=is_sender,
        past_due=notice.due_on is not None and today > notice.due_on,
        mine=mine,
        tracking=tracking,
        groups=groups,
        counts=counts,
        can_remind=can_remind,
    )


def _label(session: Session, notice: Notice, target: NoticeTarget) -> str:
    grid = session.get(Grid, target.grid_id)
    return f"{notice.title} · {grid.name if grid else target.grid_id}"


def mark_read(*, session: Session, who: Principal, notice_id: int) -> list[NoticeTarget]:
    """Marks the notice read on the principal's own grids the first time they open it."""
    notice = permissions.get(session, who, "view", Notice, notice_id)
    if who.user_id is not None and notice.sender_id == who.user_id:
        return []
    marked = []
    for t in _own_grid_targets(session, who, notice.id):
        if t.read_at is not None:
            continue
        before = audit.snapshot(t)
        t.read_at = utcnow()
        session.add(t)
        audit.record(
            session=session,
            who=who,
            action=AuditAction.update,
            obj=t,
            before=before,
            label=_label(session, notice, t),
        )
        marked.append(t)
    return marked


def open_notice(
    *, session: Session, who: Principal, notice_id: int, today: date | None = None
) -> NoticeView:
    """Opens a notice: marks it read on the principal's own grids, then loads it."""
    mark_read(session=session, who=who, notice_id=notice_id)
    return load(session=session, who=who, notice_id=notice_id, today=today)


def row(
    *, session: Session, who: Principal, target_id: int, today: date | None = None
) -> TargetRow:
    """One target the principal may act on, as its card shows it."""
    target = permissions.get(session, who, "change", NoticeTarget, target_id)
    notice = session.get(Notice, target.notice_id)
    return _rows(session, notice, [target], today or local_today())[0]


def attachment(*, session: Session, who: Principal, attachment_id: int) -> NoticeAttachment:
    """An attachment, for the sender and those whose scope the notice reaches; else NotFound."""
    found = session.get(NoticeAttachment, attachment_id)
    if found is None:
        raise NotFound
    permissions.get(session, who, "view", Notice, found.notice_id)
    return found


# ---- the inbox ----------------------------------------------------------------------


@dataclass
class InboxItem:
    notice: Notice
    rows: list[TargetRow]
    counts: Counts

    @property
    def unread(self) -> bool:
        return any(r.target.read_at is None for r in self.rows)

    @property
    def overdue(self) -> bool:
        return self.counts.overdue > 0

    @property
    def done(self) -> bool:
        return self.counts.total > 0 and self.counts.pending == 0


@dataclass
class Inbox:
    received: list[InboxItem] = field(default_factory=list)
    sent: list[InboxItem] = field(default_factory=list)
    limit: int = 100


def _items(
    session: Session, notices: Sequence[Notice], targets: Sequence[NoticeTarget], today: date
) -> list[InboxItem]:
    by_notice: dict[int, list[NoticeTarget]] = {}
    for t in targets:
        by_notice.setdefault(t.notice_id, []).append(t)
    places = _places(session, targets)
    items = []
    for n in notices:
        rows = _rows(session, n, by_notice.get(n.id, []), today, places)
        counts = Counts()
        for r in rows:
            counts.add(r.target, r.done, r.overdue)
        items.append(InboxItem(n, rows, counts))
    return items


def inbox(
    *, session: Session, who: Principal, today: date | None = None, limit: int = 100
) -> Inbox:
    """The notices reaching the principal's grids (newest first) and those they sent."""
    today = today or local_today()
    # Liaisons and offices receive on the grids they keep; leaders read the city's notices.
    action = "change" if who.can("change") else "view"
    in_scope = permissions.restrict(select(NoticeTarget.id), who, action, NoticeTarget)
    if who.grid_ids:
        in_scope = in_scope.where(col(NoticeTarget.grid_id).in_(who.grid_ids))
    reaching = (
        select(NoticeTarget.id)
        .where(
            NoticeTarget.notice_id == Notice.id,
            col(NoticeTarget.id).in_(in_scope),
        )
        .exists()
    )
    received_stmt = select(Notice).where(reaching)
    if who.user_id is not None:
        received_stmt = received_stmt.where(
            sa.or_(col(Notice.sender_id).is_(None), col(Notice.sender_id) != who.user_id)
        )
    received = list(
        session.exec(
            received_stmt.order_by(col(Notice.sent_at).desc(), col(Notice.id).desc()).limit(limit)
        )
    )
    received_targets = list(
        session.exec(
            select(NoticeTarget).where(
                col(NoticeTarget.notice_id).in_([n.id for n in received]),
                col(NoticeTarget.id).in_(in_scope),
            )
        )
    )
    box = Inbox(received=_items(session, received, received_targets, today), limit=limit)
    if who.can("send") and who.user_id is not None:
        sent = list(
            session.exec(
                select(Notice)
                .where(Notice.sender_id == who.user_id)
                .order_by(col(Notice.sent_at).desc(), col(Notice.id).desc())
                .limit(limit)
            )
        )
        sent_targets = list(
            session.exec(
                select(NoticeTarget).where(col(NoticeTarget.notice_id).in_([n.id for n in sent]))
            )
        )
        box.sent = _items(session, sent, sent_targets, today)
    return box


# ---- sending ------------------------------------------------------------------------


@dataclass
class ParkChoice:
    park: Park
    grids: list[Grid]


@dataclass
class DistrictChoice:
    district: Area
    parks: list[ParkChoice]


def choices(*, session: Session, who: Principal) -> list[DistrictChoice]:
    """The parks and grids the principal may send to, by district."""
    parks = list(
        session.exec(permissions.restrict(select(Park), who, "send", Park).order_by(col(Park.id)))
    )
    grids: dict[int, list[Grid]] = {}
    for g in session.exec(
        permissions.restrict(select(Grid), who, "send", Grid).order_by(
            col(Grid.park_id), col(Grid.sort_order), col(Grid.id)
        )
    ):
        grids.setdefault(g.park_id, []).append(g)
    district_of = geo.district_of(session=session)
    out: dict[int, DistrictChoice] = {}
    for p in parks:
        d = district_of[p.id]
        out.setdefault(d.id, DistrictChoice(d, [])).parks.append(ParkChoice(p, grids.get(p.id, [])))
    return sorted(out.values(), key=lambda c: (c.district.sort_order, c.district.id))


def _ids(raw: Sequence[Any], name: str, labels: Mapping[str, str], errors: dict) -> set[int]:
    ids = set()
    for v in raw:
        s = str(v).strip()
        if not is_id(s):
            errors[name] = _("{field} is not valid.").format(field=labels[name])
            return set()
        ids.add(int(s))
    return ids


def _in_send_scope(session: Session, who: Principal, model: type, ids: set[int]) -> set[int]:
    stmt = select(model.id).where(col(model.id).in_(ids))
    return set(session.exec(permissions.restrict(stmt, who, "send", model)))


def _target_grids(
    session: Session,
    who: Principal,
    park_ids: Sequence[Any],
    grid_ids: Sequence[Any],
    labels: Mapping[str, str],
    errors: dict,
) -> list[Grid]:
    parks = _ids(park_ids, "parks", labels, errors)
    chosen = _ids(grid_ids, "grids", labels, errors)
    if "parks" in errors or "grids" in errors:
        return []
    if not parks and not chosen:
        errors["targets"] = _("{field}: choose at least one park or grid.").format(
            field=labels["targets"]
        )
        return []
    # Anything outside the sender's scope refuses the whole notice: a crafted form must
    # not reach a grid the sender may not send to.
    if parks and len(_in_send_scope(session, who, Park, parks)) < len(parks):
        errors["parks"] = _("{field}: you may not send to some of the chosen parks.").format(
            field=labels["parks"]
        )
    if chosen and len(_in_send_scope(session, who, Grid, chosen)) < len(chosen):
        errors["grids"] = _("{field}: you may not send to some of the chosen grids.").format(
            field=labels["grids"]
        )
    if "parks" in errors or "grids" in errors:
        return []
    stmt = select(Grid).where(sa.or_(col(Grid.park_id).in_(parks), col(Grid.id).in_(chosen)))
    found = list(
        session.exec(
            permissions.restrict(stmt, who, "send", Grid).order_by(
                col(Grid.park_id), col(Grid.sort_order), col(Grid.id)
            )
        )
    )
    if not found:
        errors["targets"] = _("{field}: the chosen parks have no grids yet.").format(
            field=labels["targets"]
        )
    return found


def _check_uploads(
    uploads: Sequence[Upload], max_bytes: int, labels: Mapping[str, str], errors: dict
) -> list[tuple[Upload, files.Kind]]:
    checked = []
    field_label = labels["attachments"]
    if len(uploads) > MAX_ATTACHMENTS:
        errors["attachments"] = _("{field}: at most {n} files.").format(
            field=field_label, n=MAX_ATTACHMENTS
        )
        return []
    for u in uploads:
        name = Path(u.filename).name
        kind = files.kind_of(name, u.content, ATTACHMENT_KINDS)
        problem = attachments.problem(
            u.content,
            max_bytes,
            kind,
            _("Only PDF, JPG, PNG, Word (.docx) and Excel (.xlsx) files are accepted."),
        )
        if problem:
            errors["attachments"] = f"{field_label}（{name}）：{problem}"
            return []
        checked.append((u, kind))
    return checked


def send(
    *,
    session: Session,
    who: Principal,
    data: Mapping[str, Any],
    park_ids: Sequence[Any] = (),
    grid_ids: Sequence[Any] = (),
    uploads: Sequence[Upload] = (),
    storage: files.Storage,
    max_bytes: int,
    today: date | None = None,
) -> Notice:
    """Sends a notice or task to the chosen parks (every grid of each) and grids; audited."""
    if not who.can("send"):
        raise NotFound
    today = today or local_today()
    labels = _labels()
    errors: dict[str, str] = {}
    form: NoticeForm | None = None
    try:
        form = parse(NoticeForm, data, labels)
    except Invalid as exc:
        errors.update(exc.errors)
    if form is not None and form.due_on is not None and form.due_on < today:
        errors["due_on"] = _("{field} cannot be in the past.").format(field=labels["due_on"])
    grids = _target_grids(session, who, park_ids, grid_ids, labels, errors)
    checked = _check_uploads(uploads, max_bytes, labels, errors)
    if errors or form is None:
        raise Invalid(errors)

    notice = Notice(
        kind=form.kind,
        title=form.title,
        body=form.content,
        due_on=form.due_on,
        sender_id=who.user_id,
        sender_name=who.display_name[:60],
    )
    session.add(notice)
    audit.record(
        session=session, who=who, action=AuditAction.create, obj=notice, label=notice.title
    )
    for g in grids:
        target = NoticeTarget(notice_id=notice.id, grid_id=g.id)
        session.add(target)
        audit.record(
            session=session,
            who=who,
            action=AuditAction.create,
            obj=target,
            label=f"{notice.title} · {g.name}",
        )
    for upload, kind in checked:
        attachments.keep(
            session=session,
            who=who,
            storage=storage,
            model=NoticeAttachment,
            name=upload.filename,
            content=upload.content,
            kind=kind,
            notice_id=notice.id,
        )
    return notice


# ---- acting on a notice -------------------------------------------------------------


def _acting(session: Session, who: Principal, target_id: int) -> tuple[NoticeTarget, Notice]:
    target = permissions.get(session, who, "change", NoticeTarget, target_id)
    return target, session.get(Notice, target.notice_id)


def _done_by(name: str) -> str:
    return name[:40]


def acknowledge(*, session: Session, who: Principal, target_id: int) -> NoticeTarget:
    """Acknowledges receipt (确认收到) for one grid; audited."""
    target, notice = _acting(session, who, target_id)
    if target.acknowledged_at is not None:
        raise Conflict(
            _("Already acknowledged by {name} at {at}.").format(
                name=target.acknowledged_by,
                at=target.acknowledged_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
            )
        )
    before = audit.snapshot(target)
    now = utcnow()
    target.read_at = target.read_at or now
    target.acknowledged_at, target.acknowledged_by = now, _done_by(who.display_name)
    session.add(target)
    audit.record(
        session=session,
        who=who,
        action=AuditAction.update,
        obj=target,
        before=before,
        label=_label(session, notice, target),
    )
    return target


def complete(
    *, session: Session, who: Principal, target_id: int, data: Mapping[str, Any]
) -> NoticeTarget:
    """Reports a task done for one grid, with a note; completing also acknowledges. Audited."""
    target, notice = _acting(session, who, target_id)
    if notice.kind is not NoticeKind.task:
        raise Conflict(_("A notice is acknowledged, not completed: only tasks report completion."))
    if target.completed_at is not None:
        raise Conflict(
            _("Completion was already reported by {name} at {at}.").format(
                name=target.completed_by,
                at=target.completed_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
            )
        )
    form = parse(CompletionForm, data, _labels())
    before = audit.snapshot(target)
    now = utcnow()
    by = _done_by(who.display_name)
    target.read_at = target.read_at or now
    if target.acknowledged_at is None:
        target.acknowledged_at, target.acknowledged_by = now, by
    target.completed_at, target.completed_by, target.completion_note = now, by, form.note
    session.add(target)
    audit.record(
        session=session,
        who=who,
        action=AuditAction.update,
        obj=target,
        before=before,
        label=_label(session, notice, target),
    )
    return target


def remind(*, session: Session, who: Principal, notice_id: int) -> list[NoticeTarget]:
    """Reminds every grid in the principal's send scope that has not acted yet; audited."""
    notice = permissions.get(session, who, "send", Notice, notice_id)
    pending = [t for t in _targets(session, who, notice.id, "send") if not is_done(t, notice.kind)]
    if not pending:
        raise Conflict(_("Every grid has already acted on this notice: there is nobody to remind."))
    now = utcnow()
    for t in pending:
        before = audit.snapshot(t)
        t.reminded_at = now
        t.reminders += 1
        session.add(t)
        audit.record(
            session=session,
            who=who,
            action=AuditAction.update,
            obj=t,
            before=before,
            label=_label(session, notice, t),
        )
    return pending
