"""Campaigns: multipliers on matching lines or fixed points, filtered by window, partner, channel, tier,
capped per member, funded (and so issued) by their funder."""

from __future__ import annotations

from tests.support.ledger import assert_invariants

FUEL_DOUBLE = {
    "campaign_id": "fuel-x2",
    "name": "Double fuel points",
    "starts_at": "2026-11-01T00:00:00Z",
    "ends_at": "2026-12-01T00:00:00Z",
    "partners": ["shop"],
    "categories": ["fuel"],
    "multiplier": "2",
    "funder": "operator",
}
ONLINE_WELCOME = {
    "campaign_id": "online-100",
    "name": "Online welcome",
    "starts_at": "2026-11-01T00:00:00Z",
    "ends_at": "2026-12-01T00:00:00Z",
    "channel": "online",
    "points": 100,
    "funder": "shop",
    "max_per_member": 1,
}


def create(coalition, campaign):
    reply = coalition.api.post("/v1/admin/campaigns", campaign, token=coalition.admin)
    assert reply.status == 201, reply.json
    return reply


def test_a_multiplier_applies_to_matching_lines_and_its_funder_issues_the_extra_points(coalition):
    key = coalition.partner("shop")
    create(coalition, FUEL_DOUBLE)
    member = coalition.member(key)

    reply = coalition.purchase(key, member, "40.50", items=[{"sku": "d", "category": "fuel", "amount": "30.25"}])

    assert reply.json["points"] == 70  # floor(30.25 × 2 + 10.25) = floor(70.75)
    assert [(line["rule"], line["points"]) for line in reply.json["breakdown"]] == [
        ("base_rate", 40),
        ("campaign:fuel-x2", 30),
    ]
    assert reply.json["breakdown"][1]["detail"] == "Double fuel points: × 2 on fuel, funded by operator"
    assert assert_invariants() == {"shop": 40, "operator": 30}


def test_fixed_points_follow_channel_window_and_the_per_member_cap(coalition, clock):
    key = coalition.partner("shop")
    create(coalition, ONLINE_WELCOME)
    member = coalition.member(key)

    in_store = coalition.purchase(key, member, "10.00", channel="store")
    online = coalition.purchase(key, member, "10.00", channel="online")
    online_again = coalition.purchase(key, member, "10.00", channel="online")
    clock.advance(days=10)  # December: the campaign has ended
    other = coalition.member(key)
    after = coalition.purchase(key, other, "10.00", channel="online", occurred_at="2026-12-03T09:00:00Z")

    assert [r.json["points"] for r in (in_store, online, online_again, after)] == [10, 110, 10, 10]
    assert assert_invariants() == {"shop": 140}


def test_tier_filtered_campaigns_reward_members_of_those_tiers_only(coalition):
    key = coalition.partner("shop", earn_rate="10")
    create(
        coalition,
        {**ONLINE_WELCOME, "campaign_id": "silver-only", "tiers": ["silver"], "max_per_member": None, "channel": None},
    )
    member = coalition.member(key)

    first = coalition.purchase(key, member, "250.00")  # member tier at purchase: no bonus; reaches silver
    second = coalition.purchase(key, member, "1.00")

    assert first.json["points"] == 2500 and first.json["tier"] == "silver"
    assert second.json["points"] == 12 + 100  # floor(1 × 10 × 1.25) + the silver campaign


def test_a_return_takes_back_campaign_points_in_proportion(coalition):
    key = coalition.partner("shop")
    create(coalition, FUEL_DOUBLE)
    member = coalition.member(key)
    coalition.purchase(
        key, member, "40.00", transaction_id="t1", items=[{"sku": "d", "category": "fuel", "amount": "40.00"}]
    )

    ret = coalition.api.post("/v1/transactions/t1/returns", {"return_id": "r1", "amount": "20.00"}, token=key)

    assert ret.json["points_reversed"] == 40  # half of 40 base + half of 40 campaign
    assert assert_invariants() == {"shop": 20, "operator": 20}


