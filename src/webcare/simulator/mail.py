"""A tiny mail provider for the demo: an SMTP sink and an IMAP4rev1 subset with one INBOX.

Just enough of RFC 5321 (SMTP) and RFC 3501 (IMAP4rev1) for what webcare's e-mail connector
(``connectors/email/imap.py``, ``smtp.py``, ``check.py``) actually sends, so the demo can play
e-mail customers without a real mail server (aiosmtpd and Dovecot are test-only tools):

* SMTP: EHLO/HELO, AUTH PLAIN/LOGIN with the simulator's credentials, MAIL FROM, RCPT TO,
  DATA (dot-unstuffed), RSET, NOOP, QUIT. Every mail is recorded in :class:`SimState` as
  ``Sent(platform="email", kind="email")``: what Glasnet sent a customer.
* IMAP: CAPABILITY, LOGIN, SELECT/EXAMINE (EXISTS, UIDVALIDITY, UIDNEXT), UID SEARCH (``ALL``
  and ``UID n:*``-style sets), UID FETCH (``UID``, ``RFC822.SIZE``, ``BODY.PEEK[]``/``BODY[]``,
  ``FLAGS``), NOOP, CLOSE, LOGOUT. Anything else is answered ``BAD``.

A customer's mail lands in the INBOX with :func:`deliver_mail`. Both servers are stdlib
``socketserver`` servers in daemon threads bound to 127.0.0.1 and never use TLS: the demo
connects in plain text on the loopback interface only.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import email.utils
import re
import socketserver
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage

from webcare.simulator.state import Sent, SimState

PLATFORM = "email"
HOST = "127.0.0.1"
#: The demo mailbox's login (well known, like the simulator's other credentials).
DEMO_USERNAME = "klantenservice@glasnet.nl"
DEMO_PASSWORD = "sim-mail-password"  # noqa: S105
MAX_LINE = 8192
MAX_MAIL_BYTES = 10 * 1024 * 1024
_LOCK = threading.Lock()
_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|(\S+)')


def configure_mailbox(
    state: SimState, *, username: str, password: str, uidvalidity: int | None = None
) -> None:
    """The login both servers accept; until it is set, every login is refused.

    The INBOX lives only as long as ``state``, so each new one gets its own UIDVALIDITY (from
    the clock unless given): a demo restarted on the same database starts its UIDs at 1 again,
    and the poller's stored cursor must not make it skip them (RFC 3501 2.3.1.1).
    """
    data = state.platform_data(PLATFORM)
    with _LOCK:
        data.update(username=username, password=password)
        data.setdefault("inbox", [])
        data.setdefault("uidvalidity", uidvalidity or int(time.time() * 1000) % 4_000_000_000 + 1)


def deliver_mail(state: SimState, raw: bytes) -> int:
    """Append a customer's mail to the INBOX; returns its UID."""
    data = state.platform_data(PLATFORM)
    with _LOCK:
        inbox: list[bytes] = data.setdefault("inbox", [])
        inbox.append(bytes(raw))
        return len(inbox)


def inbox(state: SimState) -> list[bytes]:
    """The INBOX's mails; a mail's UID is its position + 1 (nothing is ever expunged)."""
    with _LOCK:
        return list(state.platform_data(PLATFORM).get("inbox", []))


def _accepts(state: SimState, username: str, password: str) -> bool:
    data = state.platform_data(PLATFORM)
    expected = data.get("username"), data.get("password")
    return bool(expected[1]) and (username, password) == expected


@dataclass
class MailServers:
    """The running SMTP and IMAP servers; :meth:`stop` ends both."""

    smtp_port: int
    imap_port: int
    host: str = HOST
    _servers: list[socketserver.ThreadingTCPServer] = field(default_factory=list, repr=False)
    _threads: list[threading.Thread] = field(default_factory=list, repr=False)

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, handler: type[socketserver.BaseRequestHandler], state: SimState):
        self.state = state
        super().__init__((HOST, port), handler)


