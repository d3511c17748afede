"""Bad input: the documented 4xx with code, message and field, and not one byte written."""

from __future__ import annotations

import base64
import json
from datetime import datetime

import jwt
import pytest

from tests.support.aws import table_snapshot
from tests.support.cognito import pool_signed


@pytest.fixture
def shop(coalition):
    key = coalition.partner("shop")
    member = coalition.member(key)
    coalition.purchase(key, member, "50.00", transaction_id="t1")
    coalition.api.post(
        "/v1/holds", {"hold_id": "h1", "member": {"card_number": member.card_number}, "points": 5}, token=key
    )
    return key, member


def purchase(member_id, **changes):
    body = {
        "transaction_id": "t-new",
        "member": {"member_id": member_id},
        "amount": "10.00",
        "currency": "EUR",
        "occurred_at": "2026-11-23T09:00:00Z",
        "channel": "store",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


AMOUNTS = {
    "negative": ("-10.00", "amount"),
    "zero": ("0.00", "amount"),
    "fractional cent": ("10.005", "amount"),
    "NaN text": ("NaN", "amount"),
    "infinity text": ("Infinity", "amount"),
    "10^20": ("100000000000000000000", "amount"),
    "a JSON number, not a string": (10.5, "amount"),
    "not a number": ("ten", "amount"),
}


@pytest.mark.parametrize("case", AMOUNTS, ids=list(AMOUNTS))
def test_bad_amounts_are_refused_and_write_nothing(coalition, settings, shop, case):
    key, member = shop
    amount, field = AMOUNTS[case]
    before = table_snapshot(settings)

    reply = coalition.api.post("/v1/transactions", purchase(member.member_id, amount=amount), token=key)

    assert reply.status == 400 and reply.error_code == "invalid_request", reply.json
    assert reply.json["error"]["field"] == field and reply.json["error"]["message"]
    assert table_snapshot(settings) == before


def test_a_json_nan_literal_is_refused(coalition, settings, shop):
    key, member = shop
    before = table_snapshot(settings)
    raw = json.dumps(purchase(member.member_id)).replace('"10.00"', "NaN")

    reply = coalition.api.post("/v1/transactions", raw=raw, token=key)

    assert reply.status == 400 and reply.error_code == "invalid_request"
    assert table_snapshot(settings) == before


CASES = {
    # name: (method, path, body or raw text, credential, status, code, field)
    "unknown currency": (
        "POST",
        "/v1/transactions",
        {"currency": "XYZ"},
        "partner",
        400,
        "invalid_request",
        "currency",
    ),
    "another currency": (
        "POST",
        "/v1/transactions",
        {"currency": "USD"},
        "partner",
        422,
        "currency_mismatch",
        "currency",
    ),
    "unknown member": (
        "POST",
        "/v1/transactions",
        {"member": {"member_id": "m_00000000000000000000"}},
        "partner",
        404,
        "not_found",
        None,
    ),
    "unknown card": (
        "POST",
        "/v1/transactions",
        {"member": {"card_number": "1234567890"}},
        "partner",
        404,
        "not_found",
        "member.card_number",
    ),
    "two member identifiers": (
        "POST",
        "/v1/transactions",
        {"member": {"member_id": "m_1", "card_number": "12345678"}},
        "partner",
        400,
        "invalid_request",
        "member",
    ),
    "missing transaction id": (
        "POST",
        "/v1/transactions",
        {"transaction_id": None},
        "partner",
        400,
        "invalid_request",
        "transaction_id",
    ),
    "unknown field": (
        "POST",
        "/v1/transactions",
        {"amount_cents": 1000},
        "partner",
        400,
        "invalid_request",
        "amount_cents",
    ),
    "purchase in the future": (
        "POST",
        "/v1/transactions",
        {"occurred_at": "2027-01-01T00:00:00Z"},
        "partner",
        400,
        "invalid_request",
        "occurred_at",
    ),
    "a time without a zone": (
        "POST",
        "/v1/transactions",
        {"occurred_at": "2026-11-23T09:00:00"},
        "partner",
        400,
        "invalid_request",
        "occurred_at",
    ),
    "purchase from last year": (
        "POST",
        "/v1/transactions",
        {"occurred_at": "2025-01-01T00:00:00Z"},
        "partner",
        422,
        "rule_violation",
        "occurred_at",
    ),
    "items over the amount": (
        "POST",
        "/v1/transactions",
        {"items": [{"sku": "a", "category": "food", "amount": "11.00"}]},
        "partner",
        400,
        "invalid_request",
        "items",
    ),
    "malformed JSON": ("POST", "/v1/transactions", '{"transaction_id": ', "partner", 400, "invalid_request", None),
    "missing redemption id": (
        "POST",
        "/v1/redemptions",
        {"member": {"member_id": "m_1"}, "points": 5},
        "partner",
        400,
        "invalid_request",
        "redemption_id",
    ),
    "fractional points": (
        "POST",
        "/v1/redemptions",
        {"redemption_id": "r", "member": {"member_id": "m_1"}, "points": 1.5},
        "partner",
        400,
        "invalid_request",
        "points",
    ),
    "zero points": (
        "POST",
        "/v1/redemptions",
        {"redemption_id": "r", "member": {"member_id": "m_1"}, "points": 0},
        "partner",
        400,
        "invalid_request",
        "points",
    ),
    "another partner's transaction": (
        "POST",
        "/v1/transactions/t1/returns",
        {"return_id": "x", "amount": "1.00"},
        "other",
        404,
        "not_found",
        None,
    ),
    "another partner's hold": ("POST", "/v1/holds/h1/capture", {}, "other", 404, "not_found", None),
    "capture above the hold": (
        "POST",
        "/v1/holds/h1/capture",
        {"points": 6},
        "partner",
        400,
        "invalid_request",
        "points",
    ),
    "return above the purchase": (
        "POST",
        "/v1/transactions/t1/returns",
        {"return_id": "x", "amount": "50.01"},
        "partner",
        422,
        "return_exceeds_purchase",
        "amount",
    ),
    "no credential": ("POST", "/v1/redemptions", {}, None, 401, "unauthenticated", None),
    "unknown key": ("POST", "/v1/redemptions", {}, "ck_000000000000_0000", 401, "unauthenticated", None),
    "a member on a partner route": ("POST", "/v1/redemptions", {}, "member", 403, "forbidden", None),
    "a partner on an operator route": ("PUT", "/v1/admin/program", {}, "partner", 403, "forbidden", None),
    "a bad limit": ("GET", "/v1/me/entries?limit=1000", None, "member", 400, "invalid_request", "limit"),
    "a forged cursor": (
        "GET",
        "/v1/me/entries?cursor=eyJtIjoibV94In0",
        None,
        "member",
        400,
        "invalid_request",
        "cursor",
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_refused_requests_answer_the_documented_error_and_write_nothing(coalition, settings, shop, case):
    key, member = shop
    method, path, body, credential, status, code, field = CASES[case]
    tokens = {"partner": key, "member": member.token, None: None}
    if credential == "other":
        tokens["other"] = coalition.partner("cinema")  # before the snapshot: only the request must write nothing
    before = table_snapshot(settings)
    if path == "/v1/transactions" and isinstance(body, dict):
        body = purchase(member.member_id, **body)
    token = tokens.get(credential, credential)

    if isinstance(body, str):
        reply = coalition.api.request(method, path, raw=body, token=token)
    else:
        reply = coalition.api.request(method, path, body=body, token=token)

    assert (reply.status, reply.error_code) == (status, code), reply.json
    assert reply.json["error"]["message"]
    if field is not None:
        assert reply.json["error"].get("field") == field, reply.json
    assert table_snapshot(settings) == before


def test_a_revoked_key_stops_working_at_once(coalition, shop):
    key, member = shop
    key_id = key.split("_")[1]

    revoked = coalition.api.delete(f"/v1/admin/partners/shop/keys/{key_id}", token=coalition.admin)
    reply = coalition.redeem(key, member, 1)

    assert revoked.status == 204
    assert (reply.status, reply.error_code) == (401, "unauthenticated")
    assert "revoked" in reply.json["error"]["message"]


def test_a_suspended_partners_keys_stop_working_and_resume_with_it(coalition, shop):
    key, member = shop
    suspend = coalition.api.patch("/v1/admin/partners/shop", {"status": "suspended"}, token=coalition.admin)

    refused = coalition.redeem(key, member, 1)
    coalition.api.patch("/v1/admin/partners/shop", {"status": "active"}, token=coalition.admin)
    accepted = coalition.redeem(key, member, 1)

    assert suspend.status == 200 and suspend.json["status"] == "suspended"
    assert (refused.status, refused.error_code) == (403, "forbidden")
    assert accepted.status == 201


def test_a_tampered_secret_is_not_a_key(coalition, shop):
    key, member = shop
    tampered = key[:-1] + ("0" if key[-1] != "0" else "1")
    assert coalition.redeem(tampered, member, 1).status == 401


def test_member_tokens_expired_tampered_unsigned_or_foreign_are_refused(coalition, settings, shop):
    _, member = shop
    subject = jwt.decode(member.token, options={"verify_signature": False})["sub"]
    now = int(datetime.now().timestamp())
    expired = pool_signed(settings, sub=subject, iat=now - 3720, exp=now - 120)
    header, payload, signature = member.token.split(".")
    other_claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    other_claims["sub"] = "00000000-0000-4000-8000-000000000000"
    forged_payload = base64.urlsafe_b64encode(json.dumps(other_claims).encode()).decode().rstrip("=")
    tampered = f"{header}.{forged_payload}.{signature}"
    unsigned = jwt.encode(
        {
            "sub": subject,
            "iss": settings.member_token_issuer,
            "aud": settings.member_app_client_id,
            "token_use": "id",
            "exp": 9999999999,
            "iat": 1,
        },
        None,
        algorithm="none",
    )
    wrong_audience = pool_signed(settings, sub=subject, aud="someone-else")
    hs256_with_public_key = jwt.encode({"sub": subject}, "a-shared-secret-that-is-not-our-key", algorithm="HS256")

    for name, token in {
        "expired": expired,
        "tampered": tampered,
        "alg=none": unsigned,
        "wrong audience": wrong_audience,
        "HS256": hs256_with_public_key,
    }.items():
        reply = coalition.api.get("/v1/me", token=token)
        assert (reply.status, reply.error_code) == (401, "unauthenticated"), name

    assert coalition.api.get("/v1/me", token=member.token).status == 200


def test_no_stack_trace_leaves_the_api_on_an_unexpected_error(coalition, shop, monkeypatch):
    from chalicelib.services import members

    def explode(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(members, "member_overview", explode)
    _, member = shop

    reply = coalition.api.get("/v1/me", token=member.token)

    assert reply.status == 500 and reply.json["error"]["code"] == "internal_error"
    assert "secret internals" not in reply.body.decode() and "Traceback" not in reply.body.decode()
