"""The OpenAPI 3 document, built from the registered endpoints and their request models."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from .errors import STATUS_OF_CODE
from .routing import ENDPOINTS

SECURITY = {"partner": "partnerKey", "member": "memberToken", "operator": "operatorKey"}


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {"Error": _error_schema()}
    for info in ENDPOINTS:
        operation: dict[str, Any] = {
            "summary": info.summary.splitlines()[0],
            "parameters": [
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                for name in re.findall(r"{(\w+)}", info.path)
            ],
            "responses": {
                str(info.status): {"description": "success"},
                "4XX": {"description": "refused", "content": _json({"$ref": "#/components/schemas/Error"})},
                "503": {"description": "retry_later", "content": _json({"$ref": "#/components/schemas/Error"})},
            },
        }
        if info.audience is not None:
            operation["security"] = [{SECURITY[info.audience]: []}]
        if info.body is not None:
            schema = info.body.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(schema.pop("$defs", {}))
            schemas[info.body.__name__] = schema
            operation["requestBody"] = {
                "required": True,
                "content": _json({"$ref": f"#/components/schemas/{info.body.__name__}"}),
            }
        paths.setdefault(info.path, {})[info.method.lower()] = operation
    return {
        "openapi": "3.0.3",
        "info": {"title": "Coalition loyalty API", "version": "1"},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "partnerKey": {"type": "http", "scheme": "bearer", "description": "ck_<key_id>_<secret>"},
                "memberToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "operatorKey": {"type": "http", "scheme": "bearer"},
            },
        },
    }


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _error_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "enum": sorted(STATUS_OF_CODE)},
                    "message": {"type": "string"},
                    "field": {"type": "string"},
                },
            }
        },
    }
