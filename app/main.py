"""create_app(): the FastAPI application with its routers, static files and error pages."""

import time
from contextlib import asynccontextmanager
from urllib.parse import urlencode

import anyio.to_thread
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine, text
from sqlalchemy import exc as sa_exc
from sqlmodel import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

# Every table and its scope rule (see app.models).
from app import models  # noqa: F401
from app.accounts import audit_views
from app.accounts import deps as accounts_deps
from app.accounts import service as accounts_service
from app.accounts import views as accounts_views
from app.accounts.deps import LoginRequired, csrf_protect
from app.assessment.rankings import api as assessment_api
from app.assessment.rankings import views as assessment_rankings
from app.assessment.reports import views as assessment_views
from app.core.assets import DAY, PLOTLY_URL, VENDOR, Precompressed, plotly_directory
from app.core.auth import Who, signed_in
from app.core.cache import Versioned
from app.core.config import ROOT, Settings, get_settings
from app.core.db import get_engine, is_busy, session_factory, try_write
from app.core.errors import Busy, Conflict, Forbidden, Invalid, NotFound
from app.core.forms import field_errors
from app.core.i18n import _
from app.core.params import clean_request, request_labels, typed_ids
from app.core.security import new_nonce, security_headers
from app.core.templating import is_htmx, render
from app.dashboard.city import views as dashboard_views
from app.dashboard.district import views as dashboard_district
from app.dashboard.park import views as dashboard_park
from app.dashboard.screen import views as dashboard_screen
from app.enterprises import api as enterprises_api
from app.enterprises import views as enterprises_views
from app.framework import views as framework_views
from app.gridwork.demands import views as gridwork_demands
from app.gridwork.grids import api as gridwork_api
from app.gridwork.grids import views as gridwork_views
from app.gridwork.monthly import views as gridwork_monthly
from app.gridwork.notices import views as gridwork_notices
from app.imports import service as imports_service
from app.imports import views as imports_views

system_router = APIRouter()
# A busy database answers 503 and asks the browser (or proxy) to come back this soon.
RETRY_AFTER_SECONDS = 2


@system_router.get("/api/openapi.json", include_in_schema=False, name="openapi")
def openapi(request: Request, _who: Who):
    return request.app.openapi()


@system_router.get("/healthz", include_in_schema=False, name="healthz")
def healthz(request: Request):
    try:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:
        return PlainTextResponse("database unavailable", status_code=503)
    return PlainTextResponse("ok")


