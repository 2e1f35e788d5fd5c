"""Who is using the UI: the logged-in agent, their workspace, language and time zone.

Every UI endpoint depends on :func:`get_ui`. Without a live session it raises
:class:`LoginRequired` (the error handler redirects to the login page); an unsafe request
without the session's CSRF token is refused with 403 like on the API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Request

from webcare.auth import service as users
from webcare.auth.dependencies import FormCsrfToken, check_csrf, get_session_info
from webcare.auth.models import User
from webcare.auth.principal import ROLE_SCOPES, Principal, Scope
from webcare.dependencies import DbSession
from webcare.kit.errors import Forbidden, WebcareError
from webcare.web import i18n
from webcare.web.formatting import Formatter
from webcare.web.templating import translate
from webcare.workspace import service as workspaces
from webcare.workspace.models import Membership, Workspace


class LoginRequired(WebcareError):
    status_code = 401
    code = "login_required"


@dataclass(frozen=True)
class Ui:
    principal: Principal
    user: User
    membership: Membership
    workspace: Workspace
    csrf: str
    locale: str
    tz: ZoneInfo
    fmt: Formatter = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "fmt", Formatter(self.locale, self.tz))

    @property
    def user_id(self) -> int:
        return self.user.id

    @property
    def is_admin(self) -> bool:
        return Scope.ADMIN in self.principal.scopes

    @property
    def can_write(self) -> bool:
        return Scope.CONVERSATIONS_WRITE in self.principal.scopes

    def gettext(self, message: str, **variables: Any) -> str:
        """Translate a message for this user outside templates (flash messages, errors)."""
        return translate(self.locale, message, **variables)

    def template_context(self) -> dict[str, Any]:
        return {"ui": self, "fmt": self.fmt, "csrf": self.csrf}


def get_ui(request: Request, db: DbSession, form_token: FormCsrfToken) -> Ui:
    info = get_session_info(request, db)
    if info is None:
        raise LoginRequired("log in to continue")
    user = users.get_user(db, info.user_session.user_id)
    workspace = workspaces.get_workspace(db, info.user_session.workspace_id)
    if user is None or workspace is None or not user.is_active:
        raise LoginRequired("log in to continue")
    request.state.ui_locale = i18n.normalise_locale(user.locale)  # errors speak it too
    check_csrf(request, info, form_token)
    return Ui(
        principal=Principal(
            workspace_id=workspace.id,
            user_id=user.id,
            role=info.role,
            scopes=ROLE_SCOPES[info.role],
        ),
        user=user,
        membership=info.membership,
        workspace=workspace,
        csrf=info.csrf_token,
        locale=i18n.normalise_locale(user.locale),
        tz=i18n.zone(user.timezone),
    )


def require_admin(ui: Annotated[Ui, Depends(get_ui)]) -> Ui:
    if not ui.is_admin:
        raise Forbidden("only workspace admins can change this")
    return ui


def require_writer(ui: Annotated[Ui, Depends(get_ui)]) -> Ui:
    """Changing a conversation needs a role with write access (viewers only read)."""
    if not ui.can_write:
        raise Forbidden("viewers can read conversations but not change them")
    return ui


UiDep = Annotated[Ui, Depends(get_ui)]
WriterUiDep = Annotated[Ui, Depends(require_writer)]
AdminUiDep = Annotated[Ui, Depends(require_admin)]
