"""Turning service results into what the inbox templates show.

Kept apart from the endpoints so each page's data is assembled in one place, with a fixed
number of queries, and the templates only lay out what they are given.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from webcare.channel import actions, composing
from webcare.channel import service as channels
from webcare.channel.models import ChannelAccount
from webcare.contact import service as contacts
from webcare.conversation import saved_views, views
from webcare.conversation import service as conversations
from webcare.conversation.models import Conversation, Kind, SavedView
from webcare.conversation.schemas import ConversationDetail, IdentityOut, MessageOut
from webcare.notification import service as notifications
from webcare.presence import service as presence
from webcare.triage import service as triage
from webcare.web.context import Ui
from webcare.web.i18n import N_
from webcare.web.navigation import BUILTIN_VIEWS, ListState, int_param, parse
from webcare.workspace import service as workspaces
from webcare.workspace.service import Member

PAGE_SIZE = 25
COUNT_CAP = 1000

ACTIVITY_TEXT = {
    "conversation.assigned": N_("assigned the conversation"),
    "conversation.labelled": N_("added a label"),
    "conversation.unlabelled": N_("removed a label"),
    "conversation.priority": N_("changed the priority"),
    "conversation.status.open": N_("reopened the conversation"),
    "conversation.status.pending": N_("set the conversation to pending"),
    "conversation.status.snoozed": N_("snoozed the conversation"),
    "conversation.status.resolved": N_("resolved the conversation"),
    "conversation.reopened": N_("reopened: the customer wrote again"),
    "conversation.merged": N_("merged an earlier thread into this one"),
    "note.added": N_("added a note"),
    "reply.queued": N_("sent a reply"),
    "reply.retried": N_("retried a failed reply"),
    "message.action_requested": N_("asked the platform to act on a message"),
    "message.hidden": N_("hid a comment on the platform"),
    "message.unhidden": N_("showed a hidden comment again"),
    "message.liked": N_("liked a message"),
    "message.action_failed": N_("could not act on a message on the platform"),
}


@dataclass(frozen=True)
class NavEntry:
    key: str  # the ``view`` parameter, e.g. ``mine``, ``team:3``, ``label:klacht``
    label: str
    count: int
    color: str | None = None
    translate: bool = False

    @property
    def href(self) -> str:
        return "/inbox?" + urlencode({"view": self.key})


@dataclass(frozen=True)
class NavGroup:
    title: str
    entries: list[NavEntry]


@dataclass(frozen=True)
class Entry:
    """One item of the conversation's timeline: a message or an internal note."""

    kind: str  # "message" or "note"
    at: datetime
    message: MessageOut | None = None
    author: str = ""
    handle: str | None = None
    note_text: str = ""
    mentions: tuple[str, ...] = ()


def members_by_id(session: Session, ui: Ui) -> dict[int, Member]:
    return {m.user_id: m for m in workspaces.members(session, ui.workspace.id)}


def navigation(session: Session, ui: Ui) -> list[NavGroup]:
    """The sidebar: built-in views, the agent's saved views, teams, channels, labels."""
    ws = ui.workspace.id
    counts = conversations.inbox_counts(session, ws, ui.user_id)
    counts["active"] = counts.get("status:open", 0) + counts.get("status:pending", 0)

    def entry(key: str, label: str, color: str | None = None) -> NavEntry:
        return NavEntry(key, label, counts.get(key, 0), color)

    groups = [
        NavGroup(
            N_("Inbox"),
            [
                NavEntry(v.key, v.label, counts.get(v.count_key, 0), translate=True)
                for v in BUILTIN_VIEWS
            ],
        ),
        NavGroup(
            N_("My views"),
            [
                # Each saved view is its own filter, so its own count (agents keep a handful).
                NavEntry(
                    f"saved:{v.id}",
                    v.name,
                    conversations.count(session, ws, parse({}, ui.user_id, v).filters),
                )
                for v in saved_views.mine(session, ui.principal)
            ],
        ),
        NavGroup(
            N_("Teams"),
            [entry(f"team:{t.id}", t.name) for t in workspaces.list_teams(session, ws)],
        ),
        NavGroup(
            N_("Channels"),
            [entry(f"channel:{a.id}", a.display_name) for a in channels.list_accounts(session, ws)],
        ),
        NavGroup(
            N_("Labels"),
            [
                entry(f"label:{label.name}", label.name, label.color)
                for label in conversations.list_labels(session, ws)
            ],
        ),
    ]
    return [g for g in groups if g.entries]


def list_state(session: Session, ui: Ui, params: Mapping[str, str]) -> ListState:
    """The list the agent asked for, a saved view resolved (404 if it is not theirs)."""
    saved: SavedView | None = None
    view = params.get("view", "")
    if view.startswith("saved:"):
        view_id = int_param(view.removeprefix("saved:"), "view")
        saved = saved_views.get_or_raise(session, ui.principal, view_id)
    return parse(params, ui.user_id, saved)


