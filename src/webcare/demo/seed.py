"""Fill the Glasnet demo workspace with the conversations in demo/data/conversations.json.

Inbound messages go through the real ingestion service, so the demo exercises the same
threading and contact resolution as production; agent replies are stored as already sent.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

from sqlalchemy.orm import Session

from webcare.channel.ports import Author, ConversationKind, InboundMessage, MessageVisibility
from webcare.contact import service as contacts
from webcare.conversation import reply as replies
from webcare.conversation import service as conversations
from webcare.conversation.models import Priority, Status, Visibility
from webcare.demo.cast import Cast
from webcare.ingestion import service as ingestion
from webcare.kit.time import utc_now
from webcare.notification import service as notifications

REOPEN_WINDOW = timedelta(days=7)


def load_conversations() -> list[dict[str, Any]]:
    text = resources.files("webcare.demo").joinpath("data/conversations.json").read_text("utf-8")
    data: list[dict[str, Any]] = json.loads(text)["conversations"]
    return data


def seed_conversations(session: Session, cast: Cast, now: datetime | None = None) -> int:
    """Create every demo conversation; returns how many were created."""
    now = now or utc_now()
    people: dict[str, int] = {}
    count = 0
    for spec in load_conversations():
        contact_id = _seed_one(session, cast, spec, now)
        count += 1
        person = spec["contact"].get("person")
        if person and person in people and people[person] != contact_id:
            contacts.merge(session, cast.actor("lars"), contact_id, people[person])
        elif person:
            people[person] = contact_id
    # The seeded assignments and mentions are history: nobody starts with 50 unread alerts.
    for user_id in cast.users.values():
        notifications.mark_read(session, cast.workspace.id, user_id)
    return count


def _seed_one(session: Session, cast: Cast, spec: dict[str, Any], now: datetime) -> int:
    """Create one conversation; returns its contact's id."""
    account = cast.accounts[spec["channel"]]
    kind = ConversationKind(spec["kind"])
    contact = spec["contact"]
    author = Author(
        platform_user_id=str(contact["platform_user_id"]),
        handle=contact.get("handle"),
        name=contact.get("name"),
        follower_count=contact.get("followers"),
        verified=bool(contact.get("verified")),
    )
    conversation_id: int | None = None
    previous: str | None = None
    for index, message in enumerate(spec["messages"]):
        external_id = f"demo-{spec['key']}-{index}"
        at = now - timedelta(minutes=float(message["minutes_ago"]))
        if message["direction"] == "inbound":
            result = ingestion.ingest(
                session,
                account,
                InboundMessage(
                    external_id=external_id,
                    author=author,
                    text=message["text"],
                    platform_time=at,
                    kind=kind,
                    visibility=MessageVisibility(message["visibility"]),
                    reply_to_external_id=previous,
                    subject=spec.get("subject") if index == 0 else None,
                    rating=spec.get("rating") if index == 0 else None,
                    raw={"demo": spec["key"]},
                ),
                reopen_window=REOPEN_WINDOW,
            )
            conversation_id = result.conversation_id
        else:
            assert conversation_id is not None, f"{spec['key']}: first message must be inbound"
            replies.record_external_reply(
                session,
                cast.actor(message["author"]),
                conversation_id,
                text=message["text"],
                external_id=external_id,
                sent_at=at,
                visibility=Visibility(message["visibility"]),
            )
        previous = external_id
    assert conversation_id is not None
    conversation = conversations.get_or_raise(session, cast.workspace.id, conversation_id)
    last_message_at = conversation.last_activity_at
    _apply_workflow(session, cast, spec, conversation_id, now)
    conversation.last_activity_at = last_message_at  # seeding is not agent activity
    return conversation.contact_id


def _apply_workflow(
    session: Session, cast: Cast, spec: dict[str, Any], conversation_id: int, now: datetime
) -> None:
    lead = cast.actor("lars")
    assignee = spec.get("assignee")
    team = spec.get("team")
    if assignee or team:
        conversations.assign(
            session,
            lead,
            conversation_id,
            assignee_id=cast.users[assignee] if assignee else None,
            team_id=cast.teams[team] if team else None,
        )
    for label in spec.get("labels", []):
        conversations.add_label(session, lead, conversation_id, label)
    if spec.get("priority", "normal") != "normal":
        conversations.set_priority(session, lead, conversation_id, Priority(spec["priority"]))
    for note in spec.get("notes", []):
        created = conversations.add_note(
            session, cast.actor(note["author"]), conversation_id, note["text"]
        )
        created.created_at = now - timedelta(minutes=float(note["minutes_ago"]))
    status = Status(spec["status"])
    if status is Status.SNOOZED:
        conversations.set_status(
            session, lead, conversation_id, status, snoozed_until=now + timedelta(hours=20)
        )
    elif status is not Status.OPEN:
        conversations.set_status(session, lead, conversation_id, status)
    session.flush()
