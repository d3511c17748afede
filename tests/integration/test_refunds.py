"""Returns, reversals and holds that leak nothing (issue 7, items 1–9 and 27–28): each story ends with the
ledger invariants checked and the liability each issuer still carries."""

from __future__ import annotations

from datetime import datetime, timezone

from chalicelib.store.models import OperationItem, WalletItem
from chalicelib.store.operations import find_operation
from tests.support.aws import table_snapshot
from tests.support.ledger import assert_invariants
from tests.support.wallets import put_legacy, stored_wallet

TIERS_BY_SPEND = [
    {"name": "member", "threshold": 0, "earn_multiplier": "1"},
    {"name": "silver", "threshold": 2000, "earn_multiplier": "1.25"},
    {"name": "gold", "threshold": 5000, "earn_multiplier": "1.5"},
]


def hold(coalition, key, member, hold_id, points, **extra):
    body = {"hold_id": hold_id, "member": {"card_number": member.card_number}, "points": points, **extra}
    return coalition.api.post("/v1/holds", body, token=key)


def give_back(coalition, key, path, reversal_id, points=None):
    body = {"reversal_id": reversal_id, **({} if points is None else {"points": points})}
    return coalition.api.post(f"{path}/reversals", body, token=key)


def entries(coalition, member, limit=100):
    return coalition.api.get(f"/v1/me/entries?limit={limit}", token=member.token).json["entries"]


# ---- 1. holds belong to (partner, hold id) -------------------------------------------------------------
def test_two_partners_using_one_hold_id_on_one_member_keep_two_holds(coalition):
    cinema, grocer = coalition.partner("cinema"), coalition.partner("grocer")
    member = coalition.member(cinema)
    coalition.purchase(cinema, member, "100.00")

    assert hold(coalition, cinema, member, "h1", 30).status == 201
    assert hold(coalition, grocer, member, "h1", 20).status == 201
    assert coalition.me(member)["held_points"] == 50

    captured = coalition.api.post("/v1/holds/h1/capture", {"points": 10}, token=grocer)
    voided = coalition.api.post("/v1/holds/h1/void", token=cinema)

    assert (captured.status, captured.json["points"], captured.json["released_points"]) == (201, 10, 10)
    assert (voided.status, voided.json["available_points"]) == (200, 90)
    me = coalition.me(member)
    assert (me["available_points"], me["held_points"]) == (90, 0)
    assert assert_invariants() == {"cinema": 90}


# ---- 2. a returned purchase takes back the tier it reached ----------------------------------------------
def test_a_tier_reached_by_a_purchase_that_is_returned_is_taken_back_at_once(coalition):
    coalition.program(tiers=TIERS_BY_SPEND)
    airline = coalition.partner("airline", earn_rate="1")
    member = coalition.member(airline)
    coalition.purchase(airline, member, "1000.00")  # 1,000 qualifying points: member
    big = coalition.purchase(airline, member, "100000.00", transaction_id="big")
    assert big.json["tier"] == "gold"

    ret = coalition.api.post("/v1/transactions/big/returns", {"return_id": "r1", "amount": "100000.00"}, token=airline)

    assert ret.status == 201 and ret.json["tier"] == "member"
    me = coalition.me(member)
    assert (
        me["tier"] == "member" and me["tier_progress"]["current"] == 1000 and me["tier_progress"]["review_on"] is None
    )
    tier_lines = [e["breakdown"][0] for e in entries(coalition, member) if e["type"] == "tier"]
    assert [(line["rule"], line["tier"]) for line in tier_lines] == [
        ("tier_returned", "member"),
        ("tier_upgrade", "gold"),
    ]
    later = coalition.purchase(airline, member, "100.00")
    assert later.json["points"] == 100  # no gold multiplier any more
    assert assert_invariants() == {"airline": 1100}


def test_a_return_keeps_what_is_still_earned(coalition, clock):
    airline = coalition.partner("airline", earn_rate="1")
    member = coalition.member(airline)
    coalition.purchase(airline, member, "2500.00")  # silver
    clock.advance(days=3)
    up = coalition.purchase(airline, member, "3000.00", transaction_id="t2", occurred_at="2026-11-26T09:00:00Z")
    assert (up.json["points"], up.json["tier"]) == (3750, "gold")  # 2,500 + 3,750
    clock.advance(days=2)
    later = coalition.purchase(airline, member, "100.00", transaction_id="t3", occurred_at="2026-11-28T09:00:00Z")
    assert later.json["points"] == 150

    ret = give_return(coalition, airline, "t2", "r1", "3000.00")

    assert (ret.json["points_reversed"], ret.json["tier"]) == (3750, "silver")
    me = coalition.me(member)
    assert (me["tier"], me["tier_progress"]["current"], me["tier_progress"]["review_on"]) == (
        "silver",
        2650,
        "2027-11-26",  # a tier still reached keeps the review date of the one it replaces
    )
    assert tier_lines(coalition, member) == [
        ("tier_returned", "silver", "a return leaves 2500 qualifying points of what reached gold: below gold (5000)"),
        ("tier_upgrade", "gold", "6250 qualifying points reaches gold (5000)"),
        ("tier_upgrade", "silver", "2500 qualifying points reaches silver (2000)"),
    ]
    assert assert_invariants() == {"airline": 2650}


