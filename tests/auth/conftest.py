"""Fixtures for auth tests: a cheap Argon2 hasher and an app serving only the auth routes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from webcare import routers
from webcare.app import create_app
from webcare.auth import endpoints
from webcare.runtime import Runtime


@pytest.fixture
def client(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The real app with only this domain's routes, so these tests do not depend on the
    application's router list."""
    monkeypatch.setattr(routers, "ROUTERS", [endpoints.router])
    with TestClient(create_app(runtime=runtime)) as test_client:
        yield test_client
