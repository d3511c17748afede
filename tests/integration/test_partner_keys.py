"""A partner's keys: revoked keys leave its active list, and the active list is bounded, so a status change
(one transaction over the partner and its active keys) never outgrows DynamoDB's 100-item transactions."""

from __future__ import annotations


def test_a_partner_that_issued_and_revoked_a_hundred_keys_can_still_be_suspended(coalition):
    coalition.partner("shop")
    for _ in range(100):
        key_id = coalition.api.post("/v1/admin/partners/shop/keys", token=coalition.admin).json["key_id"]
        assert coalition.api.delete(f"/v1/admin/partners/shop/keys/{key_id}", token=coalition.admin).status == 204
    active = coalition.key("shop")

    suspended = coalition.api.patch("/v1/admin/partners/shop", {"status": "suspended"}, token=coalition.admin)

    assert suspended.status == 200 and suspended.json["status"] == "suspended"
    assert coalition.api.get("/v1/members?card_number=12345678", token=active).error_code == "forbidden"


def test_active_keys_are_bounded_and_a_revoked_key_cannot_be_revoked_twice(coalition):
    coalition.partner("shop")  # one active key
    key_ids = [
        coalition.api.post("/v1/admin/partners/shop/keys", token=coalition.admin).json["key_id"] for _ in range(24)
    ]

    refused = coalition.api.post("/v1/admin/partners/shop/keys", token=coalition.admin)
    revoked = coalition.api.delete(f"/v1/admin/partners/shop/keys/{key_ids[0]}", token=coalition.admin)
    twice = coalition.api.delete(f"/v1/admin/partners/shop/keys/{key_ids[0]}", token=coalition.admin)
    issued = coalition.api.post("/v1/admin/partners/shop/keys", token=coalition.admin)

    assert (refused.status, refused.error_code) == (422, "rule_violation")
    assert revoked.status == 204 and twice.status == 404
    assert issued.status == 201
