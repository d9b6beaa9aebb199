"""Request parameters at the edge: the id convertor, bounded query types, Chinese labels.

The FastAPI half of app/core/inputs.py (which services use): what a route declares.
"""

import re
from collections.abc import Iterable
from datetime import date
from typing import Annotated, Any

from fastapi import Form, Path, Query, Request
from pydantic import AfterValidator, BeforeValidator, Field
from starlette.convertors import Convertor, register_url_convertor
from starlette.routing import BaseRoute, compile_path

from app.core.errors import Invalid
from app.core.forms import posted_form
from app.core.i18n import N_, _
from app.core.inputs import (
    ID_DIGITS,
    MAX_DATE,
    MAX_ID,
    MAX_PAGE,
    MAX_VERSION,
    MAX_YEAR,
    MIN_DATE,
    MIN_YEAR,
    Blank,
    bad_character,
    blank_is_none,
    period_label,
)


class IdConvertor(Convertor[int]):
    """A database id in a path: digits only, at most 9, so a value that cannot exist
    simply matches no route (404) instead of overflowing the query."""

    regex = f"[0-9]{{1,{ID_DIGITS}}}"

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
    becomes `/parks/{park_id:id}` and matches only ids that can exist. Run on the routers
    before they are included (an app compiles its routes from their paths); running it
    twice changes nothing.
    """
    for route in routes:
        path = getattr(route, "path", None)
        if not path or not hasattr(route, "param_convertors"):
            continue
        typed = _ID_PARAM.sub(r"{\1:id}", path)
        if typed != path:
            route.path = typed
            route.path_regex, route.path_format, route.param_convertors = compile_path(typed)


# ---- request parameters -----------------------------------------------------------------
# The Chinese labels of query and path parameters: the 422 handler reads each parameter's
# `title` (an English msgid, translated when shown), so no message prints a raw name.

# Constraints sit on the inner type so that a blank value (None) skips them.
_Id = Annotated[int, Field(ge=1, le=MAX_ID)]
_Day = Annotated[date, Field(ge=MIN_DATE, le=MAX_DATE)]
_Label = Annotated[str, Field(max_length=12), AfterValidator(period_label)]

Page = Annotated[
    int,
    BeforeValidator(lambda v: blank_is_none(v) or 1),
    Query(ge=1, le=MAX_PAGE, title=N_("Page")),
]
Year = Annotated[int, Query(ge=MIN_YEAR, le=MAX_YEAR, title=N_("Year"))]
YearPath = Annotated[int, Path(ge=MIN_YEAR, le=MAX_YEAR, title=N_("Year"))]
PeriodLabel = Annotated[_Label | None, Blank, Query(title=N_("Period"))]


_Version = Annotated[int, Field(ge=0, le=MAX_VERSION)]
# The row version a form was read at (hidden field); blank when the form had none.
FormVersion = Annotated[_Version | None, Blank, Form(title=N_("Version"))]


def form_id(title: str) -> Any:
    """An id chosen in a form (a select or a hidden field)."""
    return Annotated[_Id, Form(title=title)]


def query_id(title: str) -> Any:
    """An optional id in the query string (a select whose empty value means "all")."""
    return Annotated[_Id | None, Blank, Query(title=title)]


def query_day(title: str) -> Any:
    """An optional date in the query string, within the years anything can happen."""
    return Annotated[_Day | None, Blank, Query(title=title)]


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
# Labels of posted fields that routes read by hand, for the control-character net below.
FORM_LABELS = {
    "note": N_("Note"),
    "notes": N_("Work notes"),
    "comment": N_("Reason for returning"),
    "reason": N_("Reason"),
    "title": N_("Title"),
    "content": N_("Content"),
    "summary": N_("What the worker asks for"),
    "contact": N_("Contact"),
    "assignee": N_("Assignee"),
    "handling_note": N_("How it was handled"),
    "verification_note": N_("Verification with the worker"),
    "name": N_("Name"),
    "username": N_("Username"),
    "password": N_("Password"),
    "q": N_("Search"),
    "status": N_("Status"),
}


async def clean_request(request: Request) -> None:
    """Refuses control characters in any query parameter or posted text field: 422.

    The net under every route (NUL would otherwise reach PostgreSQL, which refuses it
    with a 500). Line breaks and tabs pass here; form shapes refuse them in single-line
    fields. Runs on the event loop: it reads only what the request carries.
    """
    values: list[tuple[str, str]] = list(request.query_params.multi_items())
    if request.method in {"POST", "PUT", "PATCH"} and request.headers.get(
        "content-type", ""
    ).startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        # Read once here and kept on the request: the route's own reading gets the same.
        form = await posted_form(request)
        values += [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    errors: dict[str, str] = {}
    for name, value in values:
        if bad_character(value, multiline=True) is not None:
            label = request_labels(request.scope.get("route")).get(name)
            # Per-row fields (note_12, value_12) are named by their kind.
            kind = FORM_LABELS.get(name) or FORM_LABELS.get(re.sub(r"_[0-9]+$", "", name))
            label = label or (kind and _(kind))
            label = label or _("A value of the request")
            errors.setdefault(name, label + _("may not contain control characters."))
    if errors:
        raise Invalid(errors)
