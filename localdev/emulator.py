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
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
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


@contextmanager
def direct_calls() -> Iterator[None]:
    """Within the block, this process's AWS calls go straight to the embedded AWS's backends, without HTTP.

    The server runs in this process and keeps its state in moto's backends; moto's in-process mock dispatches to
    those same backends. Over HTTP every call opens a connection to the server and waits for its thread; here a
    call costs about a quarter of that, which is what lets `make run` book two months of history in seconds.
    Only for a block that runs alone (the seed, before the API starts): the server's one-call-at-a-time lock
    does not see these calls. Clients built inside the block (AWS_ENDPOINT_URL unset there) keep AWS's default
    endpoints: they belong to the block, not to what comes after it.
    """
    from moto import mock_aws

    endpoint = os.environ.pop("AWS_ENDPOINT_URL", None)
    mock = mock_aws()
    mock.start(reset=False)  # keep the server's tables, pool and bucket
    try:
        with _item_level_transaction_rollback(), _unsorted_candidates():
            yield
    finally:
        mock.stop(remove_data=False)
        if endpoint is not None:
            os.environ["AWS_ENDPOINT_URL"] = endpoint


@contextmanager
def _unsorted_candidates() -> Iterator[None]:
    """moto (5.2) answers every Query by sorting all of the table's items (comparing DynamoDB-typed keys) before it
    picks the matching ones, which it sorts again by their own keys: the first sort decides nothing a Query returns
    and costs most of a Query on a table of a few thousand items. Within the block it is skipped (no Scan runs
    there, whose pages would follow the table's order)."""
    from moto.dynamodb.models.table import Table

    original = Table.all_items

    def all_items(table: Any) -> list[Any]:
        if table.range_key_attr:
            return [item for hash_set in table.items.values() for item in hash_set.values()]
        return list(table.items.values())

    Table.all_items = all_items  # type: ignore[method-assign]
    try:
        yield
    finally:
        Table.all_items = original  # type: ignore[method-assign]


@contextmanager
def _item_level_transaction_rollback() -> Iterator[None]:
    """moto (5.2) backs up every table a TransactWriteItems touches, deep-copied once per item of the transaction,
    to restore them if one item fails: with a few thousand ledger entries that is most of a seed's time, and it
    grows with every booking. Here a transaction backs up only the items it names and puts them back if it
    fails: the same state after a failure (a transaction changes nothing else), at the cost of its own items."""
    import copy
    import types

    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    def deepcopy(value: Any, memo: Any = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    original = models.DynamoDBBackend.transact_write_items

    def transact_write_items(backend: Any, transact_items: list[dict[str, Any]]) -> None:
        saved = []
        for item in transact_items:
            _, op = next(iter(item.items()))
            table = backend.tables.get(op.get("TableName"))
            if table is None:
                continue
            key = op.get("Key") or {
                name: op["Item"][name] for name in (table.hash_key_attr, table.range_key_attr) if name is not None
            }
            current = backend.get_item(op["TableName"], key)
            saved.append((op["TableName"], key, None if current is None else current.to_json()["Attributes"]))
        try:
            original(backend, transact_items)
        except Exception:
            for table_name, key, attributes in reversed(saved):
                if attributes is None:
                    backend.delete_item(table_name, key)
                else:
                    backend.put_item(table_name, attributes)
            raise

    models.copy = types.SimpleNamespace(deepcopy=deepcopy)  # type: ignore[attr-defined]
    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    try:
        yield
    finally:
        models.copy = copy  # type: ignore[attr-defined]
        models.DynamoDBBackend.transact_write_items = original  # type: ignore[method-assign]
