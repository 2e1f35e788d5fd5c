"""Real mail servers for the e-mail tests: a private Dovecot (IMAP) and an aiosmtpd (SMTP).

Dovecot runs as a subprocess with its own configuration in a temporary directory (nothing
system-wide is read or changed), on a free port of 127.0.0.1, plaintext logins allowed,
users from a passwd-file, mail in Maildirs. Run as root (CI), Dovecot's login processes must
use the unprivileged ``dovenull``/``dovecot`` users the Debian package creates, and mail is
owned by ``dovecot``; as anyone else, everything runs as that user. Mail is delivered with
IMAP ``APPEND``, as a mail client would.

``/usr/sbin/dovecot`` comes from Debian's ``dovecot-imapd`` (``.ci/run`` installs it); without
it the IMAP tests skip and say so.
"""

from __future__ import annotations

import getpass
import grp
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

DOVECOT = Path(os.environ.get("WEBCARE_DOVECOT", "/usr/sbin/dovecot"))
HOST = "127.0.0.1"
STARTUP_SECONDS = 20.0

needs_dovecot = pytest.mark.skipif(
    not DOVECOT.exists(),
    reason=f"{DOVECOT} is missing: install Debian's dovecot-imapd to run the IMAP tests",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Dovecot:
    """A running private Dovecot; ``users`` maps login to password."""

    port: int
    root: Path
    users: dict[str, str]
    process: subprocess.Popen[bytes]

    def imap(self, user: str) -> imaplib.IMAP4:
        connection = imaplib.IMAP4(HOST, self.port, timeout=10)
        connection.login(user, self.users[user])
        return connection

    def deliver(self, user: str, raw: bytes, mailbox: str = "INBOX") -> int:
        """APPEND ``raw`` to ``mailbox``; returns the UID the server gave it."""
        connection = self.imap(user)
        try:
            status, data = connection.append(mailbox, None, None, raw)
            assert status == "OK", data
            # "[APPENDUID <uidvalidity> <uid>] Append completed."
            return int(data[0].split()[2].rstrip(b"]"))
        finally:
            connection.logout()

    def recreate(self, user: str, mailbox: str) -> None:
        """Delete and create ``mailbox``: its UIDVALIDITY changes, as after a server move."""
        connection = self.imap(user)
        try:
            connection.delete(mailbox)
            status, data = connection.create(mailbox)
            assert status == "OK", data
        finally:
            connection.logout()

    def create(self, user: str, mailbox: str) -> None:
        connection = self.imap(user)
        try:
            status, data = connection.create(mailbox)
            assert status == "OK", data
        finally:
            connection.logout()


def _accounts() -> tuple[str, str, str, str]:
    """(mail user, mail group, internal user, login user) for the current process."""
    if os.geteuid() == 0:
        return "dovecot", "dovecot", "dovecot", "dovenull"
    user = getpass.getuser()
    group = grp.getgrgid(os.getegid()).gr_name
    return user, group, user, user


def _config(root: Path, port: int) -> str:
    mail_user, mail_group, internal, login = _accounts()
    return f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = {HOST}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
login_trusted_networks = 127.0.0.0/8
default_internal_user = {internal}
default_internal_group = {mail_group}
default_login_user = {login}
mail_location = maildir:{root}/mail/%u
mail_uid = {mail_user}
mail_gid = {mail_group}
first_valid_uid = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_group} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = {HOST}
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
"""


@contextmanager
def dovecot(users: dict[str, str]) -> Iterator[Dovecot]:
    """Start a private Dovecot for ``users``; stopped and removed afterwards."""
    if not DOVECOT.exists():
        pytest.skip(f"{DOVECOT} is missing: install Debian's dovecot-imapd")
    # Not under pytest's tmp_path: that is private to us, and Dovecot's users must reach it.
    root = Path(tempfile.mkdtemp(prefix="webcare-dovecot-"))
    root.chmod(0o755)
    mail_user, mail_group, _, _ = _accounts()
    for sub in ("run", "state", "mail", "home"):
        (root / sub).mkdir()
    for sub in ("mail", "home"):
        shutil.chown(root / sub, pwd.getpwnam(mail_user).pw_uid, grp.getgrnam(mail_group).gr_gid)
    (root / "passwd").write_text("".join(f"{u}:{{PLAIN}}{p}\n" for u, p in users.items()))
    port = free_port()
    (root / "dovecot.conf").write_text(_config(root, port))
    process = subprocess.Popen(
        [str(DOVECOT), "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for_port(port, process, root)
        yield Dovecot(port=port, root=root, users=users, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)


def _wait_for_port(port: int, process: subprocess.Popen[bytes], root: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
            stderr = process.stderr.read().decode() if process.stderr else ""
            raise RuntimeError(f"dovecot exited: {stderr} {log}")
        try:
            with socket.create_connection((HOST, port), timeout=1) as sock:
                if sock.recv(100).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("dovecot did not start listening in time")


# SMTP --------------------------------------------------------------------------------------


@dataclass
class Received:
    sender: str
    recipients: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Recorder:
    """An aiosmtpd handler that keeps what it accepted and refuses what it is told to."""

    received: list[Received] = field(default_factory=list)
    #: recipient address -> the SMTP reply to RCPT TO, e.g. "550 5.1.1 No such user here".
    refuse: dict[str, str] = field(default_factory=dict)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address.lower() in self.refuse:
            return self.refuse[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        content = envelope.original_content or b""
        self.received.append(
            Received(str(envelope.mail_from), list(envelope.rcpt_tos), bytes(content))
        )
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    port: int
    recorder: Recorder


class _Authenticator:
    def __init__(self, users: dict[str, str]) -> None:
        self._users = users

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if isinstance(data, LoginPassword):
            user, password = data.login.decode(), data.password.decode()
            if self._users.get(user) == password:
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


@contextmanager
def smtp_server(
    users: dict[str, str] | None = None, port: int | None = None
) -> Iterator[SmtpServer]:
    """An SMTP server on ``port`` (default a free one); with ``users`` it requires AUTH
    (plain text allowed, since this is a local test without TLS)."""
    recorder = Recorder()
    port = port or free_port()
    kwargs: dict[str, Any] = {}
    if users is not None:
        kwargs = {
            "authenticator": _Authenticator(users),
            "auth_required": True,
            "auth_require_tls": False,
        }
    controller = Controller(recorder, hostname=HOST, port=port, **kwargs)
    controller.start()
    try:
        yield SmtpServer(port=port, recorder=recorder)
    finally:
        controller.stop()
