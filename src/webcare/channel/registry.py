"""Which connector does what for which platform: one line per platform and capability.

Each factory takes the shared ``httpx.Client`` (or ignores it, as the e-mail connector may),
so callers own timeouts and connection reuse. A platform missing from a table simply lacks
that capability; callers turn that into a readable error, never a crash.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from webcare.channel.ports import Actor, ConnectionChecker, Poller, Sender
from webcare.channel.webchat.sender import WebchatSender
from webcare.connectors.api.client import ApiChannelSender
from webcare.connectors.email.check import EmailChecker
from webcare.connectors.email.imap import ImapPoller
from webcare.connectors.email.smtp import SmtpSender
from webcare.connectors.google_reviews.client import (
    GoogleChecker,
    GoogleReviewsPoller,
    GoogleReviewsSender,
)
from webcare.connectors.meta.client import MetaActor, MetaChecker, MetaSender
from webcare.connectors.whatsapp.client import WhatsAppChecker, WhatsAppSender
from webcare.connectors.x.client import XActor, XChecker, XSender
from webcare.connectors.x.polling import XMentionsPoller

SENDERS: dict[str, Callable[[httpx.Client], Sender]] = {
    "api": ApiChannelSender,
    "x": XSender,
    "google_reviews": GoogleReviewsSender,
    "facebook": MetaSender.facebook,
    "instagram": MetaSender.instagram,
    "whatsapp": WhatsAppSender,
    "webchat": WebchatSender,
    "email": SmtpSender,
}

ACTORS: dict[str, Callable[[httpx.Client], Actor]] = {
    "x": XActor,
    "facebook": MetaActor.facebook,
    "instagram": MetaActor.instagram,
}

POLLERS: dict[str, Callable[[httpx.Client], Poller]] = {
    "x": XMentionsPoller,
    "google_reviews": GoogleReviewsPoller,
    "email": ImapPoller,
}

CHECKERS: dict[str, Callable[[httpx.Client], ConnectionChecker]] = {
    "x": XChecker,
    "google_reviews": GoogleChecker,
    "facebook": MetaChecker.facebook,
    "instagram": MetaChecker.instagram,
    "whatsapp": WhatsAppChecker,
    "email": EmailChecker,
}
