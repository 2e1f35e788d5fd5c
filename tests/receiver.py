"""A real local HTTP server that plays the customer's system behind the generic API channel."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Receiver:
    """Records every request; answers with the queued responses, then 200 with an id."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    responses: list[tuple[int, dict[str, Any], dict[str, str]]] = field(default_factory=list)

    def respond(
        self, status: int, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> None:
        self.responses.append((status, body or {}, headers or {}))


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            receiver.requests.append({"headers": dict(self.headers), "body": body})
            if receiver.responses:
                status, payload, headers = receiver.responses.pop(0)
            else:
                status, payload, headers = 200, {"id": f"ext-{len(receiver.requests)}"}, {}
            data = json.dumps(payload).encode()
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/replies"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
