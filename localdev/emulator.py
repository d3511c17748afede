"""The embedded AWS of `make run`: moto's server, applying one request at a time as AWS applies each call atomically.

moto's own `ThreadedMotoServer` lets every connection's thread into moto at once, and moto does not lock: two
conditional writes on one item can both pass their condition (12 parallel 30-point redemptions on 300 points once
gave 11 successes). This server keeps werkzeug's threaded server (connections are accepted and answered in
parallel) and moto's dispatcher and request handler, with one lock around the dispatch. Tests start the same server.
Presigned S3 URLs are checked on the way in, as S3 checks them (localdev/presigned.py).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from localdev.presigned import PresignedUrlCheck

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class QuietRequestHandler(MotoRequestHandler):
    """moto's request handler without werkzeug's line per request (one per emulated AWS call)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class OneRequestAtATime:
    """WSGI middleware: the wrapped application handles one request at a time, body included."""

    def __init__(self, app: WSGIApp) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self._lock:
            chunks = self._app(environ, start_response)
            try:
                # Read the body inside the lock too: a lazily built body would otherwise run unlocked.
                return [b"".join(chunks)]
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()


class SerialisedMotoServer:
    """moto's server on host:port (port 0 picks a free one), serialised; `with` it or start()/stop() it."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host = host
        self._port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the server first"
        return f"http://{self._host}:{self._server.server_port}"

    def start(self) -> SerialisedMotoServer:
        # Presigned URLs (statement links) are checked as S3 checks them, against the credentials the stack signs
        # with: moto serves them expired or forged.
        signing = {os.environ.get("AWS_ACCESS_KEY_ID", "local"): os.environ.get("AWS_SECRET_ACCESS_KEY", "local")}
        app = PresignedUrlCheck(OneRequestAtATime(DomainDispatcherApplication(create_backend_app)), signing)
        # Bound here, in the caller's thread: once start() returns, the port accepts connections.
        self._server = make_server(self._host, self._port, app, threaded=True, request_handler=QuietRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="embedded-aws", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> SerialisedMotoServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
