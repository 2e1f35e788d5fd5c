"""'Test connection' for an e-mail channel: log in to IMAP and open the mailbox, then greet
and log in to SMTP. Nothing is read, flagged or sent; errors come from the ports' tree."""

from __future__ import annotations

from webcare.channel.ports import ChannelContext
from webcare.connectors.email import imap, smtp


class EmailChecker:
    """``ports.ConnectionChecker`` for e-mail. The HTTP client the registry passes is unused."""

    def __init__(self, client: object = None) -> None:
        del client

    def check(self, channel: ChannelContext) -> str:
        with imap.connect(channel) as connection:
            imap.select(connection, channel)
        with smtp.connect(channel):
            pass
        user = channel.credentials.get("username") or smtp.from_address(channel)
        return f"Connected as {user}"
