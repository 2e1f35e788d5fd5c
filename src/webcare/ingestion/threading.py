"""Which conversation an inbound message belongs to (pure rules; the service does the I/O).

Rules, in order:
1. A reply (or a message naming a platform thread) joins the conversation of the message it
   answers.
2. A private message (DM, chat) joins the contact's latest conversation of that kind on that
   account.
3. Anything else (a new mention, post, review, e-mail thread) starts a new conversation.
A conversation found by rule 1 or 2 that was resolved longer ago than the reopen window is not
reopened: the message starts a new conversation instead, so old cases stay closed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from webcare.channel.ports import ConversationKind
from webcare.conversation.models import Conversation, Status

JOINS_LATEST_PRIVATE = frozenset({ConversationKind.PRIVATE_THREAD, ConversationKind.CHAT})


def may_continue(conversation: Conversation, now: datetime, reopen_window: timedelta) -> bool:
    """True when a new customer message may land in ``conversation`` (reopening it if needed)."""
    if conversation.status != Status.RESOLVED.value:
        return True
    resolved_at = conversation.resolved_at or conversation.last_activity_at
    return now - resolved_at <= reopen_window
