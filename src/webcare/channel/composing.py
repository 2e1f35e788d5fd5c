"""What a reply may look like on each platform: its length limit and the agent's signature.

Pure rules shared by the composer (the counter an agent sees while typing) and by
:func:`webcare.conversation.reply.reply` (which refuses a reply the platform would refuse, so
the agent learns it before sending, not from a failed delivery). Limits are the platforms'
documented maximums for the kind of reply.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

#: Generic ceiling for channels without a documented limit (e-mail, the API channel).
GENERIC_LIMIT = 10_000

#: (platform, visibility) -> maximum characters; ``None`` visibility is any.
_LIMITS: dict[tuple[str, str | None], int] = {
    ("x", "public"): 280,
    ("x", "private"): 10_000,
    ("facebook", "public"): 8_000,
    ("facebook", "private"): 2_000,
    ("instagram", "public"): 2_200,
    ("instagram", "private"): 1_000,
    ("whatsapp", None): 4_096,
    ("google_reviews", None): 4_096,
    ("webchat", None): 5_000,
}

#: How the signature is added per platform; ``{text}``, ``{signature}`` (e.g. ``^AV``) and
#: ``{name}`` (the agent's display name) are filled in. A channel account's
#: ``signature_template`` setting overrides it; an empty template adds nothing.
DEFAULT_TEMPLATES: dict[str, str] = {
    "email": "{text}\n\n{name}",
    "google_reviews": "{text}\n\n{name}",
}
SHORT_TEMPLATE = "{text} {signature}"
SETTING = "signature_template"
_PLACEHOLDER = re.compile(r"\{(text|signature|name)\}")


#: How a sentence names each platform ("X allows at most 280 characters ...").
PLATFORM_NAMES = {
    "x": "X",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "whatsapp": "WhatsApp",
    "google_reviews": "Google",
    "email": "e-mail",
    "webchat": "web chat",
    "api": "the API channel",
}


def platform_name(platform: str) -> str:
    return PLATFORM_NAMES.get(platform, platform)


def max_length(platform: str, visibility: str) -> int:
    """The most characters a reply of this visibility may have on the platform."""
    return _LIMITS.get((platform, visibility)) or _LIMITS.get((platform, None)) or GENERIC_LIMIT


def template_for(platform: str, settings: Mapping[str, Any]) -> str:
    configured = settings.get(SETTING)
    if isinstance(configured, str):
        return configured
    return DEFAULT_TEMPLATES.get(platform, SHORT_TEMPLATE)


def sign(text: str, template: str, *, signature: str | None, name: str) -> str:
    """``text`` with the signature added as ``template`` says (unchanged without one)."""
    if not template or "{text}" not in template:
        return text
    if "{signature}" in template and not signature and "{name}" not in template:
        return text
    values = {"text": text, "signature": signature or "", "name": name}
    # One pass, so a placeholder inside the agent's text or name is never filled in.
    signed = _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)
    return signed.rstrip()


def suffix(template: str, *, signature: str | None, name: str) -> str:
    """What signing adds after the text (for the composer's preview and counter)."""
    marker = "\x00"
    signed = sign(marker, template, signature=signature, name=name)
    return signed.split(marker, 1)[1] if marker in signed else ""
