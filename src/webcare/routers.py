"""Every router the app serves, in one list (the map of the HTTP surface)."""

from __future__ import annotations

from fastapi import APIRouter

from webcare.auth.endpoints import router as auth_router
from webcare.channel.action_endpoints import router as message_actions_router
from webcare.channel.attachment_endpoints import router as attachments_router
from webcare.channel.endpoints import platforms_router as channel_platforms_router
from webcare.channel.endpoints import router as channel_router
from webcare.channel.webchat.endpoints import demo_router as widget_demo_router
from webcare.channel.webchat.endpoints import router as widget_router
from webcare.channel.webhook_endpoints import router as webhook_router
from webcare.channel.whatsapp_endpoints import router as whatsapp_router
from webcare.contact.endpoints import router as contact_router
from webcare.conversation.endpoints import router as conversation_router
from webcare.listening.endpoints import router as listening_router
from webcare.triage.endpoints import router as triage_router
from webcare.web.admin_pages import router as admin_pages_router
from webcare.web.inbox_actions import router as inbox_actions_router
from webcare.web.inbox_pages import router as inbox_pages_router
from webcare.web.listen_pages import router as listen_pages_router
from webcare.web.live_endpoints import router as live_router
from webcare.web.message_actions import router as message_pages_router
from webcare.web.settings_pages import router as settings_router
from webcare.worker.endpoints import router as jobs_router

ROUTERS: list[APIRouter] = [
    auth_router,
    conversation_router,
    contact_router,
    channel_router,
    channel_platforms_router,
    attachments_router,
    message_actions_router,
    jobs_router,
    triage_router,
    listening_router,
    whatsapp_router,
    webhook_router,
    widget_router,
    widget_demo_router,
    inbox_pages_router,
    inbox_actions_router,
    message_pages_router,
    live_router,
    settings_router,
    admin_pages_router,
    listen_pages_router,
]
