"""The workspace admin pages: members, teams, labels and channel accounts.

Only admins get here (``AdminUiDep``: anyone else gets the readable 403 page). Every form is
a plain POST with the CSRF field that answers with a 303 back to its page, so the pages work
without JavaScript and a reload never repeats a change. The rules (last admin, duplicate
names, colours, signature templates) live in the domain services; a refusal is a
``WebcareError`` that the UI error handler turns into a readable page, and because it is
raised before anything is written, the request's rollback leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from webcare.auth import service as users
from webcare.channel import composing, connect_forms, connecting, polling, registry
from webcare.channel import service as channels
from webcare.channel.models import ChannelAccount
from webcare.conversation import service as conversations
from webcare.dependencies import DbSession, RuntimeDep, SettingsDep
from webcare.kit.errors import Invalid
from webcare.triage import service as triage
from webcare.triage import settings as triage_settings
from webcare.web.context import AdminUiDep, Ui
from webcare.web.navigation import int_param
from webcare.web.templating import render
from webcare.workspace import service as workspaces
from webcare.workspace.models import Role

router = APIRouter(prefix="/admin", include_in_schema=False)

Short = Annotated[str, Form(max_length=200)]
Long = Annotated[str, Form(max_length=1024)]
Template = Annotated[str, Form(max_length=1000)]
Lines = Annotated[str, Form(max_length=20_000)]

#: The ``?saved=`` values each page knows; anything else shows no notice, so the query
#: string can never put arbitrary text on the page.
NOTICES = frozenset(
    {
        "added",
        "role",
        "signature",
        "deactivated",
        "reactivated",
        "created",
        "member-added",
        "member-removed",
        "changed",
        "deleted",
        "tested",
        "reauthorised",
    }
)


def _page(request: Request, ui: Ui, template: str, saved: str, **context: Any) -> Response:
    full = {
        **ui.template_context(),
        "saved": saved if saved in NOTICES else "",
        "section": template.removeprefix("admin/").removesuffix(".html"),
        **context,
    }
    return render(request, template, full, locale=ui.locale)


def _back(path: str, notice: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?saved={notice}", status_code=303)


@router.get("")
def admin_home(_ui: AdminUiDep) -> Response:
    return RedirectResponse("/admin/users", status_code=303)


# Members ----------------------------------------------------------------------------------


@router.get("/users")
def users_page(request: Request, db: DbSession, ui: AdminUiDep, saved: str = "") -> Response:
    return _page(
        request,
        ui,
        "admin/users.html",
        saved,
        members=workspaces.members(db, ui.workspace.id),
        roles=[role.value for role in Role],
        min_password=users.INITIAL_PASSWORD_MIN_LENGTH,
    )


@router.post("/users")
def add_member(
    db: DbSession,
    ui: AdminUiDep,
    username: Short = "",
    display_name: Short = "",
    email: Short = "",
    password: Long = "",
    role: Short = "",
) -> Response:
    users.create_member(
        db,
        ui.principal,
        username=username,
        display_name=display_name,
        email=email or None,
        password=password,
        role=workspaces.parse_role(role),
    )
    return _back("/admin/users", "added")


@router.post("/users/{user_id}/role")
def change_role(db: DbSession, ui: AdminUiDep, user_id: int, role: Short = "") -> Response:
    workspaces.change_role(db, ui.principal, user_id, workspaces.parse_role(role))
    return _back("/admin/users", "role")


@router.post("/users/{user_id}/signature")
def change_signature(
    db: DbSession, ui: AdminUiDep, user_id: int, signature: Short = ""
) -> Response:
    workspaces.change_signature(db, ui.principal, user_id, signature)
    return _back("/admin/users", "signature")


@router.post("/users/{user_id}/deactivate")
def deactivate(db: DbSession, ui: AdminUiDep, user_id: int) -> Response:
    users.set_member_active(db, ui.principal, user_id, active=False)
    return _back("/admin/users", "deactivated")


@router.post("/users/{user_id}/reactivate")
def reactivate(db: DbSession, ui: AdminUiDep, user_id: int) -> Response:
    users.set_member_active(db, ui.principal, user_id, active=True)
    return _back("/admin/users", "reactivated")


# Teams ------------------------------------------------------------------------------------


@router.get("/teams")
def teams_page(request: Request, db: DbSession, ui: AdminUiDep, saved: str = "") -> Response:
    return _page(
        request,
        ui,
        "admin/teams.html",
        saved,
        teams=workspaces.team_overview(db, ui.workspace.id),
        members=workspaces.members(db, ui.workspace.id),
    )


@router.post("/teams")
def create_team(db: DbSession, ui: AdminUiDep, name: Short = "") -> Response:
    workspaces.create_team_as(db, ui.principal, name)
    return _back("/admin/teams", "created")


@router.post("/teams/{team_id}/members")
def add_team_member(db: DbSession, ui: AdminUiDep, team_id: int, user_id: Short = "") -> Response:
    workspaces.add_team_member_as(
        db, ui.principal, team_id, int_param(user_id, "member", message="choose a member")
    )
    return _back("/admin/teams", "member-added")


@router.post("/teams/{team_id}/members/{user_id}/remove")
def remove_team_member(db: DbSession, ui: AdminUiDep, team_id: int, user_id: int) -> Response:
    workspaces.remove_team_member(db, ui.principal, team_id, user_id)
    return _back("/admin/teams", "member-removed")


# Labels -----------------------------------------------------------------------------------


@router.get("/labels")
def labels_page(request: Request, db: DbSession, ui: AdminUiDep, saved: str = "") -> Response:
    return _page(
        request,
        ui,
        "admin/labels.html",
        saved,
        labels=conversations.label_overview(db, ui.workspace.id),
        swatch=_swatch,
    )


@router.post("/labels")
def create_label(db: DbSession, ui: AdminUiDep, name: Short = "", color: Short = "") -> Response:
    conversations.create_label(db, ui.principal, name, conversations.check_label_color(color))
    return _back("/admin/labels", "created")


@router.post("/labels/{label_id}")
def update_label(
    db: DbSession, ui: AdminUiDep, label_id: int, name: Short = "", color: Short = ""
) -> Response:
    conversations.update_label(db, ui.principal, label_id, name=name, color=color)
    return _back("/admin/labels", "changed")


@router.post("/labels/{label_id}/delete")
def delete_label(db: DbSession, ui: AdminUiDep, label_id: int) -> Response:
    conversations.delete_label(db, ui.principal, label_id)
    return _back("/admin/labels", "deleted")


# Channel accounts -------------------------------------------------------------------------


@router.get("/channels")
def channels_page(
    request: Request, db: DbSession, ui: AdminUiDep, settings: SettingsDep, saved: str = ""
) -> Response:
    accounts = channels.list_accounts(db, ui.workspace.id)
    polls = polling.states(db, [a.id for a in accounts])
    rows = []
    for account in accounts:
        row = _account_row(account, settings.base_url)
        poll = polls.get(account.id)
        row["polled"] = account.platform in registry.POLLERS
        row["polled_at"] = poll.polled_at if poll else None
        row["poll_error"] = poll.poll_error if poll else None
        rows.append(row)
    return _page(
        request,
        ui,
        "admin/channels.html",
        saved,
        accounts=rows,
        preview=_previewer(ui),
    )


async def _form_fields(request: Request) -> dict[str, str]:
    """Every text field of the posted form except the CSRF token (the connect forms'
    fields differ per platform, so they cannot be declared one by one)."""
    form = await request.form()
    return {
        key: value.replace("\r\n", "\n")
        for key, value in form.items()
        if isinstance(value, str) and key not in {"csrf_token", "platform", "handle", "name"}
    }


FormFields = Annotated[dict[str, str], Depends(_form_fields)]


@router.get("/channels/new")
def connect_page(request: Request, ui: AdminUiDep, platform: str = "") -> Response:
    """Step 1 picks a platform; step 2 shows that platform's fields."""
    fields = connect_forms.FIELDS.get(platform)
    return _page(
        request,
        ui,
        "admin/channel_connect.html",
        "",
        platforms=list(connect_forms.FIELDS),
        platform=platform if fields else "",
        fields=fields or (),
    )


