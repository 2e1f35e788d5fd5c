"""HTTP surface of auth: the login/logout pages, a minimal home page, /api/v1/me and tokens.

Thin by design: parse, call :mod:`webcare.auth.service`, return. Login failures come back as
the login page with a readable message, never as a stack trace or with the password in it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response, status
from fastapi.responses import HTMLResponse, RedirectResponse

from webcare.auth import pages, schemas
from webcare.auth import service as auth_service
from webcare.auth.dependencies import (
    SESSION_COOKIE,
    FormCsrfToken,
    PrincipalDep,
    SessionInfoDep,
    check_csrf,
    clear_session_cookie,
    get_session_info,
    require,
    set_session_cookie,
)
from webcare.auth.principal import Principal, Scope
from webcare.dependencies import DbSession, SettingsDep
from webcare.kit.errors import NotFound, WebcareError
from webcare.workspace import service as workspace_service

router = APIRouter()

AdminPrincipal = Annotated[Principal, Depends(require(Scope.ADMIN))]
FormText = Annotated[str, Form()]
#: Login pages and the home page carry per-user data; no cache may keep them.
_NO_STORE = {"Cache-Control": "no-store"}


# Pages ------------------------------------------------------------------------------------


@router.get("/login", include_in_schema=False)
def login_form(info: SessionInfoDep, next: str = "") -> Response:
    if info is not None:
        return _redirect(safe_next(next))
    return HTMLResponse(pages.login_page(next_path=safe_next(next)), headers=_NO_STORE)


@router.post("/login", include_in_schema=False)
def login(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    username: FormText = "",
    password: FormText = "",
    workspace: FormText = "",
    next: FormText = "",
) -> Response:
    """Start a session and set its cookie; on failure show the form again (no password)."""
    try:
        raw, _ = auth_service.log_in(
            db,
            username=username.strip(),
            password=password,
            workspace_slug=workspace.strip() or None,
            ttl_seconds=settings.session_max_age_seconds,
        )
    except WebcareError as exc:
        page = pages.login_page(
            error=exc.detail, username=username, workspace=workspace, next_path=safe_next(next)
        )
        return HTMLResponse(page, status_code=exc.status_code, headers=_NO_STORE)
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:
        auth_service.end_session(db, previous)
    response = _redirect(safe_next(next))
    set_session_cookie(response, raw, settings)
    return response


@router.post("/logout", include_in_schema=False)
def logout(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    info: SessionInfoDep,
    form_token: FormCsrfToken,
) -> Response:
    """End the session. CSRF-checked so another site cannot log a user out; a request
    without a live session just clears the cookie."""
    if info is not None:
        check_csrf(request, info, form_token)
        auth_service.end_session(db, request.cookies[SESSION_COOKIE])
    response = _redirect("/login")
    clear_session_cookie(response, settings)
    return response


def safe_next(value: str) -> str:
    """Where to go after logging in: a path on this site only (never ``//evil`` or a URL)."""
    if value.startswith("/") and not value.startswith(("//", "/\\")) and len(value) < 500:
        return value
    return "/inbox"


# API --------------------------------------------------------------------------------------


@router.get("/api/v1/me", response_model=schemas.Me, tags=["auth"])
def me(request: Request, db: DbSession, principal: PrincipalDep) -> schemas.Me:
    """The caller: user, workspace, role and scopes; the CSRF token for a browser session."""
    workspace = workspace_service.get_workspace(db, principal.workspace_id)
    if workspace is None:
        raise NotFound("workspace not found")
    user = auth_service.get_user(db, principal.user_id) if principal.user_id else None
    membership = (
        workspace_service.get_membership(db, principal.workspace_id, principal.user_id)
        if principal.user_id
        else None
    )
    info = None if principal.token_id is not None else get_session_info(request, db)
    return schemas.Me(
        user=schemas.MeUser.model_validate(user) if user else None,
        workspace=schemas.MeWorkspace.model_validate(workspace),
        role=principal.role,
        scopes=sorted(principal.scopes),
        auth="token" if principal.token_id is not None else "session",
        signature=membership.signature if membership else None,
        csrf_token=info.csrf_token if info else None,
    )


@router.get("/api/v1/tokens", response_model=list[schemas.ApiToken], tags=["auth"])
def list_tokens(db: DbSession, principal: AdminPrincipal) -> list[schemas.ApiToken]:
    tokens = auth_service.list_api_tokens(db, principal.workspace_id)
    return [schemas.ApiToken.model_validate(token) for token in tokens]


@router.post(
    "/api/v1/tokens",
    response_model=schemas.ApiTokenCreated,
    status_code=status.HTTP_201_CREATED,
    tags=["auth"],
)
def create_token(
    body: schemas.ApiTokenCreate, db: DbSession, principal: AdminPrincipal
) -> schemas.ApiTokenCreated:
    """Create a token; the response is the only time the raw token is shown."""
    raw, token = auth_service.create_api_token(
        db, principal.workspace_id, body.name, body.scopes, user_id=body.user_id
    )
    listed = schemas.ApiToken.model_validate(token)
    return schemas.ApiTokenCreated(**listed.model_dump(), token=raw)


@router.delete("/api/v1/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["auth"])
def revoke_token(token_id: int, db: DbSession, principal: AdminPrincipal) -> Response:
    auth_service.revoke_api_token(db, principal.workspace_id, token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER, headers=_NO_STORE)
