"""Agents acting on a customer's message on the platform: hide, unhide, like.

Platform-neutral: whether a platform can do an action is its connector's
``supported_actions()`` (``channel.registry.ACTORS``), so an unsupported one is a clear 422
before anything is queued. The request only writes a job (``channel.perform_action``) and an
audit row in the caller's transaction; the job talks to the platform after its own commit
(no network I/O inside a transaction) and maps connector errors like the send job does
(``channel/tasks.py``). On success the message records ``hidden_at`` / ``liked_at``; on
failure the reason is written to the conversation's audit trail for the agent.

The UI calls :func:`request` (and :func:`supported_actions` to decide which buttons to show).
"""

from __future__ import annotations

import functools

import httpx
from sqlalchemy.orm import Session

from webcare.audit import service as audit
from webcare.auth.principal import Principal
from webcare.channel import composing, registry
from webcare.channel import service as channels
from webcare.channel.models import ChannelAccount
from webcare.channel.ports import Action, Actor
from webcare.conversation import service as conversations
from webcare.conversation.errors import MessageNotFound
from webcare.conversation.models import Direction, Message, Visibility
from webcare.kit.errors import Invalid
from webcare.kit.time import utc_now
from webcare.worker import service as jobs

ACTION_JOB = "channel.perform_action"

#: How a sentence names what an action does to a comment.
_VERBS = {Action.HIDE: "hiding", Action.UNHIDE: "unhiding", Action.LIKE: "liking"}
#: Audit actions written once the platform confirmed.
_DONE = {
    Action.HIDE: "message.hidden",
    Action.UNHIDE: "message.unhidden",
    Action.LIKE: "message.liked",
}


class ActionNotSupported(Invalid):
    """The platform (or its connector) cannot perform this action (422)."""

    code = "action_not_supported"

    def __init__(self, platform: str, action: Action) -> None:
        super().__init__(
            f"{composing.platform_name(platform)} does not support {_VERBS[action]} messages"
        )


@functools.cache
def supported_actions(platform: str) -> frozenset[Action]:
    """What agents can do to customers' messages on ``platform`` (empty: nothing).

    Cached: the registry is fixed per process, and the UI asks for every message it shows.
    """
    factory = registry.ACTORS.get(platform)
    if factory is None:
        return frozenset()
    # Actors only keep the client for later calls; asking costs no request.
    with httpx.Client() as client:
        return factory(client).supported_actions()


def actor_for(platform: str, client: httpx.Client) -> Actor:
    factory = registry.ACTORS.get(platform)
    if factory is None:
        raise Invalid(f"{composing.platform_name(platform)} supports no actions")
    return factory(client)


def request(session: Session, actor: Principal, message_id: int, action: Action) -> Message:
    """Queue ``action`` on a customer's public message; the platform is called by a job.

    Raises :class:`MessageNotFound` (404) for a message outside the actor's workspace and
    :class:`Invalid` / :class:`ActionNotSupported` (422) for one the action cannot apply to.
    """
    message = conversations.get_message(session, actor.workspace_id, message_id)
    if message is None:
        raise MessageNotFound(message_id)
    account = channels.get_or_raise(session, actor.workspace_id, message.channel_account_id)
    if action not in supported_actions(account.platform):
        raise ActionNotSupported(account.platform, action)
    _check_target(message, action)
    jobs.enqueue(
        session,
        ACTION_JOB,
        {"message_id": message.id, "action": action.value},
        workspace_id=message.workspace_id,
        dedupe_key=f"action:{message.id}:{action.value}",
    )
    audit.record(
        session,
        actor,
        "message.action_requested",
        "conversation",
        message.conversation_id,
        {"message_id": message.id, "action": action.value},
    )
    return message


def _check_target(message: Message, action: Action) -> None:
    if message.direction != Direction.INBOUND.value:
        raise Invalid("actions apply to customers' messages, not to our own replies")
    if message.visibility != Visibility.PUBLIC.value:
        raise Invalid(f"only public comments can be given this action ({_VERBS[action]})")
    # Meta reports a hidden comment with the feed verb "hide", which ingestion stores as a
    # deletion; unhiding must stay possible then.
    if message.deleted_at is not None and action is not Action.UNHIDE:
        raise Invalid("this message was deleted or hidden on the platform")
    if not message.external_id:
        raise Invalid("this message has no platform id to act on")


def target(
    session: Session, workspace_id: int, message_id: int
) -> tuple[Message, ChannelAccount] | None:
    """The job's message and account, or None when the message is gone."""
    message = conversations.get_message(session, workspace_id, message_id)
    if message is None or not message.external_id:
        return None
    account = channels.get_or_raise(session, workspace_id, message.channel_account_id)
    return message, account


def record_done(session: Session, workspace_id: int, message_id: int, action: Action) -> None:
    """The platform confirmed: remember it on the message and in the trail."""
    message = conversations.get_message(session, workspace_id, message_id)
    if message is None:
        return
    now = utc_now()
    if action is Action.HIDE:
        message.hidden_at = now
    elif action is Action.UNHIDE:
        message.hidden_at = None
    elif action is Action.LIKE:
        message.liked_at = message.liked_at or now
    session.flush()
    audit.record(
        session,
        Principal.system(workspace_id),
        _DONE[action],
        "conversation",
        message.conversation_id,
        {"message_id": message.id},
    )


def record_failure(
    session: Session, workspace_id: int, message_id: int, action: Action, reason: str
) -> None:
    """The platform refused for good: the reason goes to the conversation's trail."""
    message = conversations.get_message(session, workspace_id, message_id)
    if message is None:
        return
    audit.record(
        session,
        Principal.system(workspace_id),
        "message.action_failed",
        "conversation",
        message.conversation_id,
        {"message_id": message.id, "action": action.value, "reason": reason},
    )