def start_mail_servers(state: SimState, *, smtp_port: int = 0, imap_port: int = 0) -> MailServers:
    """Serve SMTP and IMAP on 127.0.0.1 (port 0: any free port); raises OSError when taken."""
    smtp = _Server(smtp_port, _SmtpHandler, state)
    try:
        imap = _Server(imap_port, _ImapHandler, state)
    except OSError:
        smtp.server_close()
        raise
    servers = MailServers(smtp_port=_port(smtp), imap_port=_port(imap))
    for server, name in ((smtp, "demo-smtp"), (imap, "demo-imap")):
        thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
        thread.start()
        servers._servers.append(server)
        servers._threads.append(thread)
    return servers


def _port(server: socketserver.TCPServer) -> int:
    return int(server.server_address[1])


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def send(self, line: str) -> None:
        self.wfile.write(line.encode("utf-8") + b"\r\n")

    def read_line(self) -> bytes | None:
        """One line without its CRLF; None when the client has gone or sent too long a line."""
        raw = self.rfile.readline(MAX_LINE + 1)
        if not raw or len(raw) > MAX_LINE:
            return None
        return raw.rstrip(b"\r\n")


# --- SMTP ------------------------------------------------------------------------------------


class _SmtpHandler(_Handler):
    def handle(self) -> None:
        self.send("220 mail.simulator ESMTP webcare simulator")
        self.sender: str | None = None
        self.recipients: list[str] = []
        self.authenticated = False
        while (raw := self.read_line()) is not None:
            line = raw.decode("utf-8", errors="replace")
            verb, _, arg = line.partition(" ")
            verb = verb.upper()
            if verb == "QUIT":
                self.send("221 bye")
                return
            self._command(verb, arg.strip())

    def _command(self, verb: str, arg: str) -> None:
        if verb == "EHLO":
            self._reset()
            for reply in ("250-mail.simulator", "250-8BITMIME", "250-AUTH PLAIN LOGIN"):
                self.send(reply)
            self.send(f"250 SIZE {MAX_MAIL_BYTES}")
        elif verb == "HELO":
            self._reset()
            self.send("250 mail.simulator")
        elif verb == "AUTH":
            self._auth(arg)
        elif verb == "MAIL" and arg.upper().startswith("FROM:"):
            self._reset()
            self.sender = _path(arg[5:])
            self.send("250 OK")
        elif verb == "RCPT" and arg.upper().startswith("TO:"):
            if self.sender is None:
                self.send("503 MAIL FROM first")
            else:
                self.recipients.append(_path(arg[3:]))
                self.send("250 OK")
        elif verb == "DATA":
            self._data()
        elif verb == "RSET":
            self._reset()
            self.send("250 OK")
        elif verb == "NOOP":
            self.send("250 OK")
        else:
            self.send("502 command not implemented")

    def _reset(self) -> None:
        self.sender, self.recipients = None, []

    def _auth(self, arg: str) -> None:
        mechanism, _, initial = arg.partition(" ")
        try:
            if mechanism.upper() == "PLAIN":
                answer = initial or self._challenge("")
                _, username, password = _b64(answer).split("\0", 2)
            elif mechanism.upper() == "LOGIN":
                username = _b64(initial or self._challenge("VXNlcm5hbWU6"))
                password = _b64(self._challenge("UGFzc3dvcmQ6"))
            else:
                self.send("504 unrecognised authentication type")
                return
        except (ValueError, binascii.Error):
            self.send("501 cannot decode the credentials")
            return
        if _accepts(self.server.state, username, password):
            self.authenticated = True
            self.send("235 authentication successful")
        else:
            self.send("535 5.7.8 authentication credentials invalid")

    def _challenge(self, prompt: str) -> str:
        self.send(f"334 {prompt}")
        raw = self.read_line()
        if raw is None:
            raise ValueError("client went away")
        return raw.decode("ascii", errors="replace")

    def _data(self) -> None:
        if self.sender is None or not self.recipients:
            self.send("503 RCPT TO first")
            return
        self.send("354 end data with <CR><LF>.<CR><LF>")
        lines: list[bytes] = []
        size = 0
        while True:
            raw = self.rfile.readline(MAX_LINE + 1)
            if not raw:
                return
            if raw in (b".\r\n", b".\n"):
                break
            if raw.startswith(b"."):
                raw = raw[1:]  # RFC 5321 4.5.2: the client doubled leading dots
            size += len(raw)
            lines.append(raw)
        if size > MAX_MAIL_BYTES:
            self.send("552 message too big")
        else:
            record_mail(self.server.state, b"".join(lines), self.recipients)
            self.send("250 OK queued")
        self._reset()


