"""Holding real answers to the served OpenAPI document: status, content type and body schema."""

from __future__ import annotations

import json
import re
from typing import Any

from openapi_schema_validator import OAS31Validator, oas31_format_checker

from .api import Reply


class Contract:
    """The document as a test reads it; remembers which operations it has seen answer."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.seen: set[str] = set()

    @property
    def operation_ids(self) -> set[str]:
        return {op["operationId"] for methods in self.document["paths"].values() for op in methods.values()}

    def operation(self, method: str, path: str) -> dict[str, Any]:
        """The operation a concrete path (query string and all) is routed to."""
        bare = path.split("?", 1)[0]
        for template, methods in self.document["paths"].items():
            pattern = "^" + re.sub(r"{\w+}", "[^/]+", template) + "$"
            if re.match(pattern, bare) and method.lower() in methods:
                return methods[method.lower()]
        raise AssertionError(f"{method} {bare} is not in the document")

    def check(self, method: str, path: str, reply: Reply) -> Reply:
        """The reply is the operation's documented success, in a documented content type and schema."""
        operation = self.operation(method, path)
        self.seen.add(operation["operationId"])
        successes = [code for code in operation["responses"] if code.startswith("2")]
        assert [str(reply.status)] == successes, (method, path, reply.status, reply.body[:300])
        documented = operation["responses"][str(reply.status)]
        if "content" not in documented:
            assert reply.body in (b"", None), (method, path)
            return reply
        content_type = _header(reply, "content-type").split(";")[0].strip()
        assert content_type in documented["content"], (method, path, content_type)
        if content_type == "application/json":
            self.validate(documented["content"][content_type]["schema"], json.loads(reply.body))
        return reply

    def validate(self, schema: dict[str, Any], instance: Any) -> None:
        validator = OAS31Validator(
            {**schema, "components": self.document["components"]}, format_checker=oas31_format_checker
        )
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
        assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


def _header(reply: Reply, name: str) -> str:
    return {k.lower(): v for k, v in reply.headers.items()}.get(name, "")
