"""``GET /live``: the Server-Sent Events stream of one browser tab (see :mod:`.live`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from webcare.web.context import UiDep
from webcare.web.live import LiveHub, stream

router = APIRouter(include_in_schema=False)


@router.get("/live")
async def live(request: Request, ui: UiDep) -> StreamingResponse:
    hub: LiveHub = request.app.state.live_hub
    subscriber = hub.open(ui.workspace.id, ui.user_id)
    return StreamingResponse(
        stream(hub, subscriber, request.is_disconnected),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
