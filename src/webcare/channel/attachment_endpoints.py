"""Serves kept attachments (``channel.attachments``) to members of their workspace.

A file from a stranger is never rendered by the browser as a page: everything except common
raster images is sent as a download, with ``nosniff`` and a sandboxing CSP on top.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Response

from webcare.auth.dependencies import PrincipalDep
from webcare.auth.principal import Scope
from webcare.channel import attachments
from webcare.dependencies import DbSession
from webcare.kit.errors import NotFound

router = APIRouter(tags=["channels"])

#: Shown inline; SVG is not here because it can carry script.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


@router.get("/attachments/{token}")
def download(token: str, db: DbSession, principal: PrincipalDep) -> Response:
    principal.require(Scope.CONVERSATIONS_READ)
    stored = attachments.get(db, principal.workspace_id, token)
    if stored is None:
        raise NotFound("attachment not found")
    inline = stored.mime_type in INLINE_TYPES
    disposition = "inline" if inline else "attachment"
    filename = quote(stored.name, safe="")
    return Response(
        content=stored.content,
        media_type=stored.mime_type if inline else "application/octet-stream",
        headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{filename}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "Cache-Control": "private, max-age=3600",
        },
    )
