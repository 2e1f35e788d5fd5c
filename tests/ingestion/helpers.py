"""Building inbound messages for tests, in the generic API channel's JSON and as dataclasses."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from webcare.kit.time import utc_now


def payload(
    external_id: str,
    text: str = "Mijn internet ligt er al 3 dagen uit #storing",
    *,
    author: str = "klant-1",
    minutes_ago: float = 5,
    **extra: Any,
) -> dict[str, Any]:
    sent: datetime = utc_now() - timedelta(minutes=minutes_ago)
    body: dict[str, Any] = {
        "external_id": external_id,
        "author": {
            "id": author,
            "handle": f"{author}_nl",
            "name": "Sophie Vermeulen",
            "followers": 120,
        },
        "text": text,
        "sent_at": sent.isoformat(),
    }
    body.update(extra)
    return body
