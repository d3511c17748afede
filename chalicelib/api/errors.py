"""Domain exceptions -> HTTP errors, in this one place; and chalice's own errors -> the same shape.
No stack trace ever leaves the API."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from chalice.app import Request, Response

from ..domain.errors import DomainError

if TYPE_CHECKING:
    from pydantic import ValidationError

STATUS_OF_CODE = {
    "invalid_request": 400,
    "unauthenticated": 401,
    "forbidden": 403,
    "not_enrolled": 403,
    "claim_not_proven": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "idempotency_conflict": 409,
    "member_exists": 409,
    "already_exists": 409,
    "already_enrolled": 409,
    "member_already_linked": 409,
    "already_reinstated": 409,
    "already_posted": 409,
    "unsupported_media_type": 415,
    "insufficient_points": 422,
    "member_inactive": 422,
    "currency_mismatch": 422,
    "hold_not_open": 422,
    "return_exceeds_purchase": 422,
    "reversal_exceeds_redemption": 422,
    "period_closed": 422,
    "rule_violation": 422,
    "voucher_not_usable": 422,
    "out_of_stock": 422,
    "claim_not_open": 422,
    "not_an_expiry": 422,
    "nothing_to_reinstate": 422,
    "within_posting_window": 422,
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


def is_chalice_error(response: Response) -> bool:
    """Chalice answers a few requests itself, before any view runs, in its own shape {"Code", "Message"}
    (our views answer with a JSON text body, never a dict)."""
    return isinstance(response.body, dict) and set(response.body) == {"Code", "Message"}


def from_chalice(response: Response, request: Request) -> Response:
    """One of chalice's own error responses, said in the contract's shape (its status kept)."""
    chalice_code = response.body["Code"]
    if chalice_code == "MethodNotAllowedError":
        return _method_not_allowed(request, allowed=str(response.headers.get("Allow", "")))
    if chalice_code == "UnsupportedMediaType":
        content_type = request.headers.get("content-type", "")
        message = f"Content-Type {content_type} is not accepted: send the body as application/json"
        return error_response("unsupported_media_type", message)
    if response.status_code >= 500:
        return internal_error()
    # Another refusal of chalice's (e.g. a binary answer the caller did not Accept): its status, its message.
    error = {"code": "invalid_request", "message": response.body["Message"]}
    return json_response(response.status_code, {"error": error})


def _method_not_allowed(request: Request, allowed: str) -> Response:
    message = f"{request.method} is not a method of {request.path}; it has {allowed}"
    return json_response(405, {"error": {"code": "method_not_allowed", "message": message}}, {"Allow": allowed})


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
