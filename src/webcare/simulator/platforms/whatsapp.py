"""The WhatsApp Cloud API as webcare uses it, plus signed webhook deliveries, for tests and demo.

Endpoints (see ``connectors/whatsapp/client.py`` for the spec they follow), under ``/whatsapp``:

* ``POST /{version}/{phone_number_id}/messages``: text and template messages. Answers
  ``{"messaging_product", "contacts": [{"input", "wa_id"}], "messages": [{"id"}]}``. Free-form
  text is refused with 131047 unless the customer's last message that the simulator itself
  delivered (:func:`deliver_message`) is less than 24 hours old, as WhatsApp does; templates
  go through any time (when ``platform_data("whatsapp")["templates"]`` lists names, others are
  refused with 132001, "template does not exist").
* ``GET /{version}/{phone_number_id}``: the phone number's ``display_phone_number`` and
  ``verified_name``.

The access token (``Authorization: Bearer``) must equal ``platform_data("whatsapp")
["access_token"]`` (default ``sim-wa-token``): none is Graph's 401 code 104, a wrong one 401
code 190. Queued faults (``state.take_fault("whatsapp")``) become Cloud API errors: 429 →
130429 with ``Retry-After``, 401 → 190, 403 → 200, 5xx → 131000, others → 100.

Status webhooks: with ``platform_data("whatsapp")["status_webhook"] = {"url", "app_secret"}``
(optionally ``"statuses"``, default sent/delivered/read, and ``"delay"`` seconds, default 1), an
accepted message is followed by those reports, posted from a background thread (for the demo).
Tests call :func:`deliver_status` themselves, which is deterministic.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from webcare.connectors.whatsapp.webhook import OBJECT, SIGNATURE_HEADER, sign
from webcare.simulator.state import Fault, Sent, SimState

PREFIX = "/whatsapp"
PLATFORM = "whatsapp"
DEFAULT_TOKEN = "sim-wa-token"  # noqa: S105 - the simulator's own, well-known token
DEFAULT_PHONE_NUMBER_ID = "106540352242922"
DEFAULT_DISPLAY_NUMBER = "+31 20 808 1234"
DEFAULT_VERIFIED_NAME = "Glasnet"
SERVICE_WINDOW = timedelta(hours=24)
MAX_TEXT_LENGTH = 4096
DEFAULT_STATUSES = ("sent", "delivered", "read")


def build_router(state: SimState) -> APIRouter:
    router = APIRouter(tags=["simulator: WhatsApp Cloud API"])

    @router.get("/{version}/{phone_number_id}")
    def phone_number(version: str, phone_number_id: str, request: Request) -> JSONResponse:
        refused = _refusal(state, request)
        if refused is not None:
            return refused
        data = state.platform_data(PLATFORM)
        return JSONResponse(
            {
                "id": phone_number_id,
                "display_phone_number": str(
                    data.get("display_phone_number", DEFAULT_DISPLAY_NUMBER)
                ),
                "verified_name": str(data.get("verified_name", DEFAULT_VERIFIED_NAME)),
                "quality_rating": "GREEN",
            }
        )

    @router.post("/{version}/{phone_number_id}/messages")
    async def messages(version: str, phone_number_id: str, request: Request) -> JSONResponse:
        refused = _refusal(state, request)
        if refused is not None:
            return refused
        try:
            body = json.loads(await request.body())
        except ValueError:
            return _error(400, 100, "(#100) The request body is not valid JSON")
        if not isinstance(body, dict):
            return _error(400, 100, "(#100) The request body must be a JSON object")
        return _send(state, phone_number_id, body)

    return router


def _send(state: SimState, phone_number_id: str, body: dict[str, Any]) -> JSONResponse:
    if body.get("messaging_product") != "whatsapp":
        return _error(400, 100, "(#100) The parameter messaging_product is required.")
    to = body.get("to")
    if not isinstance(to, str) or not to.lstrip("+").isdigit():
        return _error(400, 100, "(#100) Invalid parameter", details="'to' must be a phone number")
    wa_id = to.lstrip("+")
    kind = body.get("type", "text")
    if kind == "text":
        refusal = _check_text(state, wa_id, body)
        text = str(body["text"]["body"]) if refusal is None else ""
    elif kind == "template":
        refusal = _check_template(state, body)
        text = str(body.get("template", {}).get("name", "")) if refusal is None else ""
    else:
        refusal = _error(400, 100, f"(#100) The simulator does not send {kind} messages")
    if refusal is not None:
        return refusal
    wamid = "wamid.SIM" + state.next_id().zfill(8)
    context = body.get("context")
    quoted = context.get("message_id") if isinstance(context, dict) else None
    state.record(
        Sent(
            platform=PLATFORM,
            kind=str(kind),
            external_id=wamid,
            text=text,
            recipient=wa_id,
            in_reply_to=str(quoted) if quoted else None,
            request=body,
        )
    )
    _emit_statuses_later(state, phone_number_id, wamid, wa_id)
    message: dict[str, Any] = {"id": wamid}
    if kind == "template":
        message["message_status"] = "accepted"
    return JSONResponse(
        {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": wa_id}],
            "messages": [message],
        }
    )


def _check_text(state: SimState, wa_id: str, body: dict[str, Any]) -> JSONResponse | None:
    text = body.get("text")
    content = text.get("body") if isinstance(text, dict) else None
    if not isinstance(content, str) or not content.strip():
        return _error(400, 100, "(#100) The parameter text['body'] is required.")
    if len(content) > MAX_TEXT_LENGTH:
        return _error(400, 100, "(#100) Param text['body'] must be at most 4096 characters long.")
    last = state.platform_data(PLATFORM).get("last_inbound", {}).get(wa_id)
    if last is None or datetime.now(UTC) - last > SERVICE_WINDOW:
        return _error(
            400,
            131047,
            "(#131047) Re-engagement message",
            details=(
                "Message failed to send because more than 24 hours have passed since the "
                "customer last replied to this number."
            ),
        )
    return None


def _check_template(state: SimState, body: dict[str, Any]) -> JSONResponse | None:
    template = body.get("template")
    if not isinstance(template, dict) or not template.get("name"):
        return _error(400, 100, "(#100) The parameter template['name'] is required.")
    language = template.get("language")
    if not isinstance(language, dict) or not language.get("code"):
        return _error(400, 100, "(#100) The parameter template['language']['code'] is required.")
    known = state.platform_data(PLATFORM).get("templates")
    if known is not None and template["name"] not in known:
        return _error(
            404,
            132001,
            "(#132001) Template name does not exist in the translation",
            details=f"template name ({template['name']}) does not exist in {language['code']}",
        )
    return None


def _refusal(state: SimState, request: Request) -> JSONResponse | None:
    """Graph's answer for a missing or wrong token, or a queued fault; None to go ahead."""
    expected = str(state.platform_data(PLATFORM).get("access_token", DEFAULT_TOKEN))
    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else None
    if token is None:
        return _error(401, 104, "An access token is required to request this resource.")
    if token != expected:
        return _error(401, 190, "Error validating access token: Session has expired", subcode=463)
    fault = state.take_fault(PLATFORM)
    return None if fault is None else _fault_response(fault)


