"""The OpenAPI document against real answers of the issue-9 routes, erased members included."""

from __future__ import annotations

import pytest

from tests.support.cognito import sign_up
from tests.support.contract import Contract


@pytest.fixture
def contract(api):
    return Contract(api.get("/v1/openapi.json").json)


def test_new_routes_answer_as_documented(coalition, settings, contract):
    api = coalition.api
    market = coalition.partner("market")
    token = sign_up(settings, "c1@example.com")
    contract.check("POST", "/v1/me/enrolment", api.post("/v1/me/enrolment", {}, token=token))
    till = api.post("/v1/members", {"email": "c2@example.com"}, token=market).json
    claimer = sign_up(settings, "c2@example.com")
    contract.check(
        "POST", "/v1/me/claims", api.post("/v1/me/claims", {"card_number": till["card_number"]}, token=claimer)
    )
    for i in range(3):
        body = {
            "transaction_id": f"t{i}",
            "member": {"member_id": till["member_id"]},
            "amount": "10.00",
            "currency": "EUR",
            "occurred_at": "2026-11-23T09:00:00Z",
            "channel": "store",
        }
        assert api.post("/v1/transactions", body, token=market).status == 201
    hold = {"hold_id": "h1", "member": {"card_number": till["card_number"]}, "points": 5}
    assert api.post("/v1/holds", hold, token=market).status == 201
    contract.check("GET", "/v1/me", api.get("/v1/me", token=claimer))
    contract.check(
        "PATCH",
        "/v1/me",
        api.patch(
            "/v1/me", {"name": "C Two", "consents": {"sms": {"given": True}}, "birth_date": "1970-01-01"}, token=claimer
        ),
    )
    contract.check("GET", "/v1/me/export", api.get("/v1/me/export", token=claimer))
    contract.check(
        "GET", "/v1/me/entries", api.get("/v1/me/entries?partner_id=market&type=earn&limit=1", token=claimer)
    )
    mid = till["member_id"]
    contract.check("GET", f"/v1/admin/members/{mid}", api.get(f"/v1/admin/members/{mid}", token=coalition.admin))
    contract.check("DELETE", "/v1/me", api.delete("/v1/me", token=claimer))
    # the erased member's file and history as the operator sees them
    contract.check("GET", f"/v1/admin/members/{mid}", api.get(f"/v1/admin/members/{mid}", token=coalition.admin))


def test_documented_error_statuses_of_member_routes(contract):
    """The document answers every error as a 4XX/5XX range (a design choice): present on the new routes."""
    for method, path in (
        ("POST", "/v1/me/enrolment"),
        ("POST", "/v1/me/claims"),
        ("GET", "/v1/me"),
        ("PATCH", "/v1/me"),
        ("DELETE", "/v1/me"),
        ("GET", "/v1/me/export"),
    ):
        responses = contract.operation(method, path)["responses"]
        assert {"4XX", "5XX"} <= set(responses), (method, path, list(responses))
