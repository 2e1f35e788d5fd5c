"""Template filters that turn strangers' text into safe markup.

Everything a customer wrote is escaped first and then only our own markup is added: line
breaks, and links for ``http(s)`` URLs (``rel="noopener noreferrer nofollow ugc"``, new tab).
Any other scheme (``javascript:``, ``data:``) stays plain text, in links and attachments alike.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment
from markupsafe import Markup, escape

from webcare.channel.composing import PLATFORM_NAMES
from webcare.enrichment.urgency import compact_number

_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}"
LINK_ATTRS = 'rel="noopener noreferrer nofollow ugc" target="_blank"'

#: Platform badges: the names sentences use, shortened where a badge has little room.
PLATFORM_BADGES = {**PLATFORM_NAMES, "email": "E-mail", "webchat": "Chat", "api": "API"}


def safe_url(value: object) -> str | None:
    """The URL if it is an absolute http(s) URL, else None (never a script or data URL)."""
    if not isinstance(value, str) or len(value) > 4000:
        return None
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return value.strip()


def rich_text(text: str | None) -> Markup:
    """Escaped text with links and line breaks."""
    if not text:
        return Markup("")
    out: list[str] = []
    position = 0
    for match in _URL.finditer(text):
        url = match.group(0)
        trailing = ""
        while url and url[-1] in _TRAILING:
            trailing = url[-1] + trailing
            url = url[:-1]
        out.append(str(escape(text[position : match.start()])))
        if safe_url(url):
            out.append(f'<a href="{escape(url)}" {LINK_ATTRS}>{escape(url)}</a>')
        else:
            out.append(str(escape(url)))
        out.append(str(escape(trailing)))
        position = match.end()
    out.append(str(escape(text[position:])))
    return Markup("".join(out).replace("\n", "<br>\n"))  # noqa: S704 - built from escaped parts


def platform_name(platform: str) -> str:
    return PLATFORM_BADGES.get(platform, platform)


def initials(name: str | None) -> str:
    words = [w for w in (name or "").split() if w[:1].isalnum()]
    if not words:
        return "?"
    return (words[0][0] + (words[-1][0] if len(words) > 1 else "")).upper()


def attachment_kind(attachment: dict[str, Any]) -> str:
    """'image', 'audio', 'video' or 'file', from the type or MIME type the platform gave."""
    kind = str(attachment.get("kind") or attachment.get("type") or "")
    mime = str(attachment.get("mime_type") or attachment.get("mime") or "")
    for candidate in ("image", "audio", "video"):
        if kind.startswith(candidate) or mime.startswith(candidate):
            return candidate
    return "file"


def install_filters(env: Environment) -> None:
    env.filters["rich_text"] = rich_text
    env.filters["platform_name"] = platform_name
    env.filters["initials"] = initials
    env.filters["safe_url"] = safe_url
    env.filters["attachment_kind"] = attachment_kind
    env.filters["compact"] = compact_number
