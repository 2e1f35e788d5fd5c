"""One authenticated Business Profile API request, with Google's errors mapped onto our tree.

Followed: developers.google.com/my-business/reference/rest/v4 (``accounts.locations.reviews``
``list`` and ``updateReply``) and Google's JSON error format (AIP-193:
``{"error": {"code", "message", "status"}}``):

* 401 ``UNAUTHENTICATED`` and 403 ``PERMISSION_DENIED`` (token expired or revoked, scope
  ``business.manage`` missing, location no longer managed by this Google account) →
  :class:`AuthFailed`;
* 429 or ``RESOURCE_EXHAUSTED`` → :class:`RateLimited` after ``Retry-After`` (60 s when absent);
* 5xx, timeouts and network failures → :class:`TransientError`;
* other 4xx (``NOT_FOUND``: the review was deleted; ``INVALID_ARGUMENT``;
  ``FAILED_PRECONDITION``: the location is not verified) → :class:`PermanentError` with
  Google's message.

The OAuth 2.0 access token is ``credentials["access_token"]``; refreshing it is the
connecting flow's job. ``channel.settings["api_base"]`` replaces
``https://mybusiness.googleapis.com`` so a simulator can stand in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from webcare.channel.ports import (
    AuthFailed,
    ChannelContext,
    PermanentError,
    RateLimited,
    TransientError,
)
from webcare.connectors.bearer import api_base, bearer_request

DEFAULT_API_BASE = "https://mybusiness.googleapis.com"
DEFAULT_RETRY_AFTER = 60.0
_AUTH_STATUSES = ("UNAUTHENTICATED", "PERMISSION_DENIED")


class GoogleApi:
    """Sends one request as the channel's Google account and returns Google's JSON object."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def get(
        self, channel: ChannelContext, path: str, params: Mapping[str, str | int] | None = None
    ) -> dict[str, Any]:
        return self._send(channel, "GET", path, params=dict(params or {}))

    def put(self, channel: ChannelContext, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._send(channel, "PUT", path, json=body)

    def _send(
        self, channel: ChannelContext, method: str, path: str, **kwargs: Any
    ) -> dict[str, Any]:
        response = bearer_request(
            self._client,
            channel,
            method,
            api_base(channel, DEFAULT_API_BASE) + path,
            platform="Google",
            **kwargs,
        )
        return _payload(response)


def _payload(response: httpx.Response) -> dict[str, Any]:
    status = response.status_code
    code, message = _error(response)
    if status == 429 or code == "RESOURCE_EXHAUSTED":
        raise RateLimited(f"Google asked us to slow down: {message}", _retry_after(response))
    if status == 401 or (status == 403 and code in _AUTH_STATUSES):
        raise AuthFailed(f"Google refused our credentials (HTTP {status} {code}): {message}")
    if status >= 500:
        raise TransientError(f"Google failed (HTTP {status} {code})".rstrip())
    if status >= 400:
        raise PermanentError(f"Google refused the request (HTTP {status} {code}): {message}")
    try:
        payload = response.json()
    except ValueError as exc:
        raise TransientError("Google answered with something that is not JSON") from exc
    if not isinstance(payload, dict):
        raise PermanentError("Google answered with something other than a JSON object")
    return payload


def _error(response: httpx.Response) -> tuple[str, str]:
    """Google's ``error.status`` (e.g. ``NOT_FOUND``) and ``error.message``, when present."""
    if response.status_code < 400:
        return "", ""
    try:
        payload = response.json()
    except ValueError:
        return "", response.text[:200] or "no reason given"
    error = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(error, dict):
        return "", "no reason given"
    status = error.get("status")
    message = error.get("message")
    return (
        status if isinstance(status, str) else "",
        message[:200] if isinstance(message, str) and message else "no reason given",
    )


def _retry_after(response: httpx.Response) -> float:
    value = response.headers.get("Retry-After")
    try:
        return max(1.0, float(value)) if value is not None else DEFAULT_RETRY_AFTER
    except ValueError:
        return DEFAULT_RETRY_AFTER
