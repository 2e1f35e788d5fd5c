"""The X API v2 as webcare uses it, plus signed Account Activity deliveries, for tests and demo.

Answers with the shapes of the X API v2 OpenAPI spec (``xdevplatform/xdk`` ``openapi.json``):

* ``GET /2/users/me`` → ``{"data": User}``;
* ``GET /2/users/{id}/mentions`` (``since_id``, ``max_results``, ``pagination_token``) and
  ``GET /2/tweets/search/recent`` (``query``: a case-insensitive substring here, ``since_id``,
  ``max_results``, ``next_token``) → ``{"data": [Post], "includes": {"users"}, "meta":
  {"newest_id", "oldest_id", "result_count", "next_token"}}``, newest first, from
  ``platform_data("x")["mentions"]`` / ``["posts"]`` (see :func:`add_mention`, :func:`add_post`);
* ``POST /2/tweets`` → 201 ``{"data": {"id", "text"}}``; more than 280 weighted characters is
  X's 403 "Your Tweet text is too long" Problem;
* ``POST /2/dm_conversations/with/{id}/messages`` → 201 ``{"data": {"dm_conversation_id",
  "dm_event_id"}}``; ``POST /2/users/{id}/likes`` → ``{"data": {"liked": true}}``;
  ``PUT /2/tweets/{id}/hidden`` → ``{"data": {"hidden"}}``.

The bearer token must equal ``platform_data("x")["access_token"]`` (default ``sim-x-token``);
anything else is X's 401 Problem. Queued faults (``state.take_fault("x")``) answer instead:
429 with ``x-rate-limit-reset`` (Unix seconds, ``retry_after`` from now, default 60), 401/403
Problems, 5xx.

:func:`deliver_mention` and :func:`deliver_dm` play X's Account Activity side: a v1.1-shaped
delivery signed with the app's consumer secret (``x-twitter-webhooks-signature``) POSTed to a
webcare webhook URL.
"""

from __future__ import annotations

import itertools
import json
import time
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from webcare.connectors.x.client import MAX_DM_LENGTH, MAX_POST_LENGTH, weighted_length
from webcare.connectors.x.webhook import SIGNATURE_HEADER, sign
from webcare.simulator.state import Fault, Sent, SimState

PREFIX = "/x"
DEFAULT_TOKEN = "sim-x-token"  # noqa: S105 - the simulator's own, well-known token
DEFAULT_ME = {"id": "1234567890", "name": "Glasnet", "username": "GlasnetHelpt"}
_ID_BASE = 1_992_300_000_000_000_000
_TWITTER_TIME = "%a %b %d %H:%M:%S +0000 %Y"
#: Webhook ids: time-ordered like X's, and unique even for deliveries in the same millisecond.
_webhook_ids = itertools.count(int(time.time() * 1000) % 10**12 * 1000)


