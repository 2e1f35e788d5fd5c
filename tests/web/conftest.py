"""UI fixtures: browsers-without-a-browser (TestClients with a logged-in cast member)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.web.ui import log_in
from webcare.app import create_app
from webcare.auth.models import User
from webcare.demo.cast import Cast
from webcare.runtime import Runtime

Agent = tuple[TestClient, str]
OpenAs = Callable[..., Agent]


@pytest.fixture
def agent(runtime: Runtime, cast: Cast) -> Iterator[Callable[[str], Agent]]:
    """``agent("anna")`` -> (a client with Anna's session cookie, her CSRF token).

    The cast speaks Dutch by default; these tests read the English UI unless they ask for
    ``locale="nl"`` (the Dutch UI has its own tests).
    """
    with ExitStack() as stack:

        def open_as(username: str, locale: str = "en") -> Agent:
            with runtime.engine.begin() as conn:
                conn.execute(sa.update(User).where(User.username == username).values(locale=locale))
            client = stack.enter_context(TestClient(create_app(runtime=runtime)))
            return client, log_in(client, username)

        yield open_as