def _fault_response(fault: Fault) -> JSONResponse:
    status = fault.status
    if status == 429:
        retry_after = fault.retry_after if fault.retry_after is not None else 60
        return _error(
            429,
            130429,
            fault.message or "(#130429) Rate limit hit",
            details="Cloud API message throughput has been reached.",
            headers={"Retry-After": f"{retry_after:g}"},
        )
    if status == 401:
        message = fault.message or "Error validating access token: Session has expired"
        return _error(401, 190, message, subcode=463)
    if status == 403:
        return _error(403, 200, fault.message or "(#200) Permissions error")
    if status >= 500:
        return _error(status, 131000, fault.message or "(#131000) Something went wrong")
    return _error(status, 100, fault.message or "(#100) Invalid parameter")


def _error(
    status: int,
    code: int,
    message: str,
    *,
    details: str | None = None,
    subcode: int | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code}
    if details:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    if subcode is not None:
        error["error_subcode"] = subcode
    error["fbtrace_id"] = "AsimTraceWA00"
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def _emit_statuses_later(state: SimState, phone_number_id: str, wamid: str, wa_id: str) -> None:
    config = state.platform_data(PLATFORM).get("status_webhook")
    if not isinstance(config, dict) or not config.get("url"):
        return

    def emit() -> None:
        time.sleep(float(config.get("delay", 1.0)))
        with httpx.Client(timeout=10) as client:
            for status in config.get("statuses", DEFAULT_STATUSES):
                try:
                    deliver_status(
                        client,
                        str(config["url"]),
                        str(config.get("app_secret", "")),
                        message_id=wamid,
                        status=str(status),
                        recipient_id=wa_id,
                        phone_number_id=phone_number_id,
                    )
                except httpx.HTTPError:
                    return  # the demo's webcare went away; a real platform would retry

    threading.Thread(target=emit, name=f"wa-status-{wamid}", daemon=True).start()


