"""Dates, durations and numbers as the agent reads them: in their language and time zone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_timedelta
from babel.numbers import format_decimal

from webcare.kit.time import utc_now


@dataclass(frozen=True)
class Formatter:
    locale: str
    tz: ZoneInfo

    def datetime(self, value: dt.datetime | None, format: str = "medium") -> str:
        if value is None:
            return ""
        return format_datetime(value, format=format, tzinfo=self.tz, locale=self.locale)

    def short(self, value: dt.datetime | None) -> str:
        """Time only for today, else day and time: what a queue needs at a glance."""
        if value is None:
            return ""
        local = value.astimezone(self.tz)
        today = utc_now().astimezone(self.tz).date()
        pattern = "HH:mm" if local.date() == today else "d MMM HH:mm"
        return format_datetime(value, pattern, tzinfo=self.tz, locale=self.locale)

    def ago(self, value: dt.datetime | None) -> str:
        """'3 hours', '2 days': how long ago, for waiting times."""
        if value is None:
            return ""
        return format_timedelta(
            utc_now() - value, threshold=1.5, format="narrow", locale=self.locale
        )

    def number(self, value: int | None) -> str:
        return "" if value is None else format_decimal(value, locale=self.locale)
