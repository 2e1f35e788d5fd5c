"""The widget's public HTTP API under ``/widget/{widget_key}``, and the demo shop page.

No cookies and no login: the public widget key names the account, and the signed visitor
token (header ``X-Visitor-Token``; query ``token`` for the stream, as ``EventSource`` cannot
send headers) names the visitor. :class:`WidgetRoute` wraps every route of the router: it
refuses browsers on sites the widget is not configured for (403, no CORS headers), answers
CORS only for allowed origins, bounds the body, and renders errors itself so that a widget on
another site can read them (a 429 with ``Retry-After``, a 422 with the reason).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from fastapi.routing import APIRoute

from webcare.channel.models import ChannelAccount
from webcare.channel.webchat import live, service, widget
from webcare.channel.webchat.errors import BodyTooLarge, OriginNotAllowed, TooManyMessages
from webcare.channel.webchat.schemas import (
    ConfigOut,
    EmailIn,
    EmailOut,
    MessageIn,
    MessageOut,
    MessagesOut,
    PostedOut,
    SessionIn,
    SessionOut,
)
from webcare.dependencies import DbSession, RuntimeDep
from webcare.kit.db import unit_of_work
from webcare.kit.errors import WebcareError, validation_problems
from webcare.runtime import Runtime
from webcare.web.templating import render
from webcare.workspace import service as workspaces

MAX_BODY_BYTES = 64_000
PREFLIGHT_MAX_AGE = "600"
VisitorToken = Annotated[str | None, Header(alias="X-Visitor-Token")]


class WidgetRoute(APIRoute):
    """Origin check, CORS, body bound and readable errors around a widget endpoint."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def route(request: Request) -> Response:
            origin = request.headers.get("origin")
            allowed = origin is None or await run_in_threadpool(_origin_allowed, request, origin)
            if not allowed:
                return _error(OriginNotAllowed("this widget is not enabled on this site"))
            try:
                await _bounded_body(request)
                response = await handle(request)
            except WebcareError as exc:
                response = _error(exc)
            except RequestValidationError as exc:
                summary, problems = validation_problems(exc.errors())
                response = JSONResponse(
                    {"error": "invalid", "detail": summary, "problems": problems}, status_code=422
                )
            response.headers["Vary"] = "Origin"
            if origin is not None:
                response.headers.update(_cors_headers(origin))
            return response

        return route


router = APIRouter(prefix="/widget/{widget_key}", tags=["web chat widget"], route_class=WidgetRoute)
demo_router = APIRouter(include_in_schema=False)


@router.options("/{path:path}", include_in_schema=False)
def preflight(widget_key: str, path: str) -> Response:
    """CORS preflight; the route class adds the headers for allowed origins."""
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/config", response_model=ConfigOut)
def config(
    widget_key: str, db: DbSession, lang: Annotated[str | None, Query(max_length=35)] = None
) -> ConfigOut:
    """Name, greeting, offline text in ``lang`` (nl or en), and whether agents are online."""
    account = service.widget_account(db, widget_key)
    settings = widget.read(account.settings)
    language = widget.language(lang)
    return ConfigOut(
        name=account.display_name,
        language=language,
        greeting=settings.text("greeting", language),
        offline_message=settings.text("offline_message", language),
        online=service.is_online(db, account),
    )


@router.post("/session", response_model=SessionOut)
def start_session(
    widget_key: str, body: SessionIn, db: DbSession, runtime: RuntimeDep
) -> SessionOut:
    """A new visitor token, or the same one back when the widget's stored token is ours."""
    account = service.widget_account(db, widget_key)
    started = service.start_session(runtime.secret_key, account, body.visitor_token)
    return SessionOut(visitor_token=started.token, resumed=started.resumed)


@router.post("/messages", response_model=PostedOut, status_code=status.HTTP_201_CREATED)
def post_message(
    widget_key: str,
    body: MessageIn,
    db: DbSession,
    runtime: RuntimeDep,
    response: Response,
    token: VisitorToken = None,
) -> PostedOut:
    """The visitor's message: 201 when stored, 200 when this ``client_id`` already was."""
    account, visitor_id = _visitor(db, runtime, widget_key, token)
    posted = service.post_message(
        db,
        account,
        visitor_id,
        body.client_id,
        body.text,
        reopen_window=timedelta(hours=runtime.settings.reopen_window_hours),
    )
    if posted.duplicate:
        response.status_code = status.HTTP_200_OK
    return PostedOut(**vars(posted))


@router.get("/messages", response_model=MessagesOut)
def list_messages(
    widget_key: str,
    db: DbSession,
    runtime: RuntimeDep,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    token: VisitorToken = None,
) -> MessagesOut:
    """Catch-up: what the visitor may see after message ``after`` (a page of at most 200)."""
    account, visitor_id = _visitor(db, runtime, widget_key, token)
    found = service.catch_up(db, account, visitor_id, after)
    return MessagesOut(
        messages=[MessageOut(**vars(m)) for m in found.messages],
        conversation_ids=found.conversation_ids,
    )


