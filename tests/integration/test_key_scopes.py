"""Scoped partner keys: every partner route against every scope (a till posts operations, a finance key reads what
the partner is owed, an admin key does both). A refusal is 403 forbidden before anything is read or written."""

from __future__ import annotations

import re

import pytest

from chalicelib.api.routing import ENDPOINTS
from chalicelib.domain.program import KeyScope
from tests.support.aws import table_snapshot

# What each partner route is for, stated here independently of the routes' own declarations: a route added
# without a line here fails test_every_partner_route_is_in_the_table.
FINANCE_ROUTES = {
    ("GET", "/v1/settlements/{period}"),
    ("POST", "/v1/settlements/{period}/links"),
    ("GET", "/v1/settlements/{period}/items"),
    ("GET", "/v1/reports/summary"),
    ("GET", "/v1/reports/members-vs-non-members"),
    ("GET", "/v1/campaigns/{campaign_id}/effect"),
}
ADMIN_ONLY_ROUTES = {
    ("POST", "/v1/webhooks"),
    ("GET", "/v1/webhooks"),
    ("DELETE", "/v1/webhooks/{webhook_id}"),
    # the partner's own marketing: it spends the partner's points
    ("POST", "/v1/campaigns"),
    ("GET", "/v1/campaigns"),
    ("PUT", "/v1/campaigns/{campaign_id}"),
    ("DELETE", "/v1/campaigns/{campaign_id}"),
    ("POST", "/v1/segments"),
    ("GET", "/v1/segments"),
    ("PUT", "/v1/segments/{segment_id}"),
    ("GET", "/v1/segments/{segment_id}"),
}


def partner_routes() -> dict[tuple[str, str], tuple[KeyScope, ...]]:
    import app

    app.app.load_routes()  # routes register when first read (issue 11): read them now, whatever ran before
    return {(e.method, e.path): e.scopes for e in ENDPOINTS if "partner" in e.audiences}


def expected(scope: str, route: tuple[str, str]) -> bool:
    if scope == "admin":
        return True
    if route in ADMIN_ONLY_ROUTES:
        return False
    return (route in FINANCE_ROUTES) == (scope == "finance")


def concrete(path: str) -> str:
    return re.sub(r"\{[a-z_]+\}", lambda m: "2026-11-01" if m.group() == "{period}" else "x-1", path)


def test_every_partner_route_is_in_the_table():
    declared = partner_routes()
    assert len(declared) >= 20  # the app's routes were registered: the table is not empty
    assert FINANCE_ROUTES | ADMIN_ONLY_ROUTES <= set(declared)
    for route, scopes in declared.items():
        wanted = (
            () if route in ADMIN_ONLY_ROUTES else (KeyScope.FINANCE,) if route in FINANCE_ROUTES else (KeyScope.TILL,)
        )
        assert tuple(scopes) == wanted, route


@pytest.fixture
def keys(coalition):
    coalition.partner("shop")
    return {scope: coalition.key("shop", scope) for scope in ("till", "finance", "admin")}


@pytest.mark.parametrize("scope", ["till", "finance", "admin"])
def test_each_scope_reaches_exactly_its_routes(api, keys, scope):
    for method, path in sorted(partner_routes()):
        reply = api.request(method, concrete(path), token=keys[scope], body={})
        refused = reply.status == 403 and "scope" in (reply.json or {}).get("error", {}).get("message", "")
        if expected(scope, (method, path)):
            assert not refused, (scope, method, path, reply.json)
        else:
            assert refused and reply.error_code == "forbidden", (scope, method, path, reply.status, reply.json)
            assert f"scope is {scope}" in reply.json["error"]["message"]


def test_a_finance_key_cannot_post_a_purchase_and_nothing_is_written(api, coalition, keys, settings):
    member = coalition.member(keys["till"])
    before = table_snapshot(settings)
    purchase = {
        "transaction_id": "t-1",
        "member": {"member_id": member.member_id},
        "amount": "10.00",
        "currency": "EUR",
        "occurred_at": "2026-11-20T10:00:00Z",
        "channel": "store",
    }

    refused = api.post("/v1/transactions", purchase, token=keys["finance"])
    after_refusal = table_snapshot(settings)
    posted = api.post("/v1/transactions", purchase, token=keys["till"])

    assert (refused.status, refused.error_code) == (403, "forbidden")
    assert "needs a till or admin key" in refused.json["error"]["message"]
    assert after_refusal == before
    assert posted.status == 201 and posted.json["points"] == 10  # the same id was still free


def test_a_till_key_cannot_read_statements_or_reports(api, keys):
    statement = api.get("/v1/settlements/2026-11-01", token=keys["till"])
    report = api.get("/v1/reports/summary?from=2026-11-01&to=2026-11-02", token=keys["till"])
    finance = api.get("/v1/reports/summary?from=2026-11-01&to=2026-11-02", token=keys["finance"])

    assert (statement.status, statement.error_code) == (403, "forbidden")
    assert (report.status, report.error_code) == (403, "forbidden")
    assert finance.status == 200 and finance.json["partner_id"] == "shop"


def test_a_key_says_its_scope_and_an_unknown_scope_is_refused(api, coalition, keys):
    issued = api.post("/v1/admin/partners/shop/keys", {"scope": "finance"}, token=coalition.admin)
    default = api.post("/v1/admin/partners/shop/keys", token=coalition.admin)
    unknown = api.post("/v1/admin/partners/shop/keys", {"scope": "root"}, token=coalition.admin)

    assert issued.status == 201 and issued.json["scope"] == "finance"
    assert default.status == 201 and default.json["scope"] == "admin"
    assert (unknown.status, unknown.error_code) == (400, "invalid_request") and unknown.json["error"][
        "field"
    ] == "scope"


def test_the_openapi_document_names_each_partner_routes_scopes(api):
    document = api.get("/v1/openapi.json").json
    statement = document["paths"]["/v1/settlements/{period}"]["get"]
    purchase = document["paths"]["/v1/transactions"]["post"]

    assert statement["x-key-scopes"] == ["finance", "admin"]
    assert purchase["x-key-scopes"] == ["till", "admin"]
    assert "Partner keys: till, admin" in purchase["description"]
