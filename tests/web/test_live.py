"""Live updates over Server-Sent Events, through a real server: what reaches which browser."""

from __future__ import annotations

import contextlib
import json
import queue
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import token_for
from tests.ingestion.helpers import payload
from tests.live import live_server
from webcare.demo.cast import DEMO_PASSWORD, Cast
from webcare.runtime import Runtime


@pytest.fixture
def base_url(runtime: Runtime, cast: Cast) -> Iterator[str]:
    with live_server(runtime) as url:
        yield url


def _session(base_url: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base_url, timeout=10)
    response = client.post(
        "/login", data={"username": username, "password": DEMO_PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303
    return client


class Listener:
    """Reads one browser's event stream in a thread; events land in a queue."""

    def __init__(self, client: httpx.Client) -> None:
        self.events: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        self.ready = threading.Event()
        self.seen: list[tuple[str, dict[str, Any]]] = []
        self._client = client
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self.ready.wait(10), "the event stream did not open"

    def _run(self) -> None:
        # The test server shuts down under the open stream, as it should.
        with contextlib.suppress(httpx.HTTPError):
            self._read()

    def _read(self) -> None:
        name = "message"
        with self._client.stream("GET", "/live", timeout=httpx.Timeout(10, read=30)) as stream:
            for line in stream.iter_lines():
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    data = json.loads(line[6:])
                    if name == "hello":
                        self.ready.set()
                    else:
                        self.events.put((name, data))
                    if name == "stop-test":
                        return

    def wait_for(self, name: str, timeout: float = 5.0, **match: Any) -> dict[str, Any]:
        """The first event so far (or arriving within ``timeout``) with this name and data."""
        while True:
            for got_name, data in self.seen:
                if got_name == name and all(data.get(k) == v for k, v in match.items()):
                    return data
            self.seen.append(self.events.get(timeout=timeout))

    def names(self) -> list[str]:
        while not self.events.empty():
            self.seen.append(self.events.get_nowait())
        return [name for name, _ in self.seen]


def test_a_message_ingested_through_the_api_reaches_the_open_inbox(
    base_url: str, runtime: Runtime, cast: Cast
) -> None:
    anna = Listener(_session(base_url, "anna"))
    api = httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {token_for(runtime, cast)}"}
    )

    created = api.post(
        f"/api/v1/channel-accounts/{cast.accounts['api'].id}/messages",
        json=payload("live-1", "Storing in Amersfoort"),
    )

    conversation_id = created.json()["conversation_id"]
    event = anna.wait_for("message.received", conversation_id=conversation_id)
    assert event["workspace_id"] == cast.workspace.id
    anna.wait_for("conversation.created", conversation_id=conversation_id)


def test_notifications_go_only_to_their_user_and_workspaces_stay_apart(
    base_url: str, runtime: Runtime, cast: Cast, other_cast: Cast
) -> None:
    lars = Listener(_session(base_url, "lars"))
    sanne = Listener(_session(base_url, "sanne"))
    stranger = Listener(_session(base_url, "lars-spoorweg"))
    api = httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {token_for(runtime, cast)}"}
    )
    conversation_id = api.post(
        f"/api/v1/channel-accounts/{cast.accounts['api'].id}/messages",
        json=payload("live-2", "Mijn nummer is niet overgezet"),
    ).json()["conversation_id"]

    api.post(f"/api/v1/conversations/{conversation_id}/notes", json={"text": "@lars graag"})

    lars.wait_for("notification.created", user_id=cast.users["lars"], reason="mentioned")
    sanne.wait_for("note.added", conversation_id=conversation_id)
    assert "notification.created" not in sanne.names()
    with pytest.raises(queue.Empty):
        stranger.wait_for("message.received", timeout=1.0)


def test_the_stream_needs_a_session(base_url: str) -> None:
    response = httpx.get(f"{base_url}/live", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
