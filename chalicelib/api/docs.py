"""The API reference page (GET /v1/docs): Swagger UI reading this API's own OpenAPI document, every file served by
this API (no CDN: the page works offline and leaks no visitor to another host)."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from ..domain.errors import NotFound
from .docs_assets import DOCS_ASSETS, docs_asset
from .routing import Call, endpoint

docs_api = Blueprint(__name__)

# Relative URLs: the page is /v1/docs, so they resolve below /v1/ whatever prefix a stage adds (API Gateway's /api).
# validatorUrl null: Swagger UI would otherwise send the document to its public validator for a badge.
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Coalition loyalty API reference</title>
  <link rel="stylesheet" href="docs/assets/swagger-ui.css">
</head>
<body>
  <div id="reference"></div>
  <script src="docs/assets/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "openapi.json",
      dom_id: "#reference",
      deepLinking: true,
      validatorUrl: null,
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout"
    });
  </script>
</body>
</html>
"""

# The files change only with the package pin.
CACHE: dict[str, str | list[str]] = {"Cache-Control": "public, max-age=3600"}


@endpoint(docs_api, "/v1/docs", "GET", audience=None, media_types=("text/html",))
def docs_page(call: Call) -> Response:
    """The API reference page (Swagger UI over GET /v1/openapi.json)."""
    return Response(body=PAGE, status_code=200, headers={"Content-Type": "text/html; charset=utf-8", **CACHE})


@endpoint(
    docs_api, "/v1/docs/assets/{asset}", "GET", audience=None, media_types=tuple(sorted(set(DOCS_ASSETS.values())))
)
def docs_file(call: Call, asset: str) -> Response:
    """A script or style sheet of the reference page."""
    if asset not in DOCS_ASSETS:
        raise NotFound(f"no docs asset {asset!r}; there are {', '.join(sorted(DOCS_ASSETS))}")
    headers: dict[str, str | list[str]] = {"Content-Type": f"{DOCS_ASSETS[asset]}; charset=utf-8", **CACHE}
    return Response(body=docs_asset(asset), status_code=200, headers=headers)
