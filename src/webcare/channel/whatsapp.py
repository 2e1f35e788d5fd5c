"""WhatsApp's two jobs beyond a plain connector: taking a webhook delivery apart (messages into
ingestion, delivery reports onto our outbound messages) and sending a template proactively.

A proactive template ("your parcel arrives tomorrow") has no customer message to answer, so it
finds or creates the contact by phone number and a conversation for them, then goes through
the normal reply path (:func:`webcare.conversation.reply.reply`): pending message, send job and
idempotency key in the caller's transaction. The template itself rides in the message's ``raw``
JSON, where the send job picks it up for :class:`~webcare.channel.ports.OutboundReply`.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

import phonenumbers
from sqlalchemy.orm import Session

from webcare.auth.principal import Principal
from webcare.channel import service as channels
from webcare.channel.models import ChannelAccount, Platform
from webcare.channel.ports import Author, ChannelContext, ConversationKind
from webcare.connectors.whatsapp import normalize
from webcare.contact import service as contacts
from webcare.conversation import reply as replies
from webcare.conversation import service as conversations
from webcare.conversation.models import Conversation, Delivery, Visibility
from webcare.ingestion import service as ingestion
from webcare.ingestion.threading import may_continue
from webcare.kit.errors import Invalid
from webcare.kit.time import utc_now

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
MAX_TEMPLATE_NAME = 512
MAX_COMPONENTS = 20


@dataclass(frozen=True)
class WhatsAppBatch:
    """What one webhook delivery did, for the response body (and Meta's retry logic: 200)."""

    stored: int
    duplicates: int
    edits: int
    deletions: int
    unknown: int
    #: Delivery reports that moved one of our messages forward.
    statuses: int
    #: Reports that changed nothing: duplicates, out of order, or for a message we never sent.
    statuses_ignored: int
    #: Items too broken to read (listed in the log, never stored half).
    skipped: int


def receive(
    session: Session,
    account: ChannelAccount,
    channel: ChannelContext,
    payload: dict[str, Any],
    *,
    reopen_window: timedelta,
) -> WhatsAppBatch:
    """Store the customer messages of a delivery once, and apply its delivery reports."""
    phone_number_id = channel.settings.get("phone_number_id")
    update = normalize.normalize(
        payload, phone_number_id=str(phone_number_id) if phone_number_id else None
    )
    result = ingestion.ingest_events(session, account, update.events, reopen_window=reopen_window)
    applied = 0
    for report in update.statuses:
        changed = replies.record_platform_status(
            session,
            account.id,
            report.external_id,
            Delivery(report.status),
            report.at,
            report.reason,
        )
        applied += changed is not None
    return WhatsAppBatch(
        **asdict(result),
        statuses=applied,
        statuses_ignored=len(update.statuses) - applied,
        skipped=len(update.skipped),
    )


def send_template(
    session: Session,
    actor: Principal,
    account_id: int,
    *,
    to: str,
    template: dict[str, Any],
    idempotency_key: str | None,
    reopen_window: timedelta,
) -> replies.ReplyResult:
    """Queue an approved template for ``to`` (E.164), starting a conversation if needed."""
    account = channels.get_or_raise(session, actor.workspace_id, account_id)
    if account.platform != Platform.WHATSAPP.value:
        raise Invalid("templates can only be sent from a WhatsApp channel account")
    wa_id = check_phone(to)
    clean = check_template(template)
    conversation = _conversation_with(session, account, wa_id, reopen_window)
    result = replies.reply(
        session,
        actor,
        conversation.id,
        text=render(clean),
        visibility=Visibility.PRIVATE,
        idempotency_key=idempotency_key,
    )
    if result.created:
        result.message.raw = {**(result.message.raw or {}), "template": clean}
        session.flush()
    return result


def _conversation_with(
    session: Session, account: ChannelAccount, wa_id: str, reopen_window: timedelta
) -> Conversation:
    identity = contacts.resolve_identity(
        session,
        account.workspace_id,
        Platform.WHATSAPP.value,
        Author(platform_user_id=wa_id, handle=f"+{wa_id}"),
    )
    kind = ConversationKind.PRIVATE_THREAD.value
    now = utc_now()
    found = conversations.latest_private_conversation(
        session, account.id, identity.contact_id, kind
    )
    if found is not None and may_continue(found, now, reopen_window):
        return found
    return conversations.start(
        session,
        workspace_id=account.workspace_id,
        channel_account_id=account.id,
        contact_id=identity.contact_id,
        kind=kind,
        subject=None,
        started_at=now,
    )


def check_phone(value: str) -> str:
    """The WhatsApp id (digits, no plus) of an E.164 number; :class:`Invalid` otherwise."""
    number = re.sub(r"[\s\-().]", "", value or "")
    if not _E164.fullmatch(number):
        raise Invalid("'to' must be a phone number in E.164 form, such as +31612345678")
    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException as exc:
        raise Invalid(f"'to' is not a phone number: {value}") from exc
    if not phonenumbers.is_possible_number(parsed):
        raise Invalid(f"'to' is not a possible phone number: {value}")
    return number.removeprefix("+")


def check_template(template: Any) -> dict[str, Any]:
    """A template object as the Cloud API takes it: ``name``, ``language.code``, ``components``.

    ``language`` may also be given as a plain code (``"nl"``). Components are passed on as they
    are (WhatsApp checks them against the approved template), but must be a list of objects.
    """
    if not isinstance(template, dict):
        raise Invalid("template must be an object with name, language and components")
    name = template.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_TEMPLATE_NAME:
        raise Invalid("template.name is required")
    language = template.get("language")
    code = language.get("code") if isinstance(language, dict) else language
    if not isinstance(code, str) or not code.strip():
        raise Invalid("template.language is required (a code such as 'nl' or 'en_US')")
    components = template.get("components") or []
    if (
        not isinstance(components, list)
        or len(components) > MAX_COMPONENTS
        or not all(isinstance(c, dict) for c in components)
    ):
        raise Invalid(f"template.components must be a list of at most {MAX_COMPONENTS} objects")
    clean: dict[str, Any] = {"name": name.strip(), "language": {"code": code.strip()}}
    if components:
        clean["components"] = components
    return clean


def render(template: dict[str, Any]) -> str:
    """What the agent reads for a template in the inbox: its name, language and parameters."""
    head = f"[Template {template['name']} ({template['language']['code']})]"
    parts = []
    for component in template.get("components", []):
        values = [_parameter(p) for p in component.get("parameters", []) or []]
        values = [v for v in values if v]
        if values:
            label = str(component.get("type") or "body")
            if component.get("type") == "button" and "index" in component:
                label += f" {component['index']}"
            parts.append(f"{label}: " + ", ".join(values))
    return head + (" " + "; ".join(parts) if parts else "")


def _parameter(parameter: Any) -> str:
    if not isinstance(parameter, dict):
        return ""
    kind = parameter.get("type")
    value = parameter.get(kind) if isinstance(kind, str) else None
    if kind == "text" or kind == "payload":
        return str(value or "")
    if isinstance(value, dict):
        shown = value.get("fallback_value") or value.get("link") or value.get("id")
        return f"{kind} {shown}" if shown else str(kind)
    return str(value) if value is not None else ""
