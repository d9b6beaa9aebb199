"""Audit rows as a reader reads them: who by name, the action and the object's type in
Chinese, the object by its name, each change with its field's label and values in words.

The labels are the domains' (`app.core.labels`). Names of people and objects are looked up
for all the rows shown at once: one query per type, never one per row.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import object_session
from sqlmodel import Session

from app.audit.models import AUDIT_ACTION_LABELS, AuditAction, AuditLog
from app.core import labels
from app.core.i18n import gettext
from app.core.labels import Lookup, Named

# The type whose names are the people's (accounts declares it); rows name their actor by it.
PEOPLE = "User"


@dataclass(frozen=True)
class Line:
    """One changed field: its label, and its values before and after as text (None: empty)."""

    label: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class Readable:
    row: AuditLog
    who: str  # the person's name (their username while it is unknown)
    action: str
    type_name: str
    object: Named | None
    lines: list[Line]

    @property
    def at(self) -> datetime:
        return self.row.at


def _values(row: AuditLog) -> list[tuple[str, Any, Any]]:
    """The fields the row changed (an update), set (a creation) or held (a deletion); for
    a type without labels, every field under its own name."""
    before, after = row.before or {}, row.after or {}
    keys = [*after, *(k for k in before if k not in after)]
    if labels.kind(row.object_type) is not None or row.action not in _CHANGING:
        keys = labels.shown_fields(row.object_type, keys)
    else:
        keys = [k for k in keys if k != "id"]
    out = []
    for k in keys:
        b, a = before.get(k), after.get(k)
        if row.action is AuditAction.update and b == a:
            continue
        if row.action is not AuditAction.update and _empty(a if k in after else b):
            continue  # a creation's blank fields say nothing
        out.append((k, b, a))
    return out


_CHANGING = frozenset({AuditAction.create, AuditAction.update, AuditAction.delete})


def _empty(value: Any) -> bool:
    # Zero and "no" too: a new monthly report's nine zero figures would bury its one figure.
    return value is None or value in ("", 0, False) or value == [] or value == {}


def _lines(row: AuditLog, lookup: Lookup) -> list[Line]:
    out = []
    for k, b, a in _values(row):
        label = labels.field_label(row.object_type, k) or k
        before = labels.show(row.object_type, k, b, lookup)
        after = labels.show(row.object_type, k, a, lookup)
        # Two stamps within one minute read alike: "审核时间 10:00 → 10:00" says nothing.
        if row.action == AuditAction.update and before == after:
            continue
        out.append(Line(label, before, after))
    return out


def _by_id(row: AuditLog) -> bool:
    """Whether the row's object is named by its id: a download's id may be another type's
    (a park's report is downloaded by the park's id), its label names the file's subject."""
    return row.object_id is not None and row.action is not AuditAction.download


def readable(session: Session | None, rows: Iterable[AuditLog]) -> list[Readable]:
    """The rows in words, every name they need read in one query per type."""
    rows = list(rows)
    wanted: dict[str, set[Any]] = defaultdict(set)

    def note(object_type: str, value: Any) -> None:
        wanted[object_type].add(value)

    for row in rows:
        _lines(row, note)  # collects the ids the values point to
        if _by_id(row):
            wanted[row.object_type].add(row.object_id)
        if row.user_id is not None:
            wanted[PEOPLE].add(row.user_id)
    known: dict[str, dict[int, Named]] = (
        {t: labels.names(session, t, ids) for t, ids in wanted.items()} if session else {}
    )

    def lookup(object_type: str, value: Any) -> str | None:
        named = known.get(object_type, {}).get(value)
        return (named.short or named.text) if named else None

    out = []
    for row in rows:
        person = known.get(PEOPLE, {}).get(row.user_id) if row.user_id is not None else None
        named = known.get(row.object_type, {}).get(row.object_id) if _by_id(row) else None
        if named is None and row.object_label:
            named = Named(row.object_label)  # gone since, or a type without names
        action = AUDIT_ACTION_LABELS.get(row.action)
        out.append(
            Readable(
                row=row,
                who=person.text if person else row.username,
                action=gettext(action) if action else str(row.action),
                type_name=labels.type_name(row.object_type),
                object=named,
                lines=_lines(row, lookup),
            )
        )
    return out


def of(rows: Iterable[AuditLog]) -> list[Readable]:
    """For a template: the rows in words, read in the session they were loaded in."""
    rows = list(rows)
    return readable(object_session(rows[0]) if rows else None, rows)


def people(objects: Iterable[Any], attr: str = "username") -> dict[str, str]:
    """For a template: the names of the people whose usernames these objects keep (an
    import's uploader), in one query, read in the session the objects were loaded in."""
    objects = [o for o in objects if o is not None]
    if not objects:
        return {}
    return labels.people(object_session(objects[0]), (getattr(o, attr) for o in objects))


def _shown(value: str | None) -> str:
    # An empty value still needs a mark, or "before → after" loses its left-hand side.
    return "—" if value is None else value


def text(r: Readable) -> str:
    """A row's changes on one line: "label：before → after；…" ("label：value" for others)."""
    if r.row.action is AuditAction.update:
        parts = (f"{c.label}：{_shown(c.before)} → {_shown(c.after)}" for c in r.lines)
    elif r.row.action is AuditAction.delete:
        parts = (f"{c.label}：{_shown(c.before)}" for c in r.lines)
    else:
        parts = (f"{c.label}：{_shown(c.after)}" for c in r.lines)
    return "；".join(parts)


def object_text(r: Readable) -> str:
    """The object as the download names it: its type, then its name."""
    return f"{r.type_name} {r.object.text}" if r.object else r.type_name
