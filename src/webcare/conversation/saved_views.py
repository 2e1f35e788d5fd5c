"""An agent's saved inbox views: a name for a combination of filters.

The filter is stored as the inbox's own query string, so a saved view is exactly what the
agent saw when they saved it, and new filters need no schema change.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from sqlalchemy.orm import Session

from webcare.auth.principal import Principal
from webcare.conversation import repository
from webcare.conversation.models import SavedView
from webcare.kit.errors import Conflict, Invalid, NotFound
from webcare.kit.time import utc_now

NAME_MAX_LENGTH = 100
QUERY_MAX_LENGTH = 2000
#: Query parameters that make up a view; paging and the open conversation are not part of it.
FILTER_KEYS = ("view", "status", "channel", "assignee", "team", "label", "visibility", "q", "sort")


def clean_query(query: str) -> str:
    """Only the filter parameters of ``query``, in a stable order."""
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=False) if k in FILTER_KEYS]
    pairs = [(k, v) for k, v in pairs if not (k == "view" and v.startswith("saved:"))]
    return urlencode(sorted(pairs, key=lambda kv: FILTER_KEYS.index(kv[0])))


def save(session: Session, actor: Principal, name: str, query: str) -> SavedView:
    if actor.user_id is None:
        raise Invalid("saved views belong to a user")
    name = " ".join(name.split())
    if not name:
        raise Invalid("give the view a name")
    if len(name) > NAME_MAX_LENGTH:
        raise Invalid(f"a view name may have at most {NAME_MAX_LENGTH} characters")
    cleaned = clean_query(query)
    if len(cleaned) > QUERY_MAX_LENGTH:
        raise Invalid("this combination of filters is too long to save")
    if repository.saved_view_by_name(session, actor.workspace_id, actor.user_id, name):
        raise Conflict(f"you already have a view called '{name}'")
    view = SavedView(
        workspace_id=actor.workspace_id,
        user_id=actor.user_id,
        name=name,
        query=cleaned,
        created_at=utc_now(),
    )
    session.add(view)
    session.flush()
    return view


def mine(session: Session, actor: Principal) -> list[SavedView]:
    if actor.user_id is None:
        return []
    return repository.saved_views_of(session, actor.workspace_id, actor.user_id)


def get_or_raise(session: Session, actor: Principal, view_id: int) -> SavedView:
    view = (
        repository.saved_view(session, actor.workspace_id, actor.user_id, view_id)
        if actor.user_id is not None
        else None
    )
    if view is None:
        raise NotFound(f"saved view {view_id} not found")
    return view


def delete(session: Session, actor: Principal, view_id: int) -> None:
    session.delete(get_or_raise(session, actor, view_id))
    session.flush()
