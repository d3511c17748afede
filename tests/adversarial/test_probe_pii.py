"""After erasure, nothing personal anywhere — with partners naming the member by email, phone and card."""

from __future__ import annotations

import hashlib
import hmac

import jwt

from tests.integration.test_privacy import everything_stored
from tests.support.cognito import sign_up

EMAIL, PHONE = "Pia.Rossi@example.com", "+393331234567"


def test_partner_operations_by_email_phone_and_card_leave_nothing_after_erasure(coalition, settings):
    coalition.program(activities={"review": {"points": 50, "max_per_day": 1}})
    market = coalition.partner("market")
    cinema = coalition.partner("cinema")
    enrolled = coalition.api.post("/v1/members", {"email": EMAIL, "phone": PHONE}, token=market).json
    token = sign_up(settings, EMAIL, phone=PHONE)
    assert coalition.api.post("/v1/me/claims", {"card_number": enrolled["card_number"]}, token=token).status == 201
    base = {"currency": "EUR", "occurred_at": "2026-11-23T09:00:00Z", "channel": "store"}
    for i, ref in enumerate(({"email": EMAIL}, {"phone": PHONE}, {"card_number": enrolled["card_number"]})):
        reply = coalition.api.post(
            "/v1/transactions", {"transaction_id": f"t{i}", "member": ref, "amount": "50.00", **base}, token=market
        )
        assert reply.status == 201, reply.json
    assert coalition.api.post(
        "/v1/redemptions", {"redemption_id": "r1", "member": {"email": EMAIL}, "points": 10}, token=cinema
    ).status in (201, 422)
    assert coalition.api.post(
        "/v1/holds", {"hold_id": "h1", "member": {"phone": PHONE}, "points": 10}, token=cinema
    ).status in (201, 422)
    act = coalition.api.post(
        "/v1/activities",
        {"activity_id": "a1", "member": {"email": EMAIL}, "type": "review", "occurred_at": "2026-11-23T09:00:00Z"},
        token=market,
    )
    assert act.status in (201, 422), act.json
    adj = coalition.api.post(
        f"/v1/admin/members/{enrolled['member_id']}/adjustments",
        {"adjustment_id": "ad1", "points": 5, "reason": "goodwill", "funder": "operator"},
        token=coalition.admin,
    )
    assert adj.status == 201, adj.json
    assert coalition.api.delete("/v1/me", token=token).status == 204
    key = settings.pii_hmac_key.get_secret_value().encode()
    digest = lambda text: hmac.new(key, text.encode(), hashlib.sha256).hexdigest()  # noqa: E731
    marks = {
        "email": EMAIL,
        "email_lower": EMAIL.lower(),
        "phone": PHONE,
        "card": enrolled["card_number"],
        "ref": enrolled["referral_code"],
        "sub": jwt.decode(token, options={"verify_signature": False})["sub"],
        "email_hash": digest(EMAIL.lower()),
        "phone_hash": digest(PHONE),
    }
    stored = everything_stored(settings)
    assert {k: v for k, v in marks.items() if v in stored} == {}
