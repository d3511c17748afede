"""The Chalice app class (the request being served is kept per thread), and the HTTP middleware that says
chalice's own error answers in the contract's shape.

Chalice keeps the current request and its Lambda context as plain attributes of the one app object. In Lambda that
is right (a container serves one request at a time), but one app object also serves many threads at once: in
`chalice local` (a threaded HTTP server; chalice makes only `current_request` per thread there) and in tests that
race requests through chalice's test Client. Keeping both per thread means a request never reads another's, and
blueprints, which read them through `current_app`, need no change.

The routes are registered when they are first read (`routes_from`), not when app.py is imported: every Lambda
function imports app.py, and only the API function serves routes. The API function reads them on its first request,
or at its init (app.py's `_prepare`); chalice's test client, `chalice local` and `chalice package` read them first
thing, so to them nothing changes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from chalice.app import Chalice, Request, Response, RouteEntry

from .errors import from_chalice, is_chalice_error


class CoalitionApp(Chalice):
    def __init__(self, app_name: str, **options: Any) -> None:
        self._this_thread = threading.local()  # before Chalice's own __init__, which may read the properties
        self._route_loader: Callable[[], None] | None = None
        self._routes_lock = threading.RLock()  # re-entrant: registering a route reads the routes
        self._routes_loading = False
        super().__init__(app_name, **options)

    def routes_from(self, loader: Callable[[], None]) -> None:
        """`loader` registers the routes (the blueprints); it runs once, when the routes are first read."""
        self._route_loader = loader

    @property
    def routes(self) -> dict[str, dict[str, RouteEntry]]:
        self.load_routes()
        return self._routes

    @routes.setter
    def routes(self, routes: dict[str, dict[str, RouteEntry]]) -> None:
        self._routes = routes

    def load_routes(self) -> None:
        """Register the routes now if they are not yet (reading `routes` does it)."""
        if self._route_loader is not None:
            with self._routes_lock:  # another thread waits for every route, not a part of them
                loader = self._route_loader
                if loader is not None and not self._routes_loading:  # loading: the loader's own registrations
                    self._routes_loading = True
                    try:
                        loader()
                        self._route_loader = None
                    finally:
                        self._routes_loading = False

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
