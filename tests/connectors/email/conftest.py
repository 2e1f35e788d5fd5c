"""Fixtures for the e-mail tests: one private Dovecot per test module, an SMTP server per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.connectors.email.servers import Dovecot, SmtpServer, dovecot, smtp_server

USER = "klantenservice@glasnet.nl"
PASSWORD = "imap-secret-1"


@pytest.fixture(scope="module")
def imap_server() -> Iterator[Dovecot]:
    with dovecot({USER: PASSWORD}) as server:
        yield server


@pytest.fixture
def mailbox(imap_server: Dovecot) -> str:
    """A fresh, empty mailbox of its own for each test."""
    name = f"T{uuid.uuid4().hex[:12]}"
    imap_server.create(USER, name)
    return name


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server
