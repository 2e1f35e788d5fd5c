"""HTTP for conversations, replies, notes and labels. Parse, call the service, return."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status

from webcare.auth.dependencies import PrincipalDep
from webcare.auth.principal import Principal, Scope
from webcare.conversation import reply as replies
from webcare.conversation import service, views
from webcare.conversation.filters import ConversationFilter, Sort
from webcare.conversation.models import Status
from webcare.conversation.schemas import (
    AssignIn,
    ConversationDetail,
    ConversationListItem,
    ConversationPage,
    LabelCreate,
    LabelIn,
    LabelOut,
    MessageOut,
    NoteIn,
    NoteOut,
    PriorityIn,
    ReplyIn,
    StatusIn,
)
from webcare.dependencies import DbSession
from webcare.kit.errors import Invalid

router = APIRouter(prefix="/api/v1", tags=["conversations"])


def _assignee(principal: Principal, value: str | None) -> int | None:
    """``me``, ``none`` (unassigned) or a user id."""
    if value is None:
        return None
    if value == "me":
        if principal.user_id is None:
            raise Invalid("assignee=me needs a token that belongs to a user")
        return principal.user_id
    if value == "none":
        return 0
    if value.isdigit():
        return int(value)
    raise Invalid("assignee must be 'me', 'none' or a user id")


@router.get("/conversations", response_model=ConversationPage)
def list_conversations(
    db: DbSession,
    principal: PrincipalDep,
    status_: Annotated[list[Status] | None, Query(alias="status")] = None,
    channel_account_id: int | None = None,
    platform: str | None = None,
    assignee: Annotated[str | None, Query(description="'me', 'none' or a user id")] = None,
    team_id: int | None = None,
    label: str | None = None,
    visibility: Annotated[str | None, Query(pattern="^(public|private)$")] = None,
    sentiment: Annotated[str | None, Query(pattern="^(positive|neutral|negative)$")] = None,
    contact_id: int | None = None,
    q: Annotated[str | None, Query(max_length=200, description="Full-text search")] = None,
    sort: Sort = Sort.WAITING,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: str | None = None,
) -> ConversationPage:
    principal.require(Scope.CONVERSATIONS_READ)
    filters = ConversationFilter(
        statuses=tuple(s.value for s in status_ or ()),
        channel_account_id=channel_account_id,
        platform=platform,
        assignee_id=_assignee(principal, assignee),
        team_id=team_id,
        label=label,
        visibility=visibility,
        sentiment=sentiment,
        contact_id=contact_id,
        text=q,
        sort=sort,
    )
    page = service.list_page(db, principal.workspace_id, filters, limit, cursor)
    return ConversationPage(
        items=views.list_items(db, principal.workspace_id, page.items),
        next_cursor=page.next_cursor,
        total=service.count(db, principal.workspace_id, filters),
    )


@router.get("/conversations/{conversation_id}", response_model=ConversationDetail)
def get_conversation(
    conversation_id: int, db: DbSession, principal: PrincipalDep
) -> ConversationDetail:
    principal.require(Scope.CONVERSATIONS_READ)
    conversation = service.get_or_raise(db, principal.workspace_id, conversation_id)
    return views.detail(db, principal.workspace_id, conversation)


@router.post(
    "/conversations/{conversation_id}/replies",
    response_model=MessageOut,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "Replayed: this Idempotency-Key already created the reply."}},
)
def post_reply(
    conversation_id: int,
    body: ReplyIn,
    db: DbSession,
    principal: PrincipalDep,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> MessageOut:
    """Queue a reply (delivery_status ``pending``); a send job delivers it after commit."""
    principal.require(Scope.CONVERSATIONS_WRITE)
    result = replies.reply(
        db,
        principal,
        conversation_id,
        text=body.text,
        visibility=body.visibility,
        idempotency_key=idempotency_key,
        sign=body.sign,
        seen_up_to=body.seen_up_to_message_id,
    )
    if not result.created:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    return views.message_out(result.message)


@router.post("/messages/{message_id}/retry", response_model=MessageOut)
def retry_reply(message_id: int, db: DbSession, principal: PrincipalDep) -> MessageOut:
    principal.require(Scope.CONVERSATIONS_WRITE)
    return views.message_out(replies.retry(db, principal, message_id))


@router.post(
    "/conversations/{conversation_id}/notes",
    response_model=NoteOut,
    status_code=status.HTTP_201_CREATED,
)
def post_note(
    conversation_id: int, body: NoteIn, db: DbSession, principal: PrincipalDep
) -> NoteOut:
    principal.require(Scope.CONVERSATIONS_WRITE)
    return NoteOut.model_validate(service.add_note(db, principal, conversation_id, body.text))


def _item(db: DbSession, principal: Principal, conversation_id: int) -> ConversationListItem:
    conversation = service.get_or_raise(db, principal.workspace_id, conversation_id)
    (item,) = views.list_items(db, principal.workspace_id, [conversation])
    return item


@router.post("/conversations/{conversation_id}/assign", response_model=ConversationListItem)
def assign(
    conversation_id: int, body: AssignIn, db: DbSession, principal: PrincipalDep
) -> ConversationListItem:
    principal.require(Scope.CONVERSATIONS_WRITE)
    service.assign(
        db, principal, conversation_id, assignee_id=body.assignee_id, team_id=body.team_id
    )
    return _item(db, principal, conversation_id)


@router.post("/conversations/{conversation_id}/status", response_model=ConversationListItem)
def set_status(
    conversation_id: int, body: StatusIn, db: DbSession, principal: PrincipalDep
) -> ConversationListItem:
    principal.require(Scope.CONVERSATIONS_WRITE)
    service.set_status(
        db, principal, conversation_id, body.status, snoozed_until=body.snoozed_until
    )
    return _item(db, principal, conversation_id)


@router.post("/conversations/{conversation_id}/priority", response_model=ConversationListItem)
def set_priority(
    conversation_id: int, body: PriorityIn, db: DbSession, principal: PrincipalDep
) -> ConversationListItem:
    principal.require(Scope.CONVERSATIONS_WRITE)
    service.set_priority(db, principal, conversation_id, body.priority)
    return _item(db, principal, conversation_id)


@router.post("/conversations/{conversation_id}/labels", response_model=ConversationListItem)
def add_label(
    conversation_id: int, body: LabelIn, db: DbSession, principal: PrincipalDep
) -> ConversationListItem:
    principal.require(Scope.CONVERSATIONS_WRITE)
    service.add_label(db, principal, conversation_id, body.name)
    return _item(db, principal, conversation_id)


@router.delete(
    "/conversations/{conversation_id}/labels/{name}", response_model=ConversationListItem
)
def remove_label(
    conversation_id: int, name: str, db: DbSession, principal: PrincipalDep
) -> ConversationListItem:
    principal.require(Scope.CONVERSATIONS_WRITE)
    service.remove_label(db, principal, conversation_id, name)
    return _item(db, principal, conversation_id)


@router.get("/labels", response_model=list[LabelOut], tags=["labels"])
def list_labels(db: DbSession, principal: PrincipalDep) -> list[LabelOut]:
    principal.require(Scope.CONVERSATIONS_READ)
    return [
        LabelOut.model_validate(label) for label in service.list_labels(db, principal.workspace_id)
    ]


@router.post(
    "/labels", response_model=LabelOut, status_code=status.HTTP_201_CREATED, tags=["labels"]
)
def create_label(body: LabelCreate, db: DbSession, principal: PrincipalDep) -> LabelOut:
    principal.require(Scope.CONVERSATIONS_WRITE)
    return LabelOut.model_validate(service.create_label(db, principal, body.name, body.color))
