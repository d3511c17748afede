"""Money moves at the rates in force when each movement was booked (review D4, D5), closed through the API.

Reversals (alpha issues; charlie redeems, bravo captures a hold; point value 0.01, then 0.02):
2026-11-23  m buys 200.00 at alpha; charlie redeems 60, bravo captures 40 of a hold, both at 0.01
            -> alpha pays charlie 0.60 and bravo 0.40
2026-11-24  the operator sets the point value to 0.02; charlie reverses 25 and bravo 30 points
            -> charlie pays alpha 25 x 0.01 = 0.25 and bravo 30 x 0.01 = 0.30 (what they were paid), not 0.50 / 0.60

One day, two point values (0.005 until the change, 0.0125 after it):
            charlie redeems 103 alpha points before and 103 after
            -> alpha pays charlie 103 x 0.005 + 103 x 0.0125 = 0.515 + 1.2875 = 1.8025 -> 1.80 (rounded once)

Fee refunds (shop's fee 0.002 per issued point, then 0.005):
2026-11-23  m buys 500.00 at shop: 500 points -> shop pays the operator 500 x 0.002 = 1.00
2026-11-24  shop's fee becomes 0.005; 200.00 is returned -> the operator refunds 200 x 0.002 = 0.40, not 1.00
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from chalicelib.store.models import EntryItem
from tests.support.ledger import assert_invariants


def close(coalition, day):
    reply = coalition.api.post(f"/v1/admin/settlements/{day}/close", token=coalition.admin)
    assert reply.status == 201, reply.json
    return json.loads(reply.body)


def at(clock, day, hour):
    clock.now = datetime(2026, 11, day, hour, 0, tzinfo=timezone.utc)


def reverse(coalition, key, path, reversal_id, points):
    reply = coalition.api.post(f"{path}/reversals", {"reversal_id": reversal_id, "points": points}, token=key)
    assert reply.status == 201, reply.json
    return reply


def transfers(document):
    return [(t["from"], t["to"], t["kind"], t["amount"]) for t in document["transfers"]]


# ---- D5: reversals at the redemption's point value ---------------------------------------------------------
def test_a_reversal_after_a_point_value_change_moves_money_back_at_the_value_the_spending_was_paid(
    coalition, api, clock
):
    alpha, bravo, charlie = coalition.partner("alpha"), coalition.partner("bravo"), coalition.partner("charlie")
    m = coalition.member(alpha)
    coalition.purchase(alpha, m, "200.00")
    assert coalition.redeem(charlie, m, 60, redemption_id="ticket").status == 201
    held = api.post("/v1/holds", {"hold_id": "h1", "member": {"card_number": m.card_number}, "points": 50}, token=bravo)
    assert held.status == 201
    assert api.post("/v1/holds/h1/capture", {"points": 40}, token=bravo).status == 201
    at(clock, 24, 1)
    first = close(coalition, "2026-11-23")
    assert transfers(first) == [("alpha", "bravo", "redemption", "0.40"), ("alpha", "charlie", "redemption", "0.60")]

    at(clock, 24, 9)
    coalition.program(point_value="0.02")  # the whole programme, with a new point value
    reverse(coalition, charlie, "/v1/redemptions/ticket", "rv1", 25)
    reverse(coalition, bravo, "/v1/holds/h1", "rv2", 30)
    at(clock, 25, 1)
    second = close(coalition, "2026-11-24")

    assert transfers(second) == [("bravo", "alpha", "reversal", "0.30"), ("charlie", "alpha", "reversal", "0.25")]
    assert second["net_positions"] == {"alpha": "0.55", "bravo": "-0.30", "charlie": "-0.25", "operator": "0.00"}
    assert second["point_value"] == "0.02"  # the statement shows the programme's value at the close
    charlie_statement = api.get("/v1/settlements/2026-11-24", token=charlie).json
    assert (charlie_statement["reversed_here"], charlie_statement["payable"], charlie_statement["net"]) == (
        {"alpha": 25},
        "0.25",
        "-0.25",
    )
    assert assert_invariants() == {"alpha": 200 - 60 - 40 + 25 + 30}


def test_a_day_whose_point_value_changes_at_noon_pays_each_redemption_at_its_own_value(coalition, clock):
    coalition.program(point_value="0.005")
    alpha, charlie = coalition.partner("alpha"), coalition.partner("charlie")
    m = coalition.member(alpha)
    coalition.purchase(alpha, m, "300.00")
    at(clock, 23, 11)
    assert coalition.redeem(charlie, m, 103).status == 201
    at(clock, 23, 12)
    coalition.program(point_value="0.0125")
    at(clock, 23, 13)
    assert coalition.redeem(charlie, m, 103).status == 201

    at(clock, 24, 1)
    day = close(coalition, "2026-11-23")

    assert transfers(day) == [("alpha", "charlie", "redemption", "1.80")]  # 0.515 + 1.2875, rounded once
    assert day["matrix"] == {"alpha": {"charlie": 206}} and day["point_value"] == "0.0125"
    assert day["net_positions"] == {"alpha": "-1.80", "charlie": "1.80", "operator": "0.00"}


# ---- D4: fee refunds at the fee that was charged -----------------------------------------------------------
def test_a_return_after_a_fee_change_refunds_the_fee_that_was_charged(coalition, api, clock):
    shop = coalition.partner("shop", fee_per_point="0.002")
    m = coalition.member(shop)
    assert coalition.purchase(shop, m, "500.00", transaction_id="t1").json["points"] == 500
    at(clock, 24, 1)
    first = close(coalition, "2026-11-23")
    assert transfers(first) == [("shop", "operator", "fee", "1.00")]

    at(clock, 24, 9)
    patched = api.patch("/v1/admin/partners/shop", {"fee_per_point": "0.005"}, token=coalition.admin)
    assert patched.status == 200 and patched.json["fee_per_point"] == "0.005"
    returned = api.post("/v1/transactions/t1/returns", {"return_id": "r1", "amount": "200.00"}, token=shop)
    assert returned.status == 201 and returned.json["points_reversed"] == 200
    at(clock, 25, 1)
    second = close(coalition, "2026-11-24")

    assert transfers(second) == [("operator", "shop", "fee_refund", "0.40")]  # 200 x 0.002, not 200 x 0.005
    shop_statement = api.get("/v1/settlements/2026-11-24", token=shop).json
    assert (shop_statement["fees"], shop_statement["fee_refunds"], shop_statement["net"]) == ("0.00", "0.40", "0.40")
    assert second["operator"]["fee_refunds_paid"] == "0.40"


def test_funders_are_charged_and_refunded_at_their_own_fee_of_the_day_the_points_were_issued(coalition, api, clock):
    """shop (fee 0.002) sells; brand (fee 0.001) funds a x2 campaign at shop; shop funds the referral bonus
    (25 to the referee, 50 to the referrer). Both fees rise (0.005, 0.004) before the purchase is returned on
    the next day, where ana also buys 100.00 at the new fees:
      2026-11-23  shop 500 + 25 + 50 = 575 x 0.002 = 1.15; brand 500 x 0.001 = 0.50
      2026-11-24  shop 100 x 0.005 - 575 x 0.002 = 0.50 - 1.15 = -0.65 (refund);
                  brand 100 x 0.004 - 500 x 0.001 = 0.40 - 0.50 = -0.10 (refund)"""
    shop = coalition.partner("shop", fee_per_point="0.002")
    coalition.partner("brand", fee_per_point="0.001")
    coalition.program(bonuses={"referral": {"referrer_points": 50, "referee_points": 25, "funder": "shop"}})
    campaign = {
        "campaign_id": "double",
        "name": "Double points",
        "starts_at": "2026-11-01T00:00:00Z",
        "ends_at": "2026-12-01T00:00:00Z",
        "partners": ["shop"],
        "multiplier": "2",
        "funder": "brand",
    }
    assert api.post("/v1/admin/campaigns", campaign, token=coalition.admin).status == 201
    ana = coalition.member(shop, email="ana@example.com")
    bob = coalition.member(shop, email="bob@example.com", referral_code=coalition.me(ana)["referral_code"])
    bought = coalition.purchase(shop, bob, "500.00", transaction_id="t1")
    assert bought.json["points"] == 500 + 500 + 25 and coalition.me(ana)["available_points"] == 50
    at(clock, 24, 1)
    first = close(coalition, "2026-11-23")
    assert transfers(first) == [("brand", "operator", "fee", "0.50"), ("shop", "operator", "fee", "1.15")]

    at(clock, 24, 9)
    for partner_id, fee in (("shop", "0.005"), ("brand", "0.004")):
        assert (
            api.patch(f"/v1/admin/partners/{partner_id}", {"fee_per_point": fee}, token=coalition.admin).status == 200
        )
    returned = api.post("/v1/transactions/t1/returns", {"return_id": "r1", "amount": "500.00"}, token=shop)
    assert returned.status == 201 and returned.json["points_reversed"] == 1025
    assert coalition.me(ana)["available_points"] == 0  # the referrer's bonus went back too
    assert coalition.purchase(shop, ana, "100.00", occurred_at="2026-11-24T09:00:00Z").json["points"] == 200
    at(clock, 25, 1)
    second = close(coalition, "2026-11-24")

    assert transfers(second) == [
        ("operator", "brand", "fee_refund", "0.10"),
        ("operator", "shop", "fee_refund", "0.65"),
    ]
    assert (second["partners"]["shop"]["issued_points"], second["partners"]["shop"]["returned_points"]) == (100, 575)
    assert second["net_total"] == "0.00"


# ---- entries booked before rates were recorded -------------------------------------------------------------
def test_entries_booked_without_a_rate_are_valued_at_the_closes_rates_next_to_those_with_one(coalition, clock):
    """An entry stored before entries recorded their rate (its item has none) is valued as every entry was then:
    at the close's point value and fee. alpha's fee 0.002 becomes 0.003, the point value 0.01 becomes 0.02:
      redemptions 40 (rated, 0.01) + 60 (no rate: 0.02) = 0.40 + 1.20 = 1.60
      fees        100 (rated, 0.002) + 200 (no rate: 0.003) = 0.20 + 0.60 = 0.80"""
    alpha, charlie = coalition.partner("alpha", fee_per_point="0.002"), coalition.partner("charlie")
    m = coalition.member(alpha)
    coalition.purchase(alpha, m, "100.00")
    coalition.purchase(alpha, m, "200.00", transaction_id="legacy-earn")
    coalition.redeem(charlie, m, 40)
    coalition.redeem(charlie, m, 60, redemption_id="legacy-redeem")
    for item in EntryItem.query(m.member_id):
        if item.reference in ("legacy-earn", "legacy-redeem"):  # as stored before rates were recorded
            item.point_value = None
            item.fees_per_point = None
            item.save()
    coalition.program(point_value="0.02")
    assert (
        coalition.api.patch("/v1/admin/partners/alpha", {"fee_per_point": "0.003"}, token=coalition.admin).status == 200
    )

    at(clock, 24, 1)
    day = close(coalition, "2026-11-23")

    assert transfers(day) == [("alpha", "charlie", "redemption", "1.60"), ("alpha", "operator", "fee", "0.80")]
    assert day["net_total"] == "0.00"
