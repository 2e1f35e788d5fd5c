"""One raw RFC 5322 message (bytes, as IMAP hands it over) to an :class:`InboundMessage`.

Followed: RFC 5322 (Message-ID, In-Reply-To, References, Date), RFC 2045-2047 (MIME parts,
charsets, quoted-printable/base64, encoded words in headers), RFC 3834 (``Auto-Submitted``:
anything but ``no`` is automatic and must not be answered) and the common ``Precedence:
bulk|junk|list`` convention.

* ``external_id`` is the Message-ID (``<id@host>``, angle brackets kept, because that is how
  ``In-Reply-To`` and ``References`` name it); a mail without one gets a stable
  ``<sha256@webcare.invalid>`` from its bytes, so fetching it twice stays one message.
* Threading: ``thread_external_id`` is the first id in ``References`` (the thread's root),
  else the ``In-Reply-To`` id; ``reply_to_external_id`` is the ``In-Reply-To`` id.
* Text: the ``text/plain`` body, else the HTML body made into safe text (``text.py``), with
  the quoted history trimmed.
* Attachments carry their bytes (``Attachment.content``) and a URL ``/attachments/{token}``;
  the token is derived from the account, Message-ID and part number, so a re-fetched mail
  names the same stored file. ``channel.attachments.keep`` stores the bytes.
* Ignored (returns None): automatic mail (auto-replies, bounces, bulk) and mail from one of
  our own addresses, so two autoresponders can never answer each other in a loop.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import hashlib
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.message import EmailMessage, Message
from typing import Any

from webcare.channel.ports import (
    MAX_ID_LENGTH,
    MAX_TEXT_LENGTH,
    Attachment,
    Author,
    ConversationKind,
    InboundMessage,
    MessageVisibility,
)
from webcare.connectors.email.text import html_to_text, tidy, trim_quoted
from webcare.kit.errors import Invalid
from webcare.kit.time import utc_now

ATTACHMENT_URL = "/attachments/{token}"
#: Bigger parts are listed in the text but not kept (mail servers rarely accept more anyway).
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
MAX_SUBJECT_LENGTH = 500
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_BULK_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
_AUTOMATIC_HEADERS = ("x-autoreply", "x-autorespond", "x-auto-response-suppress")
_BODY_TYPES = frozenset({"text/plain", "text/html"})
_DAEMON = re.compile(r"^(mailer-daemon|postmaster)@", re.IGNORECASE)


def parse_message(
    raw: bytes,
    *,
    account_id: int,
    own_addresses: frozenset[str] = frozenset(),
    now: Callable[[], datetime] = utc_now,
) -> InboundMessage | None:
    """The inbound message in ``raw``; None for mail that must not reach the inbox.

    Raises :class:`Invalid` for mail we cannot use at all (no sender address).
    """
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    name, address = sender(msg)
    if ignore_reason(msg, address, own_addresses) is not None:
        return None
    message_id = _message_id(msg, raw)
    references = message_ids(_header(msg, "References"))
    in_reply_to = next(iter(message_ids(_header(msg, "In-Reply-To"))), None)
    thread = references[0] if references else in_reply_to
    attachments, skipped = _attachments(msg, account_id, message_id)
    subject = _header(msg, "Subject").strip()[:MAX_SUBJECT_LENGTH] or None
    text = _text(msg, skipped) or ("" if attachments else subject or "(no text)")
    return InboundMessage(
        external_id=message_id,
        author=Author(platform_user_id=address, handle=address, name=name or None),
        text=text,
        platform_time=_date(msg, now),
        kind=ConversationKind.EMAIL,
        visibility=MessageVisibility.PRIVATE,
        reply_to_external_id=in_reply_to if in_reply_to != message_id else None,
        thread_external_id=thread if thread != message_id else None,
        subject=subject,
        attachments=attachments,
        raw=_raw(msg, message_id),
    )


def sender(msg: Message) -> tuple[str, str]:
    """(display name, lower-cased address) of ``From``; Invalid when there is no address."""
    name, address = email.utils.parseaddr(_header(msg, "From"))
    address = address.strip().lower()
    if "@" not in address or len(address) > MAX_ID_LENGTH:
        raise Invalid("the e-mail has no usable From address")
    return name.strip(), address


def ignore_reason(msg: Message, address: str, own_addresses: frozenset[str]) -> str | None:
    """Why this mail must not become a customer message (None: it should)."""
    if address in own_addresses:
        return "sent from our own address"
    auto = _header(msg, "Auto-Submitted").strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    if _header(msg, "Precedence").strip().lower() in _BULK_PRECEDENCE:
        return "bulk mail"
    if any(msg.get(h) is not None for h in _AUTOMATIC_HEADERS):
        return "auto-reply"
    if _DAEMON.match(address) or msg.get_content_type() == "multipart/report":
        return "delivery report"
    return None


def message_ids(value: str) -> list[str]:
    """The ``<id>`` tokens of a Message-ID, In-Reply-To or References header, in order."""
    return [m for m in _MESSAGE_ID.findall(value) if len(m) <= MAX_ID_LENGTH]


def _header(msg: Message, name: str) -> str:
    """A header as text (encoded words decoded); empty when missing or unreadable."""
    try:
        value = msg.get(name)
    except (ValueError, IndexError, TypeError):  # a header the parser cannot read
        value = None
    return "" if value is None else str(value)


def _message_id(msg: Message, raw: bytes) -> str:
    found = message_ids(_header(msg, "Message-ID"))
    if found:
        return found[0]
    return f"<{hashlib.sha256(raw).hexdigest()[:40]}@webcare.invalid>"


def _date(msg: Message, now: Callable[[], datetime]) -> datetime:
    value = _header(msg, "Date")
    try:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
    except (ValueError, TypeError, IndexError):
        parsed = None
    if parsed is None:
        return now()
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _text(msg: EmailMessage, skipped: list[str]) -> str:
    plain, markup = _bodies(msg)
    text = tidy(plain) if plain.strip() else html_to_text(markup) if markup.strip() else ""
    text = trim_quoted(text) if text else ""
    notes = [f"[attachment {name} was too large to keep]" for name in skipped]
    text = "\n\n".join([text, *notes]) if notes else text
    if len(text) > MAX_TEXT_LENGTH:
        text = text[: MAX_TEXT_LENGTH - 20].rstrip() + "\n[…] (shortened)"
    return text


def _bodies(msg: EmailMessage) -> tuple[str, str]:
    """The first inline text/plain and text/html bodies (either may be empty)."""
    plain = markup = ""
    for part in _leaves(msg):
        if _is_attachment(part):
            continue
        kind = part.get_content_type()
        if kind == "text/plain" and not plain:
            plain = _decode(part)
        elif kind == "text/html" and not markup:
            markup = _decode(part)
    return plain, markup


def _leaves(msg: Message) -> Iterator[Message]:
    for part in msg.walk():
        if not part.is_multipart():
            yield part


def _is_attachment(part: Message) -> bool:
    disposition = part.get_content_disposition()
    if disposition == "attachment":
        return True
    if part.get_content_type() not in _BODY_TYPES:
        return True  # images, PDFs, calendar invites ...
    return disposition == "inline" and part.get_filename() is not None


def _decode(part: Message) -> str:
    """A text part's content, whatever its charset claims; undecodable bytes are replaced."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:  # an unknown charset name: utf-8, else latin-1 never fails
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError:
            return payload.decode("latin-1")


