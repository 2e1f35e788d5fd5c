"""The agent's own settings: language, time zone and reply signature."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from webcare.auth import service as users
from webcare.dependencies import DbSession
from webcare.kit.errors import Invalid
from webcare.web import i18n
from webcare.web.context import UiDep
from webcare.web.templating import render
from webcare.workspace import service as workspaces

router = APIRouter(include_in_schema=False)

Field = Annotated[str, Form(max_length=200)]


@router.get("/settings")
def settings_page(request: Request, ui: UiDep, saved: bool = False) -> Response:
    context = {
        **ui.template_context(),
        "locales": i18n.LOCALE_NAMES,
        "timezones": i18n.timezones(),
        "saved": saved,
    }
    return render(request, "settings.html", context, locale=ui.locale)


@router.post("/settings")
def save_settings(
    db: DbSession,
    ui: UiDep,
    locale: Field = "",
    timezone: Field = "",
    signature: Field = "",
) -> Response:
    if locale not in i18n.LOCALES:
        raise Invalid("choose a language")
    if timezone not in i18n.timezones():
        raise Invalid("choose a time zone from the list")
    user = users.get_user(db, ui.user_id)
    if user is None:
        raise Invalid("user not found")
    users.update_preferences(db, user, locale=locale, timezone=timezone)
    workspaces.set_signature(db, ui.workspace.id, ui.user_id, signature)
    return RedirectResponse("/settings?saved=true", status_code=303)
