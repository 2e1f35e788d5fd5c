"""Anonymous visitor ids: random, issued by us, carried by the widget in a signed token.

The token is ``<visitor id>.<signature>``; the signature is an HMAC of the widget's account id
and the visitor id under the instance secret. So any server can check a token without a table,
a visitor cannot claim someone else's id (guessing a 128-bit id is not enough), and a token of
one widget is worthless on another (another workspace's conversations stay out of reach).
"""

from __future__ import annotations

import re

from webcare.kit.crypto import constant_time_equals, hmac_sha256_hex, new_token
from webcare.kit.errors import Unauthorized

PREFIX = "v_"
_TOKEN = re.compile(r"^(v_[A-Za-z0-9_-]{16,64})\.([0-9a-f]{64})$")


class BadVisitorToken(Unauthorized):
    code = "bad_visitor_token"


def new_visitor_id() -> str:
    return new_token(PREFIX, nbytes=16)


def issue(secret_key: str, account_id: int, visitor_id: str) -> str:
    return f"{visitor_id}.{_signature(secret_key, account_id, visitor_id)}"


def verify(secret_key: str, account_id: int, token: str | None) -> str:
    """The visitor id in ``token``; :class:`BadVisitorToken` (401) unless we signed it."""
    match = _TOKEN.match(token or "")
    if match is None:
        raise BadVisitorToken("the visitor token is missing or malformed")
    visitor_id, signature = match.groups()
    if not constant_time_equals(signature, _signature(secret_key, account_id, visitor_id)):
        raise BadVisitorToken("the visitor token is not valid for this widget")
    return visitor_id


def _signature(secret_key: str, account_id: int, visitor_id: str) -> str:
    return hmac_sha256_hex(secret_key, f"webchat-visitor:{account_id}:{visitor_id}".encode())