def build_router(state: SimState) -> APIRouter:
    router = APIRouter(tags=["simulator: X API v2"])

    @router.get("/2/users/me")
    def me(request: Request) -> JSONResponse:
        return _refusal(state, request) or JSONResponse({"data": _me(state)})

    @router.get("/2/users/{user_id}/mentions")
    def mentions(user_id: str, request: Request) -> JSONResponse:
        refused = _refusal(state, request)
        if refused is not None:
            return refused
        if user_id != _me(state)["id"]:
            return _problem(403, "Forbidden", "You can only read the mentions of your own account")
        posts = list(state.platform_data("x").get("mentions", []))
        return _timeline(state, posts, request, "pagination_token", minimum=5)

    @router.get("/2/tweets/search/recent")
    def search(request: Request) -> JSONResponse:
        refused = _refusal(state, request)
        if refused is not None:
            return refused
        query = request.query_params.get("query", "").strip()
        if not query:
            return _problem(400, "Invalid Request", "The `query` query parameter can not be empty")
        words = query.casefold()
        posts = [
            p
            for p in state.platform_data("x").get("posts", [])
            if words in str(p.get("text", "")).casefold()
        ]
        return _timeline(state, posts, request, "next_token", minimum=10)

    @router.post("/2/tweets", status_code=201)
    async def create_post(request: Request) -> JSONResponse:
        refused = _refusal(state, request)
        if refused is not None:
            return refused
        body = await _json(request)
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            return _problem(400, "Invalid Request", "The `text` field must not be empty")
        if weighted_length(text) > MAX_POST_LENGTH:
            return _problem(403, "Forbidden", "Your Tweet text is too long.")
        reply = body.get("reply") if isinstance(body.get("reply"), dict) else {}
        parent = reply.get("in_reply_to_tweet_id") if reply else None
        post = add_post(state, text, _me(state), reply_to=str(parent) if parent else None)
        state.record(
            Sent(
                platform="x",
                kind="post",
                external_id=post["id"],
                text=text,
                in_reply_to=str(parent) if parent else None,
                request=body,
            )
        )
        return JSONResponse({"data": {"id": post["id"], "text": text}}, status_code=201)

    @router.post("/2/dm_conversations/with/{participant_id}/messages", status_code=201)
    async def direct_message(participant_id: str, request: Request) -> JSONResponse:
        refused = _refusal(state, request)
        if refused is not None:
            return refused
        body = await _json(request)
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            return _problem(400, "Invalid Request", "The `text` field must not be empty")
        if len(text) > MAX_DM_LENGTH:
            return _problem(400, "Invalid Request", "The `text` field is too long")
        event_id = _new_id(state)
        own = _me(state)["id"]
        state.record(
            Sent(
                platform="x",
                kind="dm",
                external_id=event_id,
                text=text,
                recipient=participant_id,
                request=body,
            )
        )
        data = {"dm_conversation_id": f"{own}-{participant_id}", "dm_event_id": event_id}
        return JSONResponse({"data": data}, status_code=201)

    @router.post("/2/users/{user_id}/likes")
    async def like(user_id: str, request: Request) -> JSONResponse:
        refused = _refusal(state, request)
        if refused is not None:
            return refused
        if user_id != _me(state)["id"]:
            return _problem(403, "Forbidden", "You are not allowed to like on behalf of this user")
        body = await _json(request)
        tweet_id = str(body.get("tweet_id") or "")
        if not tweet_id.isdigit():
            return _problem(400, "Invalid Request", "The `tweet_id` field must be a post id")
        state.record(Sent(platform="x", kind="like", external_id=tweet_id, request=body))
        return JSONResponse({"data": {"liked": True}})

    @router.put("/2/tweets/{tweet_id}/hidden")
    async def hide(tweet_id: str, request: Request) -> JSONResponse:
        refused = _refusal(state, request)
        if refused is not None:
            return refused
        body = await _json(request)
        hidden = body.get("hidden")
        if not isinstance(hidden, bool):
            return _problem(400, "Invalid Request", "The `hidden` field must be a boolean")
        kind = "hide" if hidden else "unhide"
        state.record(Sent(platform="x", kind=kind, external_id=tweet_id, request=body))
        return JSONResponse({"data": {"hidden": hidden}})

    return router


# --- content --------------------------------------------------------------------------------


def add_mention(
    state: SimState,
    text: str,
    author: dict[str, Any],
    *,
    reply_to: str | None = None,
    quoted: str | None = None,
    created_at: datetime | None = None,
) -> dict[str, Any]:
    """A new post by ``author`` (a v2 User: ``id``, ``username``, ``name``) mentioning us: it
    shows up in the mentions timeline and in search. Returns the v2 Post."""
    post = add_post(state, text, author, reply_to=reply_to, quoted=quoted, created_at=created_at)
    state.platform_data("x").setdefault("mentions", []).append(post)
    return post


