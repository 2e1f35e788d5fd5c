"""The one step every OAuth-bearer connector shares: send an authenticated request.

Each platform has its own base URL, token field and error bodies, but the same first step: no
token means "connect it again" (:class:`AuthFailed`), and a failed connection is worth retrying
(:class:`TransientError`). Mapping the answer's status and body stays with each connector.

A POST whose answer never came (a read timeout, a dropped connection after sending) is
different: the platform may have published the reply, and Graph, WhatsApp and X take no
idempotency key, so retrying could post it twice. Such a POST ends as a
:class:`PermanentError` that tells the agent to look on the platform before retrying; reads
(GET) and replacing writes (PUT) are safe to repeat and stay transient.
"""

from __future__ import annotations

from typing import Any

import httpx

from webcare.channel.ports import AuthFailed, ChannelContext, PermanentError, TransientError

#: Methods a platform applies at most once however often they are sent.
_REPEATABLE = frozenset({"GET", "HEAD", "PUT", "DELETE"})


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
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise TransientError(f"could not reach {platform} ({exc.__class__.__name__})") from exc
    except httpx.HTTPError as exc:
        if method.upper() not in _REPEATABLE:
            raise PermanentError(
                f"{platform} did not answer after we sent it ({exc.__class__.__name__}), so it "
                f"may have gone through; check on {platform} before you retry"
            ) from exc
        if isinstance(exc, httpx.TimeoutException):
            raise TransientError(f"{platform} did not answer in time") from exc
        raise TransientError(f"could not reach {platform} ({exc.__class__.__name__})") from exc


def api_base(channel: ChannelContext, default: str) -> str:
    """The platform's host, or the simulator's where ``settings["api_base"]`` says so."""
    return str(channel.settings.get("api_base") or default).rstrip("/")
