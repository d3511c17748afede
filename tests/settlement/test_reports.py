"""A partner's KPIs: points, active members, repeat-purchase rate, cross-brand reach."""

from __future__ import annotations

from tests.support.ledger import assert_invariants


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
    expected = {
        "partner_id": "shop",
        "from": "2026-11-23",
        "to": "2026-11-23",
        "points_issued": 60,
        "points_redeemed": 20,
        "points_reversed": 0,
        "outstanding_points": 0,
        "outstanding_as_of": None,
        "active_members": 3,
        "purchasing_members": 2,
        "repeat_purchase_rate": "50.0",  # ana of {ana, ben}
        "cross_brand_reach": "66.7",  # ben and cleo of {ana, ben, cleo}
    }
    # The points figures as they were; the sales KPIs added beside them (tests/integration/test_partner_kpis.py).
    assert {name: reply.json[name] for name in expected} == expected
    assert (reply.json["sales"], reply.json["purchases"]) == ("60.00", 3)


def test_summary_ranges_are_checked(coalition):
    shop = coalition.partner("shop")
    for query in ("from=2026-11-23&to=2026-11-01", "from=2026-01-01&to=2026-12-31", "from=x&to=y", ""):
        reply = coalition.api.get(f"/v1/reports/summary?{query}", token=shop)
        assert (reply.status, reply.error_code) == (400, "invalid_request"), query


def test_points_redeemed_are_net_of_the_partners_reversals(coalition, api, clock):
    shop, cinema = coalition.partner("shop"), coalition.partner("cinema")
    ana = coalition.member(shop)
    coalition.purchase(shop, ana, "100.00")
    assert coalition.redeem(cinema, ana, 60, redemption_id="ticket").status == 201
    clock.advance(minutes=5)
    reversal = api.post("/v1/redemptions/ticket/reversals", {"reversal_id": "rv1", "points": 25}, token=cinema)
    assert reversal.status == 201
    assert_invariants()

    cinema_report = api.get("/v1/reports/summary?from=2026-11-23&to=2026-11-23", token=cinema).json
    shop_report = api.get("/v1/reports/summary?from=2026-11-23&to=2026-11-23", token=shop).json

    assert (cinema_report["points_redeemed"], cinema_report["points_reversed"]) == (35, 25)
    assert (shop_report["points_issued"], shop_report["points_redeemed"], shop_report["points_reversed"]) == (100, 0, 0)


def test_a_range_at_the_end_of_the_calendar_is_answered_not_a_500(coalition):
    shop = coalition.partner("shop")

    reply = coalition.api.get("/v1/reports/summary?from=9999-10-01&to=9999-12-31", token=shop)

    assert reply.status == 200, reply.json
    assert (reply.json["from"], reply.json["to"]) == ("9999-10-01", "9999-12-31")
    assert (reply.json["points_issued"], reply.json["points_redeemed"], reply.json["active_members"]) == (0, 0, 0)
