"""Meta deliveries (Page feed, Messenger, Instagram) normalised to webcare's inbound events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.connectors.meta.helpers import load
from webcare.channel.ports import (
    Attachment,
    Author,
    ConversationKind,
    InboundDeletion,
    InboundEdit,
    InboundMessage,
    MessageVisibility,
)
from webcare.connectors.meta.normalize import MentionedComment, mentions_to_fetch, normalize
from webcare.kit.errors import Invalid

PAGE_ID = "104839221234567"
IG_ACCOUNT_ID = "17841401234567890"
POST_ID = "104839221234567_987654321098765"
COMMENT_ID = "987654321098765_1122334455667788"
MEDIA_ID = "17887498072083520"
OWN = frozenset({PAGE_ID, IG_ACCOUNT_ID})
NONE: frozenset[str] = frozenset()


def _only(payload: dict[str, Any], own_ids: frozenset[str] = OWN) -> Any:
    events = normalize(payload, own_ids=own_ids)
    assert len(events) == 1
    return events[0]


def _only_message(payload: dict[str, Any], own_ids: frozenset[str] = OWN) -> InboundMessage:
    event = _only(payload, own_ids)
    assert isinstance(event, InboundMessage)
    return event


def _seconds(value: int) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def _millis(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, UTC)


def _first_change(payload: dict[str, Any]) -> dict[str, Any]:
    change: dict[str, Any] = payload["entry"][0]["changes"][0]
    return change


def _first_messaging(payload: dict[str, Any]) -> dict[str, Any]:
    event: dict[str, Any] = payload["entry"][0]["messaging"][0]
    return event


# --- Page feed --------------------------------------------------------------------------


def test_comment_on_a_page_post_threads_under_the_post() -> None:
    payload = load("page_feed_comment_add")

    message = _only_message(payload)

    assert message.external_id == COMMENT_ID
    assert message.author == Author(platform_user_id="7012345678901234", name="Jan de Vries")
    assert message.text == "Al drie weken wachten op mijn retour. Slechte service!"
    assert message.platform_time == _seconds(1732269990)
    assert message.kind is ConversationKind.PUBLIC_THREAD
    assert message.visibility is MessageVisibility.PUBLIC
    assert message.thread_external_id == POST_ID
    assert message.reply_to_external_id is None
    assert message.attachments == ()
    assert message.raw == _first_change(payload)


def test_page_reply_to_a_comment_is_an_echo_and_skipped() -> None:
    assert normalize(load("page_feed_comment_reply_add"), own_ids=OWN) == []


def test_entry_id_counts_as_own_even_without_own_ids() -> None:
    assert normalize(load("page_feed_comment_reply_add"), own_ids=NONE) == []


def test_customer_reply_to_a_comment_points_at_that_comment() -> None:
    payload = load("page_feed_comment_reply_add")
    _first_change(payload)["value"]["from"] = {"id": "7012345678901234", "name": "Jan de Vries"}

    message = _only_message(payload)

    assert message.external_id == "987654321098765_2233445566778899"
    assert message.reply_to_external_id == COMMENT_ID
    assert message.thread_external_id == POST_ID
    assert message.author.platform_user_id == "7012345678901234"


def test_comment_by_another_own_id_is_skipped() -> None:
    payload = load("page_feed_comment_add")

    assert normalize(payload, own_ids=frozenset({"7012345678901234"})) == []


def test_comment_with_photo_keeps_it_as_attachment() -> None:
    payload = load("page_feed_comment_add")
    value = _first_change(payload)["value"]
    value["photo"] = "https://scontent.xx.fbcdn.net/v/photo.jpg"
    del value["message"]

    message = _only_message(payload)

    assert message.text == ""
    assert message.attachments == (
        Attachment(kind="image", url="https://scontent.xx.fbcdn.net/v/photo.jpg"),
    )


def test_edited_and_removed_comment_become_edit_then_deletion() -> None:
    payload = load("page_feed_comment_edited_and_removed")
    changes = payload["entry"][0]["changes"]

    events = normalize(payload, own_ids=OWN)

    assert events == [
        InboundEdit(
            external_id=COMMENT_ID,
            text="Al drie weken wachten op mijn retour!!",
            edited_at=_seconds(1732270190),
            raw=changes[0],
        ),
        InboundDeletion(external_id=COMMENT_ID, deleted_at=_seconds(1732270199), raw=changes[1]),
    ]


def test_hidden_comment_is_a_deletion() -> None:
    payload = load("page_feed_comment_edited_and_removed")
    changes = payload["entry"][0]["changes"]
    changes[1]["value"]["verb"] = "hide"
    del changes[0]

    events = normalize(payload, own_ids=OWN)

    assert [type(e) for e in events] == [InboundDeletion]
    assert events[0].external_id == COMMENT_ID


def test_visitor_post_starts_its_own_thread() -> None:
    payload = load("page_feed_visitor_post_add")

    message = _only_message(payload)

    assert message.external_id == "104839221234567_111222333444555"
    assert message.thread_external_id == "104839221234567_111222333444555"
    assert message.reply_to_external_id is None
    assert message.author == Author(platform_user_id="7099999999999999", name="Sanne Jansen")
    assert message.text == "Complimenten aan jullie bezorger, super vriendelijk!"
    assert message.kind is ConversationKind.PUBLIC_THREAD
    assert message.platform_time == _seconds(1732270290)


def test_reactions_are_not_messages() -> None:
    assert normalize(load("page_feed_reaction_add"), own_ids=OWN) == []


@pytest.mark.parametrize("verb", ["block", "unhide", "mute", "update"])
def test_other_feed_verbs_are_skipped(verb: str) -> None:
    payload = load("page_feed_comment_add")
    _first_change(payload)["value"]["verb"] = verb

    assert normalize(payload, own_ids=OWN) == []


# --- Messenger --------------------------------------------------------------------------


def test_messenger_text_is_a_private_thread_message() -> None:
    payload = load("messenger_message_text")

    message = _only_message(payload)

    assert message.external_id == "m_AG5Hz2Uq7qDJpE4Kx1v0Zk8"
    assert message.author == Author(platform_user_id="6791234567890123")
    assert message.text.startswith("Hoi, mijn bestelling 12345")
    assert message.platform_time == _millis(1732268999876)
    assert message.kind is ConversationKind.PRIVATE_THREAD
    assert message.visibility is MessageVisibility.PRIVATE
    assert message.reply_to_external_id is None
    assert message.thread_external_id is None
    assert message.raw == _first_messaging(payload)


def test_messenger_image_reply_keeps_attachment_and_reply_to() -> None:
    message = _only_message(load("messenger_message_attachment_reply_to"))

    assert message.external_id == "m_BX71kq0e"
    assert message.text == ""
    assert message.reply_to_external_id == "m_AG5Hz2Uq7qDJpE4Kx1v0Zk8"
    assert message.attachments == (
        Attachment(kind="image", url="https://scontent.xx.fbcdn.net/v/t1.15752-9/example.jpg"),
    )


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("video", "video"), ("audio", "audio"), ("file", "file"), ("share", "link"), ("x", "file")],
)
def test_messenger_attachment_types_map_to_kinds(kind: str, expected: str) -> None:
    payload = load("messenger_message_attachment_reply_to")
    _first_messaging(payload)["message"]["attachments"][0]["type"] = kind

    assert _only_message(payload).attachments[0].kind == expected


def test_attachment_without_url_is_dropped_and_empty_message_skipped() -> None:
    payload = load("messenger_message_attachment_reply_to")
    message = _first_messaging(payload)["message"]
    message["attachments"] = [{"type": "location", "payload": {"coordinates": {"lat": 52.1}}}]

    assert normalize(payload, own_ids=OWN) == []


def test_quick_reply_is_its_title() -> None:
    message = _only_message(load("messenger_message_quick_reply"))

    assert message.external_id == "m_QR1"
    assert message.text == "Ja, graag"
    assert message.kind is ConversationKind.PRIVATE_THREAD


def test_quick_reply_without_text_falls_back_to_payload() -> None:
    payload = load("messenger_message_quick_reply")
    del _first_messaging(payload)["message"]["text"]

    assert _only_message(payload).text == "CONFIRM_CALLBACK"


def test_postback_is_the_button_title() -> None:
    payload = load("messenger_postback")

    message = _only_message(payload)

    assert message.external_id == "m_PB1"
    assert message.text == "Contact met een medewerker"
    assert message.author.platform_user_id == "6791234567890123"
    assert message.platform_time == _millis(1732269299000)
    assert message.visibility is MessageVisibility.PRIVATE


def test_postback_without_mid_gets_a_stable_id() -> None:
    payload = load("messenger_postback")
    del _first_messaging(payload)["postback"]["mid"]

    redelivered = load("messenger_postback")
    del _first_messaging(redelivered)["postback"]["mid"]

    first = _only_message(payload)

    assert first.external_id == "postback:6791234567890123:1732269299000"
    assert _only_message(redelivered) == first


@pytest.mark.parametrize(
    "name", ["messenger_message_echo", "messenger_read_and_delivery", "instagram_dm_echo_and_seen"]
)
def test_echoes_and_receipts_are_ignored(name: str) -> None:
    assert normalize(load(name), own_ids=NONE) == []


def test_echo_flag_alone_is_enough_to_skip() -> None:
    payload = load("messenger_message_echo")
    _first_messaging(payload)["sender"] = {"id": "6791234567890123"}

    assert normalize(payload, own_ids=NONE) == []


def test_message_edit_becomes_an_edit() -> None:
    payload = load("messenger_message_text")
    event = _first_messaging(payload)
    event["message_edit"] = {"mid": event["message"]["mid"], "text": "Order 12346", "num_edit": 1}
    del event["message"]

    assert _only(payload) == InboundEdit(
        external_id="m_AG5Hz2Uq7qDJpE4Kx1v0Zk8",
        text="Order 12346",
        edited_at=_millis(1732268999876),
        raw=event,
    )


# --- Instagram --------------------------------------------------------------------------


def test_instagram_comment_threads_under_the_media() -> None:
    payload = load("instagram_comments_change")

    message = _only_message(payload)

    assert message.external_id == "17865799348089039"
    assert message.author == Author(platform_user_id="5438123456789012", handle="lisa.bakker")
    assert message.text == "@voorbeeldwebshop mijn pakket is beschadigd aangekomen 😡"
    assert message.platform_time == _seconds(1732272000)
    assert message.kind is ConversationKind.PUBLIC_THREAD
    assert message.visibility is MessageVisibility.PUBLIC
    assert message.thread_external_id == MEDIA_ID
    assert message.reply_to_external_id is None
    assert message.raw == _first_change(payload)


def test_our_own_instagram_reply_is_an_echo() -> None:
    assert normalize(load("instagram_comment_reply_change"), own_ids=NONE) == []


def test_customer_instagram_reply_points_at_parent_comment() -> None:
    payload = load("instagram_comment_reply_change")
    _first_change(payload)["value"]["from"] = {"id": "5438123456789012", "username": "lisa.bakker"}

    message = _only_message(payload)

    assert message.external_id == "17865799348089040"
    assert message.reply_to_external_id == "17865799348089039"
    assert message.thread_external_id == MEDIA_ID


def test_mentions_carry_only_ids_and_are_listed_for_fetching() -> None:
    payload = load("instagram_mentions_change")

    assert normalize(payload, own_ids=OWN) == []
    assert mentions_to_fetch(payload) == [
        MentionedComment(
            account_id=IG_ACCOUNT_ID, media_id="17918195224117851", comment_id="17894227972186120"
        )
    ]


def test_caption_mention_has_no_comment_id() -> None:
    payload = load("instagram_mentions_change")
    del _first_change(payload)["value"]["comment_id"]

    assert mentions_to_fetch(payload)[0].comment_id is None


def test_mentions_are_only_read_from_instagram_deliveries() -> None:
    assert mentions_to_fetch(load("page_feed_comment_add")) == []
    assert mentions_to_fetch(load("instagram_comments_change")) == []


def test_instagram_dm_is_a_private_message() -> None:
    payload = load("instagram_dm_text")

    message = _only_message(payload)

    assert message.external_id.startswith("aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3")
    assert message.author == Author(platform_user_id="5438123456789012")
    assert message.text == "Is de actie van 20% ook geldig in de winkel?"
    assert message.platform_time == _millis(1732270999000)
    assert message.kind is ConversationKind.PRIVATE_THREAD
    assert message.visibility is MessageVisibility.PRIVATE
    assert message.raw == _first_messaging(payload)


def test_story_reply_shows_the_story_as_attachment() -> None:
    message = _only_message(load("instagram_dm_story_reply"))

    assert message.text == "Wanneer komt deze weer op voorraad?"
    assert [a.kind for a in message.attachments] == ["story"]
    assert "asset_id=17998765432109876" in message.attachments[0].url
    assert message.reply_to_external_id is None


def test_story_mention_is_a_message_with_only_an_attachment() -> None:
    message = _only_message(load("instagram_dm_story_mention"))

    assert message.text == ""
    assert [a.kind for a in message.attachments] == ["story_mention"]
    assert message.attachments[0].url.startswith("https://lookaside.fbsbx.com/")
    assert message.kind is ConversationKind.PRIVATE_THREAD


def test_dm_reactions_are_ignored() -> None:
    assert normalize(load("instagram_dm_reaction"), own_ids=OWN) == []


def test_unsent_instagram_dm_is_a_deletion() -> None:
    payload = load("instagram_dm_text")
    message = _first_messaging(payload)["message"]
    message["is_deleted"] = True
    del message["text"]

    event = _only(payload)

    assert isinstance(event, InboundDeletion)
    assert event.external_id == message["mid"]
    assert event.deleted_at == _millis(1732270999000)


# --- delivery shape ---------------------------------------------------------------------


def test_duplicate_entries_produce_identical_events() -> None:
    payload = load("page_feed_comment_add")
    payload["entry"] = payload["entry"] * 2

    first, second = normalize(payload, own_ids=OWN)

    assert first == second
    assert normalize(payload, own_ids=OWN) == [first, second]


def test_unknown_objects_and_fields_are_skipped() -> None:
    assert normalize({"object": "permissions", "entry": "whatever"}, own_ids=OWN) == []
    payload = load("page_feed_comment_add")
    _first_change(payload)["field"] = "ratings"
    payload["entry"][0]["standby"] = [{"sender": {"id": "1"}}]

    assert normalize(payload, own_ids=OWN) == []


@pytest.mark.parametrize(
    ("payload", "where"),
    [
        ([], "JSON object"),
        ({"object": "page"}, "entry must be a list"),
        ({"object": "page", "entry": {"id": "1"}}, "entry must be a list"),
        ({"object": "page", "entry": ["x"]}, r"entry\[0\] must be an object"),
        ({"object": "page", "entry": [{"changes": []}]}, r"entry\[0\]\.id"),
        ({"object": "page", "entry": [{"id": "1", "changes": {}}]}, "changes must be a list"),
        ({"object": "instagram", "entry": [{"id": "1", "messaging": [1]}]}, r"messaging\[0\]"),
    ],
)
def test_broken_payloads_are_invalid(payload: Any, where: str) -> None:
    with pytest.raises(Invalid, match=where):
        normalize(payload, own_ids=OWN)


@pytest.mark.parametrize(
    ("key", "value", "where"),
    [
        ("comment_id", None, r"value\.comment_id"),
        ("created_time", "yesterday", r"value\.created_time"),
        ("from", "Jan", r"value\.from"),
        ("message", 42, r"value\.message"),
    ],
)
def test_feed_comment_with_broken_field_names_the_path(key: str, value: Any, where: str) -> None:
    payload = load("page_feed_comment_add")
    _first_change(payload)["value"][key] = value

    with pytest.raises(Invalid, match=where):
        normalize(payload, own_ids=OWN)


def test_messaging_with_broken_timestamp_names_the_path() -> None:
    payload = load("messenger_message_text")
    _first_messaging(payload)["timestamp"] = "soon"

    with pytest.raises(Invalid, match=r"messaging\[0\]\.timestamp"):
        normalize(payload, own_ids=OWN)


@pytest.mark.parametrize("entry_time", [1732272000, 1732272000000])
def test_instagram_comment_entry_time_in_seconds_or_millis(entry_time: int) -> None:
    payload = load("instagram_comments_change")
    payload["entry"][0]["time"] = entry_time

    assert _only_message(payload).platform_time == _seconds(1732272000)


def test_message_without_timestamp_uses_the_entry_time() -> None:
    payload = load("messenger_message_text")
    del _first_messaging(payload)["timestamp"]

    assert _only_message(payload).platform_time == _millis(1732269000123)
