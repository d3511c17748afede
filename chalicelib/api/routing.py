"""One way to declare an endpoint: who may call it, how its body parses, and how errors answer.

Chalice turns an exception inside a view into a bare 500, so each view is wrapped here: domain errors
become the contract's 4xx/503 (api/errors.py), anything unexpected is logged and answered 500 with no trace.
"""

from __future__ import annotations

import functools
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import unquote

from chalice.app import Blueprint, Request, Response
from pydantic import BaseModel, ValidationError

from ..bootstrap import Container
from ..domain.errors import (
    ConcurrencyConflict,
    DomainError,
    Forbidden,
    InvalidRequest,
    NotEnrolled,
    RetryLater,
    TransientFailure,
)
from ..domain.program import OPERATOR, KeyScope
from ..observability import logger
from ..services.audit import record_action
from ..services.auth import Principal
from ..services.operations import Reply
from ..services.runtime import Runtime
from .errors import from_domain, from_validation, internal_error, json_response

M = TypeVar("M", bound=BaseModel)

WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")  # fullmatch only


@dataclass
class Call:
    container: Container
    request: Request
    principal: Principal | None

    @property
    def rt(self) -> Runtime:
        return self.container.runtime

    @property
    def partner_id(self) -> str:
        assert self.principal is not None and self.principal.partner_id is not None
        return self.principal.partner_id

    @property
    def member_id(self) -> str:
        assert self.principal is not None and self.principal.member_id is not None
        return self.principal.member_id

    @property
    def party_id(self) -> str:
        """Who offers or honours something: the calling partner, or the operator."""
        assert self.principal is not None
        return OPERATOR if self.principal.kind == "operator" else self.partner_id

    def body(self, model: type[M]) -> M:
        raw = self.request.raw_body or b"{}"
        return model.model_validate_json(raw)

    def query(self, name: str) -> str | None:
        params = self.request.query_params
        return None if params is None else params.get(name)

    def limit(self, default: int = 25) -> int:
        limit = self.whole_number("limit", default)
        if not 1 <= limit <= 100:
            raise InvalidRequest("limit must be a whole number from 1 to 100", field="limit")
        return limit

    def whole_number(self, name: str, default: int) -> int:
        """A query parameter of ASCII digits only: str.isdigit() also accepts "²" and "١", which int() refuses,
        and a few thousand digits make int() itself fail."""
        raw = self.query(name)
        if raw is None:
            return default
        if not WHOLE_NUMBER.fullmatch(raw):
            raise InvalidRequest(f"{name} must be a whole number", field=name)
        return int(raw)


@dataclass(frozen=True)
class Link:
    """Values of a success response that another operation takes: `values` maps where they go in the target
    ("path.hold_id", "query.cursor", "body.member.member_id") to the response field that holds them ("hold_id";
    a JSON pointer below the body for a nested one: "scope/segment")."""

    target: str  # the target's operationId: its view's name
    values: dict[str, str]


@dataclass(frozen=True)
class EndpointInfo:
    """What the OpenAPI document says of an endpoint."""

    path: str
    method: str
    audience: str | tuple[str, ...] | None  # several: any of them may call it

    @property
    def audiences(self) -> tuple[str, ...]:
        return () if self.audience is None else (self.audience,) if isinstance(self.audience, str) else self.audience

    status: int
    summary: str
    operation_id: str
    body: type[BaseModel] | None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    links: tuple[Link, ...] = ()
    csv: bool = False  # ?format=csv answers text/csv
    html: bool = False  # ?format=html answers text/html
    media_types: tuple[str, ...] = ()  # a success that is not JSON (a page, its assets): these content types only
    idempotent: bool = False  # a stored Reply: replays answer the same, with Idempotent-Replay: true
    scopes: tuple[KeyScope, ...] = (KeyScope.TILL,)  # partner keys that may call it (an admin key may call any)


ENDPOINTS: list[EndpointInfo] = []


