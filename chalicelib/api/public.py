"""Public endpoints: the published programme and this API's OpenAPI document."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from ..services import publication
from .responses import OpenApiDocument, PublishedProgram
from .routing import Call, endpoint

public_api = Blueprint(__name__)


@endpoint(public_api, "/v1/program", "GET", audience=None, response=PublishedProgram)
def program(call: Call) -> dict[str, Any]:
    """The published rules."""
    return publication.published_program(call.rt)


@endpoint(public_api, "/v1/openapi.json", "GET", audience=None, response=OpenApiDocument)
def openapi(call: Call) -> dict[str, Any]:
    """This document."""
    # Here, not at import: the document reads every route, job and model; only this route (and /v1/docs) needs it.
    from .openapi import openapi_document

    return openapi_document()
