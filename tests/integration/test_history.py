"""A history a person understands (issue 9): each entry names the partner as members know it."""

from __future__ import annotations


def test_entries_name_the_partner_and_the_programme(coalition):
    coalition.program(bonuses={"first_purchase": {"points": 200, "funder": "operator"}})
    market = coalition.partner("fresh-market")
    ana = coalition.member(market)
    coalition.purchase(market, ana, "10.00")
    coalition.api.patch("/v1/admin/partners/fresh-market", {"name": "Fresh Market Halls"}, token=coalition.admin)
    coalition.api.post(
        f"/v1/admin/members/{ana.member_id}/adjustments",
        {"adjustment_id": "a-1", "points": 5, "reason": "a lost receipt", "funder": "operator"},
        token=coalition.admin,
    )

    entries = coalition.api.get("/v1/me/entries", token=ana.token).json["entries"]

    assert [(e["type"], e["partner_id"], e["partner_name"]) for e in entries] == [
        ("adjustment", "operator", "the programme"),
        ("bonus", "fresh-market", "Fresh Market Halls"),  # the first-purchase bonus, booked at the purchase
        ("earn", "fresh-market", "Fresh Market Halls"),  # named as the partner is called now
    ]