def _attachments(
    msg: EmailMessage, account_id: int, message_id: str
) -> tuple[tuple[Attachment, ...], list[str]]:
    kept: list[Attachment] = []
    skipped: list[str] = []
    for index, part in enumerate(_leaves(msg)):
        if not _is_attachment(part) or part.get_content_maintype() == "multipart":
            continue
        content = part.get_payload(decode=True)
        if not isinstance(content, bytes):
            continue
        mime = part.get_content_type()
        name = _filename(part, mime)
        if len(content) > MAX_ATTACHMENT_BYTES:
            skipped.append(name)
            continue
        token = attachment_token(account_id, message_id, index)
        kept.append(
            Attachment(
                kind=_kind(mime),
                url=ATTACHMENT_URL.format(token=token),
                mime_type=mime,
                name=name,
                content=content,
            )
        )
    return tuple(kept), skipped


def attachment_token(account_id: int, message_id: str, index: int) -> str:
    """The same token for the same part of the same mail on the same account."""
    seed = f"{account_id}\0{message_id}\0{index}".encode()
    return hashlib.sha256(seed).hexdigest()[:40]


def _filename(part: Message, mime: str) -> str:
    try:
        name = part.get_filename()
    except (ValueError, TypeError, IndexError):
        name = None
    name = (name or "").replace("/", "_").replace("\\", "_").strip()
    return name[:200] or f"attachment.{mime.split('/')[-1][:20]}"


def _kind(mime: str) -> str:
    major = mime.split("/")[0]
    return major if major in ("image", "video", "audio") else "file"


def _raw(msg: Message, message_id: str) -> dict[str, Any]:
    """The headers worth keeping with the message (not the body: that is the text)."""
    keep = ("From", "To", "Cc", "Reply-To", "Subject", "Date", "In-Reply-To", "References")
    headers = {h.lower(): _header(msg, h)[:2000] for h in keep if msg.get(h) is not None}
    return {"message_id": message_id, "headers": headers}
