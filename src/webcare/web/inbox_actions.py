"""What an agent does to a conversation from the UI: reply, note, assign, label, status.

Each handler calls the same service as the REST API. An htmx request gets the re-rendered
conversation pane back (or a toast on an error, see :mod:`webcare.web.error_pages`); a plain form
post (no JavaScript) is redirected back to the conversation.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from webcare.conversation import reply as replies
from webcare.conversation import saved_views
from webcare.conversation import service as conversations
from webcare.conversation.errors import MessageNotFound, ReplyCollision
from webcare.conversation.models import Priority, Status, Visibility
from webcare.dependencies import DbSession
from webcare.kit.errors import Invalid
from webcare.kit.time import utc_now
from webcare.notification import service as notifications
from webcare.presence import service as presence
from webcare.web import presenters
from webcare.web.context import Ui, UiDep, WriterUiDep
from webcare.web.error_pages import is_htmx
from webcare.web.navigation import int_param
from webcare.web.templating import render

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Form(max_length=20_000)]
Field = Annotated[str, Form(max_length=200)]
BULK_LIMIT = 100


@router.post("/inbox/c/{conversation_id}/reply")
def reply(
    conversation_id: int,
    request: Request,
    db: DbSession,
    ui: WriterUiDep,
    text: Text = "",
    visibility: Field = "",
    idempotency_key: Field = "",
    seen_up_to: Field = "0",
    confirm_seen: Field = "",
) -> Response:
    seen = max(int_param(seen_up_to, "seen_up_to"), int_param(confirm_seen or "0", "confirm_seen"))
    try:
        replies.reply(
            db,
            ui.principal,
            conversation_id,
            text=text,
            visibility=Visibility(visibility) if visibility else None,
            idempotency_key=f"ui:{ui.user_id}:{idempotency_key}" if idempotency_key else None,
            sign=True,
            seen_up_to=seen,
        )
    except ReplyCollision as collision:
        return _collision(request, db, ui, conversation_id, collision)
    except ValueError as exc:
        raise Invalid("visibility must be 'public' or 'private'") from exc
    return _done(request, db, ui, conversation_id, sent="reply")


@router.post("/inbox/c/{conversation_id}/note")
def note(
    conversation_id: int, request: Request, db: DbSession, ui: WriterUiDep, text: Text = ""
) -> Response:
    conversations.add_note(db, ui.principal, conversation_id, text)
    return _done(request, db, ui, conversation_id, sent="note")


@router.post("/inbox/c/{conversation_id}/assign")
def assign(
    conversation_id: int,
    request: Request,
    db: DbSession,
    ui: WriterUiDep,
    assignee: Field = "",
    team: Field = "",
) -> Response:
    conversations.assign(
        db,
        ui.principal,
        conversation_id,
        assignee_id=_assignee(ui, assignee),
        team_id=int_param(team, "team") if team else None,
    )
    return _done(request, db, ui, conversation_id)


@router.post("/inbox/c/{conversation_id}/labels")
def add_label(
    conversation_id: int, request: Request, db: DbSession, ui: WriterUiDep, label: Field = ""
) -> Response:
    if not label.strip():
        raise Invalid("choose a label")
    conversations.add_label(db, ui.principal, conversation_id, label.strip())
    return _done(request, db, ui, conversation_id)


@router.post("/inbox/c/{conversation_id}/labels/remove")
def remove_label(
    conversation_id: int, request: Request, db: DbSession, ui: WriterUiDep, label: Field = ""
) -> Response:
    conversations.remove_label(db, ui.principal, conversation_id, label.strip())
    return _done(request, db, ui, conversation_id)


@router.post("/inbox/c/{conversation_id}/status")
def set_status(
    conversation_id: int,
    request: Request,
    db: DbSession,
    ui: WriterUiDep,
    status: Field = "",
    snooze: Field = "",
    snooze_until: Field = "",
) -> Response:
    if not status and snooze:
        status = Status.SNOOZED.value
    try:
        wanted = Status(status)
    except ValueError as exc:
        raise Invalid("status must be open, pending, snoozed or resolved") from exc
    until = _snooze_until(ui, snooze, snooze_until) if wanted is Status.SNOOZED else None
    conversations.set_status(db, ui.principal, conversation_id, wanted, snoozed_until=until)
    return _done(request, db, ui, conversation_id)


@router.post("/inbox/c/{conversation_id}/priority")
def set_priority(
    conversation_id: int, request: Request, db: DbSession, ui: WriterUiDep, priority: Field = ""
) -> Response:
    try:
        wanted = Priority(priority)
    except ValueError as exc:
        raise Invalid("priority must be low, normal, high or urgent") from exc
    conversations.set_priority(db, ui.principal, conversation_id, wanted)
    return _done(request, db, ui, conversation_id)


@router.post("/inbox/c/{conversation_id}/messages/{message_id}/retry")
def retry(
    conversation_id: int, message_id: int, request: Request, db: DbSession, ui: WriterUiDep
) -> Response:
    conversations.get_or_raise(db, ui.workspace.id, conversation_id)
    if replies.retry(db, ui.principal, message_id).conversation_id != conversation_id:
        raise MessageNotFound(message_id)  # the request rolls the retry back
    return _done(request, db, ui, conversation_id)


@router.post("/inbox/c/{conversation_id}/presence")
def touch_presence(
    conversation_id: int, db: DbSession, ui: UiDep, state: Field = "viewing"
) -> Response:
    presence.touch(db, ui.principal, conversation_id, state)
    return Response(status_code=204)


@router.post("/inbox/bulk")
def bulk(
    request: Request,
    db: DbSession,
    ui: WriterUiDep,
    ids: Annotated[list[str] | None, Form()] = None,
    action: Field = "",
    value: Field = "",
    back: Annotated[str, Form(max_length=2000)] = "/inbox",
) -> Response:
    """Assign, label or resolve many conversations at once, all or nothing."""
    chosen = [int_param(i, "conversation") for i in ids or []]
    if not chosen:
        raise Invalid("select at least one conversation")
    if len(chosen) > BULK_LIMIT:
        raise Invalid(f"select at most {BULK_LIMIT} conversations at once")
    for conversation_id in chosen:
        if action == "assign":
            conversations.assign(
                db,
                ui.principal,
                conversation_id,
                assignee_id=_assignee(ui, value),
                team_id=_current_team(db, ui, conversation_id),
            )
        elif action == "label":
            conversations.add_label(db, ui.principal, conversation_id, value)
        elif action == "resolve":
            conversations.set_status(db, ui.principal, conversation_id, Status.RESOLVED)
        else:
            raise Invalid("choose what to do with the selected conversations")
    target = back if back.startswith("/inbox") else "/inbox"
    if is_htmx(request):
        message = ui.gettext("%(n)s conversations updated", n=len(chosen))
        return Response(
            status_code=204,
            headers={"HX-Trigger": json.dumps({"webcare:bulk-done": {"message": message}})},
        )
    return RedirectResponse(target, status_code=303)


@router.post("/inbox/views")
def save_view(
    db: DbSession,
    ui: UiDep,
    name: Field = "",
    query: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    view = saved_views.save(db, ui.principal, name, query)
    return _redirect(f"/inbox?view=saved:{view.id}")


@router.post("/inbox/views/{view_id}/delete")
def delete_view(view_id: int, db: DbSession, ui: UiDep) -> Response:
    saved_views.delete(db, ui.principal, view_id)
    return _redirect("/inbox")


@router.post("/notifications/read")
def read_notifications(db: DbSession, ui: UiDep) -> Response:
    notifications.mark_read(db, ui.workspace.id, ui.user_id)
    return _redirect("/notifications")


# helpers ----------------------------------------------------------------------------------


def _done(
    request: Request, db: DbSession, ui: Ui, conversation_id: int, sent: str | None = None
) -> Response:
    query = request.headers.get("HX-Current-URL", "").partition("?")[2]
    if not is_htmx(request):
        return _redirect(f"/inbox/c/{conversation_id}")
    conversation = conversations.get_or_raise(db, ui.workspace.id, conversation_id)
    state = presenters.list_state(db, ui, dict(parse_qsl(query)))
    context = {
        **ui.template_context(),
        **presenters.conversation_context(db, ui, conversation),
        "state": state,
    }
    headers = {}
    if sent:
        headers["HX-Trigger"] = json.dumps(
            {"webcare:sent": {"conversation": conversation_id, "mode": sent}}
        )
    return render(request, "_conversation.html", context, locale=ui.locale, headers=headers)


def _collision(
    request: Request, db: DbSession, ui: Ui, conversation_id: int, collision: ReplyCollision
) -> Response:
    members = presenters.members_by_id(db, ui)
    context = {
        **ui.template_context(),
        "conversation_id": conversation_id,
        "replies": [
            {"id": mid, "author": members[a].display_name if a in members else "", "text": text}
            for mid, a, text in collision.replies
        ],
        "newest": max(mid for mid, _, _ in collision.replies),
    }
    headers = {"HX-Retarget": f"#collision-{conversation_id}", "HX-Reswap": "innerHTML"}
    return render(
        request, "_collision.html", context, locale=ui.locale, status_code=409, headers=headers
    )


def _assignee(ui: Ui, value: str) -> int | None:
    if value in ("", "none"):
        return None
    if value == "me":
        return ui.user_id
    return int_param(value, "assignee")


def _current_team(db: DbSession, ui: Ui, conversation_id: int) -> int | None:
    return conversations.get_or_raise(db, ui.workspace.id, conversation_id).team_id


def _snooze_until(ui: Ui, preset: str, custom: str) -> datetime | None:
    """``1h``, ``4h``, ``tomorrow`` (09:00 local), ``reply`` (until the customer writes) or a
    local date-time from the picker."""
    now = utc_now()
    if preset == "reply":
        return None
    if preset in ("1h", "4h"):
        return now + timedelta(hours=int(preset[0]))
    if preset == "tomorrow":
        local = now.astimezone(ui.tz) + timedelta(days=1)
        return local.replace(hour=9, minute=0, second=0, microsecond=0)
    if preset == "custom" and custom:
        try:
            local = datetime.fromisoformat(custom)
        except ValueError as exc:
            raise Invalid("snooze until: give a date and time") from exc
        until = local.replace(tzinfo=ui.tz) if local.tzinfo is None else local
        if until <= now:
            raise Invalid("choose a time in the future")
        return until
    raise Invalid("choose how long to snooze")


def _redirect(target: str) -> Response:
    return RedirectResponse(target, status_code=303)
