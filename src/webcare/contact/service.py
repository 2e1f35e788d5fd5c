"""Contacts: finding the person behind a platform identity, and keeping their details fresh."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webcare.audit import service as audit
from webcare.auth.principal import Principal
from webcare.channel.ports import Author
from webcare.contact import repository
from webcare.contact.errors import ContactNotFound
from webcare.contact.models import Contact, ContactIdentity
from webcare.conversation import service as conversations
from webcare.kit.db import lock_row
from webcare.kit.errors import Invalid
from webcare.kit.time import utc_now


def resolve_identity(
    session: Session, workspace_id: int, platform: str, author: Author
) -> ContactIdentity:
    """The identity for ``author``, created with a new contact on first sight.

    Updates handle, name, follower count and verification when the platform reports new values.
    Returns the identity row locked (SELECT FOR UPDATE on PostgreSQL) so that two messages of one
    new customer arriving together are threaded one after the other.
    """
    identity = repository.get_identity(session, workspace_id, platform, author.platform_user_id)
    if identity is None:
        identity = _create(session, workspace_id, platform, author)
    locked = lock_row(session, ContactIdentity, identity.id)
    assert locked is not None
    _refresh(locked, author)
    return locked


def _create(session: Session, workspace_id: int, platform: str, author: Author) -> ContactIdentity:
    try:
        with session.begin_nested():
            contact = Contact(workspace_id=workspace_id, name=author.name or author.handle or "")
            session.add(contact)
            session.flush()
            identity = _identity(workspace_id, contact.id, platform, author)
            session.add(identity)
            session.flush()
            return identity
    except IntegrityError:
        # Another transaction created this identity first; use theirs.
        existing = repository.get_identity(session, workspace_id, platform, author.platform_user_id)
        if existing is None:
            raise
        return existing


def _identity(workspace_id: int, contact_id: int, platform: str, author: Author) -> ContactIdentity:
    return ContactIdentity(
        workspace_id=workspace_id,
        contact_id=contact_id,
        platform=platform,
        platform_user_id=author.platform_user_id,
        handle=author.handle,
        name=author.name,
        follower_count=author.follower_count,
        verified=author.verified,
    )


def _refresh(identity: ContactIdentity, author: Author) -> None:
    changed = False
    for attr, value in (
        ("handle", author.handle),
        ("name", author.name),
        ("follower_count", author.follower_count),
    ):
        if value is not None and getattr(identity, attr) != value:
            setattr(identity, attr, value)
            changed = True
    if author.verified != identity.verified:
        identity.verified = author.verified
        changed = True
    if changed:
        identity.updated_at = utc_now()


def get_or_raise(session: Session, workspace_id: int, contact_id: int) -> Contact:
    contact = repository.get_contact(session, workspace_id, contact_id)
    if contact is None:
        raise ContactNotFound(contact_id)
    return contact


def identities(
    session: Session, workspace_id: int, contact_ids: list[int]
) -> dict[int, list[ContactIdentity]]:
    """Identities grouped by contact, in one query."""
    grouped: dict[int, list[ContactIdentity]] = {cid: [] for cid in contact_ids}
    for identity in repository.identities_of(session, workspace_id, contact_ids):
        grouped[identity.contact_id].append(identity)
    return grouped


def search(
    session: Session, workspace_id: int, query: str | None, limit: int, after_id: int | None
) -> list[Contact]:
    return repository.search_contacts(session, workspace_id, query, limit, after_id)


def update_attributes(
    session: Session,
    workspace_id: int,
    contact_id: int,
    name: str | None,
    attributes: dict[str, Any] | None,
) -> Contact:
    """Set the contact's display name and merge custom attributes (a null value removes one)."""
    contact = get_or_raise(session, workspace_id, contact_id)
    if name is not None:
        contact.name = name
    if attributes:
        merged = dict(contact.attributes)
        for key, value in attributes.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        contact.attributes = merged
    contact.updated_at = utc_now()
    session.flush()
    return contact


def by_ids(session: Session, workspace_id: int, ids: set[int]) -> list[Contact]:
    return repository.contacts_by_ids(session, workspace_id, ids)


def merge(session: Session, actor: Principal, source_id: int, target_id: int) -> Contact:
    """One person, two contacts: move identities and conversations to ``target`` (360° view)."""
    if source_id == target_id:
        raise Invalid("a contact cannot be merged into itself")
    source = get_or_raise(session, actor.workspace_id, source_id)
    target = get_or_raise(session, actor.workspace_id, target_id)
    repository.move_identities(session, actor.workspace_id, source.id, target.id)
    conversations.move_contact(session, actor.workspace_id, source.id, target.id)
    target.attributes = {**source.attributes, **target.attributes}
    target.updated_at = utc_now()
    session.delete(source)
    session.flush()
    audit.record(session, actor, "contact.merged", "contact", target.id, {"from": source_id})
    return target


def resolve_identities(
    session: Session, workspace_id: int, platform: str, authors: Sequence[Author]
) -> dict[str, ContactIdentity]:
    """:func:`resolve_identity` for many messages at once: identities by platform user id.

    ``authors`` are in delivery order; a new author's contact is created from their first
    message, and every message then refreshes the identity in turn (the last report wins), as
    calling :func:`resolve_identity` per message would. Existing rows are locked in one ordered
    statement. A concurrently created identity surfaces as IntegrityError at the flush: the
    caller rolls back its savepoint and retries one message at a time.
    """
    wanted = {a.platform_user_id for a in authors}
    found = {
        i.platform_user_id: i
        for i in repository.identities_by_user_ids(session, workspace_id, platform, wanted)
    }
    firsts: dict[str, Author] = {}
    for author in authors:
        if author.platform_user_id not in found:
            firsts.setdefault(author.platform_user_id, author)
    # Inserting in one global order keeps two concurrent batches from deadlocking on the index.
    newcomers = sorted(firsts.values(), key=lambda a: a.platform_user_id)
    found.update(_create_many(session, workspace_id, platform, newcomers))
    for author in authors:
        _refresh(found[author.platform_user_id], author)
    return found


def _create_many(
    session: Session, workspace_id: int, platform: str, authors: list[Author]
) -> dict[str, ContactIdentity]:
    """New contacts and identities, two batched INSERTs (the ORM flush uses insertmanyvalues)."""
    if not authors:
        return {}
    new_contacts = [
        Contact(workspace_id=workspace_id, name=a.name or a.handle or "") for a in authors
    ]
    session.add_all(new_contacts)
    session.flush()
    created = {
        a.platform_user_id: _identity(workspace_id, c.id, platform, a)
        for a, c in zip(authors, new_contacts, strict=True)
    }
    session.add_all(created.values())
    session.flush()
    return created
