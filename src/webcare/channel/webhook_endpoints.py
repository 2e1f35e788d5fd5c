"""Platform-facing webhooks. No user or token here: the random token in the URL names the
channel account, and the platform's signature proves the sender."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import ValidationError

from webcare.channel import inbound_api, service
from webcare.channel.models import Platform
from webcare.channel.schemas import InboundMessageIn, IngestOut
from webcare.connectors.api import webhook as api_webhook
from webcare.connectors.api.client import SIGNATURE_HEADER, TIMESTAMP_HEADER
from webcare.dependencies import DbSession, RuntimeDep
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
