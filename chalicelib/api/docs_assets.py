"""The API reference page's files: Swagger UI (5.x, which reads OpenAPI 3.1) as the pinned PyPI package
openapi-ui-bundles ships it, so the page loads nothing from another host.

Only the two files the page needs are served (swagger-ui-bundle.js ≈ 1.45 MB, swagger-ui.css ≈ 150 KB); the rest
of the package (Redoc, RapiDoc, the standalone preset) is shipped but never read.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

# name -> Content-Type. The names are the package's own file names: a pin bump keeps them.
DOCS_ASSETS: dict[str, str] = {
    "swagger-ui-bundle.js": "application/javascript",
    "swagger-ui.css": "text/css",
}


def _vendor_dir() -> Path:
    # Imported on first use, not at import time: only the docs routes need the package.
    from openapi_ui_bundles import swagger_ui

    return Path(swagger_ui.static_path)


@lru_cache(maxsize=len(DOCS_ASSETS))
def docs_asset(name: str) -> str:
    """The file's text (read once per container: it never changes while the pin holds). `name` is one of
    DOCS_ASSETS: the caller checks, so no path from a request ever reaches the file system."""
    return (_vendor_dir() / name).read_text(encoding="utf-8")