def give_return(coalition, key, transaction_id, return_id, amount):
    body = {"return_id": return_id, "amount": amount}
    reply = coalition.api.post(f"/v1/transactions/{transaction_id}/returns", body, token=key)
    assert reply.status == 201, reply.json
    return reply


def tier_lines(coalition, member):
    """The member's tier decisions, newest first: (rule, tier, detail)."""
    return [
        (line["rule"], line["tier"], line["detail"])
        for line in (e["breakdown"][0] for e in entries(coalition, member) if e["type"] == "tier")
    ]


def at(clock, *day):
    """Move the clock to 10:00 that day; answers 09:00 that day, for a purchase's occurred_at."""
    clock.now = datetime(*day, 10, tzinfo=timezone.utc)
    return f"{day[0]:04d}-{day[1]:02d}-{day[2]:02d}T09:00:00Z"


def test_a_small_return_of_a_purchase_made_after_an_upgrade_eleven_months_old_keeps_the_tier(coalition, clock):
    """Review D9: the months that reached gold slid partly out of the window; an unrelated return does not re-decide
    the tier on what is left in it. A return of a purchase that reached it does, even once its month has left."""
    airline = coalition.partner("airline", earn_rate="10")
    member = coalition.member(airline)
    coalition.purchase(airline, member, "300.00", transaction_id="nov")  # 3,000 points on 2026-11-23: silver
    dec = coalition.purchase(airline, member, "300.00", transaction_id="dec", occurred_at=at(clock, 2026, 12, 10))
    assert (dec.json["points"], dec.json["tier"]) == (3750, "gold")  # silver earns × 1.25: 6,750 reach gold
    week = coalition.purchase(airline, member, "10.00", transaction_id="week", occurred_at=at(clock, 2027, 11, 8))
    assert (week.json["points"], week.json["tier"]) == (150, "gold")  # November 2026 has left the window
    at(clock, 2027, 11, 15)

    small = give_return(coalition, airline, "week", "r1", "1.00")  # 2027's window: 3,885 points, below gold

    assert (small.json["points_reversed"], small.json["tier"]) == (15, "gold")
    me = coalition.me(member)
    assert (me["tier"], me["tier_progress"]["current"], me["tier_progress"]["review_on"]) == (
        "gold",
        3885,
        "2027-12-10",
    )
    assert [line[:2] for line in tier_lines(coalition, member)] == [
        ("tier_upgrade", "gold"),
        ("tier_upgrade", "silver"),
    ]

    # A little of a purchase that reached gold: 6,738 of the 6,750 still reach it.
    part = give_return(coalition, airline, "dec", "r2", "1.00")
    assert (part.json["points_reversed"], part.json["tier"]) == (12, "gold")
    assert coalition.me(member)["tier_progress"]["current"] == 3873
    assert len(tier_lines(coalition, member)) == 2

    # All of November's purchase, whose month has left the window: gold is no longer reached without it.
    whole = give_return(coalition, airline, "nov", "r3", "300.00")

    assert (whole.json["points_reversed"], whole.json["tier"]) == (3000, "silver")
    me = coalition.me(member)
    assert (me["tier"], me["tier_progress"]["current"], me["tier_progress"]["review_on"]) == (
        "silver",
        3873,
        "2027-12-10",
    )
    assert tier_lines(coalition, member)[0] == (
        "tier_returned",
        "silver",
        "a return leaves 3738 qualifying points of what reached gold: below gold (5000)",
    )
    assert assert_invariants() == {"airline": 3873}


def legacy_item(member, *, months=False, basis=True, floor=True):
    """Write the member's wallet as items were written before the tier fields existed (each figure an attribute)."""
    wallet = stored_wallet(member.member_id)
    overrides: dict[str, object] = {}
    if basis:
        overrides["tier_basis"] = None
    if floor:
        overrides.update(tier_floor=None, tier_floor_review_on=None)
    if months:
        overrides["activity"] = {
            month: {k: v for k, v in vars(figures).items() if k != "partner_purchases"}
            for month, figures in wallet.activity.items()
        }
    put_legacy(wallet, **overrides)
    return WalletItem.get(member.member_id, consistent_read=True)


