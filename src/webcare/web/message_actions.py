"""What an agent does to one customer message from the conversation: correct its sentiment or
intent (a training label for the workspace), hide a comment (e.g. one exposing personal data),
show it again, or like it. Each answers like the other inbox actions: the conversation pane
re-rendered for htmx, a redirect otherwise."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from webcare.channel import actions
from webcare.channel.ports import Action
from webcare.conversation import service as conversations
from webcare.conversation.errors import MessageNotFound
from webcare.dependencies import DbSession
from webcare.kit.errors import NotFound
from webcare.triage import service as triage
from webcare.web.context import WriterUiDep
from webcare.web.inbox_actions import _done

router = APIRouter(include_in_schema=False)

Label = Annotated[str, Form(max_length=16)]


@router.post("/inbox/c/{conversation_id}/messages/{message_id}/triage")
def correct(
    conversation_id: int,
    message_id: int,
    request: Request,
    db: DbSession,
    ui: WriterUiDep,
    sentiment: Label = "",
    intent: Label = "",
) -> Response:
    _message_in(db, ui.workspace.id, conversation_id, message_id)
    current = triage.for_messages(db, ui.workspace.id, [message_id]).get(message_id)
    asked = {"sentiment": sentiment, "intent": intent}
    changed = {
        task: label
        for task, label in asked.items()
        if label and (current is None or getattr(current, task) != label)
    }
    if changed:  # only what the agent changed becomes a label
        triage.correct(db, ui.principal, message_id, changed)
    return _done(request, db, ui, conversation_id)


@router.post("/inbox/c/{conversation_id}/messages/{message_id}/{verb}")
def act(
    conversation_id: int,
    message_id: int,
    verb: str,
    request: Request,
    db: DbSession,
    ui: WriterUiDep,
) -> Response:
    """Hide, show again or like a customer's comment on its platform (a job does it)."""
    if verb not in {a.value for a in Action}:
        raise NotFound(f"action {verb!r}")
    _message_in(db, ui.workspace.id, conversation_id, message_id)
    actions.request(db, ui.principal, message_id, Action(verb))
    return _done(request, db, ui, conversation_id)


def _message_in(db: DbSession, workspace_id: int, conversation_id: int, message_id: int) -> None:
    message = conversations.get_message(db, workspace_id, message_id)
    if message is None or message.conversation_id != conversation_id:
        raise MessageNotFound(message_id)
