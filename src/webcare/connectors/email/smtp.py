"""Sends an agent's reply as an e-mail through the account's SMTP server (``smtplib``).

Followed: RFC 5321 (reply codes: 4xx is temporary, 5xx permanent), RFC 5322 (``Message-ID``,
``In-Reply-To``, ``References``, ``Date``) and RFC 3207 (STARTTLS).

Settings: ``smtp_host``, ``smtp_port`` (465 with ``smtp_ssl``, 587 with ``smtp_starttls``,
else 25), ``smtp_ssl`` (implicit TLS), ``smtp_starttls`` (default on unless ``smtp_ssl``),
``address`` (the From address, default the account handle), ``from_name`` (its display name);
credentials ``smtp_username``/``smtp_password``, falling back to the IMAP ``username``/
``password`` (most providers use one login for both). No password: no AUTH.

The reply answers the customer's mail: ``To`` is the customer's address, ``Subject`` is
"Re: " + the conversation's subject (never "Re: Re:"), and ``In-Reply-To``/``References``
name the mail it answers, so the customer's mail client threads it and their answer names
our Message-ID, which threads it back into the same conversation here. ``References``
holds only that parent's id (the whole chain is not passed to connectors); clients thread on
it fine. The ``Message-ID`` is derived from the reply's idempotency key, so a retry after a
crash sends the same Message-ID, which receiving systems use to drop the duplicate.

Errors: rejected credentials are :class:`AuthFailed`; 4xx replies, timeouts and connection
failures are :class:`TransientError`; a 5xx reply (e.g. "550 no such user") is
:class:`PermanentError` with the server's own words for the agent.
"""

from __future__ import annotations

import email.policy
import email.utils
import hashlib
import re
import smtplib
import socket
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from email.message import EmailMessage

from webcare.channel.ports import (
    AuthFailed,
    ChannelContext,
    OutboundReply,
    PermanentError,
    SendResult,
    TransientError,
)
from webcare.kit.time import utc_now

TIMEOUT_SECONDS = 30.0
_REPLY_PREFIX = re.compile(r"^\s*(?:re|aw|antw|sv)\s*:\s*", re.IGNORECASE)
_MESSAGE_ID = re.compile(r"^<[^<>\s]+>$")
_NEWLINES = re.compile(r"[\r\n]+")


class SmtpSender:
    """``ports.Sender`` for e-mail. The HTTP client the registry passes is not used."""

    def __init__(self, client: object = None, clock: Callable[[], datetime] = utc_now) -> None:
        del client
        self._clock = clock

    def send_reply(self, channel: ChannelContext, reply: OutboundReply) -> SendResult:
        message = build_reply(channel, reply, self._clock())
        sender, recipient = from_address(channel), str(message["To"])
        with connect(channel) as smtp:
            try:
                refused = smtp.send_message(message, from_addr=sender, to_addrs=[recipient])
            except smtplib.SMTPRecipientsRefused as exc:
                code, text = next(iter(exc.recipients.values()))
                raise _by_code(code, text, f"the server refused {recipient}") from exc
            except smtplib.SMTPResponseException as exc:
                raise _by_code(
                    exc.smtp_code, exc.smtp_error, "the server refused the mail"
                ) from exc
        if refused:  # only possible with several recipients; kept for completeness
            code, text = next(iter(refused.values()))
            raise _by_code(code, text, f"the server refused {recipient}")
        message_id = str(message["Message-ID"])
        return SendResult(external_id=message_id, raw={"to": recipient, "message_id": message_id})


def build_reply(channel: ChannelContext, reply: OutboundReply, now: datetime) -> EmailMessage:
    """The e-mail for ``reply``: plain UTF-8 text with the threading headers."""
    recipient = _one_line(reply.recipient_platform_user_id or "")
    if "@" not in recipient:
        raise PermanentError("this conversation has no e-mail address to reply to")
    address = from_address(channel)
    message = EmailMessage(policy=email.policy.SMTP)
    name = _one_line(str(channel.settings.get("from_name") or ""))
    message["From"] = email.utils.formataddr((name, address)) if name else address
    message["To"] = recipient
    message["Subject"] = reply_subject(reply.subject)
    message["Date"] = email.utils.format_datetime(now)
    message["Message-ID"] = message_id_for(reply.idempotency_key, address)
    parent = (reply.reply_to_external_id or "").strip()
    if _MESSAGE_ID.match(parent):
        message["In-Reply-To"] = parent
        message["References"] = parent
    message.set_content(reply.text, charset="utf-8")
    return message