def add_post(
    state: SimState,
    text: str,
    author: dict[str, Any],
    *,
    reply_to: str | None = None,
    quoted: str | None = None,
    created_at: datetime | None = None,
) -> dict[str, Any]:
    """A new public post (found by recent search); returns the v2 Post."""
    post_id = _new_id(state)
    refs = [{"type": "replied_to", "id": reply_to}] if reply_to else []
    refs += [{"type": "quoted", "id": quoted}] if quoted else []
    post: dict[str, Any] = {
        "id": post_id,
        "text": text,
        "author_id": str(author["id"]),
        "created_at": _iso(created_at or datetime.now(UTC)),
        "conversation_id": _conversation_of(state, reply_to) or post_id,
        "edit_history_tweet_ids": [post_id],
        "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 0, "quote_count": 0},
    }
    if refs:
        post["referenced_tweets"] = refs
    data = state.platform_data("x")
    data.setdefault("users", {})[str(author["id"])] = _user(author)
    data.setdefault("posts", []).append(post)
    return post


def _conversation_of(state: SimState, post_id: str | None) -> str | None:
    if post_id is None:
        return None
    for post in state.platform_data("x").get("posts", []):
        if post["id"] == post_id:
            return str(post.get("conversation_id") or post_id)
    return post_id


def _user(author: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(author["id"]),
        "username": str(author.get("username") or f"user{author['id']}"),
        "name": str(author.get("name") or author.get("username") or author["id"]),
        "verified": bool(author.get("verified", False)),
        "public_metrics": {
            "followers_count": int(author.get("followers_count", 0)),
            "following_count": 0,
            "tweet_count": 1,
            "listed_count": 0,
        },
    }


def _timeline(
    state: SimState, posts: list[dict[str, Any]], request: Request, page_param: str, minimum: int
) -> JSONResponse:
    """One page of ``posts`` newer than ``since_id``, newest first, as X pages timelines."""
    params = request.query_params
    try:
        size = int(params.get("max_results", "10"))
    except ValueError:
        size = 0
    if not minimum <= size <= 100:
        detail = (
            f"The `max_results` query parameter value [{size}] is not between {minimum} and 100"
        )
        return _problem(400, "Invalid Request", detail)
    since = params.get("since_id")
    newer = [p for p in posts if not since or int(p["id"]) > int(since)]
    newer.sort(key=lambda p: int(p["id"]), reverse=True)
    token = params.get(page_param) or params.get("pagination_token")
    start = int(token[1:]) if token and token.startswith("p") and token[1:].isdigit() else 0
    page = newer[start : start + size]
    if not page:
        return JSONResponse({"meta": {"result_count": 0}})
    users = state.platform_data("x").get("users", {})
    authors = {p["author_id"] for p in page}
    meta: dict[str, Any] = {
        "newest_id": page[0]["id"],
        "oldest_id": page[-1]["id"],
        "result_count": len(page),
    }
    if start + size < len(newer):
        meta["next_token"] = f"p{start + size}"
    includes = {"users": [users[a] for a in sorted(authors) if a in users]}
    return JSONResponse({"data": page, "includes": includes, "meta": meta})


# --- webhooks -------------------------------------------------------------------------------


def deliver_mention(
    client: httpx.Client,
    url: str,
    consumer_secret: str,
    *,
    for_user_id: str,
    text: str,
    author: dict[str, Any],
    tweet_id: str | None = None,
    in_reply_to: str | None = None,
) -> httpx.Response:
    """POST a signed Account Activity ``tweet_create_events`` delivery of one mention."""
    now = datetime.now(UTC)
    post_id = tweet_id or str(_ID_BASE + next(_webhook_ids))
    tweet = {
        "created_at": now.strftime(_TWITTER_TIME),
        "id": int(post_id),
        "id_str": post_id,
        "text": text,
        "truncated": False,
        "in_reply_to_status_id": int(in_reply_to) if in_reply_to else None,
        "in_reply_to_status_id_str": in_reply_to,
        "in_reply_to_user_id_str": for_user_id,
        "user": _v1_user(author),
        "is_quote_status": False,
        "entities": {"hashtags": [], "urls": [], "user_mentions": [], "symbols": []},
        "timestamp_ms": str(int(now.timestamp() * 1000)),
    }
    body = {"for_user_id": for_user_id, "tweet_create_events": [tweet]}
    return _deliver(client, url, consumer_secret, body)


