"""The conversation domain's rules: threading support for ingestion and the agent's actions.

Services flush, never commit; the request, job or command that called them commits.
Reply sending lives in :mod:`webcare.conversation.reply`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from webcare.audit import service as audit
from webcare.auth.principal import Principal
from webcare.conversation import repository, sla
from webcare.conversation.errors import (
    ConversationNotFound,
    InvalidStatusChange,
    LabelNotFound,
)
from webcare.conversation.events import (
    ConversationChanged,
    ConversationCreated,
    ConversationMerged,
    NoteAdded,
)
from webcare.conversation.filters import ConversationFilter, Cursor
from webcare.conversation.models import (
    Conversation,
    ConversationLabel,
    Label,
    Message,
    MessageRevision,
    Note,
    Priority,
    Status,
)
from webcare.events.bus import publish
from webcare.kit.errors import Conflict, Invalid
from webcare.kit.time import utc_now
from webcare.notification import service as notifications
from webcare.notification.models import Reason
from webcare.workspace import service as workspaces

# Loaders other domains may use (they never import our repository).
get = repository.get
get_message = repository.get_message
message_by_external_id = repository.message_by_external_id
latest_private_conversation = repository.latest_private_conversation
messages_by_external_ids = repository.messages_by_external_ids
has_replies_to = repository.has_replies_to
threading_candidates = repository.threading_candidates
insert_messages = repository.insert_messages
orphan_replies_to = repository.orphan_replies_to
list_labels = repository.list_labels

_MENTION_RE = re.compile(r"(?<![\w@])@([A-Za-z0-9._-]{2,64})")


def get_or_raise(session: Session, workspace_id: int, conversation_id: int) -> Conversation:
    conversation = repository.get(session, workspace_id, conversation_id)
    if conversation is None:
        raise ConversationNotFound(conversation_id)
    return conversation


def start(
    session: Session,
    *,
    workspace_id: int,
    channel_account_id: int,
    contact_id: int,
    kind: str,
    subject: str | None,
    started_at: datetime,
) -> Conversation:
    """Open a new conversation; ingestion records its first message right after."""
    conversation = new_conversation(
        session,
        workspace_id=workspace_id,
        channel_account_id=channel_account_id,
        contact_id=contact_id,
        kind=kind,
        subject=subject,
        started_at=started_at,
    )
    session.flush()
    announce_created(session, conversation)
    return conversation


def record_inbound(session: Session, conversation: Conversation, at: datetime) -> None:
    """A customer wrote: update the clocks, and bring a closed or parked conversation back."""
    note_inbound(session, conversation, at)
    session.flush()


def note_inbound(session: Session, conversation: Conversation, at: datetime) -> None:
    """:func:`record_inbound` without the flush, so a batch of messages flushes once."""
    conversation.first_inbound_at = min(filter(None, [conversation.first_inbound_at, at]))
    conversation.last_inbound_at = max(filter(None, [conversation.last_inbound_at, at]))
    conversation.last_activity_at = max(conversation.last_activity_at, at)
    if conversation.waiting_since is None or at < conversation.waiting_since:
        conversation.waiting_since = at
        conversation.sla_due_at = sla.due_at(conversation.kind, at)
    if conversation.status != Status.OPEN.value:
        previous = conversation.status
        conversation.status = Status.OPEN.value
        conversation.snoozed_until = None
        conversation.resolved_at = None
        audit.record(
            session,
            Principal.system(conversation.workspace_id),
            "conversation.reopened",
            "conversation",
            conversation.id,
            {"from": previous, "reason": "customer replied"},
        )


def new_conversation(
    session: Session,
    *,
    workspace_id: int,
    channel_account_id: int,
    contact_id: int,
    kind: str,
    subject: str | None,
    started_at: datetime,
) -> Conversation:
    """:func:`start` for a batch: the row is added but not flushed, and nothing is published
    yet; call :func:`announce_created` once it has an id."""
    conversation = Conversation(
        workspace_id=workspace_id,
        channel_account_id=channel_account_id,
        contact_id=contact_id,
        kind=kind,
        status=Status.OPEN.value,
        priority=Priority.NORMAL.value,
        subject=subject,
        last_activity_at=started_at,
        created_at=utc_now(),
    )
    session.add(conversation)
    return conversation


def announce_created(session: Session, conversation: Conversation) -> None:
    """Publish ConversationCreated for a flushed :func:`new_conversation`."""
    publish(
        session,
        ConversationCreated(
            workspace_id=conversation.workspace_id,
            actor_user_id=None,
            conversation_id=conversation.id,
        ),
    )


def record_outbound(conversation: Conversation, at: datetime) -> None:
    """An agent answered: the customer is no longer waiting."""
    if conversation.first_response_at is None:
        conversation.first_response_at = at
    conversation.waiting_since = None
    conversation.sla_due_at = None
    conversation.last_activity_at = max(conversation.last_activity_at, at)


def revise_text(session: Session, message: Message, new_text: str, at: datetime) -> None:
    """Keep the old text as a revision, then show the new one."""
    session.add(MessageRevision(message_id=message.id, text=message.text, replaced_at=at))
    message.text = new_text
    message.edited_at = at
    session.flush()


def merge(session: Session, actor: Principal, *, source_id: int, target: Conversation) -> None:
    """Fold conversation ``source_id`` into ``target`` (a reply that came before its parent)."""
    source = get_or_raise(session, actor.workspace_id, source_id)
    repository.move_conversation_contents(session, source.id, target.id)
    for attr in ("first_inbound_at", "first_response_at"):
        values = [v for v in (getattr(source, attr), getattr(target, attr)) if v is not None]
        setattr(target, attr, min(values) if values else None)
    waiting = [v for v in (source.waiting_since, target.waiting_since) if v is not None]
    target.waiting_since = min(waiting) if waiting else None
    target.sla_due_at = sla.due_at(target.kind, target.waiting_since)
    target.last_activity_at = max(source.last_activity_at, target.last_activity_at)
    target.last_inbound_at = max(
        filter(None, [source.last_inbound_at, target.last_inbound_at]), default=None
    )
    target.assignee_id = target.assignee_id or source.assignee_id
    target.team_id = target.team_id or source.team_id
    session.delete(source)
    session.flush()
    audit.record(
        session, actor, "conversation.merged", "conversation", target.id, {"from": source_id}
    )
    publish(
        session,
        ConversationMerged(
            workspace_id=actor.workspace_id,
            actor_user_id=actor.user_id,
            conversation_id=target.id,
            merged_from_id=source_id,
        ),
    )


@dataclass(frozen=True)
class Page:
    items: list[Conversation]
    next_cursor: str | None


def list_page(
    session: Session, workspace_id: int, filters: ConversationFilter, limit: int, cursor: str | None
) -> Page:
    """One page in the requested order, with the cursor for the next page (None at the end)."""
    decoded = Cursor.decode(cursor) if cursor else None
    rows = repository.list_conversations(session, workspace_id, filters, limit + 1, decoded)
    items = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = Cursor(repository.cursor_value(last, filters.sort), last.id).encode()
    return Page(items, next_cursor)


def count(
    session: Session, workspace_id: int, filters: ConversationFilter, cap: int | None = None
) -> int:
    """Matching conversations; with ``cap`` at most ``cap + 1`` (show it as "cap+")."""
    return repository.count_conversations(session, workspace_id, filters, cap)


def inbox_counts(session: Session, workspace_id: int, user_id: int | None) -> dict[str, int]:
    """Live counts for the inbox navigation (see :func:`repository.inbox_counts`)."""
    return repository.inbox_counts(session, workspace_id, user_id)


def assign(
    session: Session,
    actor: Principal,
    conversation_id: int,
    *,
    assignee_id: int | None,
    team_id: int | None,
) -> Conversation:
    """Give the conversation to a member and/or a team (None clears)."""
    conversation = get_or_raise(session, actor.workspace_id, conversation_id)
    if (
        assignee_id is not None
        and workspaces.get_membership(session, actor.workspace_id, assignee_id) is None
    ):
        raise Invalid(f"user {assignee_id} is not a member of this workspace")
    if team_id is not None:
        workspaces.get_team_or_raise(session, actor.workspace_id, team_id)
    before = (conversation.assignee_id, conversation.team_id)
    conversation.assignee_id = assignee_id
    conversation.team_id = team_id
    if before != (assignee_id, team_id):
        _changed(
            session,
            actor,
            conversation,
            "assigned",
            {"assignee_id": assignee_id, "team_id": team_id},
        )
    if assignee_id is not None and assignee_id != before[0]:
        notifications.notify(
            session,
            workspace_id=actor.workspace_id,
            user_ids=[assignee_id],
            reason=Reason.ASSIGNED,
            conversation_id=conversation.id,
            actor_user_id=actor.user_id,
        )
    return conversation


def set_status(
    session: Session,
    actor: Principal,
    conversation_id: int,
    status: Status,
    *,
    snoozed_until: datetime | None = None,
) -> Conversation:
    """Open, pend, snooze (until a time, or until the customer writes) or resolve."""
    conversation = get_or_raise(session, actor.workspace_id, conversation_id)
    if snoozed_until is not None and status is not Status.SNOOZED:
        raise InvalidStatusChange("snoozed_until only goes with status 'snoozed'")
    if snoozed_until is not None and snoozed_until <= utc_now():
        raise InvalidStatusChange("snoozed_until must be in the future")
    if conversation.status == status.value and conversation.snoozed_until == snoozed_until:
        return conversation
    previous = conversation.status
    conversation.status = status.value
    conversation.snoozed_until = snoozed_until
    conversation.resolved_at = utc_now() if status is Status.RESOLVED else None
    _changed(
        session,
        actor,
        conversation,
        f"status.{status.value}",
        {"from": previous, "snoozed_until": snoozed_until.isoformat() if snoozed_until else None},
    )
    return conversation


def set_priority(
    session: Session, actor: Principal, conversation_id: int, priority: Priority
) -> Conversation:
    conversation = get_or_raise(session, actor.workspace_id, conversation_id)
    if conversation.priority != priority.value:
        previous = conversation.priority
        conversation.priority = priority.value
        _changed(session, actor, conversation, "priority", {"from": previous, "to": priority.value})
    return conversation


def create_label(session: Session, actor: Principal, name: str, color: str | None) -> Label:
    clean = _label_name(name)
    if repository.label_by_name(session, actor.workspace_id, clean) is not None:
        raise Conflict(f"label '{clean}' already exists")
    label = Label(workspace_id=actor.workspace_id, name=clean, color=color or "#64748b")
    session.add(label)
    session.flush()
    audit.record(session, actor, "label.created", "label", label.id, {"name": clean})
    return label


LABEL_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


def check_label_color(color: str) -> str:
    """``#rrggbb``, lowercased; anything else is refused before it reaches a ``style``
    attribute, where a stray character could break out of the swatch."""
    color = color.strip()
    if not LABEL_COLOR.fullmatch(color):
        raise Invalid(f"'{color}' is not a colour; use the form #rrggbb, e.g. #2563eb")
    return color.lower()


@dataclass(frozen=True)
class LabelUsage:
    """A label and how many conversations carry it (the admin page's table row)."""

    id: int
    name: str
    color: str
    conversations: int


def label_overview(session: Session, workspace_id: int) -> list[LabelUsage]:
    """Every label of the workspace by name with its conversation count, in two queries."""
    counts = repository.label_usage(session, workspace_id)
    return [
        LabelUsage(
            id=label.id, name=label.name, color=label.color, conversations=counts.get(label.id, 0)
        )
        for label in repository.list_labels(session, workspace_id)
    ]


def update_label(
    session: Session, actor: Principal, label_id: int, *, name: str, color: str
) -> Label:
    """Rename and/or recolour a label; both are checked before either is written.

    Conversations keep the label (they refer to it by id). Inbox links and saved views that
    name the old label in their query no longer match it: the name is what they store.
    """
    label = label_by_id_or_raise(session, actor.workspace_id, label_id)
    clean = _label_name(name)
    color = check_label_color(color)
    if clean != label.name and repository.label_by_name(session, actor.workspace_id, clean):
        raise Conflict(f"label '{clean}' already exists")
    changes: dict[str, dict[str, str]] = {}
    if clean != label.name:
        changes["name"] = {"from": label.name, "to": clean}
        label.name = clean
    if color != label.color:
        changes["color"] = {"from": label.color, "to": color}
        label.color = color
    if changes:
        session.flush()
        audit.record(session, actor, "label.changed", "label", label.id, changes)
    return label


def delete_label(session: Session, actor: Principal, label_id: int) -> None:
    """Delete a label; the database's ``ON DELETE CASCADE`` takes it off every conversation."""
    label = label_by_id_or_raise(session, actor.workspace_id, label_id)
    name = label.name
    session.delete(label)
    session.flush()
    audit.record(session, actor, "label.deleted", "label", label_id, {"name": name})


def label_by_id_or_raise(session: Session, workspace_id: int, label_id: int) -> Label:
    label = repository.label_by_id(session, workspace_id, label_id)
    if label is None:
        raise LabelNotFound(label_id)
    return label


def _label_name(name: str) -> str:
    clean = name.strip()
    if not clean or len(clean) > 100:
        raise Invalid("a label name needs 1 to 100 characters")
    return clean


def add_label(session: Session, actor: Principal, conversation_id: int, name: str) -> Conversation:
    conversation = get_or_raise(session, actor.workspace_id, conversation_id)
    label = _label_or_raise(session, actor.workspace_id, name)
    if not repository.has_label(session, conversation.id, label.id):
        session.add(ConversationLabel(conversation_id=conversation.id, label_id=label.id))
        _changed(session, actor, conversation, "labelled", {"label": label.name})
    return conversation


def remove_label(
    session: Session, actor: Principal, conversation_id: int, name: str
) -> Conversation:
    conversation = get_or_raise(session, actor.workspace_id, conversation_id)
    label = _label_or_raise(session, actor.workspace_id, name)
    if repository.has_label(session, conversation.id, label.id):
        repository.remove_label(session, conversation.id, label.id)
        _changed(session, actor, conversation, "unlabelled", {"label": label.name})
    return conversation


def _label_or_raise(session: Session, workspace_id: int, name: str) -> Label:
    label = repository.label_by_name(session, workspace_id, name)
    if label is None:
        raise LabelNotFound(name)
    return label


def add_note(session: Session, actor: Principal, conversation_id: int, text: str) -> Note:
    """An internal note; @username mentions of members are recorded so they can be notified."""
    conversation = get_or_raise(session, actor.workspace_id, conversation_id)
    if not text.strip():
        raise Invalid("a note needs text")
    mentioned = workspaces.member_ids_by_username(
        session, actor.workspace_id, _MENTION_RE.findall(text)
    )
    note = Note(
        workspace_id=actor.workspace_id,
        conversation_id=conversation.id,
        author_user_id=actor.user_id,
        text=text,
        mentions=mentioned,
        created_at=utc_now(),
    )
    session.add(note)
    session.flush()
    audit.record(
        session, actor, "note.added", "conversation", conversation.id, {"note_id": note.id}
    )
    notifications.notify(
        session,
        workspace_id=actor.workspace_id,
        user_ids=mentioned,
        reason=Reason.MENTIONED,
        conversation_id=conversation.id,
        actor_user_id=actor.user_id,
    )
    publish(
        session,
        NoteAdded(
            workspace_id=actor.workspace_id,
            actor_user_id=actor.user_id,
            conversation_id=conversation.id,
            note_id=note.id,
            mentioned_user_ids=tuple(mentioned),
        ),
    )
    return note


def _changed(
    session: Session,
    actor: Principal,
    conversation: Conversation,
    change: str,
    data: dict[str, object],
) -> None:
    conversation.last_activity_at = max(conversation.last_activity_at, utc_now())
    session.flush()
    audit.record(
        session, actor, f"conversation.{change}", "conversation", conversation.id, dict(data)
    )
    publish(
        session,
        ConversationChanged(
            workspace_id=actor.workspace_id,
            actor_user_id=actor.user_id,
            conversation_id=conversation.id,
            change=change,
        ),
    )


of_contacts = repository.conversations_of_contacts


def move_contact(session: Session, workspace_id: int, source_id: int, target_id: int) -> None:
    """Give all of one contact's conversations to another (used when contacts are merged)."""
    repository.move_contact(session, workspace_id, source_id, target_id)


def wake_snoozed(session: Session, now: datetime) -> int:
    """Reopen every conversation (all workspaces) whose snooze has ended; returns how many."""
    woken = repository.snoozed_until_before(session, now)
    for conversation in woken:
        conversation.status = Status.OPEN.value
        conversation.snoozed_until = None
        _changed(
            session,
            Principal.system(conversation.workspace_id),
            conversation,
            "status.open",
            {"reason": "snooze ended"},
        )
    return len(woken)
