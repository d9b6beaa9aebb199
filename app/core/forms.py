"""Validating input against a pydantic shape, with a Chinese message for each bad field."""

from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

from fastapi import Depends, HTTPException, Request
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData
from starlette.formparsers import MultiPartException

from app.core.errors import Invalid
from app.core.i18n import _
from app.core.inputs import MAX_ID, MULTILINE, check_text, finite

M = TypeVar("M", bound=BaseModel)


async def posted_form(request: Request) -> FormData:
    # The form is read here, on the event loop, so that the route itself can be a plain
    # `def` that FastAPI runs in the thread pool: a route that waits on the database must
    # never hold the loop (a lock holder could then never finish, and the server hangs).
    try:
        return await request.form()
    except (MultiPartException, ValueError, UnicodeDecodeError):
        # A body that claims to be a form and is none (a broken multipart boundary).
        raise HTTPException(400, _("The form could not be read.")) from None


PostedForm = Annotated[FormData, Depends(posted_form)]
"""The request's posted form (fields and uploads), read before a plain-def route runs."""


def fields(form: FormData, *, skip: frozenset[str] = frozenset({"csrf_token"})) -> dict[str, str]:
    """The form's text fields as plain strings (the last value of a repeated name)."""
    return {k: str(v) for k, v in form.items() if k not in skip and isinstance(v, str)}


def _n(value: Any) -> Any:
    # Limits read as people write them: 0, not 0.0.
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _message(err: Mapping[str, Any], label: str) -> str:
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return _("{field} is required.").format(field=label)
    if kind == "string_too_long":
        return _("{field} may have at most {n} characters.").format(
            field=label, n=ctx.get("max_length")
        )
    if kind == "enum":
        return _("{field} has a value that is not one of the choices.").format(field=label)
    if kind in {"int_parsing", "int_type", "float_parsing", "float_type", "int_from_float"}:
        return _("{field} must be a number.").format(field=label)
    if kind in {"greater_than_equal", "greater_than"}:
        if kind == "greater_than":
            return _("{field} must be more than {n}.").format(field=label, n=_n(ctx.get("gt")))
        return _("{field} must be at least {n}.").format(field=label, n=_n(ctx.get("ge")))
    if kind in {"less_than_equal", "less_than"}:
        if kind == "less_than":
            return _("{field} must be less than {n}.").format(field=label, n=_n(ctx.get("lt")))
        return _("{field} must be at most {n}.").format(field=label, n=_n(ctx.get("le")))
    if kind == "value_error" and "error" in ctx:
        # Our own validators raise ValueError with a message already written for users.
        return f"{label}：{ctx['error']}"
    return _("{field} is not valid.").format(field=label)


def field_errors(
    exc: ValidationError, labels: Mapping[str, str], default: str | None = None
) -> dict[str, str]:
    """Maps each bad field to one message that names it by its label (else `default`)."""
    errors: dict[str, str] = {}
    for err in exc.errors():
        # Request errors start their location with where the value came from ("query", …).
        loc = [p for p in err["loc"] if p not in {"body", "query", "path", "form", "header"}]
        name = str(loc[0]) if loc else "__all__"
        errors.setdefault(name, _message(err, labels.get(name) or default or name))
    return errors


def parse(shape: type[M], data: Mapping[str, Any], labels: Mapping[str, str]) -> M:
    """Validates data against a shape, or raises Invalid naming every bad field.

    Beyond the shape's own rules, every shape gets the edge's: text without control
    characters (line breaks only in fields marked MultiLine), integers a BIGINT holds,
    finite numbers of a sensible size.
    """
    errors = _text_errors(shape, data, labels)
    try:
        form = shape.model_validate(dict(data))
    except ValidationError as exc:
        raise Invalid(field_errors(exc, labels) | errors) from None
    errors |= _number_errors(form, labels)
    if errors:
        raise Invalid(errors)
    return form


def _text_errors(shape: type[BaseModel], data: Mapping[str, Any], labels) -> dict[str, str]:
    errors = {}
    for name, value in data.items():
        if not isinstance(value, str):
            continue
        field = shape.model_fields.get(name)
        multiline = field is not None and MULTILINE in field.metadata
        try:
            check_text(value, multiline=multiline)
        except ValueError as exc:
            errors[name] = f"{labels.get(name, name)}{exc}"
    return errors


def _number_errors(form: BaseModel, labels) -> dict[str, str]:
    errors = {}
    for name in type(form).model_fields:
        value = getattr(form, name, None)
        if isinstance(value, bool):
            continue
        if isinstance(value, int) and abs(value) > MAX_ID:
            errors[name] = f"{labels.get(name, name)}{_('is too large.')}"
        elif isinstance(value, float):
            try:
                finite(value)
            except ValueError as exc:
                errors[name] = f"{labels.get(name, name)}{exc}"
    return errors
