"""Sending on the web chat: nothing to send, the reply is already in our database.

The send job still goes through a sender so web chat replies follow the same ``pending ->
sent`` path as every platform; marking the message sent publishes ``reply.delivery_changed``,
and that event is what brings the reply to the visitor's widget (:mod:`.live`). The external
id is derived from the idempotency key, so a retried job records the same id.
"""

from __future__ import annotations

import httpx

from webcare.channel.ports import ChannelContext, OutboundReply, SendResult


class WebchatSender:
    def __init__(self, client: httpx.Client | None = None) -> None:
        # Needs no network; the factory signature is the registry's.
        del client

    def send_reply(self, channel: ChannelContext, reply: OutboundReply) -> SendResult:
        return SendResult(external_id=f"webchat-{reply.idempotency_key}", raw={})
