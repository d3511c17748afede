"""Opt-in offers: a campaign marked `opt_in` rewards only the members who enrolled; a member sees the offers open to
them (tier, segment) and enrols once."""

from __future__ import annotations

from tests.support.ledger import assert_invariants

OFFER = {
    "campaign_id": "coffee-x3",
    "name": "Triple points on coffee",
    "starts_at": "2026-11-01T00:00:00Z",
    "ends_at": "2026-12-01T00:00:00Z",
    "multiplier": "3",
    "funder": "cafe",
    "opt_in": True,
    "segment": "young",
}
YOUNG = {"segment_id": "young", "name": "18 to 30", "rules": {"age": {"min": 18, "max": 30}}}


def offers(coalition, member):
    reply = coalition.api.get("/v1/me/offers", token=member.token)
    assert reply.status == 200, reply.json
    return reply.json["offers"]


def test_only_members_who_enrolled_earn_an_offer_and_only_those_it_is_open_to_see_it(coalition):
    key = coalition.partner("cafe")
    assert coalition.api.post("/v1/admin/segments", YOUNG, token=coalition.admin).status == 201
    assert coalition.api.post("/v1/admin/campaigns", OFFER, token=coalition.admin).status == 201
    young = coalition.member(key, email="young@example.com", birth_date="2000-06-01")
    older = coalition.member(key, email="older@example.com", birth_date="1970-06-01")

    before = coalition.purchase(key, young, "10.00")
    seen = offers(coalition, young)
    enrolled = coalition.api.post("/v1/me/offers/coffee-x3/enrolment", token=young.token)
    again = coalition.api.post("/v1/me/offers/coffee-x3/enrolment", token=young.token)
    after = coalition.purchase(key, young, "10.00")
    not_open = coalition.api.post("/v1/me/offers/coffee-x3/enrolment", token=older.token)
    unknown = coalition.api.post("/v1/me/offers/nothing/enrolment", token=young.token)
    program = coalition.api.get("/v1/program").json

    assert [o["offer_id"] for o in seen] == ["coffee-x3"] and seen[0]["enrolled"] is False
    assert seen[0]["multiplier"] == "3" and offers(coalition, older) == []
    assert enrolled.status == 201 and enrolled.json["enrolled"] is True
    assert again.status == 201 and again.replayed and again.json == enrolled.json
    assert (before.json["points"], after.json["points"]) == (10, 30)
    assert (not_open.status, unknown.status) == (404, 404)
    assert offers(coalition, young)[0]["enrolled"] is True
    assert "coffee-x3" not in [c["campaign_id"] for c in program.get("campaigns", [])]
    assert assert_invariants() == {"cafe": 40}


def test_an_offer_holds_out_no_control_group_and_a_plain_campaign_stays_as_it_was(coalition):
    coalition.partner("cafe")
    assert coalition.api.post("/v1/admin/segments", YOUNG, token=coalition.admin).status == 201
    measured = coalition.api.post("/v1/admin/campaigns", {**OFFER, "control_share": "0.2"}, token=coalition.admin)
    lax = coalition.api.post("/v1/admin/campaigns", {**OFFER, "opt_in": "yes"}, token=coalition.admin)
    plain = {key: value for key, value in OFFER.items() if key not in ("opt_in", "segment")}
    created = coalition.api.post("/v1/admin/campaigns", plain, token=coalition.admin)

    assert (measured.status, measured.json["error"]["field"]) == (400, "control_share")
    assert lax.status == 400
    assert "opt_in" not in created.json


def test_an_offer_posted_as_an_offer_is_an_opt_in_campaign(coalition):
    key = coalition.partner("cafe")
    plain = {k: v for k, v in OFFER.items() if k not in ("opt_in", "segment")}
    refused = coalition.api.post("/v1/admin/offers", {**plain, "opt_in": False}, token=coalition.admin)
    created = coalition.api.post("/v1/admin/offers", plain, token=coalition.admin)
    member = coalition.member(key)
    before = coalition.purchase(key, member, "10.00")
    coalition.api.post("/v1/me/offers/coffee-x3/enrolment", token=member.token)
    after = coalition.purchase(key, member, "10.00")

    assert (refused.status, refused.json["error"]["field"]) == (400, "opt_in")
    assert created.status == 201 and created.json["opt_in"] is True
    assert (before.json["points"], after.json["points"]) == (10, 30)
