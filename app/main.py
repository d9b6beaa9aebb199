"""create_app(): the FastAPI application with its routers, static files and error pages."""

from pathlib import Path

import plotly
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine, text
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.assessment import api as assessment_api
from app.core.config import ROOT, Settings, get_settings
from app.core.db import get_engine
from app.core.forms import field_errors
from app.core.i18n import _
from app.core.templating import render
from app.dashboard import views as dashboard_views
from app.geo import api as geo_api
from app.gridwork import api as gridwork_api
from app.gridwork import views as gridwork_views

# plotly.js ships inside the installed plotly package: served from there, never from a CDN.
PLOTLY_DIR = Path(plotly.__file__).parent / "package_data"


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(title="ParkGrid", docs_url="/api/docs", openapi_url="/api/openapi.json")
    app.state.settings = settings
    app.state.engine = engine or get_engine()

    app.mount("/static/vendor/plotly", StaticFiles(directory=PLOTLY_DIR), name="plotly")
    app.mount("/static", StaticFiles(directory=ROOT / "static"), name="static")
    for router in (
        dashboard_views.router,
        gridwork_views.router,
        geo_api.router,
        gridwork_api.router,
        assessment_api.router,
    ):
        app.include_router(router)

    @app.get("/healthz", include_in_schema=False)
    def healthz(request: Request):
        try:
            with request.app.state.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:
            return PlainTextResponse("database unavailable", status_code=503)
        return PlainTextResponse("ok")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        message = exc.detail if isinstance(exc.detail, str) else _("The request failed.")
        if exc.status_code == 404 and exc.detail == "Not Found":
            message = _("This page does not exist.")
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": message}, exc.status_code, headers=exc.headers)
        return render(
            request,
            "error.html",
            {"status": exc.status_code, "message": message},
            status_code=exc.status_code,
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        errors = field_errors(exc, {})
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": _("Some fields are not valid."), "errors": errors}, 422)
        message = "；".join(errors.values())
        return render(request, "error.html", {"status": 422, "message": message}, status_code=422)

    return app
