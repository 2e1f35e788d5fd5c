"""Saved listening queries: validate through the parser, store, and keep every process current.

Functions the Listen UI calls (all scoped to the actor's or the given workspace):

- :func:`check` — parse query text for a live form: its warnings, or :class:`InvalidQuery`;
- :func:`list_queries`, :func:`get_or_raise`;
- :func:`create`, :func:`update`, :func:`delete` (each bumps the workspace's query version, so
  every server's cached percolator is rebuilt before it percolates the next batch).

Hits, volume, authors, words and share of voice are in :mod:`webcare.listening.analytics`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webcare.audit import service as audit
from webcare.auth.principal import Principal
from webcare.conversation import service as conversations
from webcare.conversation.models import Priority
from webcare.kit.crypto import SecretBox, new_token
from webcare.kit.errors import Conflict, Invalid
from webcare.kit.time import utc_now
from webcare.listening import repository
from webcare.listening.errors import InvalidQuery, QueryNotFound
from webcare.listening.models import ListeningQuery
from webcare.listening.query import QueryError, QueryWarning, parse
from webcare.workspace import service as workspaces

MAX_QUERY_LENGTH = 4000
MAX_NAME_LENGTH = 100

#: Fields :func:`update` accepts; a field left out of ``changes`` keeps its value.
UPDATABLE = frozenset(
    {
        "name",
        "query",
        "enabled",
        "route_to_inbox",
        "team_id",
        "label_id",
        "priority",
        "alert_webhook_url",
    }
)


@dataclass(frozen=True)
class SavedQuery:
    """A stored query with the parser's warnings about its text (shown next to it)."""

    query: ListeningQuery
    warnings: tuple[QueryWarning, ...]
    #: The webhook signing secret, only right after it was generated (shown once).
    new_webhook_secret: str | None = None


def check(text: str) -> tuple[QueryWarning, ...]:
    """The warnings about ``text``; :class:`InvalidQuery` (422, with position) if it fails."""
    if not text.strip():
        raise Invalid("the query is empty")
    if len(text) > MAX_QUERY_LENGTH:
        raise Invalid(f"a query has at most {MAX_QUERY_LENGTH} characters")
    try:
        return parse(text).warnings
    except QueryError as exc:
        raise InvalidQuery(text, exc) from None


def warnings_of(query: ListeningQuery) -> tuple[QueryWarning, ...]:
    """Warnings of a stored query (its text parsed when it was saved, so it parses now)."""
    try:
        return parse(query.query).warnings
    except QueryError:
        return ()


def get_or_raise(session: Session, workspace_id: int, query_id: int) -> ListeningQuery:
    query = repository.get_query(session, workspace_id, query_id)
    if query is None:
        raise QueryNotFound(query_id)
    return query


def list_queries(session: Session, workspace_id: int) -> list[ListeningQuery]:
    """Every saved query of the workspace, by name."""
    return repository.list_queries(session, workspace_id)