def test_campaigns_are_published_replaced_and_ended(coalition):
    coalition.partner("shop")
    create(coalition, FUEL_DOUBLE)

    published = coalition.api.get("/v1/program").json["campaigns"]
    replaced = coalition.api.put(
        "/v1/admin/campaigns/fuel-x2", {**FUEL_DOUBLE, "multiplier": "3"}, token=coalition.admin
    )
    duplicate = coalition.api.post("/v1/admin/campaigns", FUEL_DOUBLE, token=coalition.admin)
    ended = coalition.api.delete("/v1/admin/campaigns/fuel-x2", token=coalition.admin)

    assert [c["campaign_id"] for c in published] == ["fuel-x2"] and "funder" not in published[0]
    assert replaced.status == 200 and replaced.json["multiplier"] == "3"
    assert (duplicate.status, duplicate.error_code) == (409, "already_exists")
    assert ended.status == 204 and coalition.api.get("/v1/program").json["campaigns"] == []
    assert coalition.api.delete("/v1/admin/campaigns/fuel-x2", token=coalition.admin).status == 404


def test_inconsistent_campaigns_are_refused(coalition):
    coalition.partner("shop")
    cases = {
        "both kinds": ({**FUEL_DOUBLE, "points": 5}, None),
        "unknown funder": ({**FUEL_DOUBLE, "funder": "nobody"}, "funder"),
        "unknown partner": ({**FUEL_DOUBLE, "partners": ["nobody"]}, "partners"),
        "ends before it starts": ({**FUEL_DOUBLE, "ends_at": "2026-10-01T00:00:00Z"}, None),
        "a multiplier of 1": ({**FUEL_DOUBLE, "multiplier": "1"}, "multiplier"),
        "an unknown tier": ({**FUEL_DOUBLE, "tiers": ["platinum"]}, "tiers"),
    }
    for name, (body, field) in cases.items():
        reply = coalition.api.post("/v1/admin/campaigns", body, token=coalition.admin)
        assert (reply.status, reply.error_code) == (400, "invalid_request"), name
        if field:
            assert reply.json["error"]["field"] == field, name


def test_the_birthday_month_multiplies_a_members_points_funded_by_the_operator(coalition, clock):
    coalition.program(bonuses={"birthday_month_multiplier": "2"})
    key = coalition.partner("shop")
    november = coalition.member(key, email="nov@example.com", birth_date="1990-11-02")
    may = coalition.member(key, email="may@example.com", birth_date="1990-05-02")

    # A birth date counts from the month after it was recorded: set at the till in November, this November's
    # purchase earns no multiplier (a partner cannot make any member's purchase a birthday purchase).
    same_month = coalition.purchase(key, november, "15.50")
    clock.advance(days=365)  # 2027-11-23
    birthday = coalition.purchase(key, november, "15.50", occurred_at="2027-11-23T09:00:00Z")
    ordinary = coalition.purchase(key, may, "15.50", occurred_at="2027-11-23T09:00:00Z")

    assert same_month.json["points"] == 15
    assert birthday.json["breakdown"] == [
        {"rule": "base_rate", "points": 15, "detail": birthday.json["breakdown"][0]["detail"]},
        {"rule": "birthday_month", "points": 16, "detail": "Birthday month: × 2, funded by operator"},
    ]
    assert ordinary.json["points"] == 15
    assert assert_invariants() == {"shop": 45, "operator": 16}


def test_a_referred_members_first_purchase_rewards_both_sides_once(coalition):
    coalition.program(bonuses={"referral": {"referrer_points": 500, "referee_points": 250, "funder": "operator"}})
    key = coalition.partner("shop")
    ana = coalition.member(key, email="ana@example.com")
    code = coalition.me(ana)["referral_code"]
    ben = coalition.member(key, email="ben@example.com", referral_code=code.lower())  # codes are case-blind

    first = coalition.purchase(key, ben, "10.00")
    second = coalition.purchase(key, ben, "10.00")

    assert len(code) == 8
    assert first.json["points"] == 10 + 250 and second.json["points"] == 10
    assert coalition.me(ana)["available_points"] == 500
    ana_entries = coalition.api.get("/v1/me/entries", token=ana.token).json["entries"]
    assert [(e["type"], e["points"], e["breakdown"][0]["rule"]) for e in ana_entries] == [
        ("bonus", 500, "referral_bonus")
    ]
    assert coalition.me(ben)["available_points"] == 270
    assert assert_invariants() == {"shop": 20, "operator": 750}


def test_an_unknown_referral_code_refuses_the_enrolment(coalition, settings):
    key = coalition.partner("shop")
    reply = coalition.api.post("/v1/members", {"email": "ben@example.com", "referral_code": "NOSUCH99"}, token=key)
    assert (reply.status, reply.error_code, reply.json["error"]["field"]) == (422, "rule_violation", "referral_code")
