"""Connecting a channel, re-authorising it and testing its connection.

"Test connection" makes one cheap authenticated call through the platform's
:class:`~webcare.channel.ports.ConnectionChecker` and records the outcome as the account's
health, so the admin page and the send job agree on whether a channel works. The caller
commits before the network call where it holds a transaction (see :func:`test_connection`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.orm import Session

from webcare.audit import service as audit
from webcare.auth.principal import Principal
from webcare.channel import connect_forms, registry, service
from webcare.channel.models import ChannelAccount, Health, Platform
from webcare.channel.ports import AuthFailed, ConnectorError
from webcare.kit.crypto import SecretBox, new_token
from webcare.kit.errors import Invalid


@dataclass(frozen=True)
class Connected:
    account: ChannelAccount
    #: Values we made for the admin (a webhook verify token), shown once.
    generated: dict[str, str]


def connect(
    session: Session,
    actor: Principal,
    box: SecretBox,
    *,
    platform: str,
    handle: str,
    display_name: str | None,
    values: dict[str, Any],
) -> Connected:
    """Add a channel account from the connect form's values (checked against its fields)."""
    credentials, settings, generated = connect_forms.split_values(platform, values)
    if platform == Platform.API.value and "signing_secret" not in credentials:
        credentials["signing_secret"] = generated["signing_secret"] = new_token(nbytes=32)
    account = service.create_account(
        session,
        actor,
        box,
        platform=Platform(platform),
        handle=handle,
        display_name=display_name,
        credentials=credentials,
        settings=settings,
    )
    return Connected(account, generated)


def update_credentials(
    session: Session, actor: Principal, box: SecretBox, account_id: int, values: dict[str, Any]
) -> ChannelAccount:
    """Re-authorise: replace the given secrets and settings, keep the rest.

    Health goes back to OK with "credentials updated": the next send or test tells whether the
    new ones work. Only field names are audited, never values.
    """
    account = service.get_or_raise(session, actor.workspace_id, account_id)
    credentials, settings, _ = connect_forms.split_values(account.platform, values, partial=True)
    if not credentials and not settings:
        raise Invalid("nothing to change: fill in at least one field")
    current = service.context(account, box).credentials
    current.update(credentials)
    account.credentials_encrypted = box.encrypt(json.dumps(current)) if current else None
    if settings:
        account.settings = {**(account.settings or {}), **settings}
    service.mark_health(account, Health.OK, "credentials updated")
    session.flush()
    audit.record(
        session,
        actor,
        "channel.credentials_updated",
        "channel_account",
        account.id,
        {"fields": sorted([*credentials, *settings])},
    )
    return account


@dataclass(frozen=True)
class ConnectionTest:
    ok: bool
    detail: str


def test_connection(
    session: Session, workspace_id: int, account_id: int, box: SecretBox, client: httpx.Client
) -> ConnectionTest:
    """Ask the platform whether our credentials work, and store the answer as health.

    The read happens first and the session is committed before the network call, so no
    database lock is held while a platform takes its time.
    """
    account = service.get_or_raise(session, workspace_id, account_id)
    factory = registry.CHECKERS.get(account.platform)
    if factory is None:
        return ConnectionTest(True, "nothing to test: this channel needs no platform login")
    channel = service.context(account, box)
    session.commit()
    try:
        detail = factory(client).check(channel)
        health, result = Health.OK, ConnectionTest(True, detail)
    except AuthFailed as exc:
        health, result = Health.NEEDS_REAUTH, ConnectionTest(False, exc.reason)
    except ConnectorError as exc:
        health, result = Health.ERROR, ConnectionTest(False, exc.reason)
    except Exception as exc:  # a connector bug must read as a failed test, not a 500
        health = Health.ERROR
        result = ConnectionTest(False, f"unexpected {exc.__class__.__name__}")
    account = service.get_or_raise(session, workspace_id, account_id)
    service.mark_health(account, health, result.detail)
    session.flush()
    return result