def test_a_tier_reached_before_upgrades_recorded_their_basis_is_not_lowered_by_a_return(coalition):
    airline = coalition.partner("airline", earn_rate="10")
    member = coalition.member(airline)
    assert coalition.purchase(airline, member, "600.00", transaction_id="t1").json["tier"] == "gold"
    item = legacy_item(member)
    assert (item.tier, item.tier_basis, item.tier_floor) == ("gold", None, None)

    ret = give_return(coalition, airline, "t1", "r1", "600.00")

    assert (ret.json["points_reversed"], ret.json["tier"]) == (6000, "gold")
    me = coalition.me(member)
    assert (me["tier"], me["tier_progress"]["current"], me["tier_progress"]["review_on"]) == ("gold", 0, "2027-11-23")
    assert [line[:2] for line in tier_lines(coalition, member)] == [("tier_upgrade", "gold")]
    wallet = stored_wallet(member.member_id)  # the tier became the floor until its review
    assert (wallet.tier_floor, wallet.tier_floor_review_on, wallet.tier_basis) == ("gold", "2027-11-23", None)
    assert assert_invariants() == {}


TIERS_BY_PARTNERS = [
    {"name": "member", "threshold": 0, "earn_multiplier": "1"},
    {"name": "explorer", "threshold": 3, "earn_multiplier": "1.2"},
]


def test_with_distinct_partners_a_full_return_of_the_last_purchase_at_a_partner_takes_it_out(coalition, clock):
    """Review D10: a partial return keeps the partner counted, a full one of its only purchase of the month does
    not; another purchase there keeps it counted after one full return."""
    coalition.program(tier_metric="distinct_partners", tiers=TIERS_BY_PARTNERS)
    a, b, c = (coalition.partner(name) for name in ("shop-a", "shop-b", "shop-c"))
    ana, ben = coalition.member(a), coalition.member(a)
    for member, prefix in ((ana, "ana"), (ben, "ben")):
        for key, shop in ((a, "a"), (b, "b"), (c, "c1")):
            coalition.purchase(key, member, "10.00", transaction_id=f"{prefix}-{shop}")
    clock.advance(hours=1)
    assert coalition.purchase(c, ben, "10.00", transaction_id="ben-c2").json["tier"] == "explorer"

    partial = give_return(coalition, c, "ana-c1", "r1", "4.00")
    assert partial.json["tier"] == "explorer" and coalition.me(ana)["tier_progress"]["current"] == 3
    rest = give_return(coalition, c, "ana-c1", "r2", "6.00")
    assert rest.json["tier"] == "member"
    me = coalition.me(ana)
    assert (me["tier"], me["tier_progress"]["current"], me["tier_progress"]["review_on"]) == ("member", 2, None)
    assert tier_lines(coalition, ana) == [
        ("tier_returned", "member", "a return leaves 2 partners of what reached explorer: below explorer (3)"),
        ("tier_upgrade", "explorer", "3 partners reaches explorer (3)"),
    ]

    first = give_return(coalition, c, "ben-c1", "r3", "10.00")  # ben bought twice at shop-c
    assert first.json["tier"] == "explorer" and coalition.me(ben)["tier_progress"]["current"] == 3
    second = give_return(coalition, c, "ben-c2", "r4", "10.00")
    assert second.json["tier"] == "member" and coalition.me(ben)["tier_progress"]["current"] == 2
    assert [line[:2] for line in tier_lines(coalition, ben)] == [
        ("tier_returned", "member"),
        ("tier_upgrade", "explorer"),
    ]
    month = stored_wallet(ben.member_id).activity["2026-11"]
    assert month.partners == ["shop-a", "shop-b", "shop-c"]  # where ben bought, still
    assert month.partner_purchases == {"shop-a": 1, "shop-b": 1, "shop-c": 0}
    assert month.purchases == 2
    assert assert_invariants() == {"shop-a": 20, "shop-b": 20}


