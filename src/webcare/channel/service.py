"""Channel accounts: connecting, reading credentials, health, and who sends for which platform."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.orm import Session

from webcare.audit import service as audit
from webcare.auth.principal import Principal
from webcare.channel import composing, registry
from webcare.channel.errors import ChannelAccountNotFound
from webcare.channel.models import ChannelAccount, Health, Platform
from webcare.channel.ports import ChannelContext, Sender
from webcare.kit.crypto import SecretBox, new_token
from webcare.kit.errors import Invalid
from webcare.kit.time import utc_now

SEND_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def create_account(
    session: Session,
    actor: Principal,
    box: SecretBox,
    *,
    platform: Platform,
    handle: str,
    display_name: str | None,
    credentials: dict[str, Any],
    settings: dict[str, Any],
) -> ChannelAccount:
    """Connect an account; credentials are encrypted before they touch the database."""
    if not handle.strip():
        raise Invalid("a channel account needs a handle")
    account = ChannelAccount(
        workspace_id=actor.workspace_id,
        platform=platform.value,
        handle=handle.strip(),
        display_name=(display_name or handle).strip(),
        credentials_encrypted=box.encrypt(json.dumps(credentials)) if credentials else None,
        webhook_token=new_token(nbytes=24),
        settings=settings,
        health=Health.OK.value,
    )
    session.add(account)
    session.flush()
    audit.record(
        session,
        actor,
        "channel.connected",
        "channel_account",
        account.id,
        {"platform": platform.value},
    )
    return account


def get_or_raise(session: Session, workspace_id: int, account_id: int) -> ChannelAccount:
    stmt = sa.select(ChannelAccount).where(
        ChannelAccount.workspace_id == workspace_id, ChannelAccount.id == account_id
    )
    account = session.scalars(stmt).one_or_none()
    if account is None:
        raise ChannelAccountNotFound(account_id)
    return account


def by_webhook_token(session: Session, platform: Platform, token: str) -> ChannelAccount:
    """The account a platform webhook URL names; 404 for anything else."""
    stmt = sa.select(ChannelAccount).where(
        ChannelAccount.webhook_token == token, ChannelAccount.platform == platform.value
    )
    account = session.scalars(stmt).one_or_none()
    if account is None:
        raise ChannelAccountNotFound("for this webhook URL")
    return account


def list_accounts(session: Session, workspace_id: int) -> list[ChannelAccount]:
    stmt = (
        sa.select(ChannelAccount)
        .where(ChannelAccount.workspace_id == workspace_id)
        .order_by(ChannelAccount.id)
    )
    return list(session.scalars(stmt))


def accounts_by_id(session: Session, workspace_id: int, ids: set[int]) -> dict[int, ChannelAccount]:
    if not ids:
        return {}
    stmt = sa.select(ChannelAccount).where(
        ChannelAccount.workspace_id == workspace_id, ChannelAccount.id.in_(ids)
    )
    return {a.id: a for a in session.scalars(stmt)}


def webhook_url(base_url: str, account: ChannelAccount) -> str:
    """The address to give the platform; the random token in it names the account."""
    return f"{base_url.rstrip('/')}/webhooks/{account.platform}/{account.webhook_token}"


def context(account: ChannelAccount, box: SecretBox) -> ChannelContext:
    """What a connector gets: settings and decrypted credentials (never logged)."""
    credentials: dict[str, Any] = {}
    if account.credentials_encrypted:
        credentials = json.loads(box.decrypt(account.credentials_encrypted))
    return ChannelContext(
        channel_account_id=account.id,
        handle=account.handle,
        settings=dict(account.settings),
        credentials=credentials,
    )


def mark_health(account: ChannelAccount, health: Health, detail: str | None) -> None:
    account.health = health.value
    account.health_detail = detail
    account.health_checked_at = utc_now()


SIGNATURE_TEMPLATE_MAX_LENGTH = 200
_BRACED = re.compile(r"\{([^{}]*)\}")
_PLACEHOLDERS = frozenset({"{text}", "{signature}", "{name}"})


def check_signature_template(template: str) -> str:
    """A reply signature template as :func:`composing.sign` can use it.

    Empty means "no signature". Otherwise ``{text}`` must appear exactly once (without it
    signing silently does nothing; twice would send the reply twice), and every other
    placeholder must be one signing fills in, so a typo such as ``{signatuer}`` is caught
    here rather than showing up in a customer's reply.
    """
    template = template.replace("\r\n", "\n").rstrip()
    if not template.strip():
        return ""
    if len(template) > SIGNATURE_TEMPLATE_MAX_LENGTH:
        raise Invalid(
            f"a signature template must be at most {SIGNATURE_TEMPLATE_MAX_LENGTH} characters"
        )
    if template.count("{text}") != 1:
        raise Invalid("a signature template must contain {text} exactly once")
    unknown = sorted({m.group(0) for m in _BRACED.finditer(template)} - _PLACEHOLDERS)
    if unknown:
        raise Invalid(
            f"unknown placeholder {', '.join(unknown)}; use {{text}}, {{signature}} or {{name}}"
        )
    return template


def set_signature_template(
    session: Session, actor: Principal, account_id: int, template: str | None
) -> ChannelAccount:
    """Set how replies on this account are signed; None goes back to the platform's default.

    The settings dict is replaced, not mutated, so the JSON column is seen as changed.
    """
    account = get_or_raise(session, actor.workspace_id, account_id)
    settings = dict(account.settings or {})
    previous = settings.get(composing.SETTING)
    if template is None:
        settings.pop(composing.SETTING, None)
    else:
        settings[composing.SETTING] = check_signature_template(template)
    if settings.get(composing.SETTING) == previous:
        return account
    account.settings = settings
    session.flush()
    audit.record(
        session,
        actor,
        "channel.signature_changed",
        "channel_account",
        account.id,
        {"from": previous, "to": settings.get(composing.SETTING)},
    )
    return account


def sender_for(platform: str, client: httpx.Client) -> Sender:
    """The connector that sends for ``platform`` (see ``channel.registry``)."""
    factory = registry.SENDERS.get(platform)
    if factory is None:
        raise Invalid(f"sending on {platform} is not supported yet")
    return factory(client)


def http_client() -> httpx.Client:
    return httpx.Client(timeout=SEND_TIMEOUT, follow_redirects=False)
