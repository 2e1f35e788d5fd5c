"""Jinja2 environments, one per UI language, and the one function endpoints render with.

Autoescaping is on for every template: message text, names and attachment names come from
strangers and must never become markup. One environment per locale keeps the gettext
callables of ``jinja2.ext.i18n`` bound to one catalogue without per-request globals.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from webcare.web import i18n
from webcare.web.filters import install_filters

NO_STORE = {"Cache-Control": "no-store"}


@lru_cache(maxsize=len(i18n.LOCALES))
def environment(locale: str) -> Environment:
    env = Environment(
        loader=PackageLoader("webcare.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(i18n.translations(locale), newstyle=True)  # type: ignore[attr-defined]
    install_filters(env)
    return env


def translate(locale: str, message: str, **variables: object) -> str:
    """``message`` in ``locale`` outside templates, ``%(name)s`` placeholders filled in."""
    translated = i18n.translations(locale).gettext(message)
    return translated % variables if variables else translated


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    locale: str,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    html = environment(locale).get_template(template).render(request=request, **context)
    return HTMLResponse(html, status_code=status_code, headers={**NO_STORE, **(headers or {})})
