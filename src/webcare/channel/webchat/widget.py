"""What a widget account's settings mean (pure: no database, no HTTP).

``account.settings`` of a ``webchat`` account may hold:

- ``allowed_origins``: the sites (``https://shop.example``) whose pages may embed the widget.
  Browsers on other sites are refused and get no CORS headers. Webcare's own origin (the demo
  page) is always allowed; requests without an ``Origin`` (not from a browser page) are too.
- ``greeting`` / ``offline_message``: text, or ``{"nl": ..., "en": ...}``; defaults below.
- ``availability``: ``"auto"`` (default), ``"online"`` or ``"offline"``. In ``auto`` the widget
  is online when at least one agent of the workspace was active in the inbox (a presence row,
  refreshed while a conversation is open) within ``online_window_minutes`` (default 10).
  Simple and honest; business hours can come later as another value of ``availability``.
  (``presence.forget_stale`` removes rows after 10 minutes, so a longer window adds little.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

LANGUAGES = ("nl", "en")
DEFAULT_ONLINE_WINDOW_MINUTES = 10
DEFAULT_GREETING = {
    "nl": "Hoi! Waarmee kunnen we je helpen?",
    "en": "Hi! How can we help you?",
}
DEFAULT_OFFLINE_MESSAGE = {
    "nl": "We zijn er nu even niet. Laat je e-mailadres achter, dan antwoorden we zo snel "
    "mogelijk.",
    "en": "We are not available right now. Leave your e-mail address and we will get back to "
    "you as soon as we can.",
}
AVAILABILITY = ("auto", "online", "offline")


@dataclass(frozen=True)
class WidgetSettings:
    allowed_origins: frozenset[str]
    greeting: dict[str, str]
    offline_message: dict[str, str]
    availability: str
    online_window_minutes: int

    def text(self, which: str, language: str) -> str:
        texts = self.greeting if which == "greeting" else self.offline_message
        return texts.get(language) or texts["nl"]


def read(settings: dict[str, Any] | None) -> WidgetSettings:
    """The widget's settings with defaults; a malformed value falls back to its default."""
    settings = settings or {}
    origins = settings.get("allowed_origins") or []
    if isinstance(origins, str):
        origins = origins.split()
    window = settings.get("online_window_minutes")
    availability = settings.get("availability")
    return WidgetSettings(
        allowed_origins=frozenset(
            o for o in (normalise_origin(str(x)) for x in origins) if o is not None
        ),
        greeting=_texts(settings.get("greeting"), DEFAULT_GREETING),
        offline_message=_texts(settings.get("offline_message"), DEFAULT_OFFLINE_MESSAGE),
        availability=availability if availability in AVAILABILITY else "auto",
        online_window_minutes=window
        if isinstance(window, int) and 0 < window <= 24 * 60
        else DEFAULT_ONLINE_WINDOW_MINUTES,
    )


def normalise_origin(value: str) -> str | None:
    """``scheme://host[:port]`` in lower case, as browsers send ``Origin``; None if not one."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default_port = {"http": 80, "https": 443}[parts.scheme]
    try:
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname.lower()
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default_port else "")


def language(requested: str | None) -> str:
    """``nl`` or ``en`` from a language tag such as ``en-GB``; Dutch when unknown."""
    tag = (requested or "").strip().lower()[:2]
    return tag if tag in LANGUAGES else "nl"


def _texts(value: object, defaults: dict[str, str]) -> dict[str, str]:
    if isinstance(value, str) and value.strip():
        return dict.fromkeys(LANGUAGES, value.strip())
    if isinstance(value, dict):
        merged = dict(defaults)
        merged.update({k: str(v) for k, v in value.items() if k in LANGUAGES and str(v).strip()})
        return merged
    return dict(defaults)
