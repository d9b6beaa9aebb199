"""The security layer every route goes through: login, CSRF, the request's principal."""

import re
from typing import Annotated

from fastapi import Depends, Request

from app.accounts import service as accounts
from app.core.db import SAFE_METHODS, SessionDep, authenticated, try_write
from app.core.errors import Forbidden
from app.core.permissions import Principal, denial
from app.core.security import csrf_token, new_token, same_token

SESSION_COOKIE = "parkgrid_session"
# Before login there is no session to tie a CSRF token to: the login form uses a
# double-submit cookie instead.
ANON_CSRF_COOKIE = "parkgrid_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"

# Routes open without login, by name.
PUBLIC_ROUTES = frozenset({"login", "login_submit", "healthz"})
_CONVERTOR = re.compile(r"\{(\w+):\w+\}")


class LoginRequired(Exception):
    """No live session on a route that needs one."""


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


def route_key(request: Request) -> str:
    """The request's method and route ("GET /parks/{park_id}", convertors left out): where a
    refusal happened, whatever the id in the path."""
    route = request.scope.get("route")
    path = _CONVERTOR.sub(r"{\1}", getattr(route, "path", request.url.path))
    return f"{request.method} {path}"


def authenticate(request: Request, session: SessionDep) -> Principal | None:
    """Finds the request's user from the session cookie; every non-public route needs one."""
    settings = request.app.state.settings
    found = accounts.resolve(
        session=session, settings=settings, token=request.cookies.get(SESSION_COOKIE)
    )
    if found is None:
        request.state.principal = None
        request.state.csrf_token = request.cookies.get(ANON_CSRF_COOKIE) or new_token()
        route = request.scope.get("route")
        if getattr(route, "name", None) in PUBLIC_ROUTES:
            authenticated(request, session)
            return None
        raise LoginRequired
    user, us = found
    if accounts.touch_due(us):
        # Kept out of the request's transaction, and skipped when the write lock is busy:
        # a GET must never wait for, or fail on, a write of its own bookkeeping.
        try_write(request.app.state.engine, lambda s: accounts.touch(session=s, session_id=us.id))
    p = accounts.principal(
        session=session,
        user=user,
        address=client_address(request),
        session_key=us.token_hash,
        route=route_key(request),
    )
    request.state.principal = p
    request.state.csrf_token = csrf_token(settings.secret_key, us.token_hash)
    authenticated(request, session)
    return p


def _own_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"


def _csrf_refused(request: Request, p: Principal | None) -> Forbidden:
    """A failed CSRF check, with its audit row (before login: the address's)."""
    who = p or Principal(
        None, "", "", "", address=client_address(request), route=route_key(request)
    )
    return Forbidden(row=denial(who, "csrf", "Route", None, label=request.url.path))


async def csrf_protect(
    request: Request, p: Annotated[Principal | None, Depends(authenticate)]
) -> None:
    """Refuses a state-changing request without this session's token or from another site."""
    if request.method in SAFE_METHODS:
        return
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise _csrf_refused(request, p)
    origin = request.headers.get("origin")
    if origin is not None and origin != _own_origin(request):
        raise _csrf_refused(request, p)
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        given = (await request.form()).get(CSRF_FIELD)
    expected = request.state.csrf_token
    if request.state.principal is None:
        # Double submit: the form's token must match the cookie the login page set.
        expected = request.cookies.get(ANON_CSRF_COOKIE) or ""
    if not expected or not same_token(str(given or ""), expected):
        raise _csrf_refused(request, p)


# Reads no database, so `async`: a plain `def` would take a turn in the thread pool (its
# few threads are for database work) on every request.
async def current(p: Annotated[Principal | None, Depends(authenticate)]) -> Principal:
    """The signed-in principal: what core's `signed_in` stands for (wired in create_app)."""
    if p is None:
        raise LoginRequired
    return p
