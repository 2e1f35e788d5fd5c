"""Helpers for UI tests: log a cast member in and find the page's CSRF token."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.ingestion.helpers import payload
from webcare.demo.cast import DEMO_PASSWORD, Cast

_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
HTMX = {"HX-Request": "true"}


def log_in(client: TestClient, username: str) -> str:
    """Log in through the form; returns the CSRF token the pages carry."""
    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.text
    match = _CSRF.search(response.text)
    assert match, "the inbox page carries a CSRF token"
    return match.group(1)


def ingest(api: TestClient, cast: Cast, external_id: str, text: str, **extra: Any) -> int:
    """A customer message through the generic API channel; returns its conversation id."""
    url = f"/api/v1/channel-accounts/{cast.accounts['api'].id}/messages"
    response = api.post(url, json=payload(external_id, text, **extra))
    assert response.status_code in (200, 201), response.text
    return int(response.json()["conversation_id"])


def htmx(csrf: str, target: str | None = None) -> dict[str, str]:
    headers = {**HTMX, "X-CSRF-Token": csrf}
    if target:
        headers["HX-Target"] = target
    return headers
