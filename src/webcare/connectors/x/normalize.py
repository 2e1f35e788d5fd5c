"""X payloads → :class:`InboundMessage` / :class:`InboundDeletion`.

Two inputs, one output shape:

* Account Activity webhook deliveries (X docs, "Account Activity data objects"): a JSON object
  with ``for_user_id`` (the subscribed account, i.e. us) and event lists. We read
  ``tweet_create_events`` (v1.1 Tweet objects: mentions, replies, quote Tweets),
  ``direct_message_events`` (``type == "message_create"``, with a ``users`` map keyed by id) and
  ``tweet_delete_events`` (``{"status": {"id", "user_id"}, "timestamp_ms"}``). Likes, follows,
  typing and read indicators are not messages and are ignored, as are unknown keys.
* The polling fallback, ``GET /2/users/{id}/mentions`` of the X API v2 (``openapi.json``,
  schema ``GetUsersMentionsResponse``) with ``expansions=author_id``.

Invariants: our own Tweets and DMs (authored by ``for_user_id``) come back to us as events;
they are echoes of replies we already stored and are skipped, as are Retweets (they add no
words of the customer). A structurally broken payload raises :class:`Invalid` naming the
offending path; nothing is returned half-parsed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from webcare.channel.ports import (
    Attachment,
    Author,
    ConversationKind,
    InboundDeletion,
    InboundMessage,
    MessageVisibility,
)
from webcare.kit.errors import Invalid

#: v1.1 ``created_at``, e.g. ``Wed Oct 10 20:19:24 +0000 2018``.
TWITTER_TIME_FORMAT = "%a %b %d %H:%M:%S %z %Y"
STATUS_URL = "https://x.com/i/web/status/{id}"
_MEDIA_KINDS = {"photo": "image", "video": "video", "animated_gif": "video"}


def normalize(payload: Mapping[str, Any]) -> list[InboundMessage | InboundDeletion]:
    """All customer messages and deletions in one Account Activity delivery, in payload order."""
    if not isinstance(payload, Mapping):
        raise Invalid("an X webhook payload must be a JSON object")
    own_id = _str(payload, "for_user_id", "for_user_id")
    events: list[InboundMessage | InboundDeletion] = []
    for path, tweet in _items(payload, "tweet_create_events"):
        message = _tweet(tweet, own_id, path)
        if message is not None:
            events.append(message)
    users = _mapping(payload.get("users") or {}, "users")
    for path, event in _items(payload, "direct_message_events"):
        dm = _direct_message(event, own_id, users, path)
        if dm is not None:
            events.append(dm)
    for path, deletion in _items(payload, "tweet_delete_events"):
        events.append(_deletion(deletion, path))
    return events


def normalize_v2_mentions(
    response: Mapping[str, Any], own_user_id: str | None = None
) -> list[InboundMessage]:
    """Messages from a ``GET /2/users/{id}/mentions`` page (``expansions=author_id``).

    Expects ``tweet.fields=created_at,conversation_id,in_reply_to_user_id,referenced_tweets``
    and ``user.fields=public_metrics,verified,username,name``. Retweets and posts by
    ``own_user_id`` are skipped, as in :func:`normalize`.
    """
    if not isinstance(response, Mapping):
        raise Invalid("an X mentions response must be a JSON object")
    includes = _mapping(response.get("includes") or {}, "includes")
    users: dict[str, Mapping[str, Any]] = {}
    for path, user in _items(includes, "users", prefix="includes."):
        users[_str(user, "id", path + ".id")] = user
    messages = []
    for path, post in _items(response, "data"):
        message = _v2_post(post, users, own_user_id, path)
        if message is not None:
            messages.append(message)
    return messages


def newest_id(response: Mapping[str, Any]) -> str | None:
    """The ``since_id`` for the next poll: ``meta.newest_id``, else the highest id in ``data``."""
    meta = response.get("meta")
    if isinstance(meta, Mapping) and isinstance(meta.get("newest_id"), str):
        return str(meta["newest_id"])
    ids = [
        str(post["id"])
        for post in response.get("data") or []
        if isinstance(post, Mapping) and str(post.get("id", "")).isdigit()
    ]
    return max(ids, key=int) if ids else None


# --- Account Activity -------------------------------------------------------------------


def _tweet(tweet: Mapping[str, Any], own_id: str, path: str) -> InboundMessage | None:
    user = _mapping(tweet.get("user"), path + ".user")
    author = _v1_author(user, path + ".user")
    if author.platform_user_id == own_id or "retweeted_status" in tweet:
        return None
    external_id = _id_str(tweet, path)
    extended = tweet.get("extended_tweet")
    extended = extended if isinstance(extended, Mapping) else {}
    if tweet.get("truncated") and "full_text" in extended:
        text = _str(extended, "full_text", path + ".extended_tweet.full_text")
    else:
        text = _str(tweet, "full_text" if "full_text" in tweet else "text", path + ".text")
    media_source = extended if "extended_entities" in extended else tweet
    attachments, media_urls = _v1_media(media_source.get("extended_entities"), path)
    return InboundMessage(
        external_id=external_id,
        author=author,
        text=_with_quote(_without(text, media_urls), _quoted(tweet)),
        platform_time=_tweet_time(tweet, path),
        kind=ConversationKind.PUBLIC_THREAD,
        visibility=MessageVisibility.PUBLIC,
        reply_to_external_id=_optional_str(tweet, "in_reply_to_status_id_str", path),
        thread_external_id=_conversation_id(tweet, path),
        attachments=attachments,
        raw=dict(tweet),
    )


def _direct_message(
    event: Mapping[str, Any], own_id: str, users: Mapping[str, Any], path: str
) -> InboundMessage | None:
    if event.get("type") != "message_create":
        return None
    create = _mapping(event.get("message_create"), path + ".message_create")
    sender_id = _str(create, "sender_id", path + ".message_create.sender_id")
    if sender_id == own_id:
        return None
    data = _mapping(create.get("message_data"), path + ".message_create.message_data")
    text = data.get("text", "")
    if not isinstance(text, str):
        raise Invalid(f"{path}.message_create.message_data.text must be a string")
    attachments, media_urls = _dm_media(data.get("attachment"), path)
    profile = users.get(sender_id)
    profile = profile if isinstance(profile, Mapping) else {}
    return InboundMessage(
        external_id=_str(event, "id", path + ".id"),
        author=Author(
            platform_user_id=sender_id,
            handle=_opt(profile.get("screen_name")),
            name=_opt(profile.get("name")),
            follower_count=_count(profile.get("followers_count")),
            verified=profile.get("verified") is True,
        ),
        text=_without(text, media_urls),
        platform_time=_ms_time(event.get("created_timestamp"), path + ".created_timestamp"),
        kind=ConversationKind.PRIVATE_THREAD,
        visibility=MessageVisibility.PRIVATE,
        attachments=attachments,
        raw=dict(event),
    )


def _deletion(event: Mapping[str, Any], path: str) -> InboundDeletion:
    status = _mapping(event.get("status"), path + ".status")
    raw_id = status.get("id")
    if not isinstance(raw_id, str | int) or isinstance(raw_id, bool) or not str(raw_id):
        raise Invalid(f"{path}.status.id must be a Tweet id")
    return InboundDeletion(
        external_id=str(raw_id),
        deleted_at=_ms_time(event.get("timestamp_ms"), path + ".timestamp_ms"),
        raw=dict(event),
    )


def _v1_author(user: Mapping[str, Any], path: str) -> Author:
    return Author(
        platform_user_id=_id_str(user, path),
        handle=_opt(user.get("screen_name")),
        name=_opt(user.get("name")),
        follower_count=_count(user.get("followers_count")),
        verified=user.get("verified") is True,
    )


def _v1_media(entities: Any, path: str) -> tuple[tuple[Attachment, ...], list[str]]:
    """Attachments from ``extended_entities.media`` plus the t.co links that stand for them."""
    if not isinstance(entities, Mapping):
        return (), []
    attachments, urls = [], []
    for index, media in enumerate(entities.get("media") or []):
        if not isinstance(media, Mapping):
            raise Invalid(f"{path}.extended_entities.media[{index}] must be an object")
        url = _media_url(media)
        if url is None:
            continue
        kind = _MEDIA_KINDS.get(str(media.get("type")), "file")
        attachments.append(Attachment(kind=kind, url=url, mime_type=_mime(media)))
        if isinstance(media.get("url"), str):
            urls.append(media["url"])
    return tuple(attachments), urls


def _dm_media(attachment: Any, path: str) -> tuple[tuple[Attachment, ...], list[str]]:
    if attachment is None:
        return (), []
    attachment = _mapping(attachment, path + ".message_create.message_data.attachment")
    media = attachment.get("media")
    if attachment.get("type") != "media" or not isinstance(media, Mapping):
        return (), []
    url = _media_url(media)
    if url is None:
        return (), []
    kind = _MEDIA_KINDS.get(str(media.get("type")), "file")
    short = [media["url"]] if isinstance(media.get("url"), str) else []
    return (Attachment(kind=kind, url=url, mime_type=_mime(media)),), short


def _media_url(media: Mapping[str, Any]) -> str | None:
    """The best MP4 variant of a video, else the ``media_url_https`` image."""
    info = media.get("video_info")
    if isinstance(info, Mapping):
        variants = [
            v
            for v in info.get("variants") or []
            if isinstance(v, Mapping) and v.get("content_type") == "video/mp4"
        ]
        if variants:
            best = max(variants, key=lambda v: int(v.get("bitrate") or 0))
            return str(best.get("url")) if best.get("url") else None
    url = media.get("media_url_https") or media.get("media_url")
    return str(url) if url else None


def _mime(media: Mapping[str, Any]) -> str | None:
    if media.get("type") in ("video", "animated_gif"):
        return "video/mp4"
    return None


def _quoted(tweet: Mapping[str, Any]) -> str | None:
    if not tweet.get("is_quote_status"):
        return None
    quoted_id = tweet.get("quoted_status_id_str")
    status = tweet.get("quoted_status")
    if not quoted_id and isinstance(status, Mapping):
        quoted_id = status.get("id_str")
    return str(quoted_id) if quoted_id else None


def _with_quote(text: str, quoted_id: str | None) -> str:
    """Agents see which post was quoted: its link follows the customer's words."""
    if quoted_id is None:
        return text
    return f"{text}\n\n[quote] {STATUS_URL.format(id=quoted_id)}".strip()


