"""Who is calling: the HTTP side of authentication.

Two kinds of credentials:

* ``Authorization: Bearer wc_...``: an API token. Programs send it explicitly, so a browser
  can never be tricked into sending it; no CSRF check is needed.
* The ``webcare_session`` cookie: a browser login. Browsers attach cookies to cross-site
  requests too, so every unsafe request must also carry the session's CSRF token, in the
  ``X-CSRF-Token`` header or a ``csrf_token`` form field (SameSite=Lax is a second line).

A Bearer header that does not resolve is refused outright rather than falling back to the
cookie, so a broken integration fails loudly. Nothing here logs a credential.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response
from sqlalchemy.orm import Session

from webcare.auth import service as auth_service
from webcare.auth.models import ApiToken, UserSession
from webcare.auth.principal import ROLE_SCOPES, Principal, Scope
from webcare.config import Settings
from webcare.dependencies import DbSession
from webcare.kit.crypto import constant_time_equals
from webcare.kit.errors import Forbidden, Unauthorized
from webcare.workspace import service as workspace_service
from webcare.workspace.models import Membership, Role

SESSION_COOKIE = "webcare_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FORM_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_STATE_KEY = "webcare_session_info"


@dataclass(frozen=True)
class SessionInfo:
    """A resolved browser session: what templates need to render forms that pass CSRF."""

    user_session: UserSession
    membership: Membership

    @property
    def csrf_token(self) -> str:
        return self.user_session.csrf_token

    @property
    def role(self) -> Role:
        return Role(self.membership.role)


def get_session_info(request: Request, db: DbSession) -> SessionInfo | None:
    """The cookie's live session, or None; never raises, so pages can redirect to /login.

    Resolved once per request and cached on ``request.state``. This does not check CSRF:
    use it on its own only for safe (GET) requests, or together with :func:`check_csrf`.
    """
    if hasattr(request.state, _STATE_KEY):
        cached: SessionInfo | None = getattr(request.state, _STATE_KEY)
        return cached
    info = _resolve_cookie(db, request.cookies.get(SESSION_COOKIE))
    setattr(request.state, _STATE_KEY, info)
    return info


async def get_form_csrf_token(request: Request) -> str | None:
    """The ``csrf_token`` form field of an unsafe form post, else None.

    Async because reading a form body must be awaited; Starlette caches the parsed form, so
    the endpoint can still read its own fields afterwards. The body is read only when the
    token could be there at all.
    """
    if request.method not in UNSAFE_METHODS:
        return None
    if CSRF_HEADER in request.headers or "authorization" in request.headers:
        return None
    if not request.headers.get("content-type", "").startswith(_FORM_TYPES):
        return None
    value = (await request.form()).get(CSRF_FORM_FIELD)
    return value if isinstance(value, str) else None


FormCsrfToken = Annotated[str | None, Depends(get_form_csrf_token)]


def check_csrf(request: Request, info: SessionInfo, form_token: str | None) -> None:
    """Refuse an unsafe cookie-authenticated request without the session's CSRF token."""
    if request.method not in UNSAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER) or form_token
    if not sent or not constant_time_equals(sent, info.csrf_token):
        raise Forbidden("CSRF token missing or invalid")


def get_principal(request: Request, db: DbSession, form_token: FormCsrfToken) -> Principal:
    """The caller as a :class:`Principal`, or :class:`Unauthorized` without valid credentials."""
    bearer = _bearer_token(request)
    if bearer is not None:
        return _principal_from_token(db, bearer)
    info = get_session_info(request, db)
    if info is None:
        raise Unauthorized("log in or send an API token (Authorization: Bearer wc_...)")
    check_csrf(request, info, form_token)
    return Principal(
        workspace_id=info.user_session.workspace_id,
        user_id=info.user_session.user_id,
        role=info.role,
        scopes=ROLE_SCOPES[info.role],
    )


PrincipalDep = Annotated[Principal, Depends(get_principal)]
SessionInfoDep = Annotated[SessionInfo | None, Depends(get_session_info)]


def require(scope: str) -> Callable[[Principal], Principal]:
    """A dependency that yields the principal only if it holds ``scope`` (else 403).

    Usage: ``principal: Annotated[Principal, Depends(require(Scope.ADMIN))]``.
    """
    if scope not in Scope.ALL:
        raise ValueError(f"unknown scope {scope!r}")

    def dependency(principal: PrincipalDep) -> Principal:
        principal.require(scope)
        return principal

    return dependency


def set_session_cookie(response: Response, raw_token: str, settings: Settings) -> None:
    """HttpOnly keeps scripts (and XSS) away from the session; Lax blocks most cross-site
    sends; Secure follows the deployment, since plain-HTTP installs must still work."""
    response.set_cookie(
        SESSION_COOKIE,
        raw_token,
        max_age=settings.session_max_age_seconds,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=settings.cookie_secure
    )


def _resolve_cookie(db: Session, raw: str | None) -> SessionInfo | None:
    if not raw:
        return None
    resolved = auth_service.resolve_session(db, raw)
    if resolved is None:
        return None
    return SessionInfo(user_session=resolved[0], membership=resolved[1])


def _bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthorized("the Authorization header must be 'Bearer <token>'")
    return value.strip()


def _principal_from_token(db: Session, raw: str) -> Principal:
    token = auth_service.resolve_api_token(db, raw)
    if token is None:
        raise Unauthorized("the API token is unknown or revoked")
    role = _token_role(db, token)
    scopes = frozenset(token.scopes)
    if token.user_id is not None:
        # A token acts for its user and can never do more than that user's role allows.
        scopes &= ROLE_SCOPES[role]
    return Principal(
        workspace_id=token.workspace_id,
        user_id=token.user_id,
        role=role,
        scopes=scopes,
        token_id=token.id,
    )


def _token_role(db: Session, token: ApiToken) -> Role:
    if token.user_id is None:
        return Role.ADMIN if Scope.ADMIN in token.scopes else Role.AGENT
    membership = workspace_service.get_membership(db, token.workspace_id, token.user_id)
    if membership is None:
        # The user left the workspace: their tokens stop working with them.
        raise Unauthorized("the API token is unknown or revoked")
    return Role(membership.role)
