"""The served OpenAPI document: valid 3.1, complete, and true of what the API answers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from tests.support.api import PROGRAM
from tests.support.cognito import sign_up
from tests.support.contract import Contract

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.contract


@pytest.fixture
def document(api):
    reply = api.get("/v1/openapi.json")
    assert reply.status == 200
    return reply.json


def test_the_served_document_is_valid_openapi_3_1(document):
    validate(document, cls=OpenAPIV31SpecValidator)

    assert document["openapi"] == "3.1.0"


def test_the_document_of_a_deployed_stage_is_the_local_one(document):
    """Every stage serves the same routes (no local-only route), so the same document."""
    env = {**{k: v for k, v in os.environ.items() if k != "STAGE"}, "STAGE": "dev"}
    script = (
        "import json, app; from chalicelib.api.openapi import openapi_document; print(json.dumps(openapi_document()))"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    deployed = json.loads(out.stdout.strip().splitlines()[-1])

    validate(deployed, cls=OpenAPIV31SpecValidator)
    assert deployed == document


def test_every_route_is_an_operation_with_its_own_id_its_audience_and_its_real_success_status(document):
    import app as application

    operations = {
        (method.upper(), path): op for path, methods in document["paths"].items() for method, op in methods.items()
    }
    routes = {(method, path) for path, methods in application.app.routes.items() for method in methods}
    assert set(operations) == routes
    ids = [op["operationId"] for op in operations.values()]
    assert len(ids) == len(set(ids))

    success = {key: [code for code in op["responses"] if code.startswith("2")] for key, op in operations.items()}
    assert success[("POST", "/v1/transactions")] == ["201"]
    assert success[("POST", "/v1/transactions/{transaction_id}/returns")] == ["201"]
    assert success[("POST", "/v1/holds/{hold_id}/capture")] == ["201"]
    assert success[("POST", "/v1/holds/{hold_id}/void")] == ["200"]
    assert success[("POST", "/v1/admin/jobs/{job}")] == ["202"]
    assert success[("DELETE", "/v1/admin/partners/{partner_id}/keys/{key_id}")] == ["204"]
    assert success[("DELETE", "/v1/admin/campaigns/{campaign_id}")] == ["204"]
    assert all(len(codes) == 1 for codes in success.values())
    assert operations[("POST", "/v1/holds")]["security"] == [{"partnerKey": []}]
    assert operations[("GET", "/v1/me")]["security"] == [{"memberToken": []}]
    assert operations[("PUT", "/v1/admin/program")]["security"] == [{"operatorKey": []}]
    assert operations[("GET", "/v1/program")]["security"] == []


def test_every_success_with_a_body_has_a_response_schema_that_allows_new_fields(document):
    schemas = document["components"]["schemas"]
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            for code, response in op["responses"].items():
                if not code.startswith("2") or code == "204":
                    continue
                if "application/json" not in response["content"]:  # the reference page and its files: text
                    assert all(body["schema"] == {"type": "string"} for body in response["content"].values())
                    continue
                ref = response["content"]["application/json"]["schema"]["$ref"]
                schema = schemas[ref.rsplit("/", 1)[1]]
                assert schema["additionalProperties"] is True, (method, path)
                assert schema["required"], (method, path)
    earn = schemas["EarnResponse"]
    assert set(earn["required"]) == {
        "entry_id",
        "transaction_id",
        "member_id",
        "points",
        "breakdown",
        "available_points",
        "tier",
    }


def test_query_parameters_are_documented_with_their_constraints(document):
    def parameters(path, method="get"):
        return {p["name"]: p for p in document["paths"][path][method]["parameters"] if p["in"] == "query"}

    entries = parameters("/v1/me/entries")
    assert entries["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 100, "default": 25}
    assert entries["cursor"]["schema"]["type"] == "string" and not entries["cursor"]["required"]
    report = parameters("/v1/reports/summary")
    assert {name: (p["required"], p["schema"]["format"]) for name, p in report.items()} == {
        "from": (True, "date"),
        "to": (True, "date"),
    }
    statement = document["paths"]["/v1/settlements/{period}"]["get"]
    assert parameters("/v1/settlements/{period}")["format"]["schema"]["enum"] == ["json", "csv", "html"]
    assert set(statement["responses"]["200"]["content"]) == {"application/json", "text/csv", "text/html"}
    lookup = parameters("/v1/members")
    assert set(lookup) == {"card_number", "email", "phone"}
    assert lookup["card_number"]["schema"]["pattern"] == "^[0-9]{8,19}$"
    reconciliation = parameters("/v1/admin/reconciliation")
    assert set(reconciliation) == {"segment", "segments", "limit", "cursor"}
    assert reconciliation["limit"]["schema"]["default"] == 100
    assert document["paths"]["/v1/holds/{hold_id}/capture"]["post"]["requestBody"]["required"] is False
    assert document["paths"]["/v1/holds"]["post"]["requestBody"]["required"] is True


def test_errors_have_one_schema_with_every_code_including_internal_error(document):
    from chalicelib.api.errors import STATUS_OF_CODE

    codes = document["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"]
    assert set(codes) == set(STATUS_OF_CODE) | {"internal_error"}
    for methods in document["paths"].values():
        for op in methods.values():
            assert op["responses"]["4XX"] == {"$ref": "#/components/responses/Refused"}
            assert op["responses"]["5XX"] == {"$ref": "#/components/responses/Failed"}


def test_links_say_which_output_feeds_which_operation(document):
    def links(path, method, code):
        return document["paths"][path][method]["responses"][code]["links"]

    hold = links("/v1/holds", "post", "201")
    assert hold["capture_hold"]["parameters"] == {"path.hold_id": "$response.body#/hold_id"}
    assert hold["void_hold"]["parameters"] == {"path.hold_id": "$response.body#/hold_id"}
    purchase = links("/v1/transactions", "post", "201")
    assert purchase["post_return"]["parameters"] == {"path.transaction_id": "$response.body#/transaction_id"}
    enrol = links("/v1/members", "post", "201")
    assert enrol["post_redemption"]["requestBody"] == {"member": {"card_number": "$response.body#/card_number"}}
    partner = links("/v1/admin/partners", "post", "201")
    assert partner["issue_key"]["parameters"] == {"path.partner_id": "$response.body#/partner_id"}
    key = links("/v1/admin/partners/{partner_id}/keys", "post", "201")
    assert key["revoke_key"]["parameters"] == {
        "path.partner_id": "$response.body#/partner_id",
        "path.key_id": "$response.body#/key_id",
    }
    ids = {op["operationId"] for methods in document["paths"].values() for op in methods.values()}
    for methods in document["paths"].values():
        for op in methods.values():
            for response in op["responses"].values():
                assert {link["operationId"] for link in response.get("links", {}).values()} <= ids


def test_a_query_value_outside_the_document_is_refused_naming_the_parameter(coalition):
    key = coalition.partner("alpha")
    member = coalition.member(key)

    cases = [
        ("/v1/me/entries?limit=%C2%B2", member.token, "limit"),  # "²": a digit to str.isdigit, not a number
        ("/v1/me/entries?limit=101", member.token, "limit"),
        ("/v1/reports/summary?to=2026-11-23", key, "from"),
        ("/v1/reports/summary?from=2026-11-23&to=2026-02-30", key, "to"),
        ("/v1/settlements/2026-11?format=xml", key, "format"),
        ("/v1/admin/reconciliation?segments=%C2%B2", coalition.admin, "segments"),
        ("/v1/members?card_number=12", key, "card_number"),
    ]
    for path, token, field in cases:
        reply = coalition.api.get(path, token=token)
        assert (reply.status, reply.error_code, reply.json["error"].get("field")) == (400, "invalid_request", field), (
            path,
            reply.json,
        )


def test_every_operation_answers_what_the_document_says(coalition, api, clock, document):
    """One story through every operation: each success has the documented status, content type and schema."""
    contract = Contract(document)

    def call(method, path, token=None, body=None):
        return contract.check(method, path, api.request(method, path, token=token, body=body))

    admin = coalition.admin
    program = {
        **PROGRAM,
        "bonuses": {"first_purchase": {"points": 200, "funder": "operator"}},
        "activities": {"review": {"points": 50, "max_per_day": 1}},
        "vouchers": {"denominations": [{"points": 100, "value": "1.00"}], "validity_months": 12},
        "partner_campaigns": {"max_multiplier": "3"},
    }
    call("PUT", "/v1/admin/program", admin, program)
    coalition.program_set = True
    call(
        "POST",
        "/v1/admin/partners",
        admin,
        {"partner_id": "alpha", "name": "Alpha", "currency": "EUR", "earn_rate": "1"},
    )
    call("GET", "/v1/admin/partners/alpha", admin)
    call("PATCH", "/v1/admin/partners/alpha", admin, {"category_rates": {"fuel": "0.5"}, "fee_per_point": "0.002"})
    key = call("POST", "/v1/admin/partners/alpha/keys", admin).json["api_key"]
    spare = call("POST", "/v1/admin/partners/alpha/keys", admin).json["key_id"]
    call("DELETE", f"/v1/admin/partners/alpha/keys/{spare}", admin)
    hook = {"webhook_id": "h-1", "url": "https://hooks.example.com/x", "events": ["voucher.spent"], "secret": "0" * 16}
    call("POST", "/v1/webhooks", key, hook)
    call("GET", "/v1/webhooks", key)
    call("DELETE", "/v1/webhooks/h-1", key)
    campaign = {
        "campaign_id": "double",
        "name": "Double points",
        "starts_at": "2026-11-01T00:00:00Z",
        "ends_at": "2026-12-31T00:00:00Z",
        "funder": "operator",
        "multiplier": "2",
    }
    segment = {"segment_id": "young", "name": "Young", "rules": {"age": {"max": 30}}}
    call("POST", "/v1/admin/segments", admin, segment)
    call("PUT", "/v1/admin/segments/young", admin, {**segment, "rules": {"age": {"min": 18, "max": 30}}})
    call("GET", "/v1/admin/segments", admin)
    call("GET", "/v1/admin/segments/young", admin)
    call("POST", "/v1/admin/segments/young/counts", admin)
    call("POST", "/v1/admin/campaigns", admin, {**campaign, "control_share": "0.5"})
    call("PUT", "/v1/admin/campaigns/double", admin, {**campaign, "categories": ["food"], "control_share": "0.5"})
    call("GET", "/v1/program")

    member = call("POST", "/v1/members", key, {"email": "ann@example.com"}).json
    token = sign_up(api.container.settings, "ann@example.com")  # Ann, enrolled at the till, signs in
    call("POST", "/v1/me/claims", token, {"card_number": member["card_number"]})
    call("POST", "/v1/admin/campaigns", admin, {**campaign, "campaign_id": "offer", "opt_in": True})
    call("POST", "/v1/admin/offers", admin, {**campaign, "campaign_id": "offer-2"})
    call("GET", "/v1/me/offers", token)
    call("POST", "/v1/me/offers/offer/enrolment", token)
    challenge = {
        "challenge_id": "five",
        "name": "Five visits",
        "kind": "purchases",
        "period": "month",
        "target": 5,
        "reward": {"points": 50, "funder": "operator"},
        "starts_at": "2026-11-01T00:00:00Z",
        "ends_at": "2026-12-31T00:00:00Z",
    }
    call("POST", "/v1/admin/challenges", admin, {**challenge, "control_share": "0.5"})
    call("PUT", "/v1/admin/challenges/five", admin, {**challenge, "name": "Five!", "control_share": "0.5"})
    agent = {**{k: v for k, v in challenge.items() if k != "target"}, "challenge_id": "agent", "targets": "set"}
    call("POST", "/v1/admin/challenges", admin, agent)
    call("PUT", f"/v1/admin/challenges/agent/targets/{member['member_id']}", admin, {"target": 2})
    call(
        "POST",
        "/v1/admin/challenges",
        admin,
        {**challenge, "challenge_id": "club", "kind": "spend", "target": "50.00", "opt_in": True},
    )
    call("GET", "/v1/admin/challenges", admin)
    call("GET", "/v1/admin/challenges/five", admin)
    call("POST", "/v1/me/challenges/club/enrolment", token)
    call("GET", "/v1/me/challenges", token)
    plus = {"plan_id": "plus", "name": "Plus", "fee": "4.99", "period": "month", "monthly_voucher": 100}
    call("POST", "/v1/admin/plans", admin, plus)
    call("PUT", "/v1/admin/plans/plus", admin, {**plus, "fee": "5.99"})
    call("GET", "/v1/admin/plans", admin)
    call("GET", "/v1/admin/plans/plus", admin)
    sale = {"sale_id": "m-1", "member": {"member_id": member["member_id"]}, "plan_id": "plus"}
    assert call("POST", "/v1/memberships", key, sale).json["membership"]["paid_through"] == "2026-12-22"
    call("PATCH", "/v1/me/membership", token, {"auto_renew": False})
    own_segment = {"segment_id": "regulars", "name": "Regulars", "rules": {"purchases": {"min": 2, "months": 3}}}
    call("POST", "/v1/segments", key, own_segment)
    call("PUT", "/v1/segments/regulars", key, {**own_segment, "name": "Our regulars"})
    call("GET", "/v1/segments", key)
    call("GET", "/v1/segments/regulars", key)
    own = {k: v for k, v in campaign.items() if k != "funder"} | {"segment": "regulars", "control_share": "0.2"}
    call("POST", "/v1/campaigns", key, own)
    call("PUT", "/v1/campaigns/double", key, {**own, "name": "Double at Alpha"})
    fixed = {**own, "campaign_id": "gone", "control_share": None, "multiplier": None, "points": 10}
    call("POST", "/v1/campaigns", key, fixed)
    call("DELETE", "/v1/campaigns/gone", key)
    call("GET", "/v1/campaigns", key)
    newcomer = sign_up(api.container.settings, "bob@example.com")
    call("POST", "/v1/me/enrolment", newcomer, {"birth_date": "1990-05-17"})
    call("GET", f"/v1/members?card_number={member['card_number']}", key)
    ref = {"member_id": member["member_id"]}
    purchase = {
        "transaction_id": "t-1",
        "member": ref,
        "amount": "80.00",
        "currency": "EUR",
        "occurred_at": "2026-11-23T09:00:00Z",
        "channel": "store",
        "items": [
            {"sku": "d", "category": "fuel", "amount": "60.00"},
            {"sku": "b", "category": "food", "amount": "20.00"},
        ],
    }
    earned = call("POST", "/v1/transactions", key, purchase).json
    assert earned["points"] == sum(line["points"] for line in earned["breakdown"])
    call("POST", "/v1/transactions/t-1/returns", key, {"return_id": "t-1-r", "amount": "10.00"})
    card = {"card_number": member["card_number"]}  # spending names the card
    call("POST", "/v1/redemptions", key, {"redemption_id": "r-1", "member": card, "points": 20})
    call("POST", "/v1/holds", key, {"hold_id": "h-1", "member": card, "points": 30})
    call("POST", "/v1/holds/h-1/capture", key, {"points": 10})
    call("POST", "/v1/redemptions/r-1/reversals", key, {"reversal_id": "rv-1", "points": 5})
    call("POST", "/v1/holds/h-1/reversals", key, {"reversal_id": "rv-2"})
    call("POST", "/v1/holds", key, {"hold_id": "h-2", "member": card, "points": 5})
    call("POST", "/v1/holds/h-2/void", key)
    review = {"activity_id": "a-1", "member": ref, "type": "review", "occurred_at": "2026-11-23T08:00:00Z"}
    call("POST", "/v1/activities", key, review)
    call("GET", "/v1/me", token)
    call("PATCH", "/v1/me", token, {"name": "Ann", "consents": {"email": {"given": True}}, "interests": ["cinema"]})
    call("GET", "/v1/me/entries?type=earn&partner_id=alpha&from=2026-11-01", token)
    code = call("POST", "/v1/me/vouchers", token, {"request_id": "v-1", "denomination": 100}).json["code"]
    call("GET", "/v1/me/vouchers?limit=10", token)
    spend_code = call("POST", "/v1/me/spend-codes", token, {"points_max": 5}).json["code"]
    call("POST", "/v1/redemptions", key, {"redemption_id": "r-code", "member": {"spend_code": spend_code}, "points": 5})
    call("POST", f"/v1/vouchers/{code}/redemptions", key, {"redemption_id": "vr-1"})
    call("POST", f"/v1/vouchers/{code}/redemptions/vr-1/void", key)
    call("POST", "/v1/vouchers", key, {"request_id": "tv-1", "member": card, "denomination": 100})
    reward = {
        "reward_id": "ticket",
        "name": "Ticket",
        "points": 10,
        "stock": 5,
        "valid_from": "2026-11-01T00:00:00Z",
        "valid_until": "2026-12-31T00:00:00Z",
    }
    call("POST", "/v1/rewards", key, reward)
    call("PUT", "/v1/rewards/ticket", key, {k: v for k, v in reward.items() if k != "reward_id"})
    call("GET", "/v1/rewards?limit=10", token)
    kept = call("POST", "/v1/me/rewards/ticket/claims", token, {"claim_id": "cl-1"}).json["code"]
    cancelled = call("POST", "/v1/me/rewards/ticket/claims", token, {"claim_id": "cl-2"}).json["code"]
    call("GET", "/v1/me/reward-claims?limit=10", token)
    call("GET", f"/v1/reward-claims/{kept}", key)
    call("POST", f"/v1/reward-claims/{kept}/fulfil", key)
    call("POST", f"/v1/reward-claims/{cancelled}/cancel", key)
    page = call("GET", "/v1/me/entries?limit=2", token).json
    call("GET", f"/v1/me/entries?limit=100&cursor={page['next_cursor']}", token)
    call("POST", "/v1/admin/jobs/hold-sweep", admin, {})
    call("POST", "/v1/admin/jobs/membership-renewal", admin, {"as_of": "2026-11-23"})
    other = call("POST", "/v1/members", key, {"card_number": "123456789012"}).json
    adjustment = {"adjustment_id": "adj-1", "points": 25, "reason": "a lost receipt", "funder": "alpha"}
    call("POST", f"/v1/admin/members/{member['member_id']}/adjustments", admin, adjustment)
    launch = {"grant_id": "launch", "points": 10, "funder": "alpha", "reason": "welcome", "to": {"all": True}}
    job_id = call("POST", "/v1/admin/grants", admin, launch).json["job_id"]
    call("GET", f"/v1/admin/jobs/{job_id}", admin)
    call("GET", f"/v1/admin/members/{member['member_id']}", admin)
    call("GET", f"/v1/admin/members?card_number={member['card_number']}", admin)
    late = {
        "late_credit_id": "lc-1",
        "partner_id": "alpha",
        "transaction_id": "t-july",
        "amount": "12.00",
        "currency": "EUR",
        "occurred_at": "2026-07-01T09:00:00Z",
        "receipt": "R-1",
        "reason": "the till was offline",
    }
    call("POST", f"/v1/admin/members/{member['member_id']}/late-credits", admin, late)
    call("PATCH", f"/v1/admin/members/{other['member_id']}", admin, {"status": "suspended"})
    call("DELETE", "/v1/admin/campaigns/double", admin)
    call("DELETE", "/v1/admin/challenges/club", admin)

    clock.advance(days=1)
    call("POST", "/v1/admin/settlements/2026-11-23/close", admin)
    call("GET", "/v1/admin/settlements/2026-11-23", admin)
    call("GET", "/v1/admin/campaigns/double/effect?to=2026-11-30", admin)
    call("GET", "/v1/admin/challenges/five/effect?to=2026-11-30", admin)
    call("GET", "/v1/campaigns/double/effect?to=2026-11-30", key)
    call("GET", "/v1/reports/members-vs-non-members?from=2026-11-01&to=2026-11-30", key)
    call("GET", "/v1/admin/partners/alpha/members-vs-non-members?from=2026-11-01&to=2026-11-30", admin)
    assert call("GET", "/v1/admin/settlements/2026-11-23/statements/alpha?format=html", admin).status == 200
    call("GET", "/v1/settlements/2026-11-23", key)
    assert call("GET", "/v1/settlements/2026-11-23?format=csv", key).body.startswith(b"section,line,counterparty,")
    assert call("GET", "/v1/settlements/2026-11-23?format=html", key).body.startswith(b"<!DOCTYPE html>")
    assert call("POST", "/v1/settlements/2026-11-23/links", key, {"valid_hours": 2}).json["period"] == "2026-11-23"
    assert call("GET", "/v1/settlements/2026-11-23/items?limit=1", key).json["period"] == "2026-11-23"
    assert call("GET", "/v1/settlements/2026-11-23/items?format=csv", key).body.startswith(b"booked_at,entry_id,")
    call("GET", "/v1/reports/summary?from=2026-11-01&to=2026-11-30", key)
    first = call("GET", "/v1/transactions?from=2026-11-23&to=2026-11-23&limit=1", key).json
    call("GET", f"/v1/transactions?limit=1&cursor={first['next_cursor']}", key)
    call("GET", "/v1/transactions/t-1", key)
    call("GET", "/v1/redemptions?from=2026-11-23&to=2026-11-23", key)
    call("GET", "/v1/redemptions/r-1", key)
    call("GET", "/v1/holds?from=2026-11-23&to=2026-11-23", key)
    call("GET", "/v1/holds/h-1", key)
    call("GET", "/v1/admin/reconciliation?limit=10", admin)
    call("GET", "/v1/admin/audit?from=2026-11-23&to=2026-11-24&limit=100", admin)
    clock.now = datetime(2028, 12, 1, 12, tzinfo=timezone.utc)  # November 2026's points expired (24 months)
    call("POST", "/v1/admin/jobs/expiry", admin, {"as_of": "2028-12-01"})
    entries = call("GET", f"/v1/admin/members/{member['member_id']}", admin).json["recent_entries"]
    expiry = next(e["entry_id"] for e in entries if e["type"] == "expire")
    back = {"reinstatement_id": "rs-1", "expiry_entry_id": expiry, "reason": "goodwill"}
    call("POST", f"/v1/admin/members/{member['member_id']}/reinstatements", admin, back)
    call("GET", "/v1/openapi.json")
    call("GET", "/v1/docs")
    call("GET", "/v1/docs/assets/swagger-ui.css")
    call("GET", "/v1/me/export", token)
    call("DELETE", "/v1/me", newcomer)
    call("DELETE", f"/v1/admin/members/{other['member_id']}", admin)

    assert contract.seen == contract.operation_ids


def test_request_schemas_say_which_fields_are_alternatives(document):
    """What the models' validators check ("give exactly one of") is in the schema, so generated requests can
    be valid: a member reference names exactly one identifier, never null."""
    contract = Contract(document)
    member_ref = {"$ref": "#/components/schemas/MemberRef"}

    contract.validate(member_ref, {"card_number": "123456789012"})
    for invalid in ({}, {"member_id": "m_1", "email": "a@b.co"}, {"email": None}):
        with pytest.raises(AssertionError):
            contract.validate(member_ref, invalid)
    campaign = document["components"]["schemas"]["CampaignRequest"]
    assert campaign["oneOf"] == [{"required": ["multiplier"]}, {"required": ["points"]}]
    enrol = document["components"]["schemas"]["EnrolRequest"]
    assert enrol["anyOf"] == [{"required": ["email"]}, {"required": ["phone"]}, {"required": ["card_number"]}]