def test_a_month_written_before_partner_counts_loads_and_its_partners_stay_counted(coalition):
    coalition.program(tier_metric="distinct_partners", tiers=TIERS_BY_PARTNERS)
    a, b, c = (coalition.partner(name) for name in ("shop-a", "shop-b", "shop-c"))
    member = coalition.member(a)
    for key, shop in ((a, "a"), (b, "b"), (c, "c")):
        coalition.purchase(key, member, "10.00", transaction_id=shop)
    item = legacy_item(member, months=True, basis=False, floor=False)
    assert item.activity["2026-11"] == {
        "qualifying_points": 30,
        "spend": "30.00",
        "purchases": 3,
        "partners": ["shop-a", "shop-b", "shop-c"],
        "redeemed_at": [],
    }
    assert coalition.me(member)["tier_progress"]["current"] == 3  # the legacy month loads

    ret = give_return(coalition, c, "c", "r1", "10.00")  # how many purchases shop-c had that month is not known

    assert ret.json["tier"] == "explorer"
    assert coalition.me(member)["tier_progress"]["current"] == 3
    assert [line[:2] for line in tier_lines(coalition, member)] == [("tier_upgrade", "explorer")]
    month = stored_wallet(member.member_id).activity["2026-11"]
    assert (month.purchases, month.partner_purchases) == (2, {})
    assert assert_invariants() == {"shop-a": 10, "shop-b": 10}


# ---- 3. bonuses tied to a purchase go back with it --------------------------------------------------------
def test_a_first_purchase_bonus_goes_back_with_the_purchase_and_a_spent_one_becomes_a_debt(coalition):
    coalition.program(bonuses={"first_purchase": {"points": 200, "funder": "operator", "min_amount": "5.00"}})
    shop = coalition.partner("shop")
    member = coalition.member(shop)
    tiny = coalition.purchase(shop, member, "0.01")
    first = coalition.purchase(shop, member, "10.00", transaction_id="t1")
    assert tiny.json["points"] == 0  # below min_amount: no bonus, and not the "first purchase" either
    assert first.json["points"] == 210
    coalition.redeem(shop, member, 205)

    ret = coalition.api.post("/v1/transactions/t1/returns", {"return_id": "r1", "amount": "10.00"}, token=shop)

    assert ret.status == 201 and ret.json["points_reversed"] == 210
    assert [(line["rule"], line["points"]) for line in ret.json["breakdown"]] == [
        ("return:base_rate", -10),
        ("return:first_purchase_bonus", -200),
    ]
    me = coalition.me(member)
    assert (me["available_points"], me["owed_points"]) == (0, 205)  # 5 left were clawed back, 205 owed
    # The bonus went back: the next qualifying purchase earns it again (and repays the operator first).
    again = coalition.purchase(shop, member, "5.00")
    assert again.json["points"] == 205
    assert coalition.me(member)["owed_points"] == 0
    assert assert_invariants() == {}  # the new points repaid both debts


def test_a_referral_rewards_both_sides_and_a_full_return_takes_both_back(coalition):
    coalition.program(bonuses={"referral": {"referrer_points": 500, "referee_points": 250, "funder": "operator"}})
    shop = coalition.partner("shop")
    ana = coalition.member(shop, email="ana@example.com")
    ben = coalition.member(shop, email="ben@example.com", referral_code=coalition.me(ana)["referral_code"])
    coalition.purchase(shop, ben, "20.00", transaction_id="t1")
    assert coalition.me(ana)["available_points"] == 500

    partial = coalition.api.post("/v1/transactions/t1/returns", {"return_id": "r1", "amount": "10.00"}, token=shop)
    assert partial.json["points_reversed"] == 10  # still a kept purchase: the fixed bonuses stay
    full = coalition.api.post("/v1/transactions/t1/returns", {"return_id": "r2", "amount": "10.00"}, token=shop)

    assert full.json["points_reversed"] == 260
    assert coalition.me(ana)["available_points"] == 0 and coalition.me(ben)["available_points"] == 0
    ana_last = entries(coalition, ana, 1)[0]
    assert (ana_last["type"], ana_last["points"], ana_last["breakdown"][0]["rule"]) == (
        "return",
        -500,
        "return:referral_bonus",
    )
    assert assert_invariants() == {}


def test_a_fixed_points_campaign_goes_back_on_a_full_return_only(coalition):
    shop = coalition.partner("shop")
    coalition.api.post(
        "/v1/admin/campaigns",
        {
            "campaign_id": "welcome",
            "name": "Welcome",
            "starts_at": "2026-11-01T00:00:00Z",
            "ends_at": "2026-12-01T00:00:00Z",
            "funder": "shop",
            "points": 100,
        },
        token=coalition.admin,
    )
    member = coalition.member(shop)
    coalition.purchase(shop, member, "40.00", transaction_id="t1")

    half = coalition.api.post("/v1/transactions/t1/returns", {"return_id": "r1", "amount": "20.00"}, token=shop)
    rest = coalition.api.post("/v1/transactions/t1/returns", {"return_id": "r2", "amount": "20.00"}, token=shop)

    assert (half.json["points_reversed"], rest.json["points_reversed"]) == (20, 120)
    assert assert_invariants() == {}