# Webhook deliveries ------------------------------------------------------------------------


def deliver(
    client: httpx.Client, url: str, app_secret: str, payload: dict[str, Any]
) -> httpx.Response:
    """POST ``payload`` to ``url`` serialised and signed the way Meta does."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=True).encode()
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(app_secret, body)}
    return client.post(url, content=body, headers=headers)


def deliver_message(
    client: httpx.Client,
    url: str,
    app_secret: str,
    state: SimState,
    *,
    wa_id: str,
    text: str,
    name: str | None = None,
    message_id: str | None = None,
    reply_to: str | None = None,
    timestamp: int | None = None,
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
) -> httpx.Response:
    """A customer's text message, as the ``messages`` webhook delivers it.

    Remembers when ``wa_id`` last wrote, which opens the 24-hour window for free-form replies.
    """
    at = timestamp if timestamp is not None else int(time.time())
    message: dict[str, Any] = {
        "from": wa_id,
        "id": message_id or f"wamid.SIMIN{state.next_id().zfill(8)}",
        "timestamp": str(at),
        "type": "text",
        "text": {"body": text},
    }
    if reply_to:
        message["context"] = {"from": phone_number_id, "id": reply_to}
    value = _value(phone_number_id, wa_id, name)
    value["messages"] = [message]
    windows = state.platform_data(PLATFORM).setdefault("last_inbound", {})
    sent_at = datetime.fromtimestamp(at, tz=UTC)
    if windows.get(wa_id) is None or windows[wa_id] < sent_at:
        windows[wa_id] = sent_at
    return deliver(client, url, app_secret, _envelope(value))


def deliver_status(
    client: httpx.Client,
    url: str,
    app_secret: str,
    *,
    message_id: str,
    status: str,
    recipient_id: str,
    timestamp: int | None = None,
    error: dict[str, Any] | None = None,
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
) -> httpx.Response:
    """A delivery report (sent, delivered, read or failed with ``error``) for our message."""
    report: dict[str, Any] = {
        "id": message_id,
        "status": status,
        "timestamp": str(timestamp if timestamp is not None else int(time.time())),
        "recipient_id": recipient_id,
    }
    if status == "failed":
        report["errors"] = [
            error
            or {
                "code": 131026,
                "title": "Message undeliverable",
                "message": "Message undeliverable",
                "error_data": {"details": "Message Undeliverable."},
            }
        ]
    else:
        report["conversation"] = {"id": "sim-conversation", "origin": {"type": "service"}}
        report["pricing"] = {"billable": True, "pricing_model": "CBP", "category": "service"}
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "31208081234", "phone_number_id": phone_number_id},
        "statuses": [report],
    }
    return deliver(client, url, app_secret, _envelope(value))


def _value(phone_number_id: str, wa_id: str, name: str | None) -> dict[str, Any]:
    contact: dict[str, Any] = {"wa_id": wa_id}
    if name:
        contact["profile"] = {"name": name}
    return {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "31208081234", "phone_number_id": phone_number_id},
        "contacts": [contact],
    }


def _envelope(value: dict[str, Any]) -> dict[str, Any]:
    change = {"value": value, "field": "messages"}
    return {"object": OBJECT, "entry": [{"id": "sim-waba", "changes": [change]}]}
