"""A real uvicorn server in a background thread, for tests that need real concurrency."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from uvicorn._types import ASGIApplication

from webcare.app import create_app
from webcare.runtime import Runtime
from webcare.simulator.app import create_simulator_app
from webcare.simulator.state import SimState


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(runtime: Runtime) -> Iterator[str]:
    """Serve the app on 127.0.0.1:<free port>; yields the base URL."""
    with live_app(create_app(runtime=runtime)) as url:
        yield url


@contextmanager
def live_simulator(state: SimState | None = None) -> Iterator[tuple[str, SimState]]:
    """The platform simulator on 127.0.0.1:<free port>; yields its base URL and its state."""
    state = state or SimState()
    with live_app(create_simulator_app(state)) as url:
        yield url, state


@contextmanager
def live_app(app: ASGIApplication) -> Iterator[str]:
    """Serve any ASGI app on 127.0.0.1:<free port>; yields the base URL."""
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
