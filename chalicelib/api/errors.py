"""Domain exceptions -> HTTP errors, in this one place. No stack trace ever leaves the API."""

from __future__ import annotations

import json
from typing import Any

from chalice.app import Response
from pydantic import ValidationError

from ..domain.errors import DomainError

STATUS_OF_CODE = {
    "invalid_request": 400,
    "unauthenticated": 401,
    "forbidden": 403,
    "not_found": 404,
    "idempotency_conflict": 409,
    "member_exists": 409,
    "already_exists": 409,
    "insufficient_points": 422,
    "member_inactive": 422,
    "currency_mismatch": 422,
    "hold_not_open": 422,
    "return_exceeds_purchase": 422,
    "reversal_exceeds_redemption": 422,
    "period_closed": 422,
    "rule_violation": 422,
    "throttled": 429,
    "retry_later": 503,
}


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    text = body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))
    return Response(body=text, status_code=status, headers={"Content-Type": "application/json", **(headers or {})})


def error_response(code: str, message: str, field: str | None = None, **details: Any) -> Response:
    error: dict[str, Any] = {"code": code, "message": message}
    if field:
        error["field"] = field
    error.update({k: v for k, v in details.items() if v is not None})
    headers = {"Retry-After": "1"} if code == "retry_later" else None
    return json_response(STATUS_OF_CODE.get(code, 400), {"error": error}, headers)


def from_domain(error: DomainError) -> Response:
    return error_response(error.code, error.message, error.field, **error.details)


def from_validation(error: ValidationError) -> Response:
    first = error.errors(include_url=False)[0]
    if first["type"] == "json_invalid":
        return error_response("invalid_request", "the body is not valid JSON")
    field = _field_path(first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    return error_response("invalid_request", f"{field}: {message}" if field else message, field or None)


def internal_error() -> Response:
    message = "an unexpected error occurred; it has been logged"
    return json_response(500, {"error": {"code": "internal_error", "message": message}})


def _field_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif str(part).startswith(("function-", "model")):  # pydantic's names for whole-model validators
            continue
        else:
            path += f".{part}" if path else str(part)
    return path
