"""Writing and reading the audit trail; services `record` in the same transaction as the change."""

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import islice
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, col, func, select

from app.audit import readable
from app.audit.models import AuditAction, AuditLog
from app.core import labels
from app.core.db import keep_refusals_with
from app.core.i18n import _
from app.core.permissions import ROLE_LABELS, Principal, Refusal, restrict
from app.core.sheets import DATETIME, Column
from app.core.templating import LOCAL_TZ
from app.core.types import utcnow

# Never copied into the trail.
SECRET_FIELDS = frozenset({"password_hash", "token_hash"})


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def snapshot(obj: SQLModel) -> dict[str, Any]:
    """The object's stored values, as JSON-ready data, secrets left out."""
    return {
        c.key: _plain(getattr(obj, c.key))
        for c in obj.__table__.columns  # type: ignore[attr-defined]
        if c.key not in SECRET_FIELDS
    }


def record(
    *,
    session: Session,
    who: Principal,
    action: AuditAction,
    obj: SQLModel | None = None,
    object_type: str | None = None,
    object_id: int | None = None,
    label: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditLog:
    """Adds one audit row; with `obj`, its type, id and (for changes) after-values come from it."""
    if obj is not None:
        session.flush()
        object_type = object_type or type(obj).__name__
        object_id = object_id if object_id is not None else obj.id  # type: ignore[attr-defined]
        if after is None and action in (AuditAction.create, AuditAction.update):
            after = snapshot(obj)
        label = label or str(getattr(obj, "name", "") or getattr(obj, "username", ""))
    row = AuditLog(
        user_id=who.user_id,
        username=who.username,
        role=who.role,
        client_address=who.address,
        action=action,
        object_type=object_type or "",
        object_id=object_id,
        object_label=label[:120],
        before=before,
        after=after,
    )
    session.add(row)
    session.flush()
    return row


def fold_key(row: AuditLog, at: datetime) -> str | None:
    """Who refused where, in which minute (UTC): the refusals that share it are one row."""
    route = (row.after or {}).get("route")
    if row.action is not AuditAction.denied or not route:
        return None
    who = f"user:{row.user_id}" if row.user_id is not None else f"address:{row.client_address}"
    return f"{at:%Y-%m-%dT%H:%M}|{who}|{route}"[:200]


def refused(*, session: Session, row: Refusal) -> None:
    """Adds a refusal's audit row, or, when the same user was refused on the same route in
    this minute already, counts it in that row (one upsert: concurrent repeats meet in the
    row through its unique fold key instead of racing to insert two)."""
    # Core's plain record becomes the audit domain's row.
    entry = AuditLog(
        user_id=row.user_id,
        username=row.username,
        role=row.role,
        client_address=row.client_address,
        action=AuditAction.denied,
        object_type=row.object_type,
        object_id=row.object_id,
        object_label=row.object_label,
        after=row.after,
    )
    now = utcnow()
    table = AuditLog.__table__  # type: ignore[attr-defined]
    values = {c.key: getattr(entry, c.key) for c in table.columns if c.key != "id"}
    values |= {"at": now, "last_at": now, "count": 1, "fold_key": fold_key(entry, now)}
    if values["fold_key"] is None:
        session.execute(sa.insert(table).values(values))
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    insert = dialect.insert(table).values(values)
    session.execute(
        insert.on_conflict_do_update(
            index_elements=[table.c.fold_key],
            set_={"count": table.c["count"] + 1, "last_at": insert.excluded.last_at},
        )
    )


def _write_refusal(*, session: Session, row: Refusal) -> None:
    # `refused` is looked up when called, so the module's name stays the one to replace.
    refused(session=session, row=row)


# A request that is refused (core.db) keeps its record through this, after the rollback.
keep_refusals_with(_write_refusal)


def plain(model: type[SQLModel], values: dict[str, Any]) -> dict[str, Any]:
    """What `snapshot` gives for an object of `model` with these values, without the object
    (for rows written in bulk)."""
    return {
        c.key: _plain(values.get(c.key))
        for c in model.__table__.columns  # type: ignore[attr-defined]
        if c.key not in SECRET_FIELDS
    }


@dataclass(frozen=True)
class Entry:
    """One audit row of a bulk operation."""

    action: AuditAction
    object_type: str
    object_id: int | None
    label: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def record_many(
    *, session: Session, who: Principal, entries: list[Entry], batch_id: int | None
) -> None:
    """Adds many audit rows in one statement, in the caller's transaction (bulk imports):
    building thousands of ORM objects would hold the write lock for seconds longer."""
    if not entries:
        return
    now = utcnow()
    session.execute(
        sa.insert(AuditLog.__table__),  # type: ignore[attr-defined]
        [
            {
                "at": now,
                "user_id": who.user_id,
                "username": who.username,
                "role": who.role,
                "client_address": who.address,
                "action": e.action,
                "object_type": e.object_type,
                "object_id": e.object_id,
                "object_label": e.label[:120],
                "before": e.before,
                "after": e.after,
                "batch_id": batch_id,
            }
            for e in entries
        ],
    )


@dataclass(frozen=True)
class Change:
    field: str
    before: Any
    after: Any


def changes(row: AuditLog) -> list[Change]:
    """The fields an audit row changed, with their before and after values."""
    before, after = row.before or {}, row.after or {}
    keys = [k for k in after if k != "id"] + [k for k in before if k not in after and k != "id"]
    return [
        Change(k, before.get(k), after.get(k))
        for k in keys
        if row.action is not AuditAction.update or before.get(k) != after.get(k)
    ]


def history(
    *, session: Session, object_type: str, object_id: int, limit: int = 20
) -> list[AuditLog]:
    """An object's audit rows, newest first."""
    return list(
        session.exec(
            select(AuditLog)
            .where(AuditLog.object_type == object_type, AuditLog.object_id == object_id)
            .order_by(col(AuditLog.at).desc(), col(AuditLog.id).desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class AuditFilter:
    user_id: int | None = None
    object_type: str | None = None
    start: date | None = None
    end: date | None = None  # inclusive, in Beijing time
    batch_id: int | None = None  # the rows of one bulk operation (an import)


def _filtered(f: AuditFilter):
    stmt = select(AuditLog)
    if f.user_id:
        stmt = stmt.where(AuditLog.user_id == f.user_id)
    if f.object_type:
        stmt = stmt.where(AuditLog.object_type == f.object_type)
    if f.batch_id:
        stmt = stmt.where(AuditLog.batch_id == f.batch_id)
    if f.start:
        stmt = stmt.where(AuditLog.at >= datetime.combine(f.start, time(), LOCAL_TZ))
    if f.end:
        stmt = stmt.where(
            AuditLog.at < datetime.combine(f.end + timedelta(days=1), time(), LOCAL_TZ)
        )
    return stmt


def search(
    *, session: Session, who: Principal, f: AuditFilter, page: int = 1, per_page: int = 50
) -> tuple[list[AuditLog], int]:
    """A page of the audit trail matching the filter, newest first, and the number of matches."""
    stmt = restrict(_filtered(f), who, "audit", AuditLog)
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    rows = session.exec(
        stmt.order_by(col(AuditLog.at).desc(), col(AuditLog.id).desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return list(rows), total


def object_types(*, session: Session) -> list[tuple[str, str]]:
    """The object types present in the trail, for the filter's choices: (type, its Chinese
    name), in the order of the names."""
    found = session.exec(select(AuditLog.object_type).distinct())
    return sorted(((t, labels.type_name(t)) for t in found), key=lambda c: (c[1], c[0]))


# A download holds at most this many rows, the newest; the page says so when more match.
EXPORT_LIMIT = 50_000


def matching(
    *, session: Session, who: Principal, f: AuditFilter, limit: int | None = None
) -> Iterator[AuditLog]:
    """Every row matching the filter, newest first, up to `limit` (EXPORT_LIMIT unless given)."""
    stmt = (
        restrict(_filtered(f), who, "audit", AuditLog)
        .order_by(col(AuditLog.at).desc(), col(AuditLog.id).desc())
        .limit(EXPORT_LIMIT if limit is None else limit)
        # Read in batches: a long trail is written out without holding every row at once.
        .execution_options(yield_per=1000)
    )
    yield from session.exec(stmt)


def changes_text(row: AuditLog, session: Session | None = None) -> str:
    """A row's changes on one line, labelled as pages show them: "label：before → after；…"
    (only "label：value" for others); with a session, ids read as the names they point to."""
    return readable.text(readable.readable(session, [row])[0])


# Rows of a download are put in words this many at a time: one query per type per batch.
EXPORT_BATCH = 500


def _batched(rows: Iterator[AuditLog], n: int) -> Iterator[list[AuditLog]]:
    while batch := list(islice(rows, n)):
        yield batch


def export_table(
    *, session: Session, who: Principal, f: AuditFilter, limit: int | None = None
) -> tuple[list[Column], Iterator[list[Any]]]:
    """The columns and rows of the trail's download (see `matching`); times in Beijing time,
    people, actions, objects and changes in words as the page shows them."""
    columns = [
        Column(_("Time (Beijing)"), DATETIME),
        Column(_("User")),
        Column(_("Username")),
        Column(_("Role")),
        Column(_("Address")),
        Column(_("Action")),
        Column(_("Object type")),
        Column(_("Object id")),
        Column(_("Object")),
        Column(_("Changes"), width=60),
    ]

    def rows() -> Iterator[list[Any]]:
        for batch in _batched(matching(session=session, who=who, f=f, limit=limit), EXPORT_BATCH):
            for r in readable.readable(session, batch):
                row = r.row
                role = ROLE_LABELS.get(row.role)  # type: ignore[call-overload]
                yield [
                    # Excel keeps no time zone: the office's own time, without one.
                    row.at.astimezone(LOCAL_TZ).replace(tzinfo=None),
                    r.who,
                    row.username,
                    _(role) if role else row.role,
                    row.client_address,
                    r.action,
                    r.type_name,
                    row.object_id,
                    r.object.text if r.object else "",
                    readable.text(r),
                ]

    return columns, rows()


# ---- downloads and full numbers shown ---------------------------------------------------
# Written by the download and reveal routes in a short write transaction of their own (a
# GET writes nothing in its request's transaction), before the file or number goes out.


def record_download(
    *,
    session: Session,
    who: Principal,
    object_type: str,
    label: str,
    filters: dict[str, str],
    rows: int | None,
    object_id: int | None = None,
    file: str = "",
) -> AuditLog:
    """Adds the audit row of one download: what, with which filters, how many rows."""
    return record(
        session=session,
        who=who,
        action=AuditAction.download,
        object_type=object_type,
        object_id=object_id,
        label=label,
        after={"file": file, "filters": filters, "rows": rows},
    )


def record_reveal(
    *, session: Session, who: Principal, object_type: str, object_id: int, label: str, field: str
) -> AuditLog:
    """Adds the audit row of a full number shown on request (which object, which field)."""
    return record(
        session=session,
        who=who,
        action=AuditAction.reveal,
        object_type=object_type,
        object_id=object_id,
        label=label,
        after={"field": field},
    )