def reply_subject(subject: str | None) -> str:
    """ "Re: " + the subject without the prefixes it already has ("Re: Re:" never happens)."""
    rest = _one_line(subject or "").strip()
    while _REPLY_PREFIX.match(rest):
        rest = _REPLY_PREFIX.sub("", rest, count=1)
    return f"Re: {rest}" if rest else "Re: your message"


def message_id_for(idempotency_key: str, address: str) -> str:
    """The same Message-ID for every attempt to send one reply."""
    domain = address.rsplit("@", 1)[-1] if "@" in address else "webcare.invalid"
    digest = hashlib.sha256(f"webcare-reply\0{idempotency_key}".encode()).hexdigest()[:40]
    return f"<{digest}@{domain}>"


def from_address(channel: ChannelContext) -> str:
    address = _one_line(str(channel.settings.get("address") or channel.handle)).strip().lower()
    if "@" not in address:
        raise PermanentError("this e-mail channel has no sender address set")
    return address


@contextmanager
def connect(channel: ChannelContext) -> Iterator[smtplib.SMTP]:
    """A connection to the account's SMTP server, after EHLO, STARTTLS and AUTH as set."""
    settings = channel.settings
    host = str(settings.get("smtp_host") or "").strip()
    if not host:
        raise PermanentError("this e-mail channel has no SMTP server set")
    use_ssl = _flag(settings.get("smtp_ssl"), default=False)
    starttls = _flag(settings.get("smtp_starttls"), default=not use_ssl)
    port = _port(settings.get("smtp_port"), 465 if use_ssl else 587 if starttls else 25)
    try:
        smtp: smtplib.SMTP
        if use_ssl:
            context = ssl.create_default_context()
            smtp = smtplib.SMTP_SSL(host, port, timeout=TIMEOUT_SECONDS, context=context)
        else:
            smtp = smtplib.SMTP(host, port, timeout=TIMEOUT_SECONDS)
    except smtplib.SMTPConnectError as exc:
        raise _by_code(exc.smtp_code, exc.smtp_error, f"{host}:{port} refused us") from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise TransientError(f"could not reach SMTP server {host}:{port} ({_name(exc)})") from exc
    try:
        smtp.ehlo()
        if starttls and not use_ssl:
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        _login(smtp, channel)
        yield smtp
    except smtplib.SMTPNotSupportedError as exc:
        raise PermanentError(f"the SMTP server does not support this ({exc})") from exc
    except smtplib.SMTPResponseException as exc:
        raise _by_code(exc.smtp_code, exc.smtp_error, "the SMTP server refused") from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise TransientError(f"the SMTP connection failed ({_name(exc)})") from exc
    finally:
        _quit(smtp)


def _login(smtp: smtplib.SMTP, channel: ChannelContext) -> None:
    credentials = channel.credentials
    username = credentials.get("smtp_username") or credentials.get("username")
    password = credentials.get("smtp_password") or credentials.get("password")
    if not password or not smtp.has_extn("auth"):
        return  # a relay that trusts our address: a refusal then comes as a 5xx on RCPT
    user = str(username or from_address(channel))
    try:
        smtp.login(user, str(password))
    except smtplib.SMTPAuthenticationError as exc:
        raise AuthFailed(f"the SMTP server refused the login for {user}: {_said(exc)}") from exc


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def _by_code(code: int, text: bytes | str, what: str) -> Exception:
    said = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    reason = f"{what}: {code} {said}".strip()[:500]
    if 400 <= code < 500:
        return TransientError(reason)
    if code in (530, 534, 535):  # authentication required / too weak / credentials invalid
        return AuthFailed(reason)
    if code >= 500:
        return PermanentError(reason)
    return TransientError(reason)


def _said(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error
    said = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    return f"{exc.smtp_code} {said}"[:300]


def _flag(value: object, *, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _port(value: object, default: int) -> int:
    if value is None or value == "" or isinstance(value, bool):
        return default
    try:
        return int(str(value))
    except ValueError as exc:
        raise PermanentError("setting smtp_port must be a whole number") from exc


def _one_line(value: str) -> str:
    """Header values never contain line breaks (no header injection through a subject)."""
    return _NEWLINES.sub(" ", value)


def _name(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    return f"{exc.__class__.__name__}: {exc}"[:300]