def _conversation_id(tweet: Mapping[str, Any], path: str) -> str | None:
    """The root Tweet's id when X includes it (``conversation_id_str`` or a numeric id)."""
    value = tweet.get("conversation_id_str") or tweet.get("conversation_id")
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise Invalid(f"{path}.conversation_id must be a Tweet id")
    return str(value)


def _tweet_time(tweet: Mapping[str, Any], path: str) -> datetime:
    created = tweet.get("created_at")
    if isinstance(created, str):
        try:
            return datetime.strptime(created, TWITTER_TIME_FORMAT).astimezone(UTC)
        except ValueError as exc:
            raise Invalid(f"{path}.created_at is not a Twitter date: {created!r}") from exc
    return _ms_time(tweet.get("timestamp_ms"), path + ".timestamp_ms")


# --- API v2 -----------------------------------------------------------------------------


def _v2_post(
    post: Mapping[str, Any],
    users: Mapping[str, Mapping[str, Any]],
    own_user_id: str | None,
    path: str,
) -> InboundMessage | None:
    author_id = _str(post, "author_id", path + ".author_id")
    refs = _v2_references(post, path)
    if author_id == own_user_id or "retweeted" in refs:
        return None
    user = users.get(author_id, {})
    metrics = user.get("public_metrics")
    followers = metrics.get("followers_count") if isinstance(metrics, Mapping) else None
    created = _str(post, "created_at", path + ".created_at")
    try:
        platform_time = datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError as exc:
        raise Invalid(f"{path}.created_at is not an ISO 8601 time: {created!r}") from exc
    if platform_time.tzinfo is None:
        raise Invalid(f"{path}.created_at must include a time zone")
    return InboundMessage(
        external_id=_str(post, "id", path + ".id"),
        author=Author(
            platform_user_id=author_id,
            handle=_opt(user.get("username")),
            name=_opt(user.get("name")),
            follower_count=_count(followers),
            verified=user.get("verified") is True,
        ),
        text=_with_quote(_str(post, "text", path + ".text"), refs.get("quoted")),
        platform_time=platform_time.astimezone(UTC),
        kind=ConversationKind.PUBLIC_THREAD,
        visibility=MessageVisibility.PUBLIC,
        reply_to_external_id=refs.get("replied_to"),
        thread_external_id=_opt(post.get("conversation_id")),
        raw=dict(post),
    )


