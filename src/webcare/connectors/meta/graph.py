"""One Graph API call and the connector error it becomes: shared by the sender, actor and checker.

Followed: Graph API "Handling Errors"
(https://developers.facebook.com/docs/graph-api/guides/error-handling) for the error body
``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id", "is_transient"}}`` and
its code table, and Graph API "Rate Limiting"
(https://developers.facebook.com/docs/graph-api/overview/rate-limiting) for the throttling
codes and the ``X-Business-Use-Case-Usage`` header, whose
``estimated_time_to_regain_access`` is in minutes.

Mapping onto the ports' error tree:

* 190 (access token expired, revoked or invalid) and 102 (API session) → :class:`AuthFailed`;
* HTTP 429, and codes 4, 17, 32, 613, 80001–80014 (app, user, Page and business-use-case
  throttling) → :class:`RateLimited`: ``Retry-After`` when present, else the business use case
  header's minutes, else :data:`DEFAULT_RETRY_AFTER`;
* HTTP 5xx, codes 1 and 2 (temporary Graph problems), ``is_transient: true`` and network
  failures → :class:`TransientError`;
* anything else (10 and 200–299 permissions, 100 invalid parameter, 551 person unavailable,
  the messaging-window subcodes 2018278/2534022 ...) → :class:`PermanentError` with Meta's
  own message and a short explanation for the agent.

The access token travels in the ``Authorization: Bearer`` header, which Graph accepts as an
alternative to the ``access_token`` parameter, so it never appears in a URL or a log line.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
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

DEFAULT_API_BASE = "https://graph.facebook.com"
DEFAULT_GRAPH_VERSION = "v23.0"
#: Graph's docs say "wait and retry" without a number; a throttled app usually recovers in
#: minutes, and the job counts each wait as an attempt, so a short default wastes attempts.
DEFAULT_RETRY_AFTER = 300.0

AUTH_CODES = frozenset({102, 190})
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, *range(80001, 80015)})
TRANSIENT_CODES = frozenset({1, 2})
WINDOW_SUBCODES = frozenset({2018278, 2534022})
PERMISSION_CODES = frozenset({10, *range(200, 300)})

PLATFORM_NAMES = {"facebook": "Facebook", "instagram": "Instagram"}


@dataclass(frozen=True)
class GraphError:
    """The fields of a Graph error body an agent or a retry decision needs."""

    message: str
    code: int | None
    subcode: int | None
    kind: str | None
    fbtrace_id: str | None
    transient: bool

    def describe(self) -> str:
        parts = [f"code {self.code}" if self.code is not None else None]
        if self.subcode is not None:
            parts.append(f"subcode {self.subcode}")
        if self.fbtrace_id:
            parts.append(f"fbtrace_id {self.fbtrace_id}")
        detail = ", ".join(p for p in parts if p)
        return f"{self.message} ({detail})" if detail else self.message


class Graph:
    """Calls Graph for one platform of a channel; every failure leaves as a connector error."""

    def __init__(self, client: httpx.Client, platform: str) -> None:
        self._client = client
        self.platform = platform
        self.name = PLATFORM_NAMES.get(platform, platform)

    def post(self, channel: ChannelContext, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return self._call(channel, "POST", path, json=dict(body))

    def get(self, channel: ChannelContext, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        return self._call(channel, "GET", path, params=dict(params))

    def _call(
        self, channel: ChannelContext, method: str, path: str, **kwargs: Any
    ) -> dict[str, Any]:
        response = bearer_request(
            self._client,
            channel,
            method,
            url(channel, path),
            platform=self.name,
            token_field="page_access_token",  # noqa: S106 - a credentials field name
            token_label="Page access token",  # noqa: S106 - words for the agent
            **kwargs,
        )
        return self._data(response)

    def _data(self, response: httpx.Response) -> dict[str, Any]:
        payload = _json(response)
        error = parse_error(payload)
        if response.status_code < 400 and error is None:
            if not isinstance(payload, dict):
                raise TransientError(f"{self.name} answered with something that is not JSON")
            return payload
        raise self.error_for(response, error)

    def error_for(self, response: httpx.Response, error: GraphError | None) -> Exception:
        """The connector error for a refused call (``error`` is None for a bodiless failure)."""
        status = response.status_code
        code = error.code if error else None
        said = error.describe() if error else f"HTTP {status}"
        if code in AUTH_CODES:
            return AuthFailed(f"{self.name} rejected the Page access token: {said}")
        if status == 429 or code in RATE_LIMIT_CODES:
            return RateLimited(f"{self.name} asked us to slow down: {said}", retry_after(response))
        if status >= 500 or code in TRANSIENT_CODES or (error is not None and error.transient):
            return TransientError(f"{self.name} failed for now: {said}")
        return PermanentError(f"{self.name} refused it: {_explain(error)}{said}")


def url(channel: ChannelContext, path: str) -> str:
    """``{api_base}/{graph_version}{path}``; both settings let a simulator stand in."""
    base = api_base(channel, DEFAULT_API_BASE)
    version = str(channel.settings.get("graph_version") or DEFAULT_GRAPH_VERSION).strip("/")
    return f"{base}/{version}{path}"


def parse_error(payload: Any) -> GraphError | None:
    """The ``error`` object of a Graph answer, if it has one."""
    if not isinstance(payload, dict) or not isinstance(payload.get("error"), dict):
        return None
    error = payload["error"]
    message = error.get("error_user_msg") or error.get("message") or "no reason given"
    return GraphError(
        message=str(message)[:300],
        code=_int(error.get("code")),
        subcode=_int(error.get("error_subcode")),
        kind=error.get("type") if isinstance(error.get("type"), str) else None,
        fbtrace_id=error.get("fbtrace_id") if isinstance(error.get("fbtrace_id"), str) else None,
        transient=error.get("is_transient") is True,
    )


def retry_after(response: httpx.Response) -> float:
    """Seconds to wait: ``Retry-After``, else the business use case header's estimate."""
    header = response.headers.get("Retry-After")
    if header is not None:
        try:
            return max(1.0, float(header))
        except ValueError:
            pass
    minutes = _regain_minutes(response.headers.get("X-Business-Use-Case-Usage"))
    if minutes:
        return minutes * 60.0
    return DEFAULT_RETRY_AFTER


def _regain_minutes(header: str | None) -> float:
    """The longest ``estimated_time_to_regain_access`` (minutes) over all business objects."""
    if not header:
        return 0.0
    try:
        usage = json.loads(header)
    except ValueError:
        return 0.0
    if not isinstance(usage, dict):
        return 0.0
    found = [
        float(item["estimated_time_to_regain_access"])
        for items in usage.values()
        if isinstance(items, list)
        for item in items
        if isinstance(item, dict)
        and isinstance(item.get("estimated_time_to_regain_access"), int | float)
    ]
    return max(found, default=0.0)


def _explain(error: GraphError | None) -> str:
    """A sentence for the agent before Meta's own words, for the refusals we recognise."""
    if error is None:
        return ""
    if error.subcode in WINDOW_SUBCODES:
        return "the customer's messaging window has closed. "
    if error.code == 551:
        return "this person cannot be reached right now. "
    if error.code in PERMISSION_CODES:
        return "the Page access token lacks a permission for this. "
    if error.code == 100:
        return "Meta considers the request invalid. "
    return ""


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