def campaign(coalition, campaign_id, **rule):
    body = {
        "campaign_id": campaign_id,
        "name": campaign_id.title(),
        "starts_at": "2026-11-01T00:00:00Z",
        "ends_at": "2026-12-01T00:00:00Z",
        "funder": "operator",
        **rule,
    }
    assert coalition.api.post("/v1/admin/campaigns", body, token=coalition.admin).status == 201


def test_a_fixed_points_campaign_on_a_category_goes_back_with_the_lines_that_earned_it(coalition):
    """Review D3: "100 points for any fuel" is taken back once no fuel is kept, though food is."""
    shop = coalition.partner("shop")
    campaign(coalition, "fuel100", points=100, categories=["fuel"])
    member = coalition.member(shop)
    items = [
        {"sku": "diesel", "category": "fuel", "amount": "60.00"},
        {"sku": "bread", "category": "food", "amount": "20.00"},
    ]
    bought = coalition.purchase(shop, member, "80.00", transaction_id="t1", items=items)
    assert (bought.json["points"], bought.json["breakdown"][-1]["rule"]) == (180, "campaign:fuel100")

    def give(return_id, sku, amount):
        body = {"return_id": return_id, "amount": amount, "items": [{"sku": sku, "amount": amount}]}
        return coalition.api.post("/v1/transactions/t1/returns", body, token=shop).json

    some_fuel = give("r1", "diesel", "59.00")
    last_fuel = give("r2", "diesel", "1.00")

    assert (some_fuel["points_reversed"], last_fuel["points_reversed"]) == (59, 101)
    assert [line["rule"] for line in last_fuel["breakdown"]] == ["return:base_rate", "return:campaign:fuel100"]
    assert coalition.me(member)["available_points"] == 20  # the bread's points stay
    assert assert_invariants() == {"shop": 20}


def test_a_capped_campaign_returned_whole_can_be_earned_again(coalition):
    """Review R3: a campaign once per member, whose purchase was returned, was used up for nothing."""
    shop = coalition.partner("shop")
    campaign(coalition, "once", points=100, max_per_member=1)
    campaign(coalition, "double", multiplier="2", max_per_member=1)
    member = coalition.member(shop)
    first = coalition.purchase(shop, member, "30.00", transaction_id="t1")
    assert [(line["rule"], line["points"]) for line in first.json["breakdown"]] == [
        ("base_rate", 30),
        ("campaign:double", 30),
        ("campaign:once", 100),
    ]
    coalition.api.post("/v1/transactions/t1/returns", {"return_id": "r1", "amount": "10.00"}, token=shop)
    kept_in_part = coalition.purchase(shop, member, "10.00", transaction_id="t2")
    coalition.api.post("/v1/transactions/t1/returns", {"return_id": "r2", "amount": "20.00"}, token=shop)
    again = coalition.purchase(shop, member, "10.00", transaction_id="t3")

    assert [line["rule"] for line in kept_in_part.json["breakdown"]] == ["base_rate"]  # still used by t1
    assert [(line["rule"], line["points"]) for line in again.json["breakdown"]] == [
        ("base_rate", 10),
        ("campaign:double", 10),
        ("campaign:once", 100),
    ]
    assert coalition.me(member)["available_points"] == 10 + 120
    assert assert_invariants() == {"shop": 20, "operator": 110}


def test_with_a_referral_rule_alone_a_returned_first_purchase_rearms_the_referral(coalition):
    """Review R3: with no first-purchase bonus, the referral taken back left the referee's first purchase used."""
    coalition.program(bonuses={"referral": {"referrer_points": 500, "referee_points": 0, "funder": "operator"}})
    shop = coalition.partner("shop")
    ana = coalition.member(shop, email="ana@example.com")
    ben = coalition.member(shop, email="ben@example.com", referral_code=coalition.me(ana)["referral_code"])
    coalition.purchase(shop, ben, "20.00", transaction_id="t1")
    coalition.api.post("/v1/transactions/t1/returns", {"return_id": "r1", "amount": "20.00"}, token=shop)
    assert coalition.me(ana)["available_points"] == 0

    coalition.purchase(shop, ben, "15.00", transaction_id="t2")
    coalition.purchase(shop, ben, "15.00", transaction_id="t3")

    assert coalition.me(ana)["available_points"] == 500  # paid again once, for t2
    assert coalition.me(ben)["available_points"] == 30
    assert assert_invariants() == {"operator": 500, "shop": 30}


