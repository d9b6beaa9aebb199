"""Jinja2 environment: gettext, number filters, and a render helper that knows htmx."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.core import numbers
from app.core.config import ROOT
from app.core.db import release_before_rendering
from app.core.i18n import translations

# Offices read times in Beijing time; the database keeps UTC.
LOCAL_TZ = ZoneInfo("Asia/Shanghai")

env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(ROOT / "templates"),
    autoescape=True,
    extensions=["jinja2.ext.i18n"],
)
templates = Jinja2Templates(env=env)
env.install_gettext_translations(translations(), newstyle=True)  # type: ignore[attr-defined]
env.trim_blocks = True
env.lstrip_blocks = True


def _num(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def _pct(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}%"


def _local(value: datetime | None) -> str:
    return "—" if value is None else value.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


# `amount` and `number` format an indicator's value by its unit (app.core.numbers).
env.filters.update(num=_num, pct=_pct, local=_local, amount=numbers.amount, number=numbers.number)

# Distinct links a process keeps resolved (a link per park and page: a province's worth).
URL_PATHS_KEPT = 50_000


@jinja2.pass_context
def _url_for(context: dict[str, Any], name: str, /, **path_params: Any) -> str:
    """Starlette's url_for, each link resolved once per process and host: resolving walks
    every route of the app and then rebuilds the whole URL, and a page of a league table
    asks for a hundred and fifty links."""
    request: Request = context["request"]
    router = request.scope.get("router") or request.scope["app"]
    # Kept on the router: the same name means the same route only within one app.
    links = router.__dict__.setdefault("_parkgrid_links", {})
    base = request.base_url  # the host a link is absolute to: per request, kept by it
    key = (str(base), name, *sorted(path_params.items()))
    link = links.get(key)
    if link is None:
        if len(links) >= URL_PATHS_KEPT:
            links.clear()
        path = router.url_path_for(name, **path_params)
        link = links[key] = str(path.make_absolute_url(base_url=base))
    return link


env.globals["url_for"] = _url_for


def is_htmx(request: Request) -> bool:
    """True for a request htmx sent (it wants a fragment, not a whole page)."""
    # A history restore after a cache miss needs the whole page back.
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """Renders a template; the body is rendered now, in the request's session (a writing
    request's change committed just before, so the write lock is not held meanwhile)."""
    release_before_rendering(request)
    response = templates.TemplateResponse(request, name, context or {}, status_code=status_code)
    # The same URL answers a page or a fragment depending on HX-Request.
    response.headers["Vary"] = "HX-Request"
    return response
