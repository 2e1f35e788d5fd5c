"""Polls a mailbox over IMAP (RFC 3501 / RFC 9051) with the standard library's ``imaplib``.

Settings: ``imap_host``, ``imap_port`` (993 with TLS, else 143), ``imap_ssl`` (implicit TLS,
default on), ``imap_starttls`` (upgrade a plain connection), ``mailbox`` (default ``INBOX``),
``initial_backlog`` (how many recent mails a fresh or reset mailbox starts with, default 20);
credentials ``username`` (default the address) and ``password``.

The cursor is ``{"uidvalidity", "last_uid"}``. A poll asks ``UID SEARCH UID last+1:*`` and
keeps only UIDs above ``last_uid`` (``n:*`` always matches the newest mail, even an old one).
UIDs are only meaningful within one UIDVALIDITY: when the server reports another one (the
mailbox was recreated or migrated), the poll starts again from the most recent
``initial_backlog`` mails; anything already stored comes back as a duplicate (its Message-ID),
never twice. At most :data:`BATCH_SIZE` mails are fetched per poll; the rest come next time.

We never change the mailbox: it is opened read-only (``EXAMINE``) and mails are fetched with
``BODY.PEEK[]``, so \\Seen flags stay as the people who also read this mailbox left them.

Errors: a refused login is :class:`AuthFailed`; connection failures, timeouts and dropped
connections are :class:`TransientError`; a mailbox that does not exist is
:class:`PermanentError`. A single mail we cannot parse is skipped (and logged), so one broken
message never blocks the mailbox.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from webcare.channel.ports import (
    AuthFailed,
    ChannelContext,
    InboundMessage,
    PermanentError,
    PollResult,
    TransientError,
)
from webcare.connectors.email.parse import parse_message
from webcare.kit.errors import Invalid

log = logging.getLogger(__name__)

BATCH_SIZE = 50
DEFAULT_BACKLOG = 20
TIMEOUT_SECONDS = 30.0
#: Mails bigger than this are skipped rather than downloaded.
MAX_MESSAGE_BYTES = 40 * 1024 * 1024
_UID = re.compile(rb"\bUID (\d+)", re.IGNORECASE)
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)", re.IGNORECASE)


def own_addresses(channel: ChannelContext) -> frozenset[str]:
    """Our own addresses on this account: mail from them is never a customer's."""
    candidates = (
        channel.settings.get("address"),
        channel.handle,
        channel.credentials.get("username"),
    )
    return frozenset(str(c).strip().lower() for c in candidates if c and "@" in str(c))


class ImapPoller:
    """``ports.Poller`` for e-mail. The HTTP client the registry passes is not used."""

    def __init__(self, client: object = None) -> None:
        del client

    def poll(self, channel: ChannelContext, cursor: dict[str, Any]) -> PollResult:
        with connect(channel) as imap:
            uidvalidity = select(imap, channel)
            seen, uids = self._new_uids(imap, channel, cursor, uidvalidity)
            batch = uids[:BATCH_SIZE]
            events = self._fetch(imap, channel, batch)
        last_uid = batch[-1] if batch else seen
        return PollResult(
            events=tuple(events), cursor={"uidvalidity": uidvalidity, "last_uid": last_uid}
        )

    def _new_uids(
        self, imap: imaplib.IMAP4, channel: ChannelContext, cursor: dict[str, Any], validity: int
    ) -> tuple[int, list[int]]:
        """(the UID up to which everything counts as seen, the UIDs to fetch after it)."""
        last = cursor.get("last_uid")
        if cursor.get("uidvalidity") != validity or not isinstance(last, int):
            backlog = max(0, _int_setting(channel, "initial_backlog", DEFAULT_BACKLOG))
            uids = _search(imap, "ALL")
            skipped = uids[: len(uids) - backlog]
            return (skipped[-1] if skipped else 0), uids[len(skipped) :]
        return last, [uid for uid in _search(imap, f"UID {last + 1}:*") if uid > last]

    def _fetch(
        self, imap: imaplib.IMAP4, channel: ChannelContext, uids: list[int]
    ) -> list[InboundMessage]:
        own = own_addresses(channel)
        sizes = _sizes(imap, uids)
        found: list[InboundMessage] = []
        for uid in uids:
            if sizes.get(uid, 0) > MAX_MESSAGE_BYTES:
                log.warning(
                    "mail uid %s on account %s is too large", uid, channel.channel_account_id
                )
                continue
            raw = _body(imap, uid)
            if raw is None:
                continue  # expunged between SEARCH and FETCH
            try:
                message = parse_message(
                    raw, account_id=channel.channel_account_id, own_addresses=own
                )
            except Invalid as exc:
                log.warning("skipped mail uid %s: %s", uid, exc.detail)
                continue
            except Exception:
                # A parser bug must not stall the mailbox on this one mail forever.
                log.exception("skipped unreadable mail uid %s", uid)
                continue
            if message is not None:
                found.append(message)
        return found


