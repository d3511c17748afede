"""The Chalice app class (the request being served is kept per thread), and the HTTP middleware that says
chalice's own error answers in the contract's shape.

Chalice keeps the current request and its Lambda context as plain attributes of the one app object. In Lambda that
is right (a container serves one request at a time), but one app object also serves many threads at once: in
`chalice local` (a threaded HTTP server; chalice makes only `current_request` per thread there) and in tests that
race requests through chalice's test Client. Keeping both per thread means a request never reads another's, and
blueprints, which read them through `current_app`, need no change.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from chalice.app import Chalice, Request, Response

from .errors import from_chalice, is_chalice_error


class CoalitionApp(Chalice):
    def __init__(self, app_name: str, **options: Any) -> None:
        self._this_thread = threading.local()  # before Chalice's own __init__, which may read the properties
        super().__init__(app_name, **options)

    @property
    def current_request(self) -> Request | None:
        return getattr(self._this_thread, "current_request", None)

    @current_request.setter
    def current_request(self, request: Request | None) -> None:
        self._this_thread.current_request = request

    @property
    def lambda_context(self) -> Any:
        return getattr(self._this_thread, "lambda_context", None)

    @lambda_context.setter
    def lambda_context(self, context: Any) -> None:
        self._this_thread.lambda_context = context


def contract_shaped_errors(request: Request, get_response: Callable[[Request], Response]) -> Response:
    """Chalice refuses some requests before any view runs (a method the path lacks -> 405, a Content-Type the
    route does not accept -> 415) in its own shape; answer those like every other error."""
    response = get_response(request)
    return from_chalice(response, request) if is_chalice_error(response) else response
