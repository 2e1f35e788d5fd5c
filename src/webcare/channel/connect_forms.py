"""What an admin must fill in to connect each platform, and the checks on it (pure).

One table drives the admin form, the API's validation and the page that shows what to give the
platform, so the three never disagree about a field's name. Secrets (tokens, app secrets,
passwords) go into the encrypted credentials and are never shown again; everything else is a
setting the admin can read back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from webcare.kit.crypto import new_token
from webcare.kit.errors import Invalid

FieldKind = Literal["text", "int", "bool", "list", "url"]


@dataclass(frozen=True)
class ConnectField:
    """One input of the connect form. ``generated`` fields are made by us when left empty
    (a webhook verify token) and shown once after connecting."""

    name: str
    label: str
    secret: bool = False
    required: bool = True
    kind: FieldKind = "text"
    help: str = ""
    generated: bool = False


_API_BASE = ConnectField(
    "api_base",
    "API address",
    required=False,
    kind="url",
    help="Leave empty for the platform itself; set it to use the local simulator.",
)
_APP_SECRET = ConnectField(
    "app_secret", "App secret", secret=True, help="Signs the webhooks Meta sends us."
)
_VERIFY_TOKEN = ConnectField(
    "verify_token",
    "Webhook verify token",
    secret=True,
    required=False,
    generated=True,
    help="Made for you when empty; enter it in the app's webhook settings.",
)
_ACCESS_TOKEN = ConnectField("access_token", "Access token", secret=True)

FIELDS: dict[str, tuple[ConnectField, ...]] = {
    "x": (
        ConnectField("user_id", "Account user id", help="The numeric id of the brand account."),
        ConnectField("consumer_secret", "Consumer secret", secret=True),
        _ACCESS_TOKEN,
        _API_BASE,
    ),
    "facebook": (
        ConnectField("page_id", "Page id"),
        ConnectField("page_access_token", "Page access token", secret=True),
        _APP_SECRET,
        _VERIFY_TOKEN,
        _API_BASE,
    ),
    "instagram": (
        ConnectField("ig_user_id", "Instagram account id"),
        ConnectField("page_id", "Linked Facebook page id", required=False),
        ConnectField("page_access_token", "Page access token", secret=True),
        _APP_SECRET,
        _VERIFY_TOKEN,
        _API_BASE,
    ),
    "whatsapp": (
        ConnectField("phone_number_id", "Phone number id"),
        ConnectField("waba_id", "WhatsApp Business account id", required=False),
        _ACCESS_TOKEN,
        _APP_SECRET,
        _VERIFY_TOKEN,
        _API_BASE,
    ),
    "google_reviews": (
        ConnectField(
            "locations",
            "Locations",
            kind="list",
            help="One per line, e.g. accounts/123/locations/456.",
        ),
        _ACCESS_TOKEN,
        _API_BASE,
    ),
    "email": (
        ConnectField("address", "Address", help="The mailbox customers write to."),
        ConnectField("imap_host", "IMAP server"),
        ConnectField("imap_port", "IMAP port", kind="int", required=False),
        ConnectField("imap_ssl", "IMAP over TLS", kind="bool", required=False),
        ConnectField("smtp_host", "SMTP server"),
        ConnectField("smtp_port", "SMTP port", kind="int", required=False),
        ConnectField("smtp_starttls", "SMTP STARTTLS", kind="bool", required=False),
        ConnectField("username", "User name", secret=True),
        ConnectField("password", "Password", secret=True),
    ),
    "webchat": (
        ConnectField(
            "allowed_origins",
            "Allowed sites",
            kind="list",
            required=False,
            help="One origin per line, e.g. https://shop.example; the widget works only there.",
        ),
    ),
    "api": (
        ConnectField(
            "reply_url",
            "Reply URL",
            kind="url",
            required=False,
            help="Where replies are POSTed as signed JSON.",
        ),
    ),
}


def fields_for(platform: str) -> tuple[ConnectField, ...]:
    if platform not in FIELDS:
        raise Invalid(f"{platform!r} cannot be connected here")
    return FIELDS[platform]


def split_values(
    platform: str, values: dict[str, Any], *, partial: bool = False
) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """Turn submitted values into ``(credentials, settings, generated)``.

    Raises :class:`Invalid` naming the first missing or malformed field. Unknown names are
    refused rather than stored, so a typo cannot silently leave a connector without its
    token. ``partial`` (re-authorising) accepts any subset and generates nothing.
    """
    fields = {f.name: f for f in fields_for(platform)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise Invalid(f"unknown field {unknown[0]!r} for {platform}")
    credentials: dict[str, Any] = {}
    settings: dict[str, Any] = {}
    generated: dict[str, str] = {}
    for field in fields.values():
        raw = values.get(field.name)
        empty = raw is None or (isinstance(raw, str | list) and not raw)
        if empty:
            if field.generated and not partial:
                generated[field.name] = raw_value = new_token(nbytes=18)
                credentials[field.name] = raw_value
            elif field.required and not partial:
                raise Invalid(f"{field.label} is required")
            continue
        target = credentials if field.secret else settings
        target[field.name] = _coerce(field, raw)
    return credentials, settings, generated


def _coerce(field: ConnectField, raw: Any) -> Any:
    """Form posts give strings, the API gives JSON types; both end up the same."""
    if field.kind == "int":
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise Invalid(f"{field.label} must be a whole number") from None
        if not 1 <= value <= 65535:
            raise Invalid(f"{field.label} must be between 1 and 65535")
        return value
    if field.kind == "bool":
        if isinstance(raw, bool):
            return raw
        return str(raw).strip().lower() in {"1", "true", "yes", "on"}
    if field.kind == "list":
        items = raw if isinstance(raw, list) else str(raw).splitlines()
        cleaned = [str(item).strip() for item in items if str(item).strip()]
        if field.required and not cleaned:
            raise Invalid(f"{field.label} is required")
        return cleaned
    text = str(raw).strip()
    if len(text) > 2000:
        raise Invalid(f"{field.label} is too long")
    if field.kind == "url" and not text.lower().startswith(("https://", "http://")):
        raise Invalid(f"{field.label} must start with https:// or http://")
    return text
