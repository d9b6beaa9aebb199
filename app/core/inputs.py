"""Typed, bounded input at the edge: ids, years, periods, pages, versions, dates, numbers, text.

Every value a request carries is checked here before it reaches a query: a number the
database cannot hold, a date Python cannot shift, a NaN or a NUL byte would otherwise
turn into a 500 deep inside a service. Ids in a path that do not fit answer 404 (no such
object); everything else answers 422 naming the field by its Chinese label.
"""

import math
import re
import unicodedata
from datetime import date
from typing import Annotated, Any

from pydantic import BeforeValidator

from app.core.i18n import _

# Ids are INTEGER columns (32 bits on PostgreSQL): 9 digits always fit, 2^31 does not.
ID_DIGITS = 9
MAX_ID = 10**ID_DIGITS - 1
# Years of assessment periods, audit dates and demands; far wider than any real one.
MIN_YEAR, MAX_YEAR = 1900, 2100
MIN_DATE, MAX_DATE = date(MIN_YEAR, 1, 1), date(MAX_YEAR, 12, 31)
MAX_PAGE = 100_000
# Row versions are INTEGER columns.
MAX_VERSION = 2**31 - 1
# A number typed into a form: beyond this it is a typing accident, and the columns are
# plain doubles that a formula multiplies by weights.
MAX_NUMBER = 1e15


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


def blank_is_none(value: Any) -> Any:
    # An empty select ("all") or an empty box means no value.
    if isinstance(value, str) and not value.strip():
        return None
    return value


Blank = BeforeValidator(blank_is_none)


# ---- periods ----------------------------------------------------------------------------

_PERIOD = re.compile(r"([0-9]{4})Q([1-4])", re.IGNORECASE)


def parse_period(label: str | None) -> tuple[int, int] | None:
    """A period label ("2026Q3") as (year, quarter), or None if it is not one."""
    m = _PERIOD.fullmatch((label or "").strip())
    if not m or not MIN_YEAR <= int(m.group(1)) <= MAX_YEAR:
        return None
    return int(m.group(1)), int(m.group(2))


def period_label(value: str) -> str:
    if parse_period(value) is None:
        raise ValueError(_("must be a quarter like 2026Q3."))
    return value.strip().upper()


def bounded_int(raw: Any, *, low: int, high: int) -> int | None:
    """An int parsed from a raw form or query value, or None if it is not one in range."""
    text = str(raw).strip() if raw is not None else ""
    if not re.fullmatch(r"-?[0-9]{1,19}", text):
        return None
    value = int(text)
    return value if low <= value <= high else None


def is_id(raw: Any) -> bool:
    """Whether a raw form or query value is an id that can exist (ASCII digits, at most
    9: `str.isdigit` also accepts "²", which int() refuses)."""
    return isinstance(raw, str) and re.fullmatch(f"[0-9]{{1,{ID_DIGITS}}}", raw.strip()) is not None
