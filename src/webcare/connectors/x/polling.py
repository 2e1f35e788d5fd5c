"""Reading X without webhooks: the mentions timeline (a poller) and recent search (listening).

Followed: the X API v2 OpenAPI spec (``xdevplatform/xdk`` ``specs/openapi.json``,
``getUsersMentions`` and ``searchPostsRecent``) and docs.x.com ("User mention timeline",
"Search Posts" quickstarts) for the live parameter names (the spec renames them to
``post.fields`` / ``referenced_posts``; the API answers to ``tweet.fields`` /
``referenced_tweets``):

* ``GET /2/users/{id}/mentions`` with ``since_id``, ``max_results`` (5-100) and
  ``pagination_token`` from ``meta.next_token``;
* ``GET /2/tweets/search/recent`` with ``query`` (at most 4096 characters), ``since_id``,
  ``max_results`` (10-100) and ``next_token`` from ``meta.next_token``;
* both answer ``{"data": [Post], "includes": {"users", "tweets"}, "meta": {"newest_id",
  "next_token", "result_count"}}``, newest first; ``data`` is absent when nothing matched.

Pages are followed until X has no ``next_token`` left, at most :data:`MAX_PAGES` pages; the
cursor is the newest id of the first page. The first poll of an account (no ``since_id``)
reads one page only, so connecting an account does not pour months of mentions into the inbox.
Messages are returned oldest first, so a reply is stored after the post it answers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import httpx

from webcare.channel.ports import ChannelContext, InboundMessage, PermanentError, PollResult
from webcare.connectors.x import normalize
from webcare.connectors.x.api import XApi
from webcare.connectors.x.client import own_user_id

log = logging.getLogger(__name__)

FIELDS = {
    "tweet.fields": (
        "created_at,author_id,conversation_id,in_reply_to_user_id,referenced_tweets,public_metrics"
    ),
    "expansions": "author_id,referenced_tweets.id",
    "user.fields": "username,name,public_metrics,verified",
}
MAX_RESULTS = 100
MAX_PAGES = 10
MAX_QUERY_LENGTH = 4096


class XMentionsPoller:
    """Poller for X: mentions of the channel's account since the last one we saw.

    Cursor: ``{"since_id": "<newest post id seen>"}``.
    """

    def __init__(self, client: httpx.Client, clock: Callable[[], float] = time.time) -> None:
        self._api = XApi(client, clock)

    def poll(self, channel: ChannelContext, cursor: dict[str, Any]) -> PollResult:
        user_id = own_user_id(channel)
        since_id = _since_id(cursor.get("since_id"))
        messages, newest = _read(
            self._api,
            channel,
            f"/2/users/{user_id}/mentions",
            {},
            since_id=since_id,
            page_param="pagination_token",
            own_user_id=user_id,
        )
        new_cursor = {"since_id": newest} if newest else dict(cursor)
        return PollResult(events=tuple(messages), cursor=new_cursor)


def recent_search(
    client: httpx.Client | XApi, channel: ChannelContext, query: str, since_id: str | None
) -> tuple[list[InboundMessage], str | None]:
    """Posts of the last seven days matching ``query`` (X's search syntax), oldest first.

    Returns the messages and the ``since_id`` for the next call (the newest id seen, or the
    given one when nothing new matched). The channel's own posts are left out. Raises from
    the connector error tree, like a poller.
    """
    query = query.strip()
    if not query or len(query) > MAX_QUERY_LENGTH:
        raise PermanentError(f"an X search query needs 1 to {MAX_QUERY_LENGTH} characters")
    api = client if isinstance(client, XApi) else XApi(client)
    user_id = channel.settings.get("user_id")
    since = _since_id(since_id)
    messages, newest = _read(
        api,
        channel,
        "/2/tweets/search/recent",
        {"query": query},
        since_id=since,
        page_param="next_token",
        own_user_id=str(user_id) if user_id else None,
    )
    return messages, newest or since


def _read(
    api: XApi,
    channel: ChannelContext,
    path: str,
    params: dict[str, str | int],
    *,
    since_id: str | None,
    page_param: str,
    own_user_id: str | None,
) -> tuple[list[InboundMessage], str | None]:
    """Follow the pages of a v2 timeline back to ``since_id``; returns messages and newest id."""
    base: dict[str, str | int] = {**params, **FIELDS, "max_results": MAX_RESULTS}
    if since_id:
        base["since_id"] = since_id
    found: dict[str, InboundMessage] = {}
    newest: str | None = None
    token: str | None = None
    for page in range(MAX_PAGES if since_id else 1):
        query = dict(base)
        if token:
            query[page_param] = token
        payload = api.get(channel, path, query)
        for message in normalize.normalize_v2_mentions(payload, own_user_id):
            found.setdefault(message.external_id, message)
        if page == 0:
            newest = normalize.newest_id(payload)
        token = _next_token(payload)
        if token is None:
            break
    else:
        if token is not None and since_id:
            log.warning(
                "X %s: more than %d pages since %s; older ones skipped", path, MAX_PAGES, since_id
            )
    messages = sorted(found.values(), key=lambda m: (len(m.external_id), m.external_id))
    return messages, newest


def _next_token(payload: dict[str, Any]) -> str | None:
    meta = payload.get("meta")
    token = meta.get("next_token") if isinstance(meta, dict) else None
    return token if isinstance(token, str) and token else None


def _since_id(value: Any) -> str | None:
    """A usable ``since_id``: X accepts 1-19 digits only; anything else starts afresh."""
    text = str(value) if value is not None else ""
    return text if text.isdigit() and len(text) <= 19 else None
