"""chalice's in-process gateway (the one chalice.test.Client and `chalice local` use) as a WSGI callable, so
WSGI-speaking tools (schemathesis) call the app in-process: no server, no thread, moto in the same process."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def chalice_as_wsgi(http: Any) -> WsgiApp:
    """`http` is a chalice.test Client's `.http`. The path goes over raw (percent-encoded, as `chalice local`
    receives it from its HTTP server); headers and body as sent."""

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        headers = {
            name[5:].replace("_", "-").lower(): value for name, value in environ.items() if name.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        reply = http.request(environ["REQUEST_METHOD"], _raw_target(environ), headers=headers, body=body)
        start_response(_status_line(reply.status_code), list(reply.headers.items()))
        return [reply.body or b""]

    return application


def _raw_target(environ: dict[str, Any]) -> str:
    """Path and query as sent on the wire (WSGI strings carry bytes as latin-1)."""
    path = (environ.get("RAW_URI") or environ["PATH_INFO"]).split("?", 1)[0]
    query = environ.get("QUERY_STRING", "")
    return (path + ("?" + query if query else "")).encode("latin-1").decode()


def _status_line(code: int) -> str:
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return f"{code} Unknown"
