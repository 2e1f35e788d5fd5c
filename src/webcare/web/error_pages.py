"""Errors on UI routes: a readable message in the agent's language, never JSON or a trace.

A full-page request gets an error page (or the login page when the session is gone); an htmx
request gets a toast fragment swapped into ``#toasts`` with the same 4xx status, so the page
the agent is working in, and their draft, stay as they are.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from webcare.kit.errors import WebcareError
from webcare.web import i18n
from webcare.web.templating import render, translate

UI_PREFIXES = ("/inbox", "/admin", "/settings", "/live", "/notifications", "/listen")


def is_ui_request(request: Request) -> bool:
    path = request.url.path
    return any(path == p or path.startswith(p + "/") for p in UI_PREFIXES)


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def login_redirect(request: Request) -> Response:
    target = "/login?next=" + quote(request.url.path, safe="/")
    if is_htmx(request):
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def error_response(request: Request, exc: WebcareError) -> Response:
    if exc.code == "login_required":
        return login_redirect(request)
    locale = _locale_of(request)
    # Fixed messages are in the catalogue; messages with values in them stay in English.
    detail = translate(locale, exc.detail)
    context = {"status": exc.status_code, "detail": detail, "code": exc.code}
    if is_htmx(request):
        return render(
            request,
            "_toast.html",
            {"kind": "error", "message": detail},
            locale=locale,
            status_code=exc.status_code,
            headers={"HX-Retarget": "#toasts", "HX-Reswap": "beforeend"},
        )
    return render(request, "error.html", context, locale=locale, status_code=exc.status_code)


def unexpected_response(request: Request) -> Response:
    """A bug: say so plainly (it is logged), without any detail of the failure."""
    message = "Something went wrong on our side. It has been logged; please try again."
    if is_htmx(request):
        return render(
            request,
            "_toast.html",
            {"kind": "error", "message": message},
            locale=_locale_of(request),
            status_code=500,
            headers={"HX-Retarget": "#toasts", "HX-Reswap": "beforeend"},
        )
    return HTMLResponse(f"<!doctype html><title>webcare</title><p>{message}</p>", status_code=500)


def _locale_of(request: Request) -> str:
    ui = getattr(request.state, "ui_locale", None)
    return i18n.normalise_locale(ui if isinstance(ui, str) else None)
