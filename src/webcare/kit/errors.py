"""The one error base class.

Every error a user can cause is a :class:`WebcareError` with a 4xx status, rendered by one handler
as ``{"error": code, "detail": message}``. Anything else that escapes is a bug and becomes a 500.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar


class WebcareError(Exception):
    """A failure the caller can understand and act on."""

    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"

    def __init__(self, detail: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}


class NotFound(WebcareError):
    """The object does not exist in this workspace (also used for other workspaces' objects)."""

    status_code = 404
    code = "not_found"


class Invalid(WebcareError):
    """Input that is well-formed JSON but breaks a rule."""

    status_code = 422
    code = "invalid"


class Conflict(WebcareError):
    """The request clashes with the current state."""

    status_code = 409
    code = "conflict"


class Unauthorized(WebcareError):
    """No valid credentials."""

    status_code = 401
    code = "unauthorized"


class Forbidden(WebcareError):
    """Valid credentials without the right role or scope."""

    status_code = 403
    code = "forbidden"


def validation_problems(errors: Sequence[Any]) -> tuple[str, list[dict[str, str]]]:
    """Pydantic's error list as a one-line summary plus ``[{field, message}]`` for clients."""
    problems = [
        {"field": ".".join(str(p) for p in err["loc"]), "message": str(err["msg"])}
        for err in errors
    ]
    summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems[:5])
    return summary, problems
