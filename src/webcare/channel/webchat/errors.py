"""Errors visitors can cause on a widget (all 4xx; see kit.errors)."""

from __future__ import annotations

from typing import ClassVar

from webcare.kit.errors import NotFound, WebcareError


class WidgetNotFound(NotFound):
    code = "widget_not_found"


class TooManyMessages(WebcareError):
    """A visitor (or a whole widget) posted too much in the current window: 429."""

    status_code: ClassVar[int] = 429
    code: ClassVar[str] = "rate_limited"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail, extra={"retry_after": retry_after})
        self.retry_after = retry_after


class OriginNotAllowed(WebcareError):
    """A browser on a site the widget is not configured for: 403."""

    status_code: ClassVar[int] = 403
    code: ClassVar[str] = "origin_not_allowed"


class BodyTooLarge(WebcareError):
    status_code: ClassVar[int] = 413
    code: ClassVar[str] = "body_too_large"
