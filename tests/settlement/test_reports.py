"""A partner's KPIs: points, active members, repeat-purchase rate, cross-brand reach."""

from __future__ import annotations


def test_summary_counts_repeat_buyers_and_members_seen_at_other_brands(coalition, clock):
    shop, cinema = coalition.partner("shop"), coalition.partner("cinema")
    ana, ben, cleo = coalition.member(shop), coalition.member(shop), coalition.member(shop)
    coalition.purchase(shop, ana, "10.00")
    coalition.purchase(shop, ana, "20.00")  # ana buys twice at shop
    coalition.purchase(shop, ben, "30.00")
    coalition.purchase(cinema, ben, "5.00")  # ben also earns at the cinema
    coalition.purchase(cinema, cleo, "50.00")
    coalition.redeem(shop, cleo, 20)  # cleo only spends at shop: served by shop, active elsewhere too
    clock.advance(days=1)
    coalition.purchase(shop, ana, "1.00")  # outside the range below

    reply = coalition.api.get("/v1/reports/summary?from=2026-11-23&to=2026-11-23", token=shop)

    assert reply.status == 200, reply.json
    assert reply.json == {
        "partner_id": "shop",
        "from": "2026-11-23",
        "to": "2026-11-23",
        "points_issued": 60,
        "points_redeemed": 20,
        "outstanding_points": 0,
        "outstanding_as_of": None,
        "active_members": 3,
        "purchasing_members": 2,
        "repeat_purchase_rate": "50.0",  # ana of {ana, ben}
        "cross_brand_reach": "66.7",  # ben and cleo of {ana, ben, cleo}
    }


def test_summary_ranges_are_checked(coalition):
    shop = coalition.partner("shop")
    for query in ("from=2026-11-23&to=2026-11-01", "from=2026-01-01&to=2026-12-31", "from=x&to=y", ""):
        reply = coalition.api.get(f"/v1/reports/summary?{query}", token=shop)
        assert (reply.status, reply.error_code) == (400, "invalid_request"), query
