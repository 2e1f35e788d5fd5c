"""Every recorded WhatsApp webhook body becomes messages an agent can read, or is skipped on
purpose; delivery reports come out with their status and reason."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from webcare.channel.ports import (
    ConversationKind,
    InboundDeletion,
    InboundEdit,
    InboundMessage,
    MessageVisibility,
)
from webcare.connectors.whatsapp.normalize import normalize

FIXTURES = Path(__file__).parent / "fixtures"


def _variants(name: str) -> dict[str, dict[str, Any]]:
    data: dict[str, dict[str, Any]] = json.loads((FIXTURES / name).read_text())
    return data


MESSAGES = _variants("message.json")


def _only_message(payload: dict[str, Any]) -> InboundMessage:
    update = normalize(payload)
    assert update.skipped == []
    (event,) = update.events
    assert isinstance(event, InboundMessage)
    return event


@pytest.mark.parametrize("variant", sorted(MESSAGES))
def test_every_message_variant_becomes_a_readable_private_message(variant: str) -> None:
    message = _only_message(MESSAGES[variant])
    assert message.kind is ConversationKind.PRIVATE_THREAD
    assert message.visibility is MessageVisibility.PRIVATE
    assert message.author.platform_user_id == "972987654321"
    assert message.author.handle == "+972987654321"
    assert message.author.name == "Test Name"
    assert message.text.strip() or message.attachments


def test_text_reply_names_the_quoted_message() -> None:
    message = _only_message(MESSAGES["reply"])
    assert message.text == "replied text"
    assert message.reply_to_external_id == "wamid.xyzxyz=="
    assert message.platform_time.timestamp() == 1697044746


@pytest.mark.parametrize(
    ("variant", "kind", "mime", "name", "caption"),
    [
        ("image", "image", "image/jpeg", None, ""),
        ("video", "video", "video/mp4", None, "caption"),
        ("document", "document", "application/pdf", "filename.pdf", "caption"),
        ("voice", "audio", "audio/ogg; codecs=opus", "voice message", ""),
        ("static_sticker", "sticker", "image/webp", None, ""),
    ],
)
def test_media_is_an_attachment_with_its_media_id(
    variant: str, kind: str, mime: str, name: str | None, caption: str
) -> None:
    message = _only_message(MESSAGES[variant])
    media_id = MESSAGES[variant]["entry"][0]["changes"][0]["value"]["messages"][0][kind]["id"]
    (attachment,) = message.attachments
    assert attachment.kind == kind
    assert attachment.url == f"whatsapp-media:{media_id}"
    assert (attachment.mime_type, attachment.name, message.text) == (mime, name, caption)


@pytest.mark.parametrize(
    ("variant", "text"),
    [
        (
            "chosen_location",
            "Shared a location: Facebook HQ, 1 Hacker Way, Menlo Park, CA 94025 "
            "(37.4611978, -122.2164385) https://maps.google.com/?cid=2000000000000000000",
        ),
        ("current_location", "Shared a location: (12.25089, 43.90539)"),
        (
            "contacts",
            "Shared contacts: Chandler Bing (+1 555-555-5555); Monica (+1 666-666-6666); "
            "Rachel Green (+1 777-777-7777)",
        ),
        ("reaction", "Reacted \U0001f62e to a message"),
        ("unreaction_empty", "Removed a reaction"),
        (
            "order",
            "Placed an order: 3 × HAMBURGER at 30 ILS; 2 × FRENCH_FRIES at 35 ILS; "
            "2 × SODA at 10 ILS",
        ),
    ],
)
def test_non_text_types_read_as_text(variant: str, text: str) -> None:
    assert _only_message(MESSAGES[variant]).text == text


def test_a_reaction_points_at_the_message_it_reacts_to() -> None:
    assert _only_message(MESSAGES["reaction"]).reply_to_external_id == "wamid.yzxyzx="


@pytest.mark.parametrize(
    ("variant", "text"),
    [
        (
            "unsupported",
            "[WhatsApp unsupported message that webcare cannot show] Message type unknown "
            "(131051): Message type is currently not supported.",
        ),
        (
            "unsupported_with_type",
            "[WhatsApp pool message that webcare cannot show] Message type unknown (131051): "
            "Message type is currently not supported.",
        ),
        ("interactive_message_with_err", "[WhatsApp interactive message that webcare cannot show]"),
    ],
)
def test_unsupported_messages_become_placeholders(variant: str, text: str) -> None:
    assert _only_message(MESSAGES[variant]).text == text


@pytest.mark.parametrize(
    ("name", "variant", "text"),
    [
        ("callback_button.json", "button", "title"),
        ("callback_button.json", "quick_reply", "title"),
        ("callback_button.json", "quick_reply_without_context", "title"),
        ("callback_selection.json", "callback", "title"),
        ("callback_selection.json", "description", "title — description"),
        (
            "flow_completion.json",
            "completion",
            "Submitted the flow: comment_text: Comment Text; delivery_rating: 4; "
            "purchase_rating: 2; recommend_radio: 0; cs_rating: 0",
        ),
        (
            "system.json",
            "phone_number_change",
            "[WhatsApp notice] User A changed from 972987654321 to 972912345678",
        ),
        ("system.json", "identity_change", "[WhatsApp notice] User identity changed"),
    ],
)
def test_button_list_form_and_system_messages_read_as_text(
    name: str, variant: str, text: str
) -> None:
    assert _only_message(_variants(name)[variant]).text == text


def test_edit_and_revoke_become_edit_and_deletion() -> None:
    (edit,) = normalize(_variants("edited_message.json")["image"]).events
    assert isinstance(edit, InboundEdit)
    assert edit.external_id == "wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA="
    assert edit.text == "Updated image caption"
    (deletion,) = normalize(_variants("deleted_message.json")["revoke"]).events
    assert isinstance(deletion, InboundDeletion)
    assert deletion.external_id == "<ORIGINAL_WHATSAPP_MESSAGE_ID>"


def test_business_app_echoes_are_not_customer_messages() -> None:
    for payload in _variants("outgoing_message.json").values():
        update = normalize(payload)
        assert (update.events, update.statuses) == ([], [])


STATUSES = _variants("message_status.json")


@pytest.mark.parametrize(
    ("variant", "status"),
    [
        ("sent", "sent"),
        ("delivered", "delivered"),
        ("read", "read"),
        ("played", "read"),
        ("with_tracker", "sent"),
        ("group", "read"),
        ("failed", "failed"),
    ],
)
def test_delivery_reports(variant: str, status: str) -> None:
    update = normalize(STATUSES[variant])
    assert update.events == []
    (report,) = update.statuses
    assert report.status == status
    if status != "failed":
        assert report.reason is None


def test_failed_report_carries_whatsapps_reason() -> None:
    (report,) = normalize(STATUSES["failed"]).statuses
    assert report.external_id == "wamid.xyzxyz"
    assert report.reason == (
        "WhatsApp could not deliver the message: User's number is part of an experiment "
        "(130472): Failed to send message because this user's phone number is part of an "
        "experiment"
    )


def test_a_broken_item_is_skipped_without_losing_the_rest() -> None:
    payload = copy.deepcopy(MESSAGES["text"])
    value = payload["entry"][0]["changes"][0]["value"]
    good = value["messages"][0]
    value["messages"] = [
        {"type": "text", "text": {"body": "no id"}},
        {**good, "timestamp": "yesterday", "id": "wamid.bad"},
        {"from": "972987654321", "id": "wamid.new", "timestamp": "1697043223", "type": "poll"},
        good,
    ]
    update = normalize(payload)
    assert [e.external_id for e in update.events] == ["wamid.new", "wamid.xyzxyz"]
    assert len(update.skipped) == 2
    new = update.events[0]
    assert isinstance(new, InboundMessage)
    assert new.text == "[WhatsApp poll message that webcare cannot show]"


def test_changes_for_another_phone_number_are_skipped() -> None:
    assert normalize(MESSAGES["text"], phone_number_id="1122334455667").events
    other = normalize(MESSAGES["text"], phone_number_id="999")
    assert other.events == []
    assert other.skipped


def test_other_objects_and_fields_yield_nothing() -> None:
    assert normalize({"object": "page", "entry": []}).events == []
    template_update = _variants("message.json")["text"] | {"object": "instagram"}
    assert normalize(template_update).events == []
