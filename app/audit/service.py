"""Writing and reading the audit trail; services `record` in the same transaction as the change."""

import enum
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, SQLModel, col, func, select

from app.audit.models import AuditAction, AuditLog
from app.core.permissions import Principal, restrict
from app.core.templating import LOCAL_TZ

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


def _filtered(f: AuditFilter):
    stmt = select(AuditLog)
    if f.user_id:
        stmt = stmt.where(AuditLog.user_id == f.user_id)
    if f.object_type:
        stmt = stmt.where(AuditLog.object_type == f.object_type)
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


def object_types(*, session: Session) -> list[str]:
    """The object types present in the trail, for the filter's choices."""
    return list(
        session.exec(select(AuditLog.object_type).distinct().order_by(AuditLog.object_type))
    )
