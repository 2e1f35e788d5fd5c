"""Reading and answering Google reviews through the Business Profile API v4.

Followed: developers.google.com/my-business/reference/rest/v4/accounts.locations.reviews:

* ``list``: ``GET /v4/{parent=accounts/*/locations/*}/reviews`` with ``pageSize`` (at most 50),
  ``pageToken`` and ``orderBy=updateTime desc`` → ``{"reviews", "averageRating",
  "totalReviewCount", "nextPageToken"}`` (``nextPageToken`` absent on the last page);
* ``updateReply``: ``PUT /v4/{name=accounts/*/locations/*/reviews/*}/reply`` with a
  ``ReviewReply`` ``{"comment"}`` → the ``ReviewReply`` ``{"comment", "updateTime"}``.
  ``comment`` may be at most 4096 bytes. **A review has one owner reply**: the method creates
  it or, when there is one, *replaces* it, so a second reply from the inbox publicly replaces
  the first (the inbox keeps both as history). The location must be verified.

:class:`GoogleReviewsPoller` reads each location in ``settings["locations"]`` (resource names
``accounts/…/locations/…``), newest change first, until it reaches the ``updateTime`` seen last
time (cursor ``{"locations": {name: updateTime}}``); a location's first poll reads one page.
Deleted reviews are not detected (they simply stop being listed).
"""

from __future__ import annotations

import hashlib
from typing import Any

import httpx

from webcare.channel.ports import (
    ChannelContext,
    InboundEdit,
    InboundMessage,
    MessageVisibility,
    OutboundReply,
    PermanentError,
    PollResult,
    SendResult,
)
from webcare.connectors.google_reviews import normalize
from webcare.connectors.google_reviews.api import GoogleApi

MAX_REPLY_BYTES = 4096
PAGE_SIZE = 50
MAX_PAGES = 10
ORDER_BY = "updateTime desc"
MAX_ID_LENGTH = 255


def locations(channel: ChannelContext) -> list[str]:
    """The configured location names, checked so none can bend the request path."""
    value = channel.settings.get("locations")
    if not isinstance(value, list) or not value:
        raise PermanentError(
            "this Google channel has no locations configured (accounts/…/locations/…)"
        )
    bad = [v for v in value if not isinstance(v, str) or not normalize.LOCATION_NAME.match(v)]
    if bad:
        raise PermanentError(f"not a location name (accounts/…/locations/…): {bad[0]!r}")
    return [str(v) for v in value]


class GoogleReviewsSender:
    """Answers a review publicly with the owner's reply (replacing an earlier one)."""

    def __init__(self, client: httpx.Client) -> None:
        self._api = GoogleApi(client)

    def send_reply(self, channel: ChannelContext, reply: OutboundReply) -> SendResult:
        if reply.visibility is not MessageVisibility.PUBLIC:
            raise PermanentError("a Google review can only be answered publicly")
        name = reply.reply_to_external_id
        if not name or not normalize.REVIEW_NAME.match(name):
            raise PermanentError("a reply on Google needs the review it answers")
        size = len(reply.text.encode("utf-8"))
        if size > MAX_REPLY_BYTES:
            raise PermanentError(
                f"a reply to a Google review may be at most {MAX_REPLY_BYTES} bytes; "
                f"this one is {size}"
            )
        answer = self._api.put(channel, f"/v4/{name}/reply", {"comment": reply.text})
        if not isinstance(answer.get("comment"), str):
            raise PermanentError("Google did not confirm the reply")
        return SendResult(external_id=_reply_id(name, reply.idempotency_key), raw=answer)


def _reply_id(review_name: str, key: str) -> str:
    """Google's reply has no id of its own; ours must be unique per sent message, as a second
    reply replaces the first on Google but both stay in the inbox."""
    external_id = f"{review_name}/reply/{key}"
    if len(external_id) <= MAX_ID_LENGTH:
        return external_id
    digest = hashlib.sha256(external_id.encode()).hexdigest()[:32]
    return f"{review_name[: MAX_ID_LENGTH - 40]}/reply/{digest}"


class GoogleReviewsPoller:
    """New and changed reviews of every configured location since the last poll."""

    def __init__(self, client: httpx.Client) -> None:
        self._api = GoogleApi(client)

    def poll(self, channel: ChannelContext, cursor: dict[str, Any]) -> PollResult:
        seen = cursor.get("locations")
        seen = dict(seen) if isinstance(seen, dict) else {}
        found: list[tuple[Any, int, InboundMessage | InboundEdit]] = []
        for location in locations(channel):
            reviews = self._changed_since(channel, location, seen.get(location))
            for review in reviews:
                when = normalize.update_time(review)
                for order, event in enumerate(normalize.review_events(review, location)):
                    found.append((when, order, event))
            if reviews:
                newest = max(reviews, key=normalize.update_time)
                seen[location] = str(newest.get("updateTime") or newest.get("createTime"))
        found.sort(key=lambda item: (item[0], item[1]))
        return PollResult(events=tuple(e for _, _, e in found), cursor={"locations": seen})

    def _changed_since(
        self, channel: ChannelContext, location: str, since: Any
    ) -> list[dict[str, Any]]:
        """Reviews changed after ``since`` (all of the first page when there is none)."""
        cutoff = normalize.parse_time(since, "cursor") if isinstance(since, str) else None
        changed: list[dict[str, Any]] = []
        token: str | None = None
        for _page in range(MAX_PAGES if cutoff else 1):
            params: dict[str, str | int] = {"pageSize": PAGE_SIZE, "orderBy": ORDER_BY}
            if token:
                params["pageToken"] = token
            page = self._api.get(channel, f"/v4/{location}/reviews", params)
            reviews = page.get("reviews") or []
            if not isinstance(reviews, list):
                raise PermanentError("Google's review list is not a list")
            for review in reviews:
                if not isinstance(review, dict):
                    raise PermanentError("Google listed a review that is not an object")
                if cutoff is not None and normalize.update_time(review) <= cutoff:
                    return changed  # newest first: everything after this was seen before
                changed.append(review)
            next_token = page.get("nextPageToken")
            token = next_token if isinstance(next_token, str) and next_token else None
            if token is None:
                break
        return changed


class GoogleChecker:
    """ "Test connection": one page of one review from each location, and what Google counts."""

    def __init__(self, client: httpx.Client) -> None:
        self._api = GoogleApi(client)

    def check(self, channel: ChannelContext) -> str:
        names = locations(channel)
        total = 0
        for location in names:
            page = self._api.get(channel, f"/v4/{location}/reviews", {"pageSize": 1})
            count = page.get("totalReviewCount")
            total += count if isinstance(count, int) else 0
        plural = "" if len(names) == 1 else "s"
        return f"{len(names)} location{plural} reachable, {total} reviews in all"