@contextmanager
def connect(channel: ChannelContext) -> Iterator[imaplib.IMAP4]:
    """A logged-in IMAP connection for ``channel``, logged out afterwards."""
    settings = channel.settings
    host = str(settings.get("imap_host") or "").strip()
    if not host:
        raise PermanentError("this e-mail channel has no IMAP server set")
    username, password = _credentials(channel)
    use_ssl = _flag(settings, "imap_ssl", default=True)
    port = _int_setting(channel, "imap_port", 993 if use_ssl else 143)
    try:
        imap: imaplib.IMAP4
        if use_ssl:
            context = ssl.create_default_context()
            imap = imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=TIMEOUT_SECONDS)
        else:
            imap = imaplib.IMAP4(host, port, timeout=TIMEOUT_SECONDS)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise TransientError(f"could not reach IMAP server {host}:{port} ({_name(exc)})") from exc
    try:
        if not use_ssl and _flag(settings, "imap_starttls", default=False):
            _starttls(imap, host)
        _login(imap, username, password)
        yield imap
    except imaplib.IMAP4.abort as exc:
        raise TransientError(f"the IMAP server dropped the connection ({exc})") from exc
    except imaplib.IMAP4.error as exc:
        raise TransientError(f"the IMAP server refused a command ({exc})") from exc
    except (OSError, EOFError) as exc:
        raise TransientError(f"the IMAP connection failed ({_name(exc)})") from exc
    finally:
        _logout(imap)


def select(imap: imaplib.IMAP4, channel: ChannelContext) -> int:
    """Open the account's mailbox read-only; returns its UIDVALIDITY."""
    mailbox = str(channel.settings.get("mailbox") or "INBOX")
    status, data = imap.select(_quote(mailbox), readonly=True)
    if status != "OK":
        raise PermanentError(f"mailbox {mailbox!r} cannot be opened: {_text(data)}")
    _, values = imap.response("UIDVALIDITY")
    try:
        return int(values[0])
    except (TypeError, ValueError, IndexError) as exc:
        raise TransientError("the IMAP server did not report UIDVALIDITY") from exc


def _starttls(imap: imaplib.IMAP4, host: str) -> None:
    """Upgrade to TLS; a server that does not offer it is a setting to fix, not to retry."""
    if "STARTTLS" not in imap.capabilities:
        raise PermanentError(f"IMAP server {host} does not offer STARTTLS; check the settings")
    imap.starttls(ssl.create_default_context())


def _credentials(channel: ChannelContext) -> tuple[str, str]:
    username = str(
        channel.credentials.get("username") or channel.settings.get("address") or channel.handle
    )
    password = str(channel.credentials.get("password") or "")
    if not password:
        raise AuthFailed("this e-mail channel has no password; connect it again")
    return username, password


def _login(imap: imaplib.IMAP4, username: str, password: str) -> None:
    try:
        imap.login(username, password)
    except imaplib.IMAP4.abort:
        raise
    except imaplib.IMAP4.error as exc:
        # The server's words ("[AUTHENTICATIONFAILED] ...") never contain the password.
        raise AuthFailed(f"the IMAP server refused the login for {username}: {exc}") from exc


def _logout(imap: imaplib.IMAP4) -> None:
    with contextlib.suppress(OSError, EOFError, imaplib.IMAP4.error):
        imap.logout()  # an error here means it is already gone: nothing to clean up


def _search(imap: imaplib.IMAP4, criteria: str) -> list[int]:
    status, data = imap.uid("SEARCH", criteria)
    if status != "OK":
        raise TransientError(f"IMAP search failed: {_text(data)}")
    words = b" ".join(d for d in data if isinstance(d, bytes)).split()
    return sorted(int(w) for w in words if w.isdigit())


def _sizes(imap: imaplib.IMAP4, uids: list[int]) -> dict[int, int]:
    if not uids:
        return {}
    status, data = imap.uid("FETCH", ",".join(map(str, uids)), "(UID RFC822.SIZE)")
    if status != "OK":
        raise TransientError(f"IMAP fetch failed: {_text(data)}")
    sizes: dict[int, int] = {}
    for item in data:
        line = item[0] if isinstance(item, tuple) else item
        if isinstance(line, bytes):
            uid, size = _UID.search(line), _SIZE.search(line)
            if uid and size:
                sizes[int(uid.group(1))] = int(size.group(1))
    return sizes


def _body(imap: imaplib.IMAP4, uid: int) -> bytes | None:
    status, data = imap.uid("FETCH", str(uid), "(UID BODY.PEEK[])")
    if status != "OK":
        raise TransientError(f"IMAP fetch of uid {uid} failed: {_text(data)}")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def _flag(settings: dict[str, Any], name: str, *, default: bool) -> bool:
    value = settings.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _int_setting(channel: ChannelContext, name: str, default: int) -> int:
    value = channel.settings.get(name)
    if value is None or value == "" or isinstance(value, bool):
        return default
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise PermanentError(f"setting {name} must be a whole number") from exc


def _quote(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(data: list[Any]) -> str:
    return " ".join(d.decode(errors="replace") for d in data if isinstance(d, bytes))[:300]


def _name(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    return f"{exc.__class__.__name__}: {exc}"[:300]
