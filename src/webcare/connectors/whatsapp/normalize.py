"""WhatsApp webhook deliveries → inbound messages, edits, deletions and delivery reports.

Followed: the WhatsApp Cloud API "messages" webhook reference
(https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/components): the envelope
``{"object": "whatsapp_business_account", "entry": [{"id", "changes": [{"field": "messages",
"value": {"metadata", "contacts", "messages" | "statuses"}}]}]}``, one ``messages[]`` item per
customer message (``from``, ``id``, ``timestamp`` in Unix seconds, ``type`` and an object named
after the type, ``context.id`` when it quotes a message) and one ``statuses[]`` item per delivery
report (``id`` of our message, ``status``, ``timestamp``, ``errors[]``).

Choices:

* Every WhatsApp chat is a private thread with the customer's ``wa_id``; the contact's
  ``profile.name`` is the name, ``+<wa_id>`` the handle.
* Media (image, audio, video, document, sticker) arrive as ids, not URLs: downloading needs a
  Graph lookup with the access token, and the URL it gives expires within minutes. We store the
  attachment with the URL ``whatsapp-media:<id>`` (the inbox shows its name, not a link) so a
  later media proxy can fetch it on demand; the caption is the text.
* Locations, shared contacts, reactions, button and list replies, orders, forms and system
  notices become readable text. Any other type, or one WhatsApp itself reports as
  ``unsupported``, becomes a placeholder saying so: never an error that loses the rest of the
  batch. An item too broken to store (no id, sender or time) is skipped and listed in
  :attr:`WhatsAppUpdate.skipped`, again without losing the others.
* ``edit`` and ``revoke`` items are the customer editing or deleting an earlier message.
* Changes for another phone number than the account's ``phone_number_id`` (one Meta app can
  serve several numbers) are skipped, so a message is never filed under the wrong account.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from webcare.channel.ports import (
    Attachment,
    Author,
    ConversationKind,
    InboundDeletion,
    InboundEdit,
    InboundEvent,
    InboundMessage,
    MessageVisibility,
)
from webcare.connectors.whatsapp.webhook import OBJECT
from webcare.kit.errors import Invalid

MEDIA_URL_PREFIX = "whatsapp-media:"
MEDIA_TYPES = ("image", "video", "audio", "document", "sticker")
#: Delivery report statuses we act on; ``played`` (a voice message was listened to) counts as read.
STATUSES = {"sent": "sent", "delivered": "delivered", "read": "read", "played": "read"}
STATUS_FAILED = "failed"
MAX_PLACEHOLDER_DETAIL = 300


@dataclass(frozen=True)
class StatusReport:
    """WhatsApp's word on one of our outbound messages: sent, delivered, read or failed."""

    external_id: str
    status: str
    at: datetime
    recipient_id: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class WhatsAppUpdate:
    """Everything one delivery carried, in payload order."""

    events: list[InboundEvent] = field(default_factory=list)
    statuses: list[StatusReport] = field(default_factory=list)
    #: ``path: why`` for each item that could not be read at all.
    skipped: list[str] = field(default_factory=list)


def media_url(media_id: str) -> str:
    """The attachment URL we store for a WhatsApp media id (see the module docstring)."""
    return MEDIA_URL_PREFIX + media_id


def normalize(payload: Mapping[str, Any], *, phone_number_id: str | None = None) -> WhatsAppUpdate:
    """Messages, edits, deletions and delivery reports of one webhook delivery.

    ``phone_number_id`` is the account's own number id; changes for other numbers are skipped.
    Anything but a ``whatsapp_business_account`` delivery yields nothing.
    """
    if not isinstance(payload, Mapping):
        raise Invalid("a WhatsApp webhook payload must be a JSON object")
    update = WhatsAppUpdate()
    if payload.get("object") != OBJECT:
        return update
    for epath, entry in _items(payload, "entry", "payload"):
        for cpath, change in _items(entry, "changes", epath):
            value = change.get("value")
            if change.get("field") != "messages" or not isinstance(value, Mapping):
                continue
            if not _for_us(value, phone_number_id):
                update.skipped.append(f"{cpath}: for another phone number")
                continue
            _read_value(value, cpath + ".value", update)
    return update


def _for_us(value: Mapping[str, Any], phone_number_id: str | None) -> bool:
    metadata = value.get("metadata")
    theirs = metadata.get("phone_number_id") if isinstance(metadata, Mapping) else None
    return not phone_number_id or theirs is None or str(theirs) == str(phone_number_id)


def _read_value(value: Mapping[str, Any], path: str, update: WhatsAppUpdate) -> None:
    names = _profile_names(value)
    for mpath, message in _items(value, "messages", path):
        try:
            event = _message(message, names, mpath)
        except Invalid as exc:
            update.skipped.append(f"{mpath}: {exc.detail}")
            continue
        if event is not None:
            update.events.append(event)
    for spath, status in _items(value, "statuses", path):
        try:
            report = _status(status, spath)
        except Invalid as exc:
            update.skipped.append(f"{spath}: {exc.detail}")
            continue
        if report is not None:
            update.statuses.append(report)