def create(
    session: Session, actor: Principal, box: SecretBox, values: dict[str, Any]
) -> SavedQuery:
    """Save a new query; ``values`` holds ``name`` and ``query`` and any of :data:`UPDATABLE`."""
    name = _name(values.get("name", ""))
    if repository.query_by_name(session, actor.workspace_id, name) is not None:
        raise Conflict(f"a listening query named '{name}' already exists")
    now = utc_now()
    query = ListeningQuery(
        workspace_id=actor.workspace_id,
        name=name,
        query="",
        enabled=True,
        route_to_inbox=False,
        created_by=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    saved = _apply(session, actor, box, query, {k: v for k, v in values.items() if k != "name"})
    _save(session, query)
    repository.bump_version(session, actor.workspace_id)
    audit.record(
        session, actor, "listening.query_created", "listening_query", query.id, {"name": name}
    )
    return SavedQuery(query, saved[0], saved[1])


def update(
    session: Session, actor: Principal, box: SecretBox, query_id: int, changes: dict[str, Any]
) -> SavedQuery:
    """Change some fields of a saved query (see :data:`UPDATABLE`)."""
    query = get_or_raise(session, actor.workspace_id, query_id)
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise Invalid(f"cannot change {', '.join(sorted(unknown))}")
    if "name" in changes:
        name = _name(changes["name"])
        other = repository.query_by_name(session, actor.workspace_id, name)
        if other is not None and other.id != query.id:
            raise Conflict(f"a listening query named '{name}' already exists")
        query.name = name
    warnings, secret = _apply(
        session, actor, box, query, {k: v for k, v in changes.items() if k != "name"}
    )
    if "query" not in changes:
        warnings = warnings_of(query)
    query.updated_at = utc_now()
    _save(session, query)
    repository.bump_version(session, actor.workspace_id)
    audit.record(
        session,
        actor,
        "listening.query_changed",
        "listening_query",
        query.id,
        {"fields": sorted(changes)},
    )
    return SavedQuery(query, warnings, secret)


def delete(session: Session, actor: Principal, query_id: int) -> None:
    """Delete a query with its hits, alerts and backfills."""
    query = get_or_raise(session, actor.workspace_id, query_id)
    session.delete(query)
    session.flush()
    repository.bump_version(session, actor.workspace_id)
    audit.record(
        session, actor, "listening.query_deleted", "listening_query", query_id, {"name": query.name}
    )


def _save(session: Session, query: ListeningQuery) -> None:
    """Flush in a savepoint: a concurrent save of the same name is a 409, not a 500."""
    try:
        with session.begin_nested():
            session.add(query)
    except IntegrityError:
        raise Conflict(f"a listening query named '{query.name}' already exists") from None


def _apply(
    session: Session,
    actor: Principal,
    box: SecretBox,
    query: ListeningQuery,
    values: dict[str, Any],
) -> tuple[tuple[QueryWarning, ...], str | None]:
    """Validate and set fields; returns the text's warnings and a newly generated secret."""
    warnings: tuple[QueryWarning, ...] = ()
    if "query" in values:
        text = str(values["query"] or "")
        warnings = check(text)
        query.query = text
    elif not query.query:
        raise Invalid("a listening query needs query text")
    for flag in ("enabled", "route_to_inbox"):
        if flag in values:
            setattr(query, flag, bool(values[flag]))
    if "team_id" in values:
        team_id = values["team_id"]
        if team_id is not None:
            workspaces.get_team_or_raise(session, actor.workspace_id, int(team_id))
        query.team_id = team_id
    if "label_id" in values:
        label_id = values["label_id"]
        if label_id is not None:
            conversations.label_by_id_or_raise(session, actor.workspace_id, int(label_id))
        query.label_id = label_id
    if "priority" in values:
        query.priority = _priority(values["priority"])
    secret = None
    if "alert_webhook_url" in values:
        url = _webhook_url(values["alert_webhook_url"])
        query.alert_webhook_url = url
        if url is None:
            query.alert_webhook_secret_encrypted = None
        elif query.alert_webhook_secret_encrypted is None:
            secret = new_token("whsec_", 24)
            query.alert_webhook_secret_encrypted = box.encrypt(secret)
    return warnings, secret


def _name(value: object) -> str:
    name = str(value or "").strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise Invalid(f"a listening query needs a name of 1 to {MAX_NAME_LENGTH} characters")
    return name


def _priority(value: object) -> str | None:
    if value is None:
        return None
    try:
        return Priority(str(value)).value
    except ValueError:
        allowed = ", ".join(p.value for p in Priority)
        raise Invalid(f"priority must be one of {allowed}") from None


def _webhook_url(value: object) -> str | None:
    if value is None or value == "":
        return None
    url = str(value).strip()
    if not url.startswith(("https://", "http://")) or len(url) > 2000:
        raise Invalid("alert_webhook_url must be an http(s) URL of at most 2000 characters")
    return url
