"""HTTP for actions on a customer's message (hide, unhide, like): parse, call, return."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict

from webcare.auth.dependencies import PrincipalDep
from webcare.auth.principal import Scope
from webcare.channel import actions
from webcare.channel.ports import Action
from webcare.dependencies import DbSession

router = APIRouter(prefix="/api/v1", tags=["conversations"])


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Action


class ActionOut(BaseModel):
    message_id: int
    action: Action
    status: str
    hidden_at: datetime | None
    liked_at: datetime | None


@router.post(
    "/messages/{message_id}/actions",
    response_model=ActionOut,
    status_code=status.HTTP_202_ACCEPTED,
    responses={422: {"description": "The platform does not support this action here"}},
)
def perform_action(
    message_id: int, body: ActionIn, db: DbSession, principal: PrincipalDep
) -> ActionOut:
    """Queue an action on a customer's public message; the platform is called by a job."""
    principal.require(Scope.CONVERSATIONS_WRITE)
    message = actions.request(db, principal, message_id, body.action)
    return ActionOut(
        message_id=message.id,
        action=body.action,
        status="queued",
        hidden_at=message.hidden_at,
        liked_at=message.liked_at,
    )