def deliver_dm(
    client: httpx.Client,
    url: str,
    consumer_secret: str,
    *,
    for_user_id: str,
    text: str,
    author: dict[str, Any],
    event_id: str | None = None,
) -> httpx.Response:
    """POST a signed Account Activity ``direct_message_events`` delivery of one DM."""
    now_ms = int(time.time() * 1000)
    user = _v1_user(author)
    event = {
        "type": "message_create",
        "id": event_id or str(_ID_BASE + next(_webhook_ids)),
        "created_timestamp": str(now_ms),
        "message_create": {
            "target": {"recipient_id": for_user_id},
            "sender_id": user["id_str"],
            "message_data": {"text": text, "entities": {}},
        },
    }
    users = {user["id_str"]: {**user, "id": user["id_str"]}}
    body = {"for_user_id": for_user_id, "direct_message_events": [event], "users": users}
    return _deliver(client, url, consumer_secret, body)


def _deliver(
    client: httpx.Client, url: str, consumer_secret: str, body: dict[str, Any]
) -> httpx.Response:
    raw = json.dumps(body, separators=(",", ":")).encode()
    headers = {SIGNATURE_HEADER: sign(consumer_secret, raw), "Content-Type": "application/json"}
    return client.post(url, content=raw, headers=headers)


def _v1_user(author: dict[str, Any]) -> dict[str, Any]:
    user_id = str(author["id"])
    return {
        "id": int(user_id) if user_id.isdigit() else user_id,
        "id_str": user_id,
        "name": str(author.get("name") or author.get("username") or user_id),
        "screen_name": str(author.get("username") or f"user{user_id}"),
        "verified": bool(author.get("verified", False)),
        "followers_count": int(author.get("followers_count", 0)),
    }


# --- plumbing -------------------------------------------------------------------------------


def _me(state: SimState) -> dict[str, str]:
    me = state.platform_data("x").get("me")
    return dict(me) if isinstance(me, dict) else dict(DEFAULT_ME)


def _new_id(state: SimState) -> str:
    return str(_ID_BASE + int(state.next_id()))


def _iso(moment: datetime) -> str:
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def _refusal(state: SimState, request: Request) -> JSONResponse | None:
    """X's answer when the bearer token is wrong or a fault is queued; None to go ahead."""
    expected = str(state.platform_data("x").get("access_token", DEFAULT_TOKEN))
    header = request.headers.get("Authorization", "")
    if header != f"Bearer {expected}":
        return _problem(401, "Unauthorized", "Unauthorized")
    fault = state.take_fault("x")
    return None if fault is None else _fault_response(fault)


def _fault_response(fault: Fault) -> JSONResponse:
    status = fault.status
    if status == 429:
        wait = fault.retry_after if fault.retry_after is not None else 60.0
        headers = {
            "x-rate-limit-limit": "450",
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": str(int(time.time() + wait)),
        }
        return _problem(429, "Too Many Requests", fault.message or "Too Many Requests", headers)
    if status == 401:
        return _problem(401, "Unauthorized", fault.message or "Unauthorized")
    if status == 403:
        return _problem(403, "Forbidden", fault.message or "You are not permitted to do this.")
    if status >= 500:
        return _problem(status, "Service Unavailable", fault.message or "Service Unavailable")
    return _problem(
        status, "Invalid Request", fault.message or "One or more parameters are invalid."
    )


def _problem(
    status: int, title: str, detail: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {"title": title, "detail": detail, "type": "about:blank", "status": status}
    return JSONResponse(
        body, status_code=status, headers=headers, media_type="application/problem+json"
    )


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
