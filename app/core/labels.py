"""How the audit trail reads: each object type's Chinese name, its fields' labels, its values.

Core knows no domain: each domain declares its own types as it loads (`app/<domain>/labels.py`,
imported by its scope module, as scope rules are), and the audit domain asks here.

A value is shown by the first rule that fits its field: a formatter of the field's own; the
labels of its enum; the name of the object an id field points to; then by its kind: yes or
no, a timestamp in Beijing time to the minute, a number without a trailing ".0", a list or
a mapping in words. A field a type does not declare is not shown: what the trail keeps for
bookkeeping (versions, hashes, stamps) stays in the trail, and a raw column name never
reaches a page.

Names of other objects come through a lookup, `name(object_type, id)`, so that the caller
can first collect every id a page needs (a lookup that only notes them), resolve each
type's ids in one query (`names`), then format again with the names known.
"""

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, SQLModel, col, select

from app.core.i18n import N_, gettext
from app.core.templating import LOCAL_TZ

# The name of another object: (object type, id) → its name, or None when it is unknown.
Lookup = Callable[[str, Any], str | None]
# A field's own way to show a value (with the lookup, for ids inside it).
Format = Callable[[Any, Lookup], str | None]


@dataclass(frozen=True)
class Named:
    """An object as a page names it, with the route that opens it (when there is one)."""

    text: str
    route: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    # The name a value gives it, where the row's own object already says the rest (a grid
    # in an enterprise's row: its park is the enterprise's).
    short: str | None = None


# Every id of one type → its name, in one query.
Namer = Callable[[Session, set[int]], dict[int, Named]]


@dataclass(frozen=True)
class Kind:
    name: str  # msgid of the type's name (对象类型)
    fields: Mapping[str, str]  # field → msgid of its label, in the order shown
    values: Mapping[str, Mapping[Any, str]]  # field → the labels of its values (an enum's)
    refs: Mapping[str, str]  # field → the object type of the id it holds
    formats: Mapping[str, Format]


_KINDS: dict[str, Kind] = {}
_NAMERS: dict[str, Namer] = {}
# Usernames → people's names (accounts declares it): rows that keep a username as text.
_PEOPLE: list[Callable[[Session, set[str]], dict[str, str]]] = []
# Fields any type may carry in its rows: downloads', refusals' and views' own values.
_COMMON = Kind(N_("Object"), {}, {}, {}, {})


def register(
    object_type: str,
    name: str,
    *,
    fields: Mapping[str, str] | None = None,
    values: Mapping[str, Mapping[Any, str]] | None = None,
    refs: Mapping[str, str] | None = None,
    formats: Mapping[str, Format] | None = None,
    names: Namer | None = None,
) -> None:
    """Declares an object type of the trail: its name, its shown fields and how their values
    read, and (optionally) how to name its objects."""
    if object_type in _KINDS:
        raise RuntimeError(f"{object_type} has labels already")
    _KINDS[object_type] = Kind(
        name, dict(fields or {}), dict(values or {}), dict(refs or {}), dict(formats or {})
    )
    if names is not None:
        _NAMERS[object_type] = names


def register_common(
    *,
    fields: Mapping[str, str],
    values: Mapping[str, Mapping[Any, str]] | None = None,
    formats: Mapping[str, Format] | None = None,
) -> None:
    """Declares fields every type's rows may carry (a download's file, a refusal's action)."""
    global _COMMON
    _COMMON = Kind(
        _COMMON.name,
        {**_COMMON.fields, **fields},
        {**_COMMON.values, **(values or {})},
        _COMMON.refs,
        {**_COMMON.formats, **(formats or {})},
    )


def by_name(
    model: type[SQLModel], column: str = "name", route: str | None = None, param: str = ""
) -> Namer:
    """A namer reading one column of `model` (and, with `route`, linking by the id under the
    route's single path parameter, `param`, by default `<table>_id`)."""

    def names(session: Session, ids: set[int]) -> dict[int, Named]:
        id_col, text_col = model.id, getattr(model, column)
        rows = session.exec(select(id_col, text_col).where(col(id_col).in_(ids)))
        key = param or f"{model.__tablename__}_id"  # type: ignore[attr-defined]
        return {
            i: Named(str(t), route, {key: i} if route else {})
            for i, t in rows  # type: ignore[misc]
        }

    return names


