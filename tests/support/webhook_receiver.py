"""A partner's webhook receiver on 127.0.0.1 (a random port): checks each delivery's signature as a partner would,
keeps what it got, and can be told to fail the next N deliveries, or all of them."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from chalicelib.domain.webhooks import signature_matches


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signed: bool  # the signature matched the body under the receiver's secret
    answered: int

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    secret: str
    url: str = ""
    fail_next: int = 0
    always_fail: bool = False
    status_on_failure: int = 503
    received: list[Received] = field(default_factory=list)

    @property
    def delivered(self) -> list[Received]:
        return [r for r in self.received if r.answered == 200]

    def events(self) -> list[dict[str, Any]]:
        return [r.event for r in self.delivered]


@contextmanager
def serving(secret: str) -> Iterator[Receiver]:
    receiver = Receiver(secret)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            signed = signature_matches(receiver.secret, body, self.headers.get("X-Coalition-Signature"))
            failing = receiver.always_fail or receiver.fail_next > 0
            receiver.fail_next = max(0, receiver.fail_next - 1)
            status = receiver.status_on_failure if failing else 200 if signed else 401
            receiver.received.append(Received(self.path, dict(self.headers.items()), body, signed, status))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
