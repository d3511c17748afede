"""GET /v1/docs: the API reference page, every file it loads served by the API itself, declared in the document."""

from __future__ import annotations

import re
from urllib.parse import urljoin


def references(page: str) -> list[str]:
    """What the page loads or points a browser at: src and href attributes, and the document's url."""
    return re.findall(r'(?:src|href)="([^"]+)"', page) + re.findall(r'url:\s*"([^"]+)"', page)


def test_the_docs_page_loads_only_its_own_assets_and_this_apis_document(api):
    reply = api.get("/v1/docs")

    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/html")
    page = reply.body.decode()
    assert not re.search(r"https?://", page), "the page names another host"
    resolved = sorted(urljoin("http://api.test/v1/docs", ref) for ref in references(page))
    assert resolved == [
        "http://api.test/v1/docs/assets/swagger-ui-bundle.js",
        "http://api.test/v1/docs/assets/swagger-ui.css",
        "http://api.test/v1/openapi.json",
    ]
    assert "validatorUrl: null" in page  # Swagger UI would otherwise call its public validator


def test_the_assets_answer_with_their_content_types_and_unknown_names_are_a_contract_404(api):
    script = api.get("/v1/docs/assets/swagger-ui-bundle.js")
    style = api.get("/v1/docs/assets/swagger-ui.css")
    missing = api.get("/v1/docs/assets/..%2F..%2Fapp.py")
    unknown = api.get("/v1/docs/assets/redoc.standalone.js")

    assert (script.status, script.headers["Content-Type"]) == (200, "application/javascript; charset=utf-8")
    assert b"SwaggerUIBundle" in script.body and len(script.body) > 1_000_000
    assert (style.status, style.headers["Content-Type"]) == (200, "text/css; charset=utf-8")
    assert b".swagger-ui" in style.body
    for reply in (missing, unknown):
        assert reply.status == 404 and reply.error_code == "not_found", reply.body[:200]


def test_the_document_declares_the_page_and_its_assets_with_their_content_types(api):
    paths = api.get("/v1/openapi.json").json["paths"]

    page = paths["/v1/docs"]["get"]
    asset = paths["/v1/docs/assets/{asset}"]["get"]

    assert list(page["responses"]["200"]["content"]) == ["text/html"]
    assert sorted(asset["responses"]["200"]["content"]) == ["application/javascript", "text/css"]
    assert asset["parameters"][0]["schema"]["enum"] == ["swagger-ui-bundle.js", "swagger-ui.css"]
    assert page["security"] == [] and asset["security"] == []