# ---- 4. reversals of redemptions and captures --------------------------------------------------------------
def test_a_redemption_is_reversed_in_parts_with_its_attribution_and_never_beyond_what_was_spent(coalition, clock):
    cinema, grocer = coalition.partner("cinema"), coalition.partner("grocer")
    member = coalition.member(grocer)
    coalition.purchase(grocer, member, "30.00")
    clock.advance(days=10)  # December lot
    coalition.purchase(cinema, member, "50.00", occurred_at="2026-12-03T09:00:00Z")
    coalition.redeem(cinema, member, 60, redemption_id="ticket")  # grocer's 30 (Nov), then cinema's 30 (Dec)

    first = give_back(coalition, cinema, "/v1/redemptions/ticket", "rv1", 40)
    replay = give_back(coalition, cinema, "/v1/redemptions/ticket", "rv1", 40)
    too_much = give_back(coalition, cinema, "/v1/redemptions/ticket", "rv2", 21)
    rest = give_back(coalition, cinema, "/v1/redemptions/ticket", "rv3")
    nothing_left = give_back(coalition, cinema, "/v1/redemptions/ticket", "rv4")
    foreign = give_back(coalition, grocer, "/v1/redemptions/ticket", "rv5")

    assert (first.status, first.json["points"], first.json["available_points"]) == (201, 40, 60)
    assert replay.replayed and replay.body == first.body
    assert (too_much.status, too_much.error_code) == (422, "reversal_exceeds_redemption")
    assert (rest.status, rest.json["points"], rest.json["available_points"]) == (201, 20, 80)
    assert (nothing_left.status, nothing_left.error_code) == (422, "reversal_exceeds_redemption")
    assert foreign.status == 404  # only the partner that spent may reverse
    reversals = [e for e in entries(coalition, member) if e["type"] == "reversal"]
    assert [e["attribution"] for e in reversals] == [
        [{"issuer": "grocer", "expires_on": "2028-11-30", "points": 20}],
        [
            {"issuer": "cinema", "expires_on": "2028-12-31", "points": 30},
            {"issuer": "grocer", "expires_on": "2028-11-30", "points": 10},
        ],
    ]
    assert assert_invariants() == {"grocer": 30, "cinema": 50}


def test_a_captured_hold_is_reversed_and_points_past_their_validity_go_to_breakage(coalition, clock):
    clock.now = datetime(2026, 11, 30, 10, tzinfo=timezone.utc)
    coalition.program(expiry_months=1)  # November points valid until 2026-12-31
    shop = coalition.partner("shop")
    member = coalition.member(shop)
    coalition.purchase(shop, member, "50.00", occurred_at="2026-11-30T09:00:00Z")
    hold(coalition, shop, member, "h1", 40)
    coalition.api.post("/v1/holds/h1/capture", {}, token=shop)
    clock.now = datetime(2027, 1, 5, 10, tzinfo=timezone.utc)

    reversal = give_back(coalition, shop, "/v1/holds/h1", "rv1")

    assert (reversal.status, reversal.json["points"], reversal.json["expired_points"]) == (201, 40, 40)
    assert reversal.json["available_points"] == 0
    kinds = [(e["type"], e["points"]) for e in entries(coalition, member)[:3]]
    assert kinds == [("expire", -40), ("reversal", 40), ("expire", -10)]
    assert assert_invariants() == {}


# ---- 5. every entry's breakdown sums to its own points --------------------------------------------------
def test_an_earn_entry_explains_its_own_points_and_the_response_explains_the_whole(coalition):
    coalition.program(bonuses={"first_purchase": {"points": 200, "funder": "operator"}})
    shop = coalition.partner("shop")
    member = coalition.member(shop)

    reply = coalition.purchase(shop, member, "20.00")

    assert reply.json["points"] == 220 and sum(line["points"] for line in reply.json["breakdown"]) == 220
    for entry in entries(coalition, member):
        assert sum(line["points"] for line in entry["breakdown"]) == entry["points"], entry
    earn = next(e for e in entries(coalition, member) if e["type"] == "earn")
    assert [line["rule"] for line in earn["breakdown"]] == ["base_rate"]


# ---- 8. points that expired are not taken back again ------------------------------------------------------
def test_a_return_after_the_points_expired_takes_nothing_and_leaves_no_debt(coalition, clock):
    clock.now = datetime(2026, 11, 30, 10, tzinfo=timezone.utc)
    coalition.program(expiry_months=1)
    shop = coalition.partner("shop")
    member = coalition.member(shop)
    coalition.purchase(shop, member, "100.00", transaction_id="t1", occurred_at="2026-11-30T09:00:00Z")
    clock.now = datetime(2027, 1, 2, 1, tzinfo=timezone.utc)
    coalition.api.post("/v1/admin/jobs/expiry", {"as_of": "2027-01-01"}, token=coalition.admin)

    ret = coalition.api.post("/v1/transactions/t1/returns", {"return_id": "r1", "amount": "100.00"}, token=shop)

    assert (ret.status, ret.json["points_reversed"], ret.json["owed_points"]) == (201, 0, 0)
    assert ("return:expired", 100) in [(line["rule"], line["points"]) for line in ret.json["breakdown"]]
    assert assert_invariants() == {}


