"""The one step every OAuth-bearer connector shares: send an authenticated request.

Each platform has its own base URL, token field and error bodies, but the same first step: no
token means "connect it again" (:class:`AuthFailed`), and a timeout or a broken connection is
worth retrying (:class:`TransientError`). Mapping the answer's status and body stays with each
connector.
"""

from __future__ import annotations

from typing import Any

import httpx

from webcare.channel.ports import AuthFailed, ChannelContext, TransientError


def bearer_request(
    client: httpx.Client,
    channel: ChannelContext,
    method: str,
    url: str,
    *,
    platform: str,
    token_field: str = "access_token",  # noqa: S107 - the name of a credentials field
    token_label: str = "access token",  # noqa: S107 - words for the agent
    **kwargs: Any,
) -> httpx.Response:
    """``method url`` with ``Authorization: Bearer <credentials[token_field]>`` (never in the
    URL, so never in a log line)."""
    token = channel.credentials.get(token_field)
    if not token:
        raise AuthFailed(f"this {platform} channel has no {token_label}; connect it again")
    headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {token}"}
    try:
        return client.request(method, url, headers=headers, **kwargs)
    except httpx.TimeoutException as exc:
        raise TransientError(f"{platform} did not answer in time") from exc
    except httpx.HTTPError as exc:
        raise TransientError(f"could not reach {platform} ({exc.__class__.__name__})") from exc


def api_base(channel: ChannelContext, default: str) -> str:
    """The platform's host, or the simulator's where ``settings["api_base"]`` says so."""
    return str(channel.settings.get("api_base") or default).rstrip("/")