def list_context(session: Session, ui: Ui, state: ListState, cursor: str | None) -> dict[str, Any]:
    page = conversations.list_page(session, ui.workspace.id, state.filters, PAGE_SIZE, cursor)
    items = views.list_items(session, ui.workspace.id, page.items)
    return {
        "state": state,
        "items": items,
        "next_cursor": page.next_cursor,
        # A search for a common word matches half the inbox; counting all of it took 0.5 s on
        # PostgreSQL at 1M messages (bench/inbox.py), so the list says "1,000+" instead.
        "total": conversations.count(session, ui.workspace.id, state.filters, cap=COUNT_CAP),
        "count_cap": COUNT_CAP,
        "cursor": cursor,
    }


def filter_options(session: Session, ui: Ui) -> dict[str, Any]:
    return {
        "accounts": channels.list_accounts(session, ui.workspace.id),
        "teams": workspaces.list_teams(session, ui.workspace.id),
        "labels": conversations.list_labels(session, ui.workspace.id),
    }


def conversation_context(session: Session, ui: Ui, conversation: Conversation) -> dict[str, Any]:
    """Everything the conversation pane shows, the 360-degree customer panel included."""
    detail = views.detail(session, ui.workspace.id, conversation)
    account = channels.get_or_raise(session, ui.workspace.id, conversation.channel_account_id)
    contact = contacts.get_or_raise(session, ui.workspace.id, conversation.contact_id)
    identities = detail.contact.identities  # loaded by views.detail already
    history = [
        c
        for c in conversations.of_contacts(session, ui.workspace.id, [contact.id])
        if c.id != conversation.id
    ]
    history_accounts = channels.accounts_by_id(
        session, ui.workspace.id, {c.channel_account_id for c in history}
    )
    members = members_by_id(session, ui)
    notifications.mark_read(session, ui.workspace.id, ui.user_id, conversation_id=conversation.id)
    me = members.get(ui.user_id)
    template = composing.template_for(account.platform, account.settings or {})
    return {
        "c": detail,
        "account": account,
        "contact": contact,
        "identities": identities,
        "history": history,
        "history_accounts": history_accounts,
        "members": members,
        "timeline": timeline(detail, identities, members),
        "activity": [
            {
                "text": ACTIVITY_TEXT.get(a.action, a.action),
                "actor": members[a.actor_user_id].display_name
                if a.actor_user_id in members
                else None,
                "at": a.created_at,
                "data": a.data,
            }
            for a in detail.activity
        ],
        "others": presence.others(session, ui.workspace.id, conversation.id, ui.user_id),
        "composer": composer(conversation, account, me),
        "signature_suffix": composing.suffix(
            template,
            signature=me.signature if me else None,
            name=me.display_name if me else "",
        ),
        "seen_up_to": max((m.id for m in detail.messages), default=0),
        # A new key per rendered composer: a double click or a retried post sends once.
        "idempotency_key": secrets.token_urlsafe(16),
        "teams": workspaces.list_teams(session, ui.workspace.id),
        "labels": conversations.list_labels(session, ui.workspace.id),
        "triage": triage.for_messages(
            session,
            ui.workspace.id,
            [m.id for m in detail.messages if m.direction == "inbound"],
        ),
        "actions": actions.supported_actions(account.platform),
    }


def timeline(
    detail: ConversationDetail, identities: list[IdentityOut], members: dict[int, Member]
) -> list[Entry]:
    by_identity = {i.id: i for i in identities}
    entries: list[Entry] = []
    for message in detail.messages:
        if message.direction == "inbound":
            identity = by_identity.get(message.author_identity_id or 0)
            author = (identity.name or identity.handle or "") if identity else detail.contact.name
            handle = identity.handle if identity else None
        else:
            member = members.get(message.author_user_id or 0)
            author = member.display_name if member else ""
            handle = None
        entries.append(
            Entry("message", message.platform_time, message=message, author=author, handle=handle)
        )
    for note in detail.notes:
        member = members.get(note.author_user_id or 0)
        entries.append(
            Entry(
                "note",
                note.created_at,
                author=member.display_name if member else "",
                note_text=note.text,
                mentions=tuple(members[m].display_name for m in note.mentions if m in members),
            )
        )
    return sorted(entries, key=lambda e: e.at)


@dataclass(frozen=True)
class Composer:
    visibilities: list[str]
    default_visibility: str
    limits: dict[str, int]
    platform: str


def composer(conversation: Conversation, account: ChannelAccount, me: Member | None) -> Composer:
    """Which kinds of reply this conversation allows, and the platform's length limits."""
    if conversation.kind == Kind.PUBLIC_THREAD.value:
        can_go_private = account.platform in ("x", "facebook", "instagram")
        visibilities = ["public", "private"] if can_go_private else ["public"]
    elif conversation.kind == Kind.REVIEW.value:
        visibilities = ["public"]
    else:
        visibilities = ["private"]
    return Composer(
        visibilities=visibilities,
        default_visibility=visibilities[0],
        limits={v: composing.max_length(account.platform, v) for v in visibilities},
        platform=account.platform,
    )
