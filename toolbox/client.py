"""The API as the operator calls it: one request at a time over HTTP, errors raised as the contract words them."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

DEFAULT_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def replayed(self) -> bool:
        """The API's Idempotent-Replay header: the call changed nothing (a day already closed)."""
        return {k.lower(): v for k, v in self.headers.items()}.get("idempotent-replay") == "true"


# (method, url, body, headers) -> answer: urllib by default, chalice's test client in tests.
Transport = Callable[[str, str, bytes | None, dict[str, str]], Answer]


class ApiError(Exception):
    """A refusal in the contract's shape ({"error": {code, message, field?}}), or an answer that is not one."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.field = status, code, message, field

    def line(self) -> str:
        where = f" (field {self.field})" if self.field else ""
        return f"{self.status} {self.code}: {self.message}{where}"


class Unreachable(Exception):
    """No answer at all: the URL is wrong or the stage is down."""


def urllib_transport(method: str, url: str, body: bytes | None, headers: dict[str, str]) -> Answer:
    request = urllib.request.Request(url, method=method, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # a close or a job can take a while
            return Answer(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:  # 4xx/5xx: an answer all the same
        return Answer(error.code, dict(error.headers), error.read())
    except (urllib.error.URLError, OSError) as error:
        raise Unreachable(f"cannot reach {url}: {getattr(error, 'reason', error)}") from None


@dataclass
class Api:
    url: str = DEFAULT_URL
    key: str | None = None
    transport: Transport = field(default=urllib_transport, repr=False)

    @classmethod
    def from_env(cls, url: str | None = None, key: str | None = None) -> Api:
        return cls(
            (url or os.environ.get("COALITION_API_URL") or DEFAULT_URL).rstrip("/"),
            key or os.environ.get("COALITION_OPERATOR_KEY"),
        )

    def call(self, method: str, path: str, body: Any = None) -> Answer:
        """The answer of a success (2xx); anything else raises ApiError."""
        headers = {"Accept": "application/json"}
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        answer = self.transport(method, f"{self.url}{path}", payload, headers)
        if answer.status >= 400:
            raise refusal(answer)
        return answer

    def get(self, path: str) -> Any:
        return self.call("GET", path).json

    def text(self, path: str) -> str:
        """A success that is not JSON (a CSV, a page), as text."""
        return self.call("GET", path).body.decode()


def refusal(answer: Answer) -> ApiError:
    try:
        error = json.loads(answer.body)["error"]
        return ApiError(answer.status, error["code"], error["message"], error.get("field"))
    except (ValueError, KeyError, TypeError):  # not the contract's shape: a proxy's page, a gateway's 502
        text = answer.body[:200].decode(errors="replace").strip() or "(no body)"
        return ApiError(answer.status, "http_error", text)
