"""All SQL of the contact domain, always scoped to a workspace."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webcare.contact.models import Contact, ContactIdentity


def get_identity(
    session: Session, workspace_id: int, platform: str, platform_user_id: str
) -> ContactIdentity | None:
    stmt = sa.select(ContactIdentity).where(
        ContactIdentity.workspace_id == workspace_id,
        ContactIdentity.platform == platform,
        ContactIdentity.platform_user_id == platform_user_id,
    )
    return session.scalars(stmt).one_or_none()


def get_contact(session: Session, workspace_id: int, contact_id: int) -> Contact | None:
    stmt = sa.select(Contact).where(Contact.workspace_id == workspace_id, Contact.id == contact_id)
    return session.scalars(stmt).one_or_none()


def identities_of(
    session: Session, workspace_id: int, contact_ids: list[int]
) -> list[ContactIdentity]:
    if not contact_ids:
        return []
    stmt = (
        sa.select(ContactIdentity)
        .where(
            ContactIdentity.workspace_id == workspace_id,
            ContactIdentity.contact_id.in_(contact_ids),
        )
        .order_by(ContactIdentity.id)
    )
    return list(session.scalars(stmt))


def search_contacts(
    session: Session, workspace_id: int, query: str | None, limit: int, after_id: int | None
) -> list[Contact]:
    """Contacts by name, handle or platform id (case-insensitive substring), newest first."""
    stmt = sa.select(Contact).where(Contact.workspace_id == workspace_id)
    if query:
        pattern = f"%{query.lower()}%"
        matching = sa.select(ContactIdentity.contact_id).where(
            ContactIdentity.workspace_id == workspace_id,
            sa.or_(
                sa.func.lower(ContactIdentity.handle).like(pattern),
                sa.func.lower(ContactIdentity.name).like(pattern),
                ContactIdentity.platform_user_id == query,
            ),
        )
        stmt = stmt.where(
            sa.or_(sa.func.lower(Contact.name).like(pattern), Contact.id.in_(matching))
        )
    if after_id is not None:
        stmt = stmt.where(Contact.id < after_id)
    return list(session.scalars(stmt.order_by(Contact.id.desc()).limit(limit)))


def contacts_by_ids(session: Session, workspace_id: int, ids: set[int]) -> list[Contact]:
    if not ids:
        return []
    stmt = sa.select(Contact).where(Contact.workspace_id == workspace_id, Contact.id.in_(ids))
    return list(session.scalars(stmt))


def move_identities(session: Session, workspace_id: int, source_id: int, target_id: int) -> None:
    session.execute(
        sa.update(ContactIdentity)
        .where(
            ContactIdentity.workspace_id == workspace_id, ContactIdentity.contact_id == source_id
        )
        .values(contact_id=target_id)
    )


def identities_by_user_ids(
    session: Session, workspace_id: int, platform: str, platform_user_ids: set[str]
) -> list[ContactIdentity]:
    """Identities of many platform users, locked (FOR UPDATE on PostgreSQL) in id order.

    Locking in one ordered statement keeps two concurrent batches from deadlocking.
    """
    if not platform_user_ids:
        return []
    stmt = (
        sa.select(ContactIdentity)
        .where(
            ContactIdentity.workspace_id == workspace_id,
            ContactIdentity.platform == platform,
            ContactIdentity.platform_user_id.in_(platform_user_ids),
        )
        .order_by(ContactIdentity.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(session.scalars(stmt))
