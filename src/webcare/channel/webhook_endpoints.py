"""Platform-facing webhooks. No user or token here: the random token in the URL names the
channel account, and the platform's signature proves the sender."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ValidationError

from webcare.channel import inbound_api, service
from webcare.channel.errors import ChannelAccountNotFound
from webcare.channel.models import Platform
from webcare.channel.schemas import InboundMessageIn, IngestOut
from webcare.connectors.api import webhook as api_webhook
from webcare.connectors.api.client import SIGNATURE_HEADER, TIMESTAMP_HEADER
from webcare.connectors.meta import normalize as meta_normalize
from webcare.connectors.meta import webhook as meta_webhook
from webcare.connectors.x import normalize as x_normalize
from webcare.connectors.x import webhook as x_webhook
from webcare.dependencies import DbSession, RuntimeDep
from webcare.ingestion import service as ingestion
from webcare.kit.errors import Invalid, validation_problems

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

MAX_BODY_BYTES = 1_000_000


async def raw_body(request: Request) -> bytes:
    """The exact bytes the sender signed (read here so the endpoint itself can stay sync)."""
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise Invalid("the body is larger than 1 MB")
    return body


@router.post(
    "/api/{webhook_token}",
    response_model=IngestOut,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "Already stored"}, 401: {"description": "Bad signature"}},
)
def receive_api_webhook(
    webhook_token: str,
    request: Request,
    body: Annotated[bytes, Depends(raw_body)],
    db: DbSession,
    runtime: RuntimeDep,
    response: Response,
) -> IngestOut:
    """A signed message for the generic API channel (same body as the REST inbound endpoint)."""
    account = service.by_webhook_token(db, Platform.API, webhook_token)
    secret = str(service.context(account, runtime.secret_box).credentials.get("signing_secret", ""))
    api_webhook.verify(
        secret,
        body,
        request.headers.get(TIMESTAMP_HEADER),
        request.headers.get(SIGNATURE_HEADER),
        time.time(),
    )
    try:
        message = InboundMessageIn.model_validate_json(body)
    except ValidationError as exc:
        summary, problems = validation_problems(exc.errors())
        raise Invalid(summary, extra={"problems": problems}) from exc
    result = inbound_api.ingest(db, account, message, runtime.settings.reopen_window_hours)
    if result.duplicate:
        response.status_code = status.HTTP_200_OK
    return result


class BatchOut(BaseModel):
    stored: int
    duplicates: int
    edits: int
    deletions: int
    unknown: int


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise Invalid("the body is not valid JSON") from exc
    if not isinstance(data, dict):
        raise Invalid("the body must be a JSON object")
    return data


@router.get("/x/{webhook_token}")
def x_crc_challenge(
    webhook_token: str,
    db: DbSession,
    runtime: RuntimeDep,
    crc_token: Annotated[str, Query(min_length=1, max_length=500)],
) -> dict[str, str]:
    """X's Challenge-Response Check: prove we hold the app's consumer secret."""
    account = service.by_webhook_token(db, Platform.X, webhook_token)
    secret = str(
        service.context(account, runtime.secret_box).credentials.get("consumer_secret", "")
    )
    return x_webhook.crc_response(secret, crc_token)


@router.post("/x/{webhook_token}", response_model=BatchOut)
def x_activity(
    webhook_token: str,
    request: Request,
    body: Annotated[bytes, Depends(raw_body)],
    db: DbSession,
    runtime: RuntimeDep,
) -> BatchOut:
    """Account Activity events: signature first, then normalise, then ingest each once."""
    account = service.by_webhook_token(db, Platform.X, webhook_token)
    secret = str(
        service.context(account, runtime.secret_box).credentials.get("consumer_secret", "")
    )
    x_webhook.verify_signature(secret, body, request.headers.get(x_webhook.SIGNATURE_HEADER))
    events = x_normalize.normalize(_json_object(body))
    result = ingestion.ingest_events(
        db, account, events, reopen_window=timedelta(hours=runtime.settings.reopen_window_hours)
    )
    return BatchOut(**asdict(result))


_META_PLATFORMS = {"facebook": Platform.FACEBOOK, "instagram": Platform.INSTAGRAM}


def _meta_platform(platform: str) -> Platform:
    if platform not in _META_PLATFORMS:
        raise ChannelAccountNotFound("for this webhook URL")
    return _META_PLATFORMS[platform]


@router.get("/{platform}/{webhook_token}", response_class=PlainTextResponse)
def meta_verification(
    platform: str, webhook_token: str, request: Request, db: DbSession, runtime: RuntimeDep
) -> str:
    """Meta's subscription handshake: echo ``hub.challenge`` when the verify token matches."""
    account = service.by_webhook_token(db, _meta_platform(platform), webhook_token)
    credentials = service.context(account, runtime.secret_box).credentials
    return meta_webhook.verify_subscription(
        dict(request.query_params), str(credentials.get("verify_token", ""))
    )


@router.post("/{platform}/{webhook_token}", response_model=BatchOut)
def meta_events(
    platform: str,
    webhook_token: str,
    request: Request,
    body: Annotated[bytes, Depends(raw_body)],
    db: DbSession,
    runtime: RuntimeDep,
) -> BatchOut:
    """Page feed, Messenger and Instagram events: signature first, then normalise, then ingest."""
    account = service.by_webhook_token(db, _meta_platform(platform), webhook_token)
    channel = service.context(account, runtime.secret_box)
    secret = str(channel.credentials.get("app_secret", ""))
    meta_webhook.verify_signature(secret, body, request.headers.get(meta_webhook.SIGNATURE_HEADER))
    own_ids = frozenset(
        str(v) for k, v in channel.settings.items() if k in ("page_id", "ig_user_id")
    )
    events = meta_normalize.normalize(_json_object(body), own_ids=own_ids)
    result = ingestion.ingest_events(
        db, account, events, reopen_window=timedelta(hours=runtime.settings.reopen_window_hours)
    )
    return BatchOut(**asdict(result))
