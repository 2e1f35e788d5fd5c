"""create_app(): the FastAPI application. Wiring only; no logic lives here."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

import webcare.models  # noqa: F401  (every table known before the first flush)
from webcare.config import Settings
from webcare.events.relay import start_relay
from webcare.kit.db import warn_about_settings
from webcare.kit.errors import Invalid, WebcareError, validation_problems
from webcare.runtime import Runtime, build_runtime
from webcare.web import error_pages as ui_errors
from webcare.web.live import LiveHub
from webcare.web.static import mount_static

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    """Build the app around an existing runtime (tests) or one made from settings."""
    runtime = runtime or build_runtime(settings or Settings())

    hub = LiveHub()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        warn_about_settings(runtime.engine)
        detach = hub.attach()
        stop_relay = start_relay(runtime.engine)
        stop = _start_embedded_worker(runtime)
        try:
            yield
        finally:
            stop()
            stop_relay()
            detach()

    app = FastAPI(
        title="webcare",
        version="0.1.0",
        description="Open-source webcare: one inbox for every channel. Errors are "
        '`{"error": code, "detail": message}`.',
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.live_hub = hub
    _install_error_handlers(app)
    _include_routers(app)
    mount_static(app)
    return app


def _start_embedded_worker(runtime: Runtime) -> Callable[[], None]:
    if not runtime.settings.embedded_worker:
        return lambda: None
    from webcare.worker.runner import start_embedded_worker

    return start_embedded_worker(runtime)


def _include_routers(app: FastAPI) -> None:
    from webcare.routers import ROUTERS

    for router in ROUTERS:
        app.include_router(router)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(WebcareError)
    async def webcare_error(request: Request, exc: WebcareError) -> Response:
        if ui_errors.is_ui_request(request):
            return ui_errors.error_response(request, exc)
        body = {"error": exc.code, "detail": exc.detail, **exc.extra}
        return JSONResponse(body, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        summary, problems = validation_problems(exc.errors())
        if ui_errors.is_ui_request(request):
            return ui_errors.error_response(request, Invalid(summary))
        return JSONResponse(
            {"error": "invalid", "detail": summary, "problems": problems}, status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}.get(
            exc.status_code, "http_error"
        )
        return JSONResponse(
            {"error": code, "detail": str(exc.detail)},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    async def out_of_range(request: Request, exc: Exception) -> Response:
        # A value the database cannot hold (an id beyond BIGINT, say) came from the request and
        # reached a query; the request's transaction is already rolled back. Logged, because a
        # value we produced ourselves would be a bug to fix with validation at the edge.
        log.warning("value out of range for the database: %s", exc)
        return await webcare_error(
            request, Invalid("a number or text in the request is out of range")
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error", exc_info=exc)
        if ui_errors.is_ui_request(request):
            return ui_errors.unexpected_response(request)
        return JSONResponse(
            {"error": "internal", "detail": "an unexpected error occurred; it has been logged"},
            status_code=500,
        )
