"""Fixed-window counters for visitors' posts, shared by every server process.

A row counts the posts of one key (a visitor on a widget, or a whole widget) in one window;
the unique key makes two servers that count at the same moment share the row.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webcare.kit.db import Base, UTCDateTime


class RateWindow(Base):
    __tablename__ = "webchat_rate_windows"

    key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    count: Mapped[int] = mapped_column(sa.Integer, default=0)