def _v2_references(post: Mapping[str, Any], path: str) -> dict[str, str]:
    """``{type: id}`` from ``referenced_tweets`` (called ``referenced_posts`` in newer specs)."""
    refs = post.get("referenced_tweets", post.get("referenced_posts")) or []
    if not isinstance(refs, list):
        raise Invalid(f"{path}.referenced_tweets must be a list")
    found = {}
    for ref in refs:
        if isinstance(ref, Mapping) and isinstance(ref.get("type"), str) and ref.get("id"):
            found[ref["type"]] = str(ref["id"])
    return found


# --- structure checks -------------------------------------------------------------------


def _items(
    container: Mapping[str, Any], key: str, prefix: str = ""
) -> list[tuple[str, Mapping[str, Any]]]:
    value = container.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise Invalid(f"{prefix}{key} must be a list")
    items = []
    for index, item in enumerate(value):
        path = f"{prefix}{key}[{index}]"
        items.append((path, _mapping(item, path)))
    return items


def _mapping(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise Invalid(f"{path} must be an object")
    return value


def _str(container: Mapping[str, Any], key: str, path: str) -> str:
    value = container.get(key)
    if not isinstance(value, str) or not value:
        raise Invalid(f"{path} must be a non-empty string")
    return value


def _optional_str(container: Mapping[str, Any], key: str, path: str) -> str | None:
    value = container.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Invalid(f"{path}.{key} must be a string")
    return value


def _id_str(obj: Mapping[str, Any], path: str) -> str:
    """v1.1 objects carry ``id_str``; the numeric ``id`` loses precision in JavaScript."""
    value = obj.get("id_str")
    if isinstance(value, str) and value:
        return value
    raise Invalid(f"{path}.id_str must be a non-empty string")


def _ms_time(value: Any, path: str) -> datetime:
    """Milliseconds since the epoch, as a string (``created_timestamp``) or a number."""
    try:
        millis = int(value)
    except (TypeError, ValueError) as exc:
        raise Invalid(f"{path} must be milliseconds since the epoch") from exc
    if isinstance(value, bool) or millis < 0:
        raise Invalid(f"{path} must be milliseconds since the epoch")
    try:
        return datetime.fromtimestamp(millis / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise Invalid(f"{path} is out of range") from exc


def _opt(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _without(text: str, urls: list[str]) -> str:
    """Drop the t.co links that only stand for attached media (shown as attachments)."""
    for url in urls:
        text = text.replace(url, "")
    return text.strip()