def endpoint(
    bp: Blueprint,
    path: str,
    method: str,
    *,
    audience: str | tuple[str, ...] | None,
    status: int = 200,
    response: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    links: tuple[Link, ...] = (),
    csv: bool = False,
    html: bool = False,
    media_types: tuple[str, ...] = (),
    audit_before: Callable[[Call, dict[str, Any]], Any] | None = None,
    scopes: tuple[KeyScope, ...] = (KeyScope.TILL,),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register `view(call, **path_params)`; `audience` is partner | member | user (signed in to the member user pool,
    not linked to a member yet) | operator (or a tuple of them: any may call), or None for public.

    A view with a parameter `body: SomeModel` receives the request body parsed (strictly) into that model;
    a `query` model validates the query string before the view runs (the view still reads `call.query`).
    `status` is the success status (a view returning a Reply answers the status its use case decided: declare
    that one), `response` the model of the success body, `links` where its values feed other operations:
    all three are what the OpenAPI document says, not checked at run time.

    `scopes`: which partner keys may call it. A partner endpoint is a till's unless it says otherwise (least
    privilege: a finance key reaches only the endpoints that name it); an admin key may call every one.

    Every call by the operator that changes something (not a GET) is audited once it succeeded: who, when, what,
    and `audit_before(call, path_params)`, the state it changes as read just before (services/audit.py).
    """

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        hints = typing.get_type_hints(view)
        body_model = hints.get("body")
        info = EndpointInfo(
            path,
            method,
            audience,
            status,
            (view.__doc__ or view.__name__).strip(),
            view.__name__,
            body_model,
            query,
            response,
            links,
            csv,
            html,
            media_types,
            idempotent=hints.get("return") is Reply,
            scopes=scopes,
        )
        ENDPOINTS.append(info)

        @functools.wraps(view)
        def handler(**raw_params: Any) -> Response:
            # Path parameters as the caller meant them: chalice (and, by its reports, API Gateway) hands them on still
            # percent-encoded, so a client that encodes a partner's "cafe~double" as "cafe%7Edouble" would miss it. No
            # id may contain "%" (their patterns), so decoding cannot turn one id into another.
            params: dict[str, Any] = {name: unquote(value) for name, value in raw_params.items()}
            try:
                container: Container = bp.current_app.container  # type: ignore[attr-defined]
                request = bp.current_request
                _ensure_correlation_id(request, bp)
                principal = None
                if info.audiences:
                    principal = container.authenticate(_authorization_headers(request))
                    if principal.kind == "user" and principal.kind not in info.audiences and "member" in info.audiences:
                        raise NotEnrolled(
                            "your sign-in is not linked to a member yet: enrol (POST /v1/me/enrolment) or claim the "
                            "member you are (POST /v1/me/claims)"
                        )
                    if principal.kind not in info.audiences:
                        allowed = " and ".join(f"{kind}s" for kind in info.audiences)
                        raise Forbidden(f"this endpoint is for {allowed}, not {principal.kind}s")
                    _check_scope(principal, info)
                call = Call(container, request, principal)
                if query is not None:
                    query.model_validate(dict(request.query_params or {}))
                if body_model is not None:
                    params["body"] = call.body(body_model)
                audited = principal is not None and principal.kind == "operator" and method != "GET"
                before = audit_before(call, params) if audited and audit_before is not None else None
                response = _respond(view(call, **params), status)
                replayed = (response.headers or {}).get("Idempotent-Replay") == "true"
                if audited and response.status_code < 400 and not replayed:  # a replay changed nothing
                    _audit(call, method, path, params, before, response)
                return response
            except DomainError as error:
                return from_domain(error)
            except TransientFailure:  # a read outside a retried write (auth, lookups): the caller retries
                logger.warning("transient DynamoDB failure", extra={"path": path, "method": method})
                return from_domain(RetryLater("the service is busy; retry the same request"))
            except ConcurrencyConflict:  # a conditional write lost with no retry around it: safe to repeat
                logger.warning("unretried concurrency conflict", extra={"path": path, "method": method})
                return from_domain(RetryLater("a concurrent request changed the same data; retry"))
            except ValidationError as error:
                return from_validation(error)
            except Exception:  # noqa: BLE001 - the last line of defence: log the cause, answer without it
                logger.exception("unhandled error", extra={"path": path, "method": method})
                return internal_error()

        bp.route(path, methods=[method])(handler)
        return view

    return decorate


def _check_scope(principal: Principal, info: EndpointInfo) -> None:
    if principal.kind != "partner" or principal.scope is None or principal.scope.allows(info.scopes):
        return
    needed = " or ".join(scope.value for scope in (*info.scopes, KeyScope.ADMIN))
    article = "an" if needed[0] in "aeiou" else "a"
    raise Forbidden(
        f"this API key's scope is {principal.scope.value}: {info.method} {info.path} needs {article} {needed} key"
    )


def _audit(call: Call, method: str, path: str, params: dict[str, Any], before: Any, response: Response) -> None:
    assert call.principal is not None
    body = params.get("body")
    path_values = {k: str(v) for k, v in params.items() if k != "body"}
    target = next(iter(path_values.values()), None)  # the first path parameter
    answer = response.body if isinstance(response.body, str) else (response.body or b"").decode(errors="replace")
    try:
        record_action(
            call.rt,
            call.principal.key_id or "operator",
            f"{method} {path.format(**path_values)}",  # as called: every path value (a key id too)
            target,
            None if body is None else body.model_dump(mode="json", exclude_unset=True),  # as sent
            before,
            answer,
            response.status_code,
        )
    except Exception:  # noqa: BLE001 - the action stands (answering 503 would invite a repeat): an alarm's job
        logger.exception("audit record not written", extra={"path": path, "method": method, "target": target})


def _authorization_headers(request: Request) -> list[str]:
    """Every Authorization header sent. API Gateway's proxy event keeps only the last of repeated headers in
    `headers` and all of them in `multiValueHeaders`; chalice local and its test client send `headers` alone
    (chalice local keeps the first of repeated headers: a gap of the local runner only)."""
    repeated = request.to_original_event().get("multiValueHeaders") or {}
    values = [value for name, sent in repeated.items() if name.lower() == "authorization" for value in sent or []]
    if values:
        return values
    single = request.headers.get("authorization")
    return [] if single is None else [single]


def _ensure_correlation_id(request: Request, bp: Blueprint) -> None:
    """API Gateway's request id (set by the logger middleware); chalice local has none, so fall back to
    the caller's X-Correlation-Id or the Lambda request id: every log line of a request carries one."""
    if logger.get_correlation_id():
        return
    context = getattr(bp.current_app, "lambda_context", None)
    logger.set_correlation_id(
        request.headers.get("x-correlation-id") or getattr(context, "aws_request_id", None) or "unknown"
    )


def _respond(result: Any, status: int) -> Response:
    if isinstance(result, Response):
        return result
    if isinstance(result, BaseModel):  # a use case's typed answer
        return json_response(status, result.model_dump(mode="json"))
    if isinstance(result, Reply):
        headers = {"Idempotent-Replay": "true"} if result.replayed else None
        return json_response(result.status, result.body, headers)
    return json_response(status, result)