# Every router of the app; the authorisation matrix test walks the same list.
ROUTERS = (
    system_router,
    accounts_views.router,
    accounts_views.admin,
    audit_views.router,
    dashboard_views.router,
    dashboard_district.router,
    dashboard_park.router,
    dashboard_screen.router,
    assessment_views.router,
    assessment_rankings.router,
    framework_views.router,
    gridwork_views.router,
    gridwork_monthly.router,
    gridwork_demands.router,
    gridwork_notices.router,
    enterprises_views.router,
    imports_views.router,
    enterprises_api.router,
    gridwork_api.router,
    assessment_api.router,
)
# Every {…_id} of every router matches only ids that can exist (at most 9 digits): a
# bigger one is a 404, as a missing object is, never an overflowing query.
for _router in ROUTERS:
    typed_ids(_router.routes)


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    engine = engine or get_engine()
    if settings.env == "production":
        _refuse_demo_passwords(engine)
    # Every route goes through the security layer: login (except public routes) and CSRF.
    app = FastAPI(
        title="ParkGrid",
        lifespan=_thread_pool(settings.threads),
        # The schema is served below, behind login like everything else.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        # Control characters in any parameter are refused before a route reads them.
        dependencies=[Depends(csrf_protect), Depends(clean_request)],
    )
    # Routes declare core's `signed_in`; the accounts domain is what signs people in.
    app.dependency_overrides[signed_in] = accounts_deps.current
    app.state.settings = settings
    app.state.engine = engine
    # Background jobs (imports) open their own sessions through this; tests replace it.
    app.state.sessions = session_factory(engine)
    # Downloads made from versioned data (the rankings by their results' version).
    app.state.downloads = Versioned(size=32)
    # Import jobs cut off by a crash or restart show as failed at once (never a live
    # worker's); skipped rather than waited for when the database is busy.
    try_write(engine, imports_service.recover_interrupted, wait=2.0)
    app.add_middleware(SecurityHeaders)
    # Pages and fragments go out compressed; the vendored scripts come pre-compressed.
    app.add_middleware(GZipMiddleware, minimum_size=500, compresslevel=6)

    app.mount(PLOTLY_URL, Precompressed(directory=plotly_directory()), name="plotly")
    # htmx's URL carries no version: a day's cache, revalidated by its ETag after that.
    app.mount("/static/vendor", Precompressed(directory=VENDOR, max_age=DAY), name="vendor")
    app.mount("/static", StaticFiles(directory=ROOT / "static"), name="static")
    for router in ROUTERS:
        app.include_router(router)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        message = exc.detail if isinstance(exc.detail, str) else _("The request failed.")
        if exc.status_code == 404 and exc.detail == "Not Found":
            message = _("This page does not exist.")
        return _error(request, exc.status_code, message, exc.headers)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound):
        return _error(request, 404, _("This page does not exist, or it is outside your scope."))

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden):
        return _error(
            request,
            403,
            _("The request failed its security check. Reload the page and try again."),
        )

    @app.exception_handler(Conflict)
    async def conflict(request: Request, exc: Conflict):
        return _error(request, 409, exc.message)

    @app.exception_handler(Invalid)
    async def invalid(request: Request, exc: Invalid):
        if request.url.path.startswith("/api/"):
            return JSONResponse(
                {"detail": _("Some fields are not valid."), "errors": exc.errors}, 422
            )
        return _error(request, 422, "；".join(exc.errors.values()))

    @app.exception_handler(Busy)
    @app.exception_handler(sa_exc.DBAPIError)
    @app.exception_handler(sa_exc.TimeoutError)
    async def busy(request: Request, exc: Exception):
        if not is_busy(exc):
            raise exc
        # The request waited its bounded time for a lock and gave up; nothing was saved.
        message = _("The system is busy. Nothing was saved; please try again in a moment.")
        return _error(request, 503, message, {"Retry-After": str(RETRY_AFTER_SECONDS)})

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": _("Please log in.")}, 401)
        target = str(request.url_for("login")) + "?" + urlencode({"next": request.url.path})
        if is_htmx(request):
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        # Each parameter is named by its Chinese label, never by its name in the code.
        labels = request_labels(request.scope.get("route"))
        errors = field_errors(exc, labels, _("A value of the request"))
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": _("Some fields are not valid."), "errors": errors}, 422)
        return _error(request, 422, "；".join(errors.values()))

    return app


def _thread_pool(threads: int):
    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        # Requests run their database work in this many threads at once; the rest wait
        # their turn in order. Python runs one thread at a time, so forty threads racing
        # for it made every request slower than queueing does.
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        yield

    return lifespan


def _error(request: Request, status: int, message: str, headers=None):
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": message}, status, headers=headers)
    page = render(request, "error.html", {"status": status, "message": message}, status_code=status)
    page.headers.update(headers or {})
    return page


def _refuse_demo_passwords(engine: Engine) -> None:
    """Production must not start while any account still opens with the published demo password."""
    with Session(engine) as session:
        names = accounts_service.users_with_password(
            session=session, password=accounts_service.DEMO_PASSWORD
        )
    if names:
        raise RuntimeError(
            "refusing to start in production: these accounts still have the demo password: "
            + ", ".join(names)
        )


class SecurityHeaders:
    """Adds the security headers to every response, and a CSP nonce for the templates."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        nonce = new_nonce()
        scope.setdefault("state", {})["csp_nonce"] = nonce
        extra = [(k.lower().encode(), v.encode()) for k, v in security_headers(nonce).items()]
        started = time.perf_counter()

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                # How long the server took to answer, for the browser's tools and `make bench`.
                took = (time.perf_counter() - started) * 1000
                timing = [(b"server-timing", f"app;dur={took:.1f}".encode())]
                message["headers"] = list(message.get("headers", [])) + extra + timing
            await send(message)

        await self.app(scope, receive, send_with_headers)