@router.post("/email", response_model=EmailOut)
def leave_email(
    widget_key: str,
    body: EmailIn,
    db: DbSession,
    runtime: RuntimeDep,
    token: VisitorToken = None,
) -> EmailOut:
    """Offline: the visitor's e-mail address (and question) so the team can answer later."""
    account, visitor_id = _visitor(db, runtime, widget_key, token)
    conversation_id = service.leave_email(
        db,
        account,
        visitor_id,
        body.email,
        text=body.text,
        client_id=body.client_id,
        reopen_window=timedelta(hours=runtime.settings.reopen_window_hours),
    )
    return EmailOut(conversation_id=conversation_id)


@router.get("/stream", response_class=StreamingResponse)
async def stream(
    widget_key: str,
    request: Request,
    token: Annotated[str | None, Query(max_length=200)] = None,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    """Server-Sent Events: ``message`` events (``id`` = message id) after ``after`` or the
    browser's ``Last-Event-ID``, live; ``hello`` first with the visitor's conversations."""
    runtime: Runtime = request.app.state.runtime
    account_id, workspace_id, visitor_id = await run_in_threadpool(
        _stream_visitor, runtime, widget_key, token
    )
    if last_event_id is not None and last_event_id.isdigit() and len(last_event_id) < 19:
        after = max(after, int(last_event_id))

    async def load(after_id: int) -> tuple[list[dict[str, Any]], list[int]]:
        return await run_in_threadpool(_load, runtime, account_id, visitor_id, after_id)

    opened = live.HUB.open(workspace_id, set())
    return StreamingResponse(
        live.stream(
            live.HUB, opened, load, after, request.is_disconnected, page_size=service.PAGE_SIZE
        ),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@demo_router.get("/widget-demo", response_class=HTMLResponse)
def widget_demo(request: Request, db: DbSession) -> HTMLResponse:
    """A plain shop page ("Glasnet webshop") embedding the demo workspace's chat widget."""
    demo = workspaces.get_workspace_by_slug(db, "glasnet")
    account = None if demo is None else service.demo_widget(db, demo.id)
    if account is None:
        return HTMLResponse("No demo chat widget here (run `webcare demo`).", status_code=404)
    return render(request, "widget_demo.html", {"widget_key": account.webhook_token}, locale="nl")


# helpers ----------------------------------------------------------------------------------


def _visitor(
    db: DbSession, runtime: Runtime, widget_key: str, token: str | None
) -> tuple[ChannelAccount, str]:
    account = service.widget_account(db, widget_key)
    return account, service.visitor_of(runtime.secret_key, account, token)


def _stream_visitor(runtime: Runtime, widget_key: str, token: str | None) -> tuple[int, int, str]:
    with unit_of_work(runtime.session_factory) as session:
        account = service.widget_account(session, widget_key)
        return (
            account.id,
            account.workspace_id,
            service.visitor_of(runtime.secret_key, account, token),
        )


def _load(
    runtime: Runtime, account_id: int, visitor_id: str, after: int
) -> tuple[list[dict[str, Any]], list[int]]:
    with unit_of_work(runtime.session_factory) as session:
        account = session.get(ChannelAccount, account_id)
        if account is None:  # the widget was removed while the stream was open
            return [], []
        found = service.catch_up(session, account, visitor_id, after)
        messages = [MessageOut(**vars(m)).model_dump(mode="json") for m in found.messages]
        return messages, found.conversation_ids


async def _bounded_body(request: Request) -> None:
    """Refuse a body over :data:`MAX_BODY_BYTES` by its declared length, or once read."""
    declared = request.headers.get("content-length") or "0"
    if not declared.isdigit() or int(declared) > MAX_BODY_BYTES:
        raise BodyTooLarge(f"the body must be at most {MAX_BODY_BYTES} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():  # a chunked body has no declared length
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BodyTooLarge(f"the body must be at most {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    # Where Starlette's own Request.body() keeps what it read, so the endpoint reads it again.
    request._body = b"".join(chunks)


def _origin_allowed(request: Request, origin: str) -> bool:
    """Our own pages (the demo) and the widget's ``allowed_origins``; unknown keys pass on to
    the endpoint's 404."""
    normalised = widget.normalise_origin(origin)
    if normalised is None:
        return False
    runtime: Runtime = request.app.state.runtime
    own = {
        widget.normalise_origin(str(request.base_url)),
        widget.normalise_origin(runtime.settings.base_url),
    }
    if normalised in own:
        return True
    with unit_of_work(runtime.session_factory) as session:
        try:
            account = service.widget_account(session, request.path_params.get("widget_key", ""))
        except WebcareError:
            return True
        return normalised in widget.read(account.settings).allowed_origins


def _cors_headers(origin: str) -> dict[str, str]:
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type, X-Visitor-Token, Last-Event-ID",
        "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
    }


def _error(exc: WebcareError) -> JSONResponse:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyMessages) else None
    return JSONResponse(
        {"error": exc.code, "detail": exc.detail, **exc.extra},
        status_code=exc.status_code,
        headers=headers,
    )
