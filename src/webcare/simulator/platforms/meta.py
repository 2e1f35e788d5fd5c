"""Meta's Graph API as webcare uses it, plus signed webhook deliveries, for tests and the demo.

Answers with the shapes the Graph docs show (see ``connectors/meta/client.py`` for the
endpoints): ``{"id"}`` for a comment, ``{"recipient_id", "message_id"}`` for a message,
``{"success": true}`` for hide/unhide/like, and ``{"error": {"message", "type", "code",
"error_subcode", "fbtrace_id"}}`` on refusal. The access token (``Authorization: Bearer`` or
the ``access_token`` parameter) must equal ``state.platform_data("meta")["page_access_token"]``
(default ``sim-page-token``); anything else is Graph's 400 with code 190. Queued faults
(``state.take_fault("meta")``) become Graph errors: 429 → code 4 with ``Retry-After``, 401 →
190, 403 → 10, 400 → 100, 5xx → code 2 with ``is_transient``.

Which platform a message belongs to: the ``/{id}/messages`` id is an Instagram account when it
is in ``platform_data("meta")["ig_user_ids"]`` (default ``{"17841401234567890"}``, the id in
the recorded fixtures), a Facebook Page otherwise. Comment ids the simulator hands out for
Instagram replies are remembered, so hiding one is recorded under Instagram too.

The ``deliver_*`` helpers play Meta's side of the webhook: they build a body shaped like the
recorded fixtures, serialise it compactly with ``\\uXXXX`` escapes as Meta does, sign it
(``X-Hub-Signature-256``) with the app secret and POST it to a webcare webhook URL.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from webcare.connectors.meta.webhook import SIGNATURE_HEADER, sign
from webcare.simulator.state import Fault, Sent, SimState

PREFIX = "/meta"
DEFAULT_TOKEN = "sim-page-token"  # noqa: S105 - the simulator's own, well-known token
DEFAULT_IG_USER_IDS = frozenset({"17841401234567890"})
DEFAULT_PAGE_NAME = "Glasnet"
MESSAGE_LIMITS = {"facebook": 2000, "instagram": 1000}
_MESSAGING_TYPES = frozenset({"RESPONSE", "UPDATE", "MESSAGE_TAG"})


def build_router(state: SimState) -> APIRouter:
    router = APIRouter(tags=["simulator: Meta Graph API"])

    @router.get("/{version}/{node}")
    async def read_node(version: str, node: str, request: Request) -> JSONResponse:
        refused = await _refusal(state, request)
        if refused is not None:
            return refused
        data = state.platform_data("meta")
        if node in _ig_user_ids(state):
            username = str(data.get("ig_username", "glasnet.nl"))
            return JSONResponse({"id": node, "username": username})
        page_id = str(data.get("page_id", "104839221234567"))
        name = str(data.get("page_name", DEFAULT_PAGE_NAME))
        return JSONResponse({"id": page_id if node == "me" else node, "name": name})

    @router.post("/{version}/{object_id}/comments")
    async def comment(version: str, object_id: str, request: Request) -> JSONResponse:
        return await _public_reply(state, request, object_id, "facebook")

    @router.post("/{version}/{object_id}/replies")
    async def reply(version: str, object_id: str, request: Request) -> JSONResponse:
        return await _public_reply(state, request, object_id, "instagram")

    @router.post("/{version}/{account_id}/messages")
    async def message(version: str, account_id: str, request: Request) -> JSONResponse:
        refused = await _refusal(state, request)
        if refused is not None:
            return refused
        return _send_message(state, account_id, await _params(request))

    @router.post("/{version}/{object_id}/likes")
    async def like(version: str, object_id: str, request: Request) -> JSONResponse:
        refused = await _refusal(state, request)
        if refused is not None:
            return refused
        state.record(Sent(platform="facebook", kind="like", external_id=object_id))
        return JSONResponse({"success": True})

    @router.post("/{version}/{object_id}")
    async def update(version: str, object_id: str, request: Request) -> JSONResponse:
        refused = await _refusal(state, request)
        if refused is not None:
            return refused
        params = await _params(request)
        field = "hide" if "hide" in params else "is_hidden" if "is_hidden" in params else None
        if field is None:
            return _error(400, 100, "(#100) The parameter is_hidden or hide is required")
        hidden = _flag(params[field])
        platform = "instagram" if field == "hide" or _is_ig_object(state, object_id) else "facebook"
        kind = "hide" if hidden else "unhide"
        state.record(Sent(platform=platform, kind=kind, external_id=object_id, request=params))
        return JSONResponse({"success": True})

    return router


async def _public_reply(
    state: SimState, request: Request, object_id: str, platform: str
) -> JSONResponse:
    refused = await _refusal(state, request)
    if refused is not None:
        return refused
    params = await _params(request)
    text = params.get("message")
    if not isinstance(text, str) or not text.strip():
        return _error(400, 100, "(#100) Missing message or attachment")
    new_id = state.next_id("1799" if platform == "instagram" else f"{object_id.split('_')[-1]}_")
    if platform == "instagram":
        state.platform_data("meta").setdefault("ig_objects", set()).add(new_id)
    state.record(
        Sent(
            platform=platform,
            kind="comment",
            external_id=new_id,
            text=text,
            in_reply_to=object_id,
            request=params,
        )
    )
    return JSONResponse({"id": new_id})


def _send_message(state: SimState, account_id: str, params: dict[str, Any]) -> JSONResponse:
    platform = "instagram" if account_id in _ig_user_ids(state) else "facebook"
    recipient = params.get("recipient")
    message = params.get("message")
    if not isinstance(recipient, dict) or not isinstance(message, dict):
        return _error(400, 100, "(#100) param recipient and message must be objects")
    messaging_type = params.get("messaging_type")
    if messaging_type not in _MESSAGING_TYPES:
        return _error(400, 100, "(#100) param messaging_type must be one of RESPONSE, ...")
    if messaging_type == "MESSAGE_TAG" and not params.get("tag"):
        return _error(400, 100, "(#100) A tag is required for messaging_type MESSAGE_TAG")
    text = message.get("text")
    limit = MESSAGE_LIMITS[platform]
    if not isinstance(text, str) or not text:
        return _error(400, 100, "(#100) param message must have text or an attachment")
    if len(text) > limit:
        return _error(
            400, 100, f"(#100) Length of param message[text] must be less than or equal to {limit}"
        )
    comment_id = recipient.get("comment_id") or recipient.get("post_id")
    target = str(comment_id or recipient.get("id") or "")
    if not target:
        return _error(400, 100, "(#100) param recipient must name id, comment_id or post_id")
    mid = state.next_id("aWdfsim" if platform == "instagram" else "m_sim")
    state.record(
        Sent(
            platform=platform,
            kind="private_reply" if comment_id else "message",
            external_id=mid,
            text=text,
            recipient=target,
            in_reply_to=str(comment_id) if comment_id else None,
            request=params,
        )
    )
    recipient_id = target if not comment_id else state.next_id("sim-scoped-")
    return JSONResponse({"recipient_id": recipient_id, "message_id": mid})


async def _refusal(state: SimState, request: Request) -> JSONResponse | None:
    """Graph's answer when the token is wrong or a fault is queued; None to go ahead."""
    expected = str(state.platform_data("meta").get("page_access_token", DEFAULT_TOKEN))
    if await _token(request) != expected:
        return _error(
            400,
            190,
            "Invalid OAuth access token - Cannot parse access token",
            kind="OAuthException",
        )
    fault = state.take_fault("meta")
    return None if fault is None else _fault_response(fault)


