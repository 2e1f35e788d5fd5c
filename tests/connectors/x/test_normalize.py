"""Account Activity deliveries and v2 mention pages normalised to webcare's inbound events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.connectors.x.helpers import load
from webcare.channel.ports import (
    Attachment,
    Author,
    ConversationKind,
    InboundDeletion,
    InboundMessage,
    MessageVisibility,
)
from webcare.connectors.x.normalize import newest_id, normalize, normalize_v2_mentions
from webcare.kit.errors import Invalid

OUR_ID = "1234567890"


def _only_message(payload: dict[str, Any]) -> InboundMessage:
    events = normalize(payload)
    assert len(events) == 1
    assert isinstance(events[0], InboundMessage)
    return events[0]


def _first_tweet(payload: dict[str, Any]) -> dict[str, Any]:
    tweet: dict[str, Any] = payload["tweet_create_events"][0]
    return tweet


# --- tweet_create_events ------------------------------------------------------------------


def test_mention_becomes_public_thread_message() -> None:
    payload = load("aaa_tweet_create_events")

    message = _only_message(payload)

    assert message.external_id == "1992200000000000001"
    assert message.text == "@VoorbeeldShop waar blijft mijn pakket?? al 5 dagen onderweg"
    assert message.author == Author(
        platform_user_id="9876543210",
        handle="pieterk",
        name="Pieter K.",
        follower_count=120,
        verified=False,
    )
    assert message.platform_time == datetime(2026, 11, 22, 10, 15, tzinfo=UTC)
    assert message.kind is ConversationKind.PUBLIC_THREAD
    assert message.visibility is MessageVisibility.PUBLIC
    assert message.reply_to_external_id is None
    assert message.thread_external_id is None
    assert message.attachments == ()
    assert message.raw == _first_tweet(payload)


def test_reply_points_at_the_tweet_it_answers_and_its_conversation() -> None:
    payload = load("aaa_tweet_create_events")
    tweet = _first_tweet(payload)
    tweet["in_reply_to_status_id_str"] = "1992200000000000000"
    tweet["conversation_id_str"] = "1992199999999999999"

    message = _only_message(payload)

    assert message.reply_to_external_id == "1992200000000000000"
    assert message.thread_external_id == "1992199999999999999"


def test_quote_tweet_keeps_the_quoted_id_in_text_and_raw() -> None:
    payload = load("aaa_tweet_create_events")
    tweet = _first_tweet(payload)
    tweet["is_quote_status"] = True
    tweet["quoted_status_id_str"] = "1992200000000000050"
    tweet["quoted_status"] = {"id_str": "1992200000000000050", "text": "Onze service..."}
    tweet["text"] = "Dit klopt dus niet"

    message = _only_message(payload)

    assert message.text == (
        "Dit klopt dus niet\n\n[quote] https://x.com/i/web/status/1992200000000000050"
    )
    assert message.raw["quoted_status_id_str"] == "1992200000000000050"


def test_truncated_tweet_uses_full_text_and_extended_media() -> None:
    payload = load("aaa_tweet_create_events")
    tweet = _first_tweet(payload)
    tweet["truncated"] = True
    tweet["text"] = "@VoorbeeldShop waar blijft mijn pakket?? al 5 dagen… https://t.co/more"
    tweet["extended_tweet"] = {
        "full_text": "@VoorbeeldShop waar blijft mijn pakket?? al 5 dagen onderweg, "
        "zie foto en filmpje https://t.co/media1",
        "extended_entities": {
            "media": [
                {
                    "id_str": "1",
                    "type": "photo",
                    "url": "https://t.co/media1",
                    "media_url_https": "https://pbs.twimg.com/media/doos.jpg",
                },
                {
                    "id_str": "2",
                    "type": "video",
                    "url": "https://t.co/media1",
                    "media_url_https": "https://pbs.twimg.com/thumb/video.jpg",
                    "video_info": {
                        "variants": [
                            {"content_type": "application/x-mpegURL", "url": "https://v/p.m3u8"},
                            {"content_type": "video/mp4", "bitrate": 256000, "url": "https://v/l"},
                            {"content_type": "video/mp4", "bitrate": 832000, "url": "https://v/h"},
                        ]
                    },
                },
            ]
        },
    }

    message = _only_message(payload)

    assert message.text == (
        "@VoorbeeldShop waar blijft mijn pakket?? al 5 dagen onderweg, zie foto en filmpje"
    )
    assert message.attachments == (
        Attachment(kind="image", url="https://pbs.twimg.com/media/doos.jpg"),
        Attachment(kind="video", url="https://v/h", mime_type="video/mp4"),
    )


def test_numeric_conversation_id_is_accepted() -> None:
    payload = load("aaa_tweet_create_events")
    _first_tweet(payload)["conversation_id"] = 1992199999999999999

    assert _only_message(payload).thread_external_id == "1992199999999999999"


def test_tweet_time_falls_back_to_timestamp_ms() -> None:
    payload = load("aaa_tweet_create_events")
    del _first_tweet(payload)["created_at"]

    message = _only_message(payload)

    assert message.platform_time == datetime(2026, 11, 22, 10, 15, tzinfo=UTC)


def test_our_own_tweet_is_an_echo_and_skipped() -> None:
    payload = load("aaa_tweet_create_events")
    _first_tweet(payload)["user"]["id_str"] = OUR_ID

    assert normalize(payload) == []


def test_retweet_is_skipped() -> None:
    payload = load("aaa_tweet_create_events")
    tweet = _first_tweet(payload)
    tweet["retweeted_status"] = {"id_str": "1992200000000000050", "text": "..."}

    assert normalize(payload) == []


# --- direct_message_events ----------------------------------------------------------------


def test_direct_message_becomes_private_thread_message() -> None:
    payload = load("aaa_direct_message_events")

    message = _only_message(payload)

    assert message.external_id == "1992200000000000099"
    assert message.text == "Mijn ordernummer is 12345"
    assert message.author == Author(
        platform_user_id="9876543210",
        handle="pieterk",
        name="Pieter K.",
        follower_count=120,
        verified=False,
    )
    assert message.platform_time == datetime.fromtimestamp(1795342600, tz=UTC)
    assert message.kind is ConversationKind.PRIVATE_THREAD
    assert message.visibility is MessageVisibility.PRIVATE
    assert message.reply_to_external_id is None
    assert message.raw["id"] == "1992200000000000099"


def test_direct_message_from_us_is_an_echo_and_skipped() -> None:
    payload = load("aaa_direct_message_events")
    create = payload["direct_message_events"][0]["message_create"]
    create["sender_id"], create["target"]["recipient_id"] = OUR_ID, "9876543210"

    assert normalize(payload) == []


def test_direct_message_with_photo_has_an_attachment() -> None:
    payload = load("aaa_direct_message_events")
    data = payload["direct_message_events"][0]["message_create"]["message_data"]
    data["text"] = "Zo kwam hij aan https://t.co/dmfoto"
    data["attachment"] = {
        "type": "media",
        "media": {
            "type": "photo",
            "url": "https://t.co/dmfoto",
            "media_url_https": "https://ton.twitter.com/dm/1/foto.jpg",
        },
    }

    message = _only_message(payload)

    assert message.text == "Zo kwam hij aan"
    assert message.attachments == (
        Attachment(kind="image", url="https://ton.twitter.com/dm/1/foto.jpg"),
    )


def test_direct_message_sender_missing_from_users_map_keeps_only_the_id() -> None:
    payload = load("aaa_direct_message_events")
    del payload["users"]

    message = _only_message(payload)

    assert message.author == Author(platform_user_id="9876543210")


def test_other_direct_message_event_types_are_ignored() -> None:
    payload = load("aaa_direct_message_events")
    payload["direct_message_events"][0]["type"] = "participants_join"

    assert normalize(payload) == []


# --- deletions and ignored events ---------------------------------------------------------


def test_tweet_delete_event_becomes_deletion() -> None:
    events = normalize(load("tweet_delete_events"))

    assert events == [
        InboundDeletion(
            external_id="1992200000000000001",
            deleted_at=datetime.fromtimestamp(1795343000, tz=UTC),
            raw={
                "status": {"id": "1992200000000000001", "user_id": "9876543210"},
                "timestamp_ms": "1795343000000",
            },
        )
    ]


def test_likes_and_follows_produce_nothing() -> None:
    payload = load("aaa_favorite_and_follow_events")
    payload["follow_events"] = [{"type": "follow", "source": {}, "target": {}}]

    assert normalize(payload) == []


def test_one_delivery_with_every_kind_keeps_payload_order() -> None:
    payload = load("aaa_tweet_create_events")
    payload.update(load("aaa_direct_message_events"))
    payload.update(load("tweet_delete_events"))

    kinds = [type(event).__name__ for event in normalize(payload)]

    assert kinds == ["InboundMessage", "InboundMessage", "InboundDeletion"]


# --- broken payloads ----------------------------------------------------------------------


def _broken(name: str, change: Any) -> dict[str, Any]:
    payload = load(name)
    change(payload)
    return payload


BROKEN = {
    "not an object": ([], "JSON object"),
    "no for_user_id": (
        _broken("aaa_tweet_create_events", lambda p: p.pop("for_user_id")),
        "for_user_id",
    ),
    "events not a list": (
        _broken("aaa_tweet_create_events", lambda p: p.update(tweet_create_events={})),
        "tweet_create_events must be a list",
    ),
    "tweet not an object": (
        _broken("aaa_tweet_create_events", lambda p: p.update(tweet_create_events=["x"])),
        r"tweet_create_events\[0\] must be an object",
    ),
    "tweet without user": (
        _broken("aaa_tweet_create_events", lambda p: p["tweet_create_events"][0].pop("user")),
        r"tweet_create_events\[0\].user must be an object",
    ),
    "tweet without id_str": (
        _broken("aaa_tweet_create_events", lambda p: p["tweet_create_events"][0].pop("id_str")),
        r"tweet_create_events\[0\].id_str",
    ),
    "bad created_at": (
        _broken(
            "aaa_tweet_create_events",
            lambda p: p["tweet_create_events"][0].update(created_at="yesterday"),
        ),
        "not a Twitter date",
    ),
    "dm without sender": (
        _broken(
            "aaa_direct_message_events",
            lambda p: p["direct_message_events"][0]["message_create"].pop("sender_id"),
        ),
        "sender_id",
    ),
    "dm with bad timestamp": (
        _broken(
            "aaa_direct_message_events",
            lambda p: p["direct_message_events"][0].update(created_timestamp="soon"),
        ),
        "created_timestamp must be milliseconds",
    ),
    "dm with nothing in it": (
        _broken(
            "aaa_direct_message_events",
            lambda p: p["direct_message_events"][0]["message_create"]["message_data"].update(
                text="  "
            ),
        ),
        "needs text or at least one attachment",
    ),
    "deletion without status": (
        _broken("tweet_delete_events", lambda p: p["tweet_delete_events"][0].pop("status")),
        r"tweet_delete_events\[0\].status must be an object",
    ),
}


@pytest.mark.parametrize(("payload", "message"), BROKEN.values(), ids=BROKEN.keys())
def test_broken_payload_is_invalid_with_a_clear_message(payload: Any, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        normalize(payload)


def test_unknown_keys_are_ignored() -> None:
    payload = load("aaa_tweet_create_events")
    payload["something_new"] = {"x": 1}
    _first_tweet(payload)["edit_controls"] = {"editable_until_ms": 1}

    assert len(normalize(payload)) == 1


# --- polling fallback: GET /2/users/{id}/mentions -----------------------------------------


def test_v2_mentions_become_public_thread_messages() -> None:
    reply, quote = normalize_v2_mentions(load("v2_users_mentions"))

    assert reply.external_id == "1992200000000000011"
    assert reply.text == "@VoorbeeldShop nog steeds niks gehoord over mijn retour"
    assert reply.author == Author(
        platform_user_id="9876543210", handle="pieterk", name="Pieter K.", follower_count=120
    )
    assert reply.platform_time == datetime(2026, 11, 22, 10, 30, tzinfo=UTC)
    assert reply.reply_to_external_id == "1992200000000000002"
    assert reply.thread_external_id == "1992200000000000001"
    assert reply.kind is ConversationKind.PUBLIC_THREAD
    assert quote.author.verified is True
    assert quote.author.follower_count == 48000
    assert quote.reply_to_external_id is None
    assert quote.text.endswith("[quote] https://x.com/i/web/status/1992200000000000050")


def test_v2_mentions_skip_our_own_posts_and_retweets() -> None:
    response = load("v2_users_mentions")
    response["data"][0]["author_id"] = OUR_ID
    response["data"][1]["referenced_tweets"] = [{"type": "retweeted", "id": "1"}]

    assert normalize_v2_mentions(response, own_user_id=OUR_ID) == []


def test_v2_empty_page_has_no_messages_and_no_newest_id() -> None:
    empty = {"meta": {"result_count": 0}}

    assert normalize_v2_mentions(empty) == []
    assert newest_id(empty) is None


def test_newest_id_comes_from_meta_or_the_highest_id() -> None:
    response = load("v2_users_mentions")
    assert newest_id(response) == "1992200000000000011"

    del response["meta"]
    response["data"].append({"id": "999"})
    assert newest_id(response) == "1992200000000000011"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r["data"][0].pop("author_id"), r"data\[0\].author_id"),
        (lambda r: r["data"][0].update(created_at="gisteren"), "ISO 8601"),
        (lambda r: r.update(data={}), "data must be a list"),
        (lambda r: r["includes"].update(users=[{"name": "x"}]), r"includes.users\[0\].id"),
    ],
)
def test_broken_v2_page_is_invalid(change: Any, message: str) -> None:
    response = load("v2_users_mentions")
    change(response)

    with pytest.raises(Invalid, match=message):
        normalize_v2_mentions(response)