def register_people(names: Callable[[Session, set[str]], dict[str, str]]) -> None:
    """Declares how usernames read as people's names (in one query for all of them)."""
    _PEOPLE[:] = [names]


def people(session: Session | None, usernames: Iterable[str]) -> dict[str, str]:
    """Each username's person's name; a username nobody has any more is left out."""
    wanted = {u for u in usernames if u}
    if session is None or not wanted or not _PEOPLE:
        return {}
    return _PEOPLE[0](session, wanted)


def kind(object_type: str) -> Kind | None:
    return _KINDS.get(object_type)


def type_name(object_type: str) -> str:
    """The type's Chinese name; an undeclared type keeps its own."""
    k = _KINDS.get(object_type)
    return gettext(k.name) if k else object_type


def field_label(object_type: str, name: str) -> str | None:
    """The field's label, or None when the type does not show it."""
    k = _KINDS.get(object_type)
    label = (k.fields.get(name) if k else None) or _COMMON.fields.get(name)
    return gettext(label) if label else None


def shown_fields(object_type: str, names: Iterable[str]) -> list[str]:
    """The fields among `names` the type shows, in its declared order (then the common ones)."""
    k = _KINDS.get(object_type)
    wanted = set(names)
    order = [*(k.fields if k else {}), *_COMMON.fields]
    return [f for f in dict.fromkeys(order) if f in wanted]


def names(session: Session, object_type: str, ids: set[int]) -> dict[int, Named]:
    """The names of these objects of one type, in one query (none for an unnamed type)."""
    namer = _NAMERS.get(object_type)
    if namer is None or not ids:
        return {}
    return namer(session, {i for i in ids if isinstance(i, int)})


_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def local_time(text: str) -> str:
    """An ISO timestamp as Beijing time to the minute ("2026-11-29 08:17")."""
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return text
    if at.tzinfo is not None:
        at = at.astimezone(LOCAL_TZ)
    return at.strftime("%Y-%m-%d %H:%M")


def number(value: float | int) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def plain(value: Any, lookup: Lookup | None = None) -> str | None:
    """A value shown by its kind alone: yes/no, a local time, a number, words for a list or
    a mapping (keys as they are). None for an empty value."""
    if value is None or value == "" or value == [] or value == {}:
        return None
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, int | float):
        return number(value)
    if isinstance(value, str):
        return local_time(value) if _STAMP.match(value) else value
    if isinstance(value, list | tuple):
        return "、".join(p for p in (plain(v, lookup) for v in value) if p)
    if isinstance(value, dict):
        parts = ((k, plain(v, lookup)) for k, v in value.items())
        return "，".join(f"{k}：{v}" for k, v in parts if v)
    return str(value)


def show(object_type: str, name: str, value: Any, lookup: Lookup) -> str | None:
    """A field's value as a reader reads it; None for an empty value."""
    if value is None or value == "":
        return None
    k = _KINDS.get(object_type)
    for source in (k, _COMMON) if k else (_COMMON,):
        if name in source.formats:
            return source.formats[name](value, lookup)
        if name in source.values:
            label = source.values[name].get(value)
            return gettext(label) if label else plain(value, lookup)
        if name in source.refs:
            return lookup(source.refs[name], value) or plain(value, lookup)
    return plain(value, lookup)


def labelled(mapping: Mapping[str, str], value: Any, lookup: Lookup) -> str | None:
    """A mapping's keys by their labels: "网格：新增 0，更新 3" (for nested values)."""
    if not isinstance(value, dict):
        return plain(value, lookup)
    parts = []
    for k, v in value.items():
        shown_value = plain(v, lookup)
        if shown_value is not None:
            label = mapping.get(k)
            parts.append(f"{gettext(label) if label else k}：{shown_value}")
    return "，".join(parts) or None
