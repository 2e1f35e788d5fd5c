"""Every router the app serves, in one list (the map of the HTTP surface)."""

from __future__ import annotations

from fastapi import APIRouter

from webcare.auth.endpoints import router as auth_router
from webcare.channel.endpoints import platforms_router as channel_platforms_router
from webcare.channel.endpoints import router as channel_router
from webcare.channel.webhook_endpoints import router as webhook_router
from webcare.contact.endpoints import router as contact_router
from webcare.conversation.endpoints import router as conversation_router
from webcare.web.admin_pages import router as admin_pages_router
from webcare.web.inbox_actions import router as inbox_actions_router
from webcare.web.inbox_pages import router as inbox_pages_router
from webcare.web.live_endpoints import router as live_router
from webcare.web.settings_pages import router as settings_router
from webcare.worker.endpoints import router as jobs_router

ROUTERS: list[APIRouter] = [
    auth_router,
    conversation_router,
    contact_router,
    channel_router,
    channel_platforms_router,
    jobs_router,
    webhook_router,
    inbox_pages_router,
    inbox_actions_router,
    live_router,
    settings_router,
    admin_pages_router,
]