def _fault_response(fault: Fault) -> JSONResponse:
    status = fault.status
    if status == 429:
        headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
        message = fault.message or "(#4) Application request limit reached"
        return _error(429, 4, message, headers=headers)
    if status == 401:
        message = fault.message or "Error validating access token: Session has expired"
        return _error(400, 190, message, kind="OAuthException", subcode=463)
    if status == 403:
        return _error(403, 10, fault.message or "(#10) Permission denied")
    if status >= 500:
        message = fault.message or "An unexpected error has occurred. Please retry later."
        return _error(status, 2, message, transient=True)
    return _error(status, 100, fault.message or "(#100) Invalid parameter")


def _error(
    status: int,
    code: int,
    message: str,
    *,
    kind: str = "OAuthException",
    subcode: int | None = None,
    transient: bool = False,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    error: dict[str, Any] = {"message": message, "type": kind, "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    if transient:
        error["is_transient"] = True
    error["fbtrace_id"] = "AsimTrace0000"
    return JSONResponse({"error": error}, status_code=status, headers=headers)


async def _token(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith(("Bearer ", "OAuth ")):
        return header.split(" ", 1)[1]
    token = request.query_params.get("access_token")
    if token is None:
        token = (await _params(request)).get("access_token")
    return str(token) if token is not None else None


async def _params(request: Request) -> dict[str, Any]:
    """Query string, then a JSON or form body, as Graph merges them."""
    params: dict[str, Any] = dict(request.query_params)
    body = await request.body()
    if not body:
        return params
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            data = json.loads(body)
        except ValueError:
            return params
        if isinstance(data, dict):
            params.update(data)
        return params
    form = await request.form()
    for key, value in form.items():
        params[key] = _maybe_json(value) if isinstance(value, str) else value
    return params


def _maybe_json(value: str) -> Any:
    """Form fields such as ``recipient={"id": ...}`` carry JSON, as in Meta's curl samples."""
    if value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1")


def _ig_user_ids(state: SimState) -> frozenset[str]:
    ids = state.platform_data("meta").get("ig_user_ids", DEFAULT_IG_USER_IDS)
    return frozenset(str(i) for i in ids)


def _is_ig_object(state: SimState, object_id: str) -> bool:
    return object_id in state.platform_data("meta").get("ig_objects", set())


# Webhook deliveries ------------------------------------------------------------------------


def deliver(
    client: httpx.Client, url: str, app_secret: str, payload: dict[str, Any]
) -> httpx.Response:
    """POST ``payload`` to ``url`` serialised and signed the way Meta does."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=True).encode()
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(app_secret, body)}
    return client.post(url, content=body, headers=headers)


def deliver_facebook_comment(
    client: httpx.Client,
    url: str,
    app_secret: str,
    *,
    page_id: str,
    post_id: str,
    comment_id: str,
    author_id: str,
    author_name: str,
    text: str,
    parent_id: str | None = None,
    created_time: int | None = None,
) -> httpx.Response:
    """A Page ``feed`` change: a customer commented on ``post_id`` (or on ``parent_id``)."""
    created = created_time if created_time is not None else int(time.time())
    value = {
        "from": {"id": author_id, "name": author_name},
        "post": {"id": post_id, "status_type": "added_photos", "is_published": True},
        "message": text,
        "post_id": post_id,
        "comment_id": comment_id,
        "created_time": created,
        "item": "comment",
        "parent_id": parent_id or post_id,
        "verb": "add",
    }
    entry = {"id": page_id, "time": created, "changes": [{"field": "feed", "value": value}]}
    return deliver(client, url, app_secret, {"object": "page", "entry": [entry]})


def deliver_messenger_message(
    client: httpx.Client,
    url: str,
    app_secret: str,
    *,
    page_id: str,
    sender_id: str,
    mid: str,
    text: str,
    timestamp_ms: int | None = None,
) -> httpx.Response:
    """A Messenger ``messages`` event: the customer (PSID ``sender_id``) wrote to the Page."""
    return deliver(
        client, url, app_secret, _messaging("page", page_id, sender_id, mid, text, timestamp_ms)
    )


def deliver_instagram_comment(
    client: httpx.Client,
    url: str,
    app_secret: str,
    *,
    ig_user_id: str,
    media_id: str,
    comment_id: str,
    author_id: str,
    username: str,
    text: str,
    parent_id: str | None = None,
    entry_time: int | None = None,
) -> httpx.Response:
    """An Instagram ``comments`` change on our media ``media_id``."""
    value: dict[str, Any] = {
        "id": comment_id,
        "from": {"id": author_id, "username": username},
        "text": text,
        "media": {"id": media_id, "media_product_type": "FEED"},
    }
    if parent_id:
        value["parent_id"] = parent_id
    at = entry_time if entry_time is not None else int(time.time())
    entry = {"id": ig_user_id, "time": at, "changes": [{"field": "comments", "value": value}]}
    return deliver(client, url, app_secret, {"object": "instagram", "entry": [entry]})


def deliver_instagram_dm(
    client: httpx.Client,
    url: str,
    app_secret: str,
    *,
    ig_user_id: str,
    sender_id: str,
    mid: str,
    text: str,
    timestamp_ms: int | None = None,
) -> httpx.Response:
    """An Instagram ``messages`` event: the customer (IGSID ``sender_id``) sent a DM."""
    payload = _messaging("instagram", ig_user_id, sender_id, mid, text, timestamp_ms)
    return deliver(client, url, app_secret, payload)


def _messaging(
    obj: str, account_id: str, sender_id: str, mid: str, text: str, timestamp_ms: int | None
) -> dict[str, Any]:
    at = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
    event = {
        "sender": {"id": sender_id},
        "recipient": {"id": account_id},
        "timestamp": at,
        "message": {"mid": mid, "text": text},
    }
    return {"object": obj, "entry": [{"id": account_id, "time": at, "messaging": [event]}]}