def test_points_spent_before_their_expiry_are_still_taken_back_by_a_late_return(coalition, clock):
    """Only what actually expired is spared: what the member spent before the date becomes a debt (review D1),
    and the first-purchase bonus is not earned a second time."""
    clock.now = datetime(2026, 11, 30, 10, tzinfo=timezone.utc)
    coalition.program(expiry_months=1, bonuses={"first_purchase": {"points": 200, "funder": "operator"}})
    shop, cinema = coalition.partner("shop"), coalition.partner("cinema")
    member = coalition.member(shop)
    coalition.purchase(shop, member, "100.00", transaction_id="t1", occurred_at="2026-11-30T09:00:00Z")  # 300
    clock.now = datetime(2026, 12, 1, 10, tzinfo=timezone.utc)
    coalition.redeem(cinema, member, 250)  # operator's 200 then 50 of shop's; 50 of shop's left to expire
    clock.now = datetime(2027, 1, 2, 10, tzinfo=timezone.utc)
    coalition.api.post("/v1/admin/jobs/expiry", {"as_of": "2027-01-02"}, token=coalition.admin)

    ret = coalition.api.post("/v1/transactions/t1/returns", {"return_id": "r1", "amount": "100.00"}, token=shop)

    assert (ret.status, ret.json["points_reversed"], ret.json["owed_points"]) == (201, 250, 250)
    assert sum(line["points"] for line in ret.json["breakdown"]) == -250
    again = coalition.purchase(shop, member, "10.00", occurred_at="2027-01-02T09:00:00Z")
    assert again.json["points"] == 10  # no second first-purchase bonus
    assert assert_invariants() == {"shop": -40, "operator": -200}


# ---- 9. held points reaching their expiry ------------------------------------------------------------------
def test_held_points_are_protected_while_held_and_expire_when_released(coalition, clock):
    clock.now = datetime(2026, 11, 30, 10, tzinfo=timezone.utc)
    coalition.program(expiry_months=1)
    shop = coalition.partner("shop")
    member = coalition.member(shop)
    coalition.purchase(shop, member, "100.00", occurred_at="2026-11-30T09:00:00Z")  # valid until 2026-12-31
    clock.now = datetime(2026, 12, 29, 10, tzinfo=timezone.utc)  # week-long holds across the validity's end
    hold(coalition, shop, member, "capture-me", 30, ttl_seconds=7 * 24 * 3600)
    hold(coalition, shop, member, "void-me", 30, ttl_seconds=7 * 24 * 3600)
    clock.now = datetime(2027, 1, 2, 10, tzinfo=timezone.utc)  # the lots' validity ended on 2026-12-31

    captured = coalition.api.post("/v1/holds/capture-me/capture", {"points": 20}, token=shop)
    voided = coalition.api.post("/v1/holds/void-me/void", token=shop)

    assert (captured.status, captured.json["points"], captured.json["available_points"]) == (201, 20, 0)
    assert (voided.status, voided.json["available_points"]) == (200, 0)
    expired = sum(-e["points"] for e in entries(coalition, member) if e["type"] == "expire")
    assert expired == 80  # 40 free + 10 released by the capture + 30 by the void
    assert assert_invariants() == {}


# ---- 27. a second capture with another amount ---------------------------------------------------------------
def test_capturing_a_captured_hold_again_with_another_amount_is_hold_not_open(coalition):
    shop = coalition.partner("shop")
    member = coalition.member(shop)
    coalition.purchase(shop, member, "100.00")
    hold(coalition, shop, member, "h1", 50)
    first = coalition.api.post("/v1/holds/h1/capture", {"points": 20}, token=shop)

    replay = coalition.api.post("/v1/holds/h1/capture", {"points": 20}, token=shop)
    other = coalition.api.post("/v1/holds/h1/capture", {"points": 30}, token=shop)

    assert replay.replayed and replay.body == first.body
    assert (other.status, other.error_code) == (422, "hold_not_open")
    assert coalition.me(member)["available_points"] == 80


