"""Typed, bounded input at the edge: ids, years, periods, pages, versions, dates, numbers, text.

Every value a request carries is checked here before it reaches a query: a number the
database cannot hold, a date Python cannot shift, a NaN or a NUL byte would otherwise
turn into a 500 deep inside a service. Ids in a path that do not fit answer 404 (no such
object); everything else answers 422 naming the field by its Chinese label.
"""

import math
import re
import unicodedata
from collections.abc import Iterable
from datetime import date
from typing import Annotated, Any

from fastapi import Query
from pydantic import AfterValidator, BeforeValidator, Field
from starlette.convertors import Convertor, register_url_convertor
from starlette.routing import BaseRoute, compile_path

from app.core.i18n import N_, _

# 18 digits: every such id fits a BIGINT (and SQLite's INTEGER), which 2^63 does not.
MAX_ID = 10**18 - 1
# Years of assessment periods, audit dates and demands; far wider than any real one.
MIN_YEAR, MAX_YEAR = 1900, 2100
MIN_DATE, MAX_DATE = date(MIN_YEAR, 1, 1), date(MAX_YEAR, 12, 31)
MAX_PAGE = 100_000
# Row versions are INTEGER columns.
MAX_VERSION = 2**31 - 1
# A number typed into a form: beyond this it is a typing accident, and the columns are
# plain doubles that a formula multiplies by weights.
MAX_NUMBER = 1e15


class IdConvertor(Convertor[int]):
    """A database id in a path: digits only, at most 18, so a value that cannot exist
    simply matches no route (404) instead of overflowing the query."""

    regex = "[0-9]{1,18}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        value = int(value)
        if not 0 <= value <= MAX_ID:
            raise ValueError("id out of range")
        return str(value)


register_url_convertor("id", IdConvertor())

_ID_PARAM = re.compile(r"\{(id|\w+_id)\}")


def typed_ids(routes: Iterable[BaseRoute]) -> None:
    """Matches every path parameter named `id` or `…_id` with the id convertor.

    One place for every router, present and future: a route declared `/parks/{park_id}`
    matches only ids that can exist. The route's declared path stays as written (the
    authorisation matrix and url_for read it); only its matcher is recompiled.
    """
    for route in routes:
        path = getattr(route, "path", None)
        if not path or not hasattr(route, "param_convertors"):
            continue
        typed = _ID_PARAM.sub(r"{\1:id}", path)
        if typed != path:
            route.path_regex, route.path_format, route.param_convertors = compile_path(typed)


# ---- text -------------------------------------------------------------------------------

# Tab, newline and carriage return are the only control characters a multi-line field
# keeps (browsers send a textarea's newlines as CR LF).
_LINE_BREAKS = frozenset("\t\n\r")


def bad_character(value: str, *, multiline: bool) -> str | None:
    """The first character a text field may not hold: control characters (NUL first of
    all: PostgreSQL refuses it) and lone surrogates (not encodable as UTF-8)."""
    for ch in value:
        if ch in _LINE_BREAKS and multiline:
            continue
        if unicodedata.category(ch) in {"Cc", "Cs"}:
            return ch
    return None


def check_text(value: str, *, multiline: bool = False) -> str:
    """Returns the value, or raises ValueError with a message for users."""
    if bad_character(value, multiline=multiline) is not None:
        if multiline:
            raise ValueError(_("may not contain control characters."))
        raise ValueError(_("may not contain control characters or line breaks."))
    return value


class Lines:
    """Marks a text field of a form shape as multi-line: it keeps newlines and tabs."""


MULTILINE = Lines()
MultiLine = Annotated[str, MULTILINE]


# ---- numbers ----------------------------------------------------------------------------


def finite(value: float) -> float:
    """Refuses NaN, ±Infinity and numbers beyond what a form can sensibly hold."""
    if not math.isfinite(value):
        raise ValueError(_("must be a finite number."))
    if abs(value) > MAX_NUMBER:
        raise ValueError(_("is too large."))
    return value


def _blank_is_none(value: Any) -> Any:
    # An empty select ("all") or an empty box means no value.
    if isinstance(value, str) and not value.strip():
        return None
    return value


Blank = BeforeValidator(_blank_is_none)


# ---- periods ----------------------------------------------------------------------------

_PERIOD = re.compile(r"([0-9]{4})Q([1-4])", re.IGNORECASE)


def parse_period(label: str | None) -> tuple[int, int] | None:
    """A period label ("2026Q3") as (year, quarter), or None if it is not one."""
    m = _PERIOD.fullmatch((label or "").strip())
    if not m or not MIN_YEAR <= int(m.group(1)) <= MAX_YEAR:
        return None
    return int(m.group(1)), int(m.group(2))


def _period_label(value: str) -> str:
    if parse_period(value) is None:
        raise ValueError(_("must be a quarter like 2026Q3."))
    return value.strip().upper()


# ---- request parameters -----------------------------------------------------------------
# The Chinese labels of query and path parameters: the 422 handler reads each parameter's
# `title` (an English msgid, translated when shown), so no message prints a raw name.

# Constraints sit on the inner type so that a blank value (None) skips them.
_Id = Annotated[int, Field(ge=1, le=MAX_ID)]
_Day = Annotated[date, Field(ge=MIN_DATE, le=MAX_DATE)]
_Label = Annotated[str, Field(max_length=12), AfterValidator(_period_label)]

Page = Annotated[
    int,
    BeforeValidator(lambda v: _blank_is_none(v) or 1),
    Query(ge=1, le=MAX_PAGE, title=N_("Page")),
]
Year = Annotated[int, Query(ge=MIN_YEAR, le=MAX_YEAR, title=N_("Year"))]
PeriodLabel = Annotated[_Label | None, Blank, Query(title=N_("Period"))]


def query_id(title: str) -> Any:
    """An optional id in the query string (a select whose empty value means "all")."""
    return Annotated[_Id | None, Blank, Query(title=title)]


def query_day(title: str) -> Any:
    """An optional date in the query string, within the years anything can happen."""
    return Annotated[_Day | None, Blank, Query(title=title)]


def bounded_int(raw: Any, *, low: int, high: int) -> int | None:
    """An int parsed from a raw form or query value, or None if it is not one in range."""
    text = str(raw).strip() if raw is not None else ""
    if not re.fullmatch(r"-?[0-9]{1,19}", text):
        return None
    value = int(text)
    return value if low <= value <= high else None


def request_labels(route: Any) -> dict[str, str]:
    """The Chinese label of each parameter of a route: its `title`, else a common name's."""
    labels = {k: _(v) for k, v in PARAM_LABELS.items()}
    stack = [getattr(route, "dependant", None)]
    while stack:
        dependant = stack.pop()
        if dependant is None:
            continue
        for param in (
            *dependant.path_params,
            *dependant.query_params,
            *dependant.body_params,
            *dependant.header_params,
        ):
            title = getattr(param.field_info, "title", None)
            if title:
                labels[param.alias or param.name] = _(title)
        stack.extend(dependant.dependencies)
    return labels


# Labels of parameters that carry no title of their own.
PARAM_LABELS = {
    "page": N_("Page"),
    "period": N_("Period"),
    "year": N_("Year"),
    "month": N_("Month"),
    "version": N_("Version"),
    "start": N_("From"),
    "end": N_("To"),
}
