"""Which connector does what for which platform: one line per platform and capability.

Each factory takes the shared ``httpx.Client`` (or ignores it, as the e-mail connector may),
so callers own timeouts and connection reuse. A platform missing from a table simply lacks
that capability; callers turn that into a readable error, never a crash.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from webcare.channel.ports import Actor, ConnectionChecker, Poller, Sender
from webcare.connectors.api.client import ApiChannelSender
from webcare.connectors.x.client import XSender

SENDERS: dict[str, Callable[[httpx.Client], Sender]] = {
    "api": ApiChannelSender,
    "x": XSender,
}

ACTORS: dict[str, Callable[[httpx.Client], Actor]] = {}

POLLERS: dict[str, Callable[[httpx.Client], Poller]] = {}

CHECKERS: dict[str, Callable[[httpx.Client], ConnectionChecker]] = {}
