"""Where each polled channel account stands: its connector's cursor and the last poll's outcome.

A table of its own rather than columns on ``channel_accounts``: only polled platforms have a
row, and the row is written on every poll, so the account row (read by every request that
shows a channel) stays small and unchanged by background work.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webcare.kit.db import Base, JSONType, UTCDateTime


class ChannelPollState(Base):
    """One per polled channel account; created by its first poll.

    ``cursor`` is the connector's own JSON (``since_id``, per-location times, an IMAP UID ...)
    and changes only in the transaction that stores what the poll found.
    """

    __tablename__ = "channel_poll_states"

    channel_account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("channel_accounts.id", ondelete="CASCADE"), primary_key=True
    )
    cursor: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    #: When the last poll ended, successfully or not (the next is due an interval later).
    polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Why the last poll failed; None after a successful one.
    poll_error: Mapped[str | None] = mapped_column(sa.Text)
