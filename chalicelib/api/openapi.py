"""The OpenAPI 3.1 document, built from the registered endpoints: their request, query and response models,
success status, audience and links (routing.endpoint declares them; this module only writes them down)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter

from ..domain.program import KeyScope
from ..jobs.dispatch import JOBS
from ..services.requests import OperationId, PartnerId, RewardId
from .docs_assets import DOCS_ASSETS
from .errors import STATUS_OF_CODE
from .routing import ENDPOINTS, EndpointInfo, Link

OPENAPI_VERSION = "3.1.0"
SCHEMAS = "#/components/schemas/"
# A member and a user not yet linked to a member send the same kind of token (the member user pool's).
SECURITY = {"partner": "partnerKey", "member": "memberToken", "user": "memberToken", "operator": "operatorKey"}
# Codes no domain error carries: the last line of defence in routing answers it.
EXTRA_ERROR_CODES = {"internal_error": 500}

# Path parameters by name: what the API accepts there (a value outside is a 4xx).
PATH_PARAMETERS: dict[str, dict[str, Any]] = {
    **{
        name: TypeAdapter(OperationId).json_schema()
        for name in ("transaction_id", "hold_id", "redemption_id", "campaign_id")
    },
    "partner_id": TypeAdapter(PartnerId).json_schema(),
    "reward_id": TypeAdapter(RewardId).json_schema(),
    "member_id": {"type": "string", "description": "m_ and 20 hex digits"},
    "key_id": {"type": "string"},
    "period": {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}(-[0-9]{2})?$", "description": "YYYY-MM-DD or YYYY-MM"},
    "date": {"type": "string", "format": "date"},
    "job": {"type": "string", "enum": sorted(JOBS)},
    "asset": {"type": "string", "enum": sorted(DOCS_ASSETS)},
}
# A path parameter that one operation reads otherwise than its name says elsewhere: (operationId, name) -> schema.
OPERATION_PATH_PARAMETERS: dict[tuple[str, str], dict[str, Any]] = {
    ("job_progress", "job"): {
        "type": "string",
        "pattern": r"^grant-[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$",
        "description": "a job id, as POST /v1/admin/grants answered it",
    },
}

# Choices a request model's validator enforces but its types cannot say ("give exactly one of …"): written into
# the model's schema so that what a schema-driven tool generates can be valid. Model -> (keyword, fields).
FIELD_CHOICES: dict[str, tuple[Literal["oneOf", "anyOf"], tuple[str, ...]]] = {
    "MemberRef": ("oneOf", ("member_id", "card_number", "email", "phone", "spend_code")),
    "EnrolRequest": ("anyOf", ("email", "phone", "card_number")),
    "CampaignRequest": ("oneOf", ("multiplier", "points")),
}


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    from .blueprints import blueprints

    blueprints()  # every endpoint declared, whichever routes were imported so far (app.py imports them lazily)
    schemas: dict[str, Any] = {"Error": _error_schema()}
    paths: dict[str, dict[str, Any]] = {}
    for info in ENDPOINTS:
        paths.setdefault(info.path, {})[info.method.lower()] = _operation(info, schemas)
    for name, (keyword, fields) in FIELD_CHOICES.items():
        if name in schemas:
            schemas[name] = _with_choice(schemas[name], keyword, fields)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Coalition loyalty API",
            "version": "1",
            "description": "One point currency across partner brands. Errors: "
            + ", ".join(f"{code} ({status})" for code, status in sorted(_error_codes().items())),
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "responses": _error_responses(),
            "securitySchemes": {
                "partnerKey": {"type": "http", "scheme": "bearer", "description": "ck_<key_id>_<secret>"},
                "memberToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "an id or access token of the member user pool (Cognito) for the member app",
                },
                "operatorKey": {"type": "http", "scheme": "bearer"},
            },
        },
    }


def _operation(info: EndpointInfo, schemas: dict[str, Any]) -> dict[str, Any]:
    summary, _, description = info.summary.partition("\n")
    operation: dict[str, Any] = {
        "operationId": info.operation_id,
        "summary": summary.strip(),
        "tags": list(info.audiences) or ["public"],
        "parameters": _path_parameters(info) + _query_parameters(info.query),
        "responses": {
            str(info.status): _success(info, schemas),
            "4XX": {"$ref": "#/components/responses/Refused"},
            "5XX": {"$ref": "#/components/responses/Failed"},
        },
        "security": [{scheme: []} for scheme in dict.fromkeys(SECURITY[audience] for audience in info.audiences)],
    }
    if description.strip():
        operation["description"] = " ".join(description.split())
    if "partner" in info.audiences:
        # Bearer schemes carry no scopes in OpenAPI's security requirement: the key scopes are an extension.
        scopes = [scope.value for scope in dict.fromkeys((*info.scopes, KeyScope.ADMIN))]
        operation["x-key-scopes"] = scopes
        note = f"Partner keys: {', '.join(scopes)} (another key's scope: 403 forbidden)."
        operation["description"] = f"{operation.get('description', '')} {note}".strip()
    if info.body is not None:
        operation["requestBody"] = _request_body(info.body, schemas)
    return operation


def _path_parameters(info: EndpointInfo) -> list[dict[str, Any]]:
    def schema(name: str) -> dict[str, Any]:
        own = OPERATION_PATH_PARAMETERS.get((info.operation_id, name))
        return own if own is not None else PATH_PARAMETERS.get(name, {"type": "string"})

    return [
        {"name": name, "in": "path", "required": True, "schema": schema(name)}
        for name in re.findall(r"{(\w+)}", info.path)
    ]


def _query_parameters(model: type[BaseModel] | None) -> list[dict[str, Any]]:
    if model is None:
        return []
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    parameters = []
    definitions = schema.get("$defs", {})
    for name, field_schema in schema["properties"].items():
        value = _not_nullable(_inlined(field_schema, definitions))
        parameter = {"name": name, "in": "query", "required": name in required, "schema": value}
        if "description" in value:
            parameter["description"] = value.pop("description")
        parameters.append(parameter)
    return parameters


def _inlined(schema: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    """A parameter's schema with its model's local definitions (an enum's) written in place: a parameter cannot
    reach the model's $defs."""
    if "$ref" in schema:
        return {**definitions[schema["$ref"].rsplit("/", 1)[-1]], **{k: v for k, v in schema.items() if k != "$ref"}}
    if "anyOf" in schema:
        return {**schema, "anyOf": [_inlined(branch, definitions) for branch in schema["anyOf"]]}
    return schema


def _not_nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional query parameter is absent, never null: keep the non-null branch, drop titles and null
    defaults."""
    branches = [b for b in schema.get("anyOf", [schema]) if b.get("type") != "null"]
    value = {**schema, **branches[0]} if len(branches) == 1 else dict(schema)
    value.pop("anyOf", None)
    value.pop("title", None)
    if value.get("default", 0) is None:
        del value["default"]
    return value


def _with_choice(schema: dict[str, Any], keyword: str, fields: tuple[str, ...]) -> dict[str, Any]:
    """`oneOf`/`anyOf` of the fields being present; a field that is given is never null (the validators
    count null as not given)."""
    properties = {**schema["properties"], **{f: _not_nullable(schema["properties"][f]) for f in fields}}
    return {**schema, "properties": properties, keyword: [{"required": [f]} for f in fields]}


def _request_body(model: type[BaseModel], schemas: dict[str, Any]) -> dict[str, Any]:
    schema = _component(model, schemas, "validation")
    return {
        "required": bool(schemas[model.__name__].get("required")),  # all-optional bodies may be left out
        "content": {"application/json": {"schema": schema}},
    }


def _success(info: EndpointInfo, schemas: dict[str, Any]) -> dict[str, Any]:
    if info.status == 204:
        return {"description": "done (no body)"}
    if info.media_types:  # a page or a file: text, not a JSON body
        return {"description": "success", "content": {t: {"schema": {"type": "string"}} for t in info.media_types}}
    content: dict[str, Any] = {"application/json": {"schema": {}}}
    if info.response is not None:
        content["application/json"]["schema"] = _component(info.response, schemas, "serialization")
    if info.csv:
        content["text/csv"] = {"schema": {"type": "string", "description": "a table with a header row (?format=csv)"}}
    if info.html:
        content["text/html"] = {"schema": {"type": "string", "description": "a self-contained page (?format=html)"}}
    response: dict[str, Any] = {"description": "success", "content": content}
    if info.idempotent:
        response["headers"] = {
            "Idempotent-Replay": {
                "description": "present on a replay of the same operation id: the first answer, unchanged",
                "schema": {"type": "string", "enum": ["true"]},
            }
        }
    operations = {e.operation_id for e in ENDPOINTS}
    links = {link.target: _link(link) for link in info.links if link.target in operations}  # a stage may lack one
    if links:
        response["links"] = links
    return response


def _link(link: Link) -> dict[str, Any]:
    """`path.x` / `query.x` become link parameters; `body.a.b` a nested request body (merged into the
    generated one by schema-driven tools)."""
    definition: dict[str, Any] = {"operationId": link.target}
    for target, field in link.values.items():
        expression = f"$response.body#/{field}"
        location, _, name = target.partition(".")
        if location == "body":
            body = definition.setdefault("requestBody", {})
            *parents, leaf = name.split(".")
            for parent in parents:
                body = body.setdefault(parent, {})
            body[leaf] = expression
        else:
            definition.setdefault("parameters", {})[target] = expression
    return definition


def _component(
    model: type[BaseModel], schemas: dict[str, Any], mode: Literal["validation", "serialization"]
) -> dict[str, str]:
    """Put the model (and the models it nests) in components/schemas; refuse two different schemas under
    one name, which would silently describe one of them wrongly."""
    schema = model.model_json_schema(ref_template=SCHEMAS + "{model}", mode=mode)
    for name, definition in {**schema.pop("$defs", {}), model.__name__: schema}.items():
        if schemas.setdefault(name, definition) != definition:
            raise ValueError(f"two different schemas are named {name}")
    return {"$ref": SCHEMAS + model.__name__}


def _error_codes() -> dict[str, int]:
    return {**STATUS_OF_CODE, **EXTRA_ERROR_CODES}


def _error_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "enum": sorted(_error_codes())},
                    "message": {"type": "string"},
                    "field": {"type": "string", "description": "the request field at fault"},
                },
                "additionalProperties": True,  # details, e.g. member_exists carries the existing member_id
            }
        },
    }


def _error_responses() -> dict[str, Any]:
    content = {"application/json": {"schema": {"$ref": SCHEMAS + "Error"}}}
    return {
        "Refused": {"description": "refused: nothing was written", "content": content},
        "Failed": {
            "description": "503 retry_later: a transient failure, safe to retry with the same id; "
            "500 internal_error: logged, no detail given",
            "headers": {"Retry-After": {"description": "on 503: seconds to wait", "schema": {"type": "integer"}}},
            "content": content,
        },
    }
