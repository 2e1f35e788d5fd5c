"""WhatsApp over HTTP: the Cloud API webhook (handshake, signed deliveries) and proactive
template sends through our own API.

Listed in ``routers.py`` before the generic webhook router, whose ``/webhooks/{platform}/...``
routes would otherwise see ``whatsapp`` first (they refuse it with a 404 anyway).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response, status
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from webcare.auth.dependencies import PrincipalDep
from webcare.auth.principal import Scope
from webcare.channel import service, whatsapp
from webcare.channel.models import Platform
from webcare.channel.webhook_endpoints import raw_body
from webcare.connectors.whatsapp import webhook
from webcare.dependencies import DbSession, RuntimeDep
from webcare.kit.errors import Invalid

router = APIRouter(tags=["whatsapp"])
log = logging.getLogger(__name__)


@router.get("/webhooks/whatsapp/{webhook_token}", response_class=PlainTextResponse)
def whatsapp_verification(
    webhook_token: str, request: Request, db: DbSession, runtime: RuntimeDep
) -> str:
    """Meta's subscription handshake: echo ``hub.challenge`` when the verify token matches."""
    account = service.by_webhook_token(db, Platform.WHATSAPP, webhook_token)
    credentials = service.context(account, runtime.secret_box).credentials
    return webhook.verify_subscription(
        dict(request.query_params), str(credentials.get("verify_token", ""))
    )


class WhatsAppBatchOut(BaseModel):
    stored: int
    duplicates: int
    edits: int
    deletions: int
    unknown: int
    statuses: int
    statuses_ignored: int
    skipped: int


@router.post("/webhooks/whatsapp/{webhook_token}", response_model=WhatsAppBatchOut)
def whatsapp_events(
    webhook_token: str,
    request: Request,
    body: Annotated[bytes, Depends(raw_body)],
    db: DbSession,
    runtime: RuntimeDep,
) -> WhatsAppBatchOut:
    """Messages and delivery reports: signature first, then normalise, store and apply once."""
    account = service.by_webhook_token(db, Platform.WHATSAPP, webhook_token)
    channel = service.context(account, runtime.secret_box)
    secret = str(channel.credentials.get("app_secret", ""))
    webhook.verify_signature(secret, body, request.headers.get(webhook.SIGNATURE_HEADER))
    result = whatsapp.receive(
        db,
        account,
        channel,
        _json_object(body),
        reopen_window=timedelta(hours=runtime.settings.reopen_window_hours),
    )
    if result.skipped:
        log.warning(
            "whatsapp account %s: %s unreadable item(s) skipped", account.id, result.skipped
        )
    return WhatsAppBatchOut(**asdict(result))


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise Invalid("the body is not valid JSON") from exc
    if not isinstance(data, dict):
        raise Invalid("the body must be a JSON object")
    return data


class TemplateIn(BaseModel):
    name: str = Field(min_length=1, max_length=512)
    #: A code ("nl", "en_US") or the Cloud API's ``{"code": ...}`` object.
    language: str | dict[str, Any]
    components: list[dict[str, Any]] = Field(default_factory=list, max_length=20)


class TemplateSendIn(BaseModel):
    to: str = Field(min_length=1, max_length=32, description="E.164, e.g. +31612345678")
    template: TemplateIn


class TemplateSendOut(BaseModel):
    message_id: int
    conversation_id: int
    delivery_status: str | None


@router.post(
    "/api/v1/channel-accounts/{account_id}/whatsapp/templates",
    response_model=TemplateSendOut,
    status_code=status.HTTP_202_ACCEPTED,
    responses={200: {"description": "Replayed: this Idempotency-Key already queued it."}},
)
def send_template(
    account_id: int,
    body: TemplateSendIn,
    db: DbSession,
    principal: PrincipalDep,
    runtime: RuntimeDep,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> TemplateSendOut:
    """Queue an approved template for a customer, also outside the 24-hour window."""
    principal.require(Scope.CONVERSATIONS_WRITE)
    result = whatsapp.send_template(
        db,
        principal,
        account_id,
        to=body.to,
        template=body.template.model_dump(),
        idempotency_key=idempotency_key,
        reopen_window=timedelta(hours=runtime.settings.reopen_window_hours),
    )
    if not result.created:
        response.status_code = status.HTTP_200_OK
    message = result.message
    return TemplateSendOut(
        message_id=message.id,
        conversation_id=message.conversation_id,
        delivery_status=message.delivery_status,
    )
