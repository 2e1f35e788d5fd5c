"""The inbox pages: the list of conversations and one conversation, as full pages or fragments.

One URL per state (``/inbox?view=...`` and ``/inbox/c/{id}?view=...``) so every screen can be
reloaded, bookmarked and opened in a new tab. htmx requests name their target in
``HX-Target``; the same handler then returns only that fragment.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from webcare.conversation import service as conversations
from webcare.dependencies import DbSession
from webcare.notification import service as notifications
from webcare.presence import service as presence
from webcare.web import navigation, presenters
from webcare.web.context import UiDep
from webcare.web.error_pages import is_htmx
from webcare.web.templating import render

router = APIRouter(include_in_schema=False)

Cursor = Annotated[str | None, Query(max_length=200)]


@router.get("/inbox")
def inbox(request: Request, db: DbSession, ui: UiDep, cursor: Cursor = None) -> Response:
    state = _state(request, db, ui)
    target = request.headers.get("HX-Target") if is_htmx(request) else None
    context = {**ui.template_context(), **presenters.list_context(db, ui, state, cursor)}
    if target == "list" or (target == "list-more" and cursor):
        template = "_list_more.html" if target == "list-more" else "_list.html"
        return render(request, template, context, locale=ui.locale)
    return render(request, "inbox.html", _page_context(db, ui, context), locale=ui.locale)


@router.get("/inbox/c/{conversation_id}")
def conversation_page(
    conversation_id: int, request: Request, db: DbSession, ui: UiDep, cursor: Cursor = None
) -> Response:
    conversation = conversations.get_or_raise(db, ui.workspace.id, conversation_id)
    state = _state(request, db, ui)
    detail = presenters.conversation_context(db, ui, conversation)
    context = {**ui.template_context(), **detail, "state": state}
    if is_htmx(request) and request.headers.get("HX-Target") == "conversation":
        return render(request, "_conversation.html", context, locale=ui.locale)
    context.update(presenters.list_context(db, ui, state, cursor))
    context["open_id"] = conversation.id
    return render(request, "inbox.html", _page_context(db, ui, context), locale=ui.locale)


@router.get("/inbox/c/{conversation_id}/presence")
def presence_fragment(conversation_id: int, request: Request, db: DbSession, ui: UiDep) -> Response:
    conversations.get_or_raise(db, ui.workspace.id, conversation_id)
    context = {
        **ui.template_context(),
        "others": presence.others(db, ui.workspace.id, conversation_id, ui.user_id),
        "members": presenters.members_by_id(db, ui),
        "conversation_id": conversation_id,
    }
    return render(request, "_presence.html", context, locale=ui.locale)


@router.get("/inbox/nav")
def nav_fragment(request: Request, db: DbSession, ui: UiDep) -> Response:
    state = _state(request, db, ui)
    context = {
        **ui.template_context(),
        "nav": presenters.navigation(db, ui),
        "state": state,
    }
    return render(request, "_nav.html", context, locale=ui.locale)


@router.get("/notifications")
def notifications_page(request: Request, db: DbSession, ui: UiDep) -> Response:
    context = {
        **ui.template_context(),
        "notifications": notifications.recent(db, ui.workspace.id, ui.user_id),
        "members": presenters.members_by_id(db, ui),
    }
    return render(request, "notifications.html", context, locale=ui.locale)


@router.get("/")
def home() -> Response:
    return RedirectResponse("/inbox", status_code=303)


def _state(request: Request, db: DbSession, ui: UiDep) -> navigation.ListState:
    return presenters.list_state(db, ui, dict(request.query_params))


def _page_context(db: DbSession, ui: UiDep, context: dict[str, Any]) -> dict[str, Any]:
    """What only a full page shows around the list and the conversation."""
    return {
        **context,
        "nav": presenters.navigation(db, ui),
        "options": presenters.filter_options(db, ui),
        "unread": notifications.unread_count(db, ui.workspace.id, ui.user_id),
        "open_id": context.get("open_id"),
    }