@router.post("/channels")
def connect_channel(
    request: Request,
    db: DbSession,
    ui: AdminUiDep,
    runtime: RuntimeDep,
    values: FormFields,
    platform: Short = "",
    handle: Short = "",
    name: Short = "",
) -> Response:
    """Connect, then show what to give the platform. Generated secrets appear only here."""
    if platform not in connect_forms.FIELDS:
        raise Invalid("choose a platform to connect")
    connected = connecting.connect(
        db,
        ui.principal,
        runtime.secret_box,
        platform=platform,
        handle=handle,
        display_name=name or None,
        values={key: value for key, value in values.items() if value.strip()},
    )
    response = _page(
        request,
        ui,
        "admin/channel_connected.html",
        "",
        account=_account_row(connected.account, runtime.settings.base_url),
        generated=connected.generated,
        labels={f.name: f.label for f in connect_forms.FIELDS[platform]},
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/channels/{account_id}/test")
def test_channel(db: DbSession, ui: AdminUiDep, runtime: RuntimeDep, account_id: int) -> Response:
    with channels.http_client() as client:
        connecting.test_connection(db, ui.workspace.id, account_id, runtime.secret_box, client)
    return RedirectResponse(f"/admin/channels?saved=tested#channel-{account_id}", status_code=303)


@router.post("/channels/{account_id}/credentials")
def reauthorise_channel(
    db: DbSession, ui: AdminUiDep, runtime: RuntimeDep, account_id: int, values: FormFields
) -> Response:
    connecting.update_credentials(
        db,
        ui.principal,
        runtime.secret_box,
        account_id,
        {key: value for key, value in values.items() if value.strip()},
    )
    return _back("/admin/channels", "reauthorised")


@router.post("/channels/{account_id}/signature")
def change_signature_template(
    db: DbSession,
    ui: AdminUiDep,
    account_id: int,
    template: Template = "",
    use_default: Short = "",
) -> Response:
    channels.set_signature_template(db, ui.principal, account_id, None if use_default else template)
    return _back("/admin/channels", "changed")


# Triage -----------------------------------------------------------------------------------


@router.get("/triage")
def triage_page(request: Request, db: DbSession, ui: AdminUiDep, saved: str = "") -> Response:
    keywords, patterns = triage_settings.as_text(triage_settings.load(db, ui.workspace.id))
    return _page(
        request,
        ui,
        "admin/triage.html",
        saved,
        keywords=keywords,
        patterns=patterns,
        run=triage.latest_run(db, ui.workspace.id),
        versions=triage.model_versions(db, ui.workspace.id),
        corrections=triage.correction_count(db, ui.workspace.id),
    )


@router.post("/triage")
def save_triage_settings(
    db: DbSession, ui: AdminUiDep, keywords: Lines = "", customer_numbers: Lines = ""
) -> Response:
    triage_settings.save(db, ui.principal, keywords=keywords, customer_numbers=customer_numbers)
    return _back("/admin/triage", "changed")


@router.post("/triage/rerun")
def rerun_triage(db: DbSession, ui: AdminUiDep) -> Response:
    triage.start_rerun(db, ui.principal)
    return _back("/admin/triage", "created")


@router.get("/triage/run")
def triage_run_progress(request: Request, db: DbSession, ui: AdminUiDep) -> Response:
    """The progress fragment the page polls while a re-analysis runs."""
    return render(
        request,
        "admin/_triage_run.html",
        {**ui.template_context(), "run": triage.latest_run(db, ui.workspace.id)},
        locale=ui.locale,
    )


def _account_row(account: ChannelAccount, base_url: str) -> dict[str, Any]:
    """What the page shows of an account; the credentials stay encrypted and out of it."""
    settings = account.settings or {}
    return {
        "id": account.id,
        "platform": account.platform,
        "handle": account.handle,
        "display_name": account.display_name,
        "health": account.health,
        "health_detail": account.health_detail,
        "health_checked_at": account.health_checked_at,
        "webhook_url": channels.webhook_url(base_url, account),
        "settings": [
            (field.label, _shown(settings.get(field.name)))
            for field in connect_forms.FIELDS.get(account.platform, ())
            if not field.secret and settings.get(field.name) not in (None, "", [])
        ],
        "secret_fields": [
            field for field in connect_forms.FIELDS.get(account.platform, ()) if field.secret
        ],
        "template": composing.template_for(account.platform, settings),
        "is_default": composing.SETTING not in settings,
        "default_template": composing.template_for(account.platform, {}),
    }


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, bool):
        return "✓" if value else "–"
    return str(value)


def _previewer(ui: Ui) -> Callable[[str, str], str]:
    """Signs a sample reply the way the admin's own replies would be signed."""
    signature = ui.membership.signature
    name = ui.user.display_name

    def preview(text: str, template: str) -> str:
        return composing.sign(text, template, signature=signature, name=name)

    return preview


def _swatch(color: str) -> str:
    """The colour for a ``style`` attribute: only ``#rrggbb`` ever gets there (labels made
    before colours were checked fall back to grey)."""
    return color if conversations.LABEL_COLOR.fullmatch(color) else "#64748b"