def _path(arg: str) -> str:
    """The address of ``<a@b> SIZE=...`` (a MAIL/RCPT argument)."""
    text = arg.strip()
    if text.startswith("<"):
        return text[1 : text.find(">")] if ">" in text else text[1:]
    return text.split(" ", 1)[0]


def _b64(value: str) -> str:
    return base64.b64decode(value.strip(), validate=True).decode("utf-8")


def record_mail(state: SimState, raw: bytes, recipients: list[str]) -> Sent:
    """Remember a mail webcare sent: recipient, subject, threading headers and its text."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    body = message.get_body(("plain",))
    text = body.get_content() if isinstance(body, EmailMessage) else ""
    to = email.utils.parseaddr(str(message.get("To", "")))[1] or recipients[0]
    return state.record(
        Sent(
            platform=PLATFORM,
            kind="email",
            external_id=str(message.get("Message-ID", "")).strip() or state.next_id("<sim-"),
            text=str(text).replace("\r\n", "\n").strip(),
            recipient=to.lower(),
            in_reply_to=str(message.get("In-Reply-To", "")).strip() or None,
            request={
                "subject": str(message.get("Subject", "")),
                "references": str(message.get("References", "")),
                "from": str(message.get("From", "")),
                "rcpt_to": list(recipients),
            },
        )
    )


# --- IMAP ------------------------------------------------------------------------------------


class _ImapHandler(_Handler):
    def handle(self) -> None:
        self.send("* OK [CAPABILITY IMAP4rev1] webcare simulator ready")
        self.user: str | None = None
        self.selected = False
        while (raw := self.read_line()) is not None:
            tag, _, rest = raw.decode("utf-8", errors="replace").partition(" ")
            command, _, arg = rest.partition(" ")
            command = command.upper()
            if not tag or not command:
                self.send(f"{tag or '*'} BAD empty command")
            elif command == "LOGOUT":
                self.send("* BYE logging out")
                self.send(f"{tag} OK LOGOUT completed")
                return
            else:
                self._command(tag, command, arg)

    def _command(self, tag: str, command: str, arg: str) -> None:
        if command == "CAPABILITY":
            self.send("* CAPABILITY IMAP4rev1")
            self.send(f"{tag} OK CAPABILITY completed")
        elif command == "NOOP":
            self.send(f"{tag} OK NOOP completed")
        elif command == "LOGIN":
            words = _words(arg)
            if len(words) == 2 and _accepts(self.server.state, words[0], words[1]):
                self.user = words[0]
                self.send(f"{tag} OK LOGIN completed")
            else:
                self.send(f"{tag} NO [AUTHENTICATIONFAILED] invalid credentials")
        elif self.user is None:
            self.send(f"{tag} NO log in first")
        elif command in ("SELECT", "EXAMINE"):
            self._select(tag, command, arg)
        elif command == "CLOSE" and self.selected:
            self.selected = False
            self.send(f"{tag} OK CLOSE completed")
        elif command == "UID" and self.selected:
            self._uid(tag, arg)
        else:
            self.send(f"{tag} BAD {command} is not supported here")

    def _select(self, tag: str, command: str, arg: str) -> None:
        words = _words(arg)
        if len(words) != 1 or words[0].upper() != "INBOX":
            self.selected = False
            self.send(f"{tag} NO [NONEXISTENT] no such mailbox")
            return
        count = len(inbox(self.server.state))
        uidvalidity = int(self.server.state.platform_data(PLATFORM).get("uidvalidity", 1))
        self.selected = True
        for line in (
            "* FLAGS (\\Seen)",
            f"* {count} EXISTS",
            "* 0 RECENT",
            f"* OK [UIDVALIDITY {uidvalidity}] UIDs valid",
            f"* OK [UIDNEXT {count + 1}] predicted next UID",
        ):
            self.send(line)
        mode = "READ-ONLY" if command == "EXAMINE" else "READ-WRITE"
        self.send(f"{tag} OK [{mode}] {command} completed")

    def _uid(self, tag: str, arg: str) -> None:
        sub, _, rest = arg.partition(" ")
        mails = inbox(self.server.state)
        try:
            if sub.upper() == "SEARCH":
                found = _search(rest, len(mails))
                self.send("* SEARCH" + "".join(f" {uid}" for uid in found))
            elif sub.upper() == "FETCH":
                uid_set, _, items = rest.partition(" ")
                for uid in _uids(uid_set, len(mails)):
                    self._fetch(uid, mails[uid - 1], items.upper())
            else:
                self.send(f"{tag} BAD UID {sub} is not supported here")
                return
        except ValueError as exc:
            self.send(f"{tag} BAD {exc}")
            return
        self.send(f"{tag} OK UID {sub.upper()} completed")

    def _fetch(self, uid: int, raw: bytes, items: str) -> None:
        parts = [f"UID {uid}"]
        if "RFC822.SIZE" in items:
            parts.append(f"RFC822.SIZE {len(raw)}")
        if "FLAGS" in items:
            parts.append("FLAGS ()")
        head = f"* {uid} FETCH ({' '.join(parts)}"
        if "BODY.PEEK[]" in items or "BODY[]" in items:
            self.wfile.write(f"{head} BODY[] {{{len(raw)}}}\r\n".encode() + raw + b")\r\n")
        else:
            self.send(head + ")")


def _words(arg: str) -> list[str]:
    """Atoms and quoted strings (with ``\\"`` and ``\\\\`` unescaped)."""
    words: list[str] = []
    for quoted, atom in _TOKEN.findall(arg):
        words.append(re.sub(r"\\(.)", r"\1", quoted) if quoted or not atom else atom)
    return words


def _search(criteria: str, count: int) -> list[int]:
    words = _words(criteria)
    if [w.upper() for w in words] == ["ALL"]:
        return list(range(1, count + 1))
    if len(words) == 2 and words[0].upper() == "UID":
        return _uids(words[1], count)
    raise ValueError("only SEARCH ALL and SEARCH UID <set> are supported here")


def _uids(uid_set: str, count: int) -> list[int]:
    """The existing UIDs of an IMAP sequence set (``1,3:5``, ``7:*``; ``*`` is the last)."""
    found: set[int] = set()
    for part in uid_set.split(","):
        low, _, high = part.partition(":")
        try:
            start = count if low == "*" else int(low)
            end = start if not high else count if high == "*" else int(high)
        except ValueError as exc:
            raise ValueError(f"bad UID set {uid_set!r}") from exc
        if count:
            start, end = sorted((start, end))
            found.update(range(max(start, 1), min(end, count) + 1))
    return sorted(found)


def compose(
    *,
    sender: tuple[str, str],
    to: str,
    subject: str,
    text: str,
    message_id: str,
    in_reply_to: str | None = None,
    references: list[str] | None = None,
) -> bytes:
    """A customer's plain-text mail as the bytes their provider would store."""
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = email.utils.formataddr(sender)
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = email.utils.formatdate(localtime=False)
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = " ".join(references)
    message.set_content(text, charset="utf-8")
    return message.as_bytes()