def _profile_names(value: Mapping[str, Any]) -> dict[str, str]:
    """``wa_id`` → the name the customer set in WhatsApp (cosmetic: never a reason to refuse)."""
    names: dict[str, str] = {}
    contacts = value.get("contacts")
    for contact in contacts if isinstance(contacts, list) else []:
        if not isinstance(contact, Mapping):
            continue
        profile = contact.get("profile")
        name = profile.get("name") if isinstance(profile, Mapping) else None
        if isinstance(contact.get("wa_id"), str) and isinstance(name, str) and name.strip():
            names[contact["wa_id"]] = name.strip()
    return names


# Messages -----------------------------------------------------------------------------------


def _message(
    message: Mapping[str, Any], names: Mapping[str, str], path: str
) -> InboundEvent | None:
    external_id = _required_str(message, "id", path)
    sender = _required_str(message, "from", path)
    at = _epoch(message.get("timestamp"), path + ".timestamp")
    kind = message.get("type")
    if kind == "edit":
        return _edit(message, at, path)
    if kind == "revoke":
        revoke = _mapping(message.get("revoke"), path + ".revoke")
        return InboundDeletion(
            _required_str(revoke, "original_message_id", path), at, dict(message)
        )
    text, attachments = _content(message)
    context = message.get("context")
    reply_to = context.get("id") if isinstance(context, Mapping) else None
    if kind == "reaction":
        reaction = message.get("reaction")
        reply_to = reaction.get("message_id") if isinstance(reaction, Mapping) else None
    return InboundMessage(
        external_id=external_id,
        author=Author(platform_user_id=sender, handle=f"+{sender}", name=names.get(sender)),
        text=text,
        platform_time=at,
        kind=ConversationKind.PRIVATE_THREAD,
        visibility=MessageVisibility.PRIVATE,
        reply_to_external_id=reply_to if isinstance(reply_to, str) and reply_to else None,
        attachments=attachments,
        raw=dict(message),
    )


def _edit(message: Mapping[str, Any], at: datetime, path: str) -> InboundEdit:
    edit = _mapping(message.get("edit"), path + ".edit")
    original = _required_str(edit, "original_message_id", path + ".edit")
    new = edit.get("message")
    text, _attachments = _content(new) if isinstance(new, Mapping) else ("", ())
    return InboundEdit(original, text, at, raw=dict(message))


def _content(message: Mapping[str, Any]) -> tuple[str, tuple[Attachment, ...]]:
    """The readable text and the attachments of one message, whatever its type."""
    kind = message.get("type")
    body = message.get(kind) if isinstance(kind, str) else None
    if kind in MEDIA_TYPES and isinstance(body, Mapping):
        return _media(kind, body)
    reader = _READERS.get(kind) if isinstance(kind, str) else None
    if kind == "contacts":
        text = _shared_contacts(body)
    else:
        text = reader(body) if reader is not None and isinstance(body, Mapping) else ""
    return (text if text.strip() else _placeholder(message)), ()


def _media(kind: str, body: Mapping[str, Any]) -> tuple[str, tuple[Attachment, ...]]:
    media_id = body.get("id")
    caption = _str(body.get("caption"))
    if not isinstance(media_id, str | int) or isinstance(media_id, bool) or media_id == "":
        return caption or f"[WhatsApp {kind} without a media id]", ()
    name = _str(body.get("filename")) or None
    if kind == "audio" and body.get("voice") is True:
        name = name or "voice message"
    attachment = Attachment(
        kind=kind,
        url=media_url(str(media_id)),
        mime_type=_str(body.get("mime_type")) or None,
        name=name,
    )
    return caption, (attachment,)


def _text(body: Mapping[str, Any]) -> str:
    return _str(body.get("body"))


def _location(body: Mapping[str, Any]) -> str:
    place = ", ".join(p for p in (_str(body.get("name")), _str(body.get("address"))) if p)
    coordinates = f"{body.get('latitude')}, {body.get('longitude')}"
    url = _str(body.get("url"))
    return " ".join(p for p in ("Shared a location:", place, f"({coordinates})", url) if p)


def _reaction(body: Mapping[str, Any]) -> str:
    emoji = _str(body.get("emoji"))
    return f"Reacted {emoji} to a message" if emoji else "Removed a reaction"


def _interactive(body: Mapping[str, Any]) -> str:
    kind = body.get("type")
    reply = body.get(kind) if isinstance(kind, str) else None
    if not isinstance(reply, Mapping):
        return ""
    if kind == "nfm_reply":
        return _form(reply)
    title = _str(reply.get("title"))
    description = _str(reply.get("description"))
    return f"{title} — {description}" if title and description else title


