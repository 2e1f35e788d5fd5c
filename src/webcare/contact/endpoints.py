"""HTTP for contacts: search, the 360° view, custom attributes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from webcare.auth.dependencies import PrincipalDep
from webcare.auth.principal import Scope
from webcare.channel import service as channels
from webcare.contact import service
from webcare.contact.models import Contact
from webcare.contact.schemas import (
    ContactConversation,
    ContactDetail,
    ContactOut,
    ContactPage,
    ContactUpdate,
)
from webcare.conversation import service as conversations
from webcare.conversation.schemas import IdentityOut
from webcare.dependencies import DbSession
from webcare.kit.errors import Invalid

router = APIRouter(prefix="/api/v1/contacts", tags=["contacts"])


def _out(db: Session, workspace_id: int, rows: list[Contact]) -> list[ContactOut]:
    identities = service.identities(db, workspace_id, [c.id for c in rows])
    return [
        ContactOut(
            id=c.id,
            name=c.name,
            attributes=c.attributes,
            identities=[IdentityOut.model_validate(i) for i in identities[c.id]],
            created_at=c.created_at,
        )
        for c in rows
    ]


@router.get("", response_model=ContactPage)
def list_contacts(
    db: DbSession,
    principal: PrincipalDep,
    q: Annotated[
        str | None, Query(max_length=200, description="Name, handle or platform id")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: str | None = None,
) -> ContactPage:
    principal.require(Scope.CONTACTS_READ)
    cursor = cursor or None
    if cursor is not None and not cursor.isdigit():
        raise Invalid("cursor is not valid; start again without it")
    rows = service.search(db, principal.workspace_id, q, limit + 1, int(cursor) if cursor else None)
    page = rows[:limit]
    next_cursor = str(page[-1].id) if len(rows) > limit else None
    return ContactPage(items=_out(db, principal.workspace_id, page), next_cursor=next_cursor)


@router.get("/{contact_id}", response_model=ContactDetail)
def get_contact(contact_id: int, db: DbSession, principal: PrincipalDep) -> ContactDetail:
    principal.require(Scope.CONTACTS_READ)
    contact = service.get_or_raise(db, principal.workspace_id, contact_id)
    (out,) = _out(db, principal.workspace_id, [contact])
    rows = conversations.of_contacts(db, principal.workspace_id, [contact.id])
    accounts = channels.accounts_by_id(
        db, principal.workspace_id, {c.channel_account_id for c in rows}
    )
    return ContactDetail(
        **out.model_dump(),
        conversations=[
            ContactConversation(
                id=c.id,
                channel_account_id=c.channel_account_id,
                platform=accounts[c.channel_account_id].platform,
                kind=c.kind,
                status=c.status,
                subject=c.subject,
                last_activity_at=c.last_activity_at,
            )
            for c in rows
        ],
    )


@router.patch("/{contact_id}", response_model=ContactOut)
def update_contact(
    contact_id: int, body: ContactUpdate, db: DbSession, principal: PrincipalDep
) -> ContactOut:
    principal.require(Scope.CONTACTS_WRITE)
    contact = service.update_attributes(
        db, principal.workspace_id, contact_id, body.name, body.attributes
    )
    (out,) = _out(db, principal.workspace_id, [contact])
    return out