# ---- 28. returns by line ---------------------------------------------------------------------------------------
def test_a_return_naming_its_lines_takes_back_what_those_lines_earned(coalition):
    fuel = coalition.partner("fuelco", earn_rate="2", category_rates={"fuel": "0.5"})
    member = coalition.member(fuel)
    bought = coalition.purchase(
        fuel, member, "80.00", transaction_id="t1", items=[{"sku": "diesel", "category": "fuel", "amount": "60.00"}]
    )
    assert bought.json["points"] == 70  # 60 × 0.5 + 20 × 2

    line = coalition.api.post(
        "/v1/transactions/t1/returns",
        {"return_id": "r1", "amount": "60.00", "items": [{"sku": "diesel", "amount": "60.00"}]},
        token=fuel,
    )
    again = coalition.api.post(
        "/v1/transactions/t1/returns",
        {"return_id": "r2", "amount": "1.00", "items": [{"sku": "diesel", "amount": "1.00"}]},
        token=fuel,
    )
    rest = coalition.api.post("/v1/transactions/t1/returns", {"return_id": "r3", "amount": "20.00"}, token=fuel)

    assert (line.status, line.json["points_reversed"]) == (201, 30)  # not 52 (60/80 of 70)
    assert (again.status, again.error_code) == (422, "return_exceeds_purchase")
    assert rest.json["points_reversed"] == 40
    assert assert_invariants() == {}


# ---- returns and reversals correct a member who can no longer earn or spend -------------------------------
def test_a_suspended_member_still_has_their_purchases_returned(coalition, settings):
    shop = coalition.partner("shop")
    member = coalition.member(shop)
    coalition.purchase(shop, member, "50.00", transaction_id="t1")
    coalition.api.patch(f"/v1/admin/members/{member.member_id}", {"status": "suspended"}, token=coalition.admin)
    before = table_snapshot(settings)
    refused = coalition.redeem(shop, member, 10)
    assert refused.error_code == "member_inactive" and table_snapshot(settings) == before

    ret = coalition.api.post("/v1/transactions/t1/returns", {"return_id": "r1", "amount": "50.00"}, token=shop)

    assert (ret.status, ret.json["points_reversed"]) == (201, 50)
    assert assert_invariants() == {}


def test_a_referrer_who_is_closed_or_at_the_daily_limit_gets_no_bonus_and_a_return_takes_none(coalition):
    coalition.program(
        bonuses={"referral": {"referrer_points": 500, "referee_points": 250, "funder": "operator"}},
        limits={"max_points_per_transaction": 5000, "max_points_per_member_per_day": 600},
    )
    shop = coalition.partner("shop")
    ana = coalition.member(shop, email="ana@example.com")
    code = coalition.me(ana)["referral_code"]
    ben = coalition.member(shop, email="ben@example.com", referral_code=code)
    cy = coalition.member(shop, email="cy@example.com", referral_code=code)
    coalition.purchase(shop, ben, "10.00")  # ana: 500 today
    coalition.purchase(shop, cy, "10.00", transaction_id="t-cy")  # ana would reach 1,000 > 600: nothing
    assert coalition.me(ana)["available_points"] == 500
    coalition.api.post("/v1/transactions/t-cy/returns", {"return_id": "r1", "amount": "10.00"}, token=shop)
    assert coalition.me(ana)["available_points"] == 500  # nothing was paid for cy: nothing taken back

    dan = coalition.member(shop, email="dan@example.com", referral_code=code)
    coalition.api.patch(f"/v1/admin/members/{ana.member_id}", {"status": "closed"}, token=coalition.admin)
    reply = coalition.purchase(shop, dan, "10.00")
    assert reply.json["points"] == 260  # the referee's own welcome stays
    assert assert_invariants() == {"shop": 20, "operator": 1000}  # ana 500, ben 250, dan 250


def test_a_purchase_recorded_in_the_old_form_is_returned_through_the_api(coalition):
    """Review D12: a purchase record written before awards were kept answered 500 on its return."""
    shop = coalition.partner("shop")
    member = coalition.member(shop)
    coalition.purchase(shop, member, "100.00", transaction_id="t1")
    record = OperationItem.get("shop#purchase#t1")  # rewritten as records were then: body and data unpacked
    record.body, record.packed = find_operation("shop#purchase#t1").body, None
    record.data = {
        "amount": "100.00",
        "currency": "EUR",
        "occurred_on": "2026-11-23",
        "points_by_issuer": {"shop": 100},
        "qualifying_points": 100,
        "returned_amount": "0",
        "returned_points": 0,
    }
    record.save()

    part = coalition.api.post("/v1/transactions/t1/returns", {"return_id": "r1", "amount": "30.00"}, token=shop)
    rest = coalition.api.post("/v1/transactions/t1/returns", {"return_id": "r2", "amount": "70.00"}, token=shop)

    assert (part.status, part.json["points_reversed"], rest.json["points_reversed"]) == (201, 30, 70)
    assert coalition.me(member)["available_points"] == 0
    assert assert_invariants() == {}
