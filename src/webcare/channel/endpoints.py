"""HTTP for channel accounts and the generic API channel's inbound endpoint."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from webcare.auth.dependencies import PrincipalDep
from webcare.auth.principal import Scope
from webcare.channel import connect_forms, connecting, inbound_api, service
from webcare.channel.models import ChannelAccount, Platform
from webcare.channel.schemas import (
    ChannelAccountCreate,
    ChannelAccountOut,
    ConnectFieldOut,
    ConnectionTestOut,
    CredentialsUpdate,
    InboundEditIn,
    InboundMessageIn,
    IngestOut,
)
from webcare.dependencies import DbSession, RuntimeDep
from webcare.ingestion import service as ingestion
from webcare.kit.crypto import new_token
from webcare.kit.errors import Invalid
from webcare.kit.time import utc_now

router = APIRouter(prefix="/api/v1/channel-accounts", tags=["channels"])


def _out(
    account: ChannelAccount,
    base_url: str,
    signing_secret: str | None = None,
    generated: dict[str, str] | None = None,
) -> ChannelAccountOut:
    return ChannelAccountOut(
        id=account.id,
        platform=account.platform,
        handle=account.handle,
        display_name=account.display_name,
        health=account.health,
        health_detail=account.health_detail,
        webhook_url=service.webhook_url(base_url, account),
        settings=account.settings,
        created_at=account.created_at,
        signing_secret=signing_secret,
        generated=generated,
    )


@router.get("", response_model=list[ChannelAccountOut])
def list_accounts(
    db: DbSession, principal: PrincipalDep, runtime: RuntimeDep
) -> list[ChannelAccountOut]:
    principal.require(Scope.CHANNELS_READ)
    base = runtime.settings.base_url
    return [_out(a, base) for a in service.list_accounts(db, principal.workspace_id)]


@router.post("", response_model=ChannelAccountOut, status_code=status.HTTP_201_CREATED)
def create_account(
    body: ChannelAccountCreate, db: DbSession, principal: PrincipalDep, runtime: RuntimeDep
) -> ChannelAccountOut:
    """Connect an account. For the API channel a signing secret is made and shown once.

    With ``values`` the platform's connect form is checked field by field (what the admin
    page does); without it, ``credentials`` and ``settings`` are stored as given.
    """
    principal.require(Scope.CHANNELS_ADMIN)
    if body.values is not None:
        if body.credentials or body.settings or body.reply_url is not None:
            raise Invalid("send either values or credentials/settings/reply_url, not both")
        connected = connecting.connect(
            db,
            principal,
            runtime.secret_box,
            platform=body.platform.value,
            handle=body.handle,
            display_name=body.display_name,
            values=body.values,
        )
        return _out(
            connected.account,
            runtime.settings.base_url,
            signing_secret=connected.generated.get("signing_secret"),
            generated=connected.generated or None,
        )
    credentials = dict(body.credentials)
    settings = dict(body.settings)
    secret = None
    if body.platform is Platform.API:
        secret = credentials.setdefault("signing_secret", new_token(nbytes=32))
        if body.reply_url is not None:
            settings["reply_url"] = str(body.reply_url)
    account = service.create_account(
        db,
        principal,
        runtime.secret_box,
        platform=body.platform,
        handle=body.handle,
        display_name=body.display_name,
        credentials=credentials,
        settings=settings,
    )
    return _out(account, runtime.settings.base_url, signing_secret=secret)


@router.get("/{account_id}", response_model=ChannelAccountOut)
def get_account(
    account_id: int, db: DbSession, principal: PrincipalDep, runtime: RuntimeDep
) -> ChannelAccountOut:
    principal.require(Scope.CHANNELS_READ)
    return _out(
        service.get_or_raise(db, principal.workspace_id, account_id), runtime.settings.base_url
    )


@router.patch("/{account_id}/credentials", response_model=ChannelAccountOut)
def update_credentials(
    account_id: int,
    body: CredentialsUpdate,
    db: DbSession,
    principal: PrincipalDep,
    runtime: RuntimeDep,
) -> ChannelAccountOut:
    """Re-authorise a channel: replace some secrets or settings and keep the rest."""
    principal.require(Scope.CHANNELS_ADMIN)
    account = connecting.update_credentials(
        db, principal, runtime.secret_box, account_id, body.values
    )
    return _out(account, runtime.settings.base_url)


@router.post("/{account_id}/test", response_model=ConnectionTestOut)
def test_connection(
    account_id: int, db: DbSession, principal: PrincipalDep, runtime: RuntimeDep
) -> ConnectionTestOut:
    """Make one authenticated call to the platform and record the outcome as health."""
    principal.require(Scope.CHANNELS_ADMIN)
    with service.http_client() as client:
        result = connecting.test_connection(
            db, principal.workspace_id, account_id, runtime.secret_box, client
        )
    account = service.get_or_raise(db, principal.workspace_id, account_id)
    return ConnectionTestOut(ok=result.ok, detail=result.detail, health=account.health)


platforms_router = APIRouter(prefix="/api/v1/channel-platforms", tags=["channels"])


@platforms_router.get("/{platform}/fields", response_model=list[ConnectFieldOut])
def connect_fields(platform: str, principal: PrincipalDep) -> list[ConnectFieldOut]:
    """What connecting ``platform`` asks for: the admin form's fields, in order."""
    principal.require(Scope.CHANNELS_READ)
    return [
        ConnectFieldOut(
            name=f.name,
            label=f.label,
            secret=f.secret,
            required=f.required,
            kind=f.kind,
            help=f.help,
            generated=f.generated,
        )
        for f in connect_forms.fields_for(platform)
    ]


@router.post(
    "/{account_id}/messages",
    response_model=IngestOut,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "Already stored: a duplicate delivery changes nothing."}},
)
def receive_message(
    account_id: int,
    body: InboundMessageIn,
    db: DbSession,
    principal: PrincipalDep,
    runtime: RuntimeDep,
    response: Response,
) -> IngestOut:
    """The generic API channel: deliver one customer message. Safe to retry."""
    principal.require(Scope.INBOUND_WRITE)
    account = inbound_api.api_account(db, principal.workspace_id, account_id)
    result = inbound_api.ingest(db, account, body, runtime.settings.reopen_window_hours)
    if result.duplicate:
        response.status_code = status.HTTP_200_OK
    return result


@router.patch("/{account_id}/messages/{external_id}", response_model=IngestOut)
def edit_message(
    account_id: int, external_id: str, body: InboundEditIn, db: DbSession, principal: PrincipalDep
) -> IngestOut:
    """The customer edited a message; the earlier text is kept as history."""
    principal.require(Scope.INBOUND_WRITE)
    account = inbound_api.api_account(db, principal.workspace_id, account_id)
    message = ingestion.apply_edit(db, account, inbound_api.to_edit(external_id, body))
    return IngestOut(
        message_id=message.id, conversation_id=message.conversation_id, duplicate=False
    )


@router.delete("/{account_id}/messages/{external_id}", response_model=IngestOut)
def delete_message(
    account_id: int, external_id: str, db: DbSession, principal: PrincipalDep
) -> IngestOut:
    """The customer deleted a message; it stays in the history, marked deleted."""
    principal.require(Scope.INBOUND_WRITE)
    account = inbound_api.api_account(db, principal.workspace_id, account_id)
    message = ingestion.apply_deletion(db, account, inbound_api.to_deletion(external_id, utc_now()))
    return IngestOut(
        message_id=message.id, conversation_id=message.conversation_id, duplicate=False
    )
