"""One authenticated X API v2 request, with X's answers mapped onto the connector error tree.

Shared by the sender, the actor, the checker and the pollers. Followed: the X API v2 OpenAPI
spec (``xdevplatform/xdk`` ``specs/openapi.json``) for paths and bodies, and docs.x.com
("Rate limits", "Response codes and errors") for failures:

* 401 → :class:`AuthFailed` (the token is missing, expired or revoked);
* 403 → :class:`AuthFailed` only when X says the *credentials* are not allowed
  (``Unauthorized``, ``client-forbidden``, ``unsupported-authentication``); otherwise it is X
  refusing this request for good (duplicate or too long a post, a DM the user does not accept)
  → :class:`PermanentError` with X's own words;
* 429 → :class:`RateLimited` until ``x-rate-limit-reset`` (Unix seconds), else ``Retry-After``;
* 5xx, timeouts and network failures → :class:`TransientError`; other 4xx → PermanentError.

``channel.settings["api_base"]`` replaces ``https://api.x.com`` so a simulator can stand in.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
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

DEFAULT_API_BASE = "https://api.x.com"
DEFAULT_RETRY_AFTER = 60.0
_AUTH_PROBLEMS = ("unauthorized", "client-forbidden", "unsupported-authentication")


class XApi:
    """Sends one request as the channel's account (OAuth 2.0 user token) and returns X's JSON."""

    def __init__(self, client: httpx.Client, clock: Callable[[], float] = time.time) -> None:
        self._client = client
        self._clock = clock

    def get(
        self, channel: ChannelContext, path: str, params: Mapping[str, str | int] | None = None
    ) -> dict[str, Any]:
        return self._send(channel, "GET", path, params=dict(params or {}))

    def post(self, channel: ChannelContext, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._send(channel, "POST", path, json=body)

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
            platform="X",
            **kwargs,
        )
        return self._payload(response)

    def _payload(self, response: httpx.Response) -> dict[str, Any]:
        status = response.status_code
        if status == 401 or (status == 403 and _is_auth_problem(response)):
            raise AuthFailed(f"X refused our credentials (HTTP {status}): {reason(response)}")
        if status == 429:
            raise RateLimited("X asked us to slow down", self._retry_after(response))
        if status >= 500:
            raise TransientError(f"X failed (HTTP {status})")
        if status >= 400:
            raise PermanentError(f"X refused the request (HTTP {status}): {reason(response)}")
        try:
            payload = response.json()
        except ValueError as exc:
            raise TransientError("X answered with something that is not JSON") from exc
        if not isinstance(payload, dict):
            raise PermanentError("X answered with something other than a JSON object")
        return payload

    def _retry_after(self, response: httpx.Response) -> float:
        reset = response.headers.get("x-rate-limit-reset")
        retry_after = response.headers.get("Retry-After")
        try:
            if reset is not None:
                return max(1.0, float(reset) - self._clock())
            if retry_after is not None:
                return max(1.0, float(retry_after))
        except ValueError:
            pass
        return DEFAULT_RETRY_AFTER


def _is_auth_problem(response: httpx.Response) -> bool:
    try:
        payload = response.json()
    except ValueError:
        return False
    if not isinstance(payload, dict):
        return False
    words = " ".join(str(payload.get(key, "")) for key in ("type", "title")).lower()
    return any(problem in words for problem in _AUTH_PROBLEMS)


def reason(response: httpx.Response) -> str:
    """X's own words: a Problem's ``detail``/``title`` or the first of ``errors``."""
    try:
        payload = response.json()
    except ValueError:
        return response.text[:200] or "no reason given"
    if not isinstance(payload, dict):
        return str(payload)[:200]
    errors = payload.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        payload = {**errors[0], **payload}
    for key in ("detail", "title", "message", "error"):
        if isinstance(payload.get(key), str):
            return str(payload[key])[:200]
    return "no reason given"