def _form(reply: Mapping[str, Any]) -> str:
    answers = _str(reply.get("response_json"))
    try:
        parsed = json.loads(answers) if answers else {}
    except ValueError:
        parsed = {}
    if isinstance(parsed, dict):
        pairs = [f"{k}: {v}" for k, v in parsed.items() if k != "flow_token"]
        answers = "; ".join(pairs)
    name = _str(reply.get("name")) or "form"
    return f"Submitted the {name}: {answers}"[: MAX_PLACEHOLDER_DETAIL * 4]


def _button(body: Mapping[str, Any]) -> str:
    return _str(body.get("text")) or _str(body.get("payload"))


def _order(body: Mapping[str, Any]) -> str:
    items = body.get("product_items")
    lines = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, Mapping):
            price = f" at {item.get('item_price')} {_str(item.get('currency'))}".rstrip()
            lines.append(f"{item.get('quantity')} × {item.get('product_retailer_id')}{price}")
    note = _str(body.get("text"))
    return "Placed an order: " + "; ".join(lines) + (f" ({note})" if note else "")


def _system(body: Mapping[str, Any]) -> str:
    return f"[WhatsApp notice] {_str(body.get('body')) or _str(body.get('type'))}"


_READERS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "text": _text,
    "location": _location,
    "reaction": _reaction,
    "interactive": _interactive,
    "button": _button,
    "order": _order,
    "system": _system,
}


def _shared_contacts(cards: Any) -> str:
    """``contacts`` is the one type whose body is a list (of contact cards)."""
    people = []
    for card in cards if isinstance(cards, list) else []:
        if not isinstance(card, Mapping):
            continue
        name = card.get("name")
        full = _str(name.get("formatted_name")) if isinstance(name, Mapping) else ""
        phones = card.get("phones")
        numbers = [
            _str(p.get("phone"))
            for p in (phones if isinstance(phones, list) else [])
            if isinstance(p, Mapping) and _str(p.get("phone"))
        ]
        people.append(
            f"{full or 'unnamed'} ({', '.join(numbers)})" if numbers else full or "unnamed"
        )
    return "Shared contacts: " + "; ".join(people) if people else ""


def _placeholder(message: Mapping[str, Any]) -> str:
    """What the agent reads for a message we cannot show: its type and WhatsApp's own reason."""
    kind = message.get("type")
    detail = message.get("unsupported")
    shown = _str(detail.get("type")) if isinstance(detail, Mapping) else ""
    label = shown or (kind if isinstance(kind, str) and kind else "unknown")
    errors = message.get("errors")
    reason = _error_text(errors[0]) if isinstance(errors, list) and errors else ""
    text = f"[WhatsApp {label} message that webcare cannot show]"
    return f"{text} {reason}"[:MAX_PLACEHOLDER_DETAIL] if reason else text


# Delivery reports ---------------------------------------------------------------------------


def _status(status: Mapping[str, Any], path: str) -> StatusReport | None:
    """One ``statuses[]`` item; None for statuses that change nothing for us (``deleted``...)."""
    name = status.get("status")
    if name != STATUS_FAILED and name not in STATUSES:
        return None
    external_id = _required_str(status, "id", path)
    at = _epoch(status.get("timestamp"), path + ".timestamp")
    recipient = status.get("recipient_id")
    reason = None
    if name == STATUS_FAILED:
        errors = status.get("errors")
        detail = _error_text(errors[0]) if isinstance(errors, list) and errors else ""
        reason = "WhatsApp could not deliver the message" + (f": {detail}" if detail else "")
    return StatusReport(
        external_id=external_id,
        status=STATUSES.get(str(name), STATUS_FAILED),
        at=at,
        recipient_id=recipient if isinstance(recipient, str) else None,
        reason=reason,
    )


def _error_text(error: Any) -> str:
    """``title (code): details`` from a Cloud API error object, for the agent to read."""
    if not isinstance(error, Mapping):
        return ""
    title = _str(error.get("title")) or _str(error.get("message"))
    code = error.get("code")
    data = error.get("error_data")
    details = _str(data.get("details")) if isinstance(data, Mapping) else ""
    head = f"{title} ({code})" if title and code is not None else title or str(code or "")
    return f"{head}: {details}" if details and details != title else head


# Defensive readers --------------------------------------------------------------------------


def _items(
    container: Mapping[str, Any], key: str, path: str
) -> list[tuple[str, Mapping[str, Any]]]:
    value = container.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise Invalid(f"{path}.{key} must be a list")
    return [
        (f"{path}.{key}[{index}]", item)
        for index, item in enumerate(value)
        if isinstance(item, Mapping)
    ]


def _mapping(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise Invalid(f"{path} must be an object")
    return value


def _required_str(container: Mapping[str, Any], key: str, path: str) -> str:
    value = container.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"{path}.{key} must be a non-empty string")
    return value


def _epoch(value: Any, path: str) -> datetime:
    """WhatsApp sends Unix seconds as a string (``"1697043223"``)."""
    try:
        seconds = float(value)
        if seconds < 0 or isinstance(value, bool):
            raise ValueError
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise Invalid(f"{path} must be a Unix time") from exc


def _str(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
