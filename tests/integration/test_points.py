"""Earn, burn, holds and returns through the HTTP API, with the ledger invariants checked after each story."""

from __future__ import annotations

from tests.support.ledger import assert_invariants


def test_earn_applies_category_rates_and_floors_once_per_transaction(coalition):
    key = coalition.partner("fuelco", earn_rate="2", category_rates={"fuel": "0.5"})
    member = coalition.member(key)

    reply = coalition.purchase(key, member, "35.99", items=[{"sku": "diesel", "category": "fuel", "amount": "30.01"}])

    # 30.01 × 0.5 + 5.98 × 2 = 15.005 + 11.96 = 26.965 -> 26 (one floor for the whole transaction)
    assert reply.status == 201
    assert reply.json["points"] == 26
    assert reply.json["breakdown"] == [
        {"rule": "base_rate", "points": 26, "detail": reply.json["breakdown"][0]["detail"]}
    ]
    assert sum(line["points"] for line in reply.json["breakdown"]) == 26
    assert reply.json["available_points"] == 26
    assert_invariants()


def test_crossing_a_threshold_upgrades_at_once_and_the_next_earn_uses_the_multiplier(coalition):
    key = coalition.partner("airline", earn_rate="10")
    member = coalition.member(key)

    first = coalition.purchase(key, member, "250.00")  # 2,500 qualifying points >= silver's 2,000
    second = coalition.purchase(key, member, "100.00")

    assert first.json["points"] == 2500 and first.json["tier"] == "silver"
    assert second.json["points"] == 1250  # floor(100 × 10 × 1.25)
    assert second.json["breakdown"] == [
        {"rule": "base_rate", "points": 1000, "detail": second.json["breakdown"][0]["detail"]},
        {"rule": "tier_multiplier", "points": 250, "detail": "silver tier × 1.25"},
    ]
    me = coalition.me(member)
    assert me["tier"] == "silver"
    assert me["tier_progress"] == {
        "metric": "qualifying_points",
        "current": 3750,
        "next_tier": "gold",
        "needed": 1250,
        "review_on": "2027-11-23",
        # the review weighs 2026-12..2027-11: this month's 3750 are out of that window by then
        "keep": {"tier": "silver", "threshold": 2000, "counted": 0, "needed": 2000, "by": "2027-11-23"},
    }


def test_redemption_spends_first_to_expire_first_and_says_whose_points(coalition, clock):
    grocer = coalition.partner("grocer", earn_rate="1")
    cinema = coalition.partner("cinema", earn_rate="1")
    member = coalition.member(grocer)
    coalition.purchase(cinema, member, "30.00", occurred_at="2026-10-20T10:00:00Z")
    clock.advance(days=10)  # booked in December: a later expiry month
    coalition.purchase(grocer, member, "50.00", occurred_at="2026-12-03T10:00:00Z")
    coalition.purchase(cinema, member, "20.00", occurred_at="2026-12-03T10:00:00Z")

    reply = coalition.redeem(cinema, member, 60)

    assert reply.status == 201 and reply.json["available_points"] == 40
    entries = coalition.api.get("/v1/me/entries?limit=1", token=member.token).json["entries"]
    assert entries[0]["type"] == "redeem" and entries[0]["points"] == -60
    assert entries[0]["attribution"] == [
        {"issuer": "cinema", "expires_on": "2028-11-30", "points": 30},  # November lot first
        {"issuer": "cinema", "expires_on": "2028-12-31", "points": 20},  # then December, issuers by id
        {"issuer": "grocer", "expires_on": "2028-12-31", "points": 10},
    ]
    assert assert_invariants() == {"grocer": 40}


def test_a_redemption_beyond_the_balance_is_refused(coalition):
    key = coalition.partner("shop")
    member = coalition.member(key)
    coalition.purchase(key, member, "10.00")

    reply = coalition.redeem(key, member, 11)

    assert reply.status == 422 and reply.error_code == "insufficient_points"
    assert coalition.me(member)["available_points"] == 10


def test_hold_then_partial_capture_releases_the_rest(coalition):
    key = coalition.partner("shop")
    member = coalition.member(key)
    coalition.purchase(key, member, "100.00")

    hold = coalition.api.post(
        "/v1/holds", {"hold_id": "h1", "member": {"card_number": member.card_number}, "points": 80}, token=key
    )
    assert hold.status == 201 and hold.json["available_points"] == 20 and hold.json["points"] == 80
    assert coalition.me(member)["held_points"] == 80

    capture = coalition.api.post("/v1/holds/h1/capture", {"points": 50}, token=key)

    assert capture.status == 201
    assert capture.json["points"] == 50 and capture.json["available_points"] == 50
    me = coalition.me(member)
    assert (me["available_points"], me["held_points"]) == (50, 0)
    again = coalition.api.post("/v1/holds/h1/void", token=key)
    assert again.status == 422 and again.error_code == "hold_not_open"
    assert_invariants()


def test_void_gives_the_points_back(coalition):
    key = coalition.partner("shop")
    member = coalition.member(key)
    coalition.purchase(key, member, "40.00")
    coalition.api.post(
        "/v1/holds", {"hold_id": "h1", "member": {"card_number": member.card_number}, "points": 40}, token=key
    )

    void = coalition.api.post("/v1/holds/h1/void", token=key)

    assert void.status == 200 and void.json["status"] == "voided" and void.json["available_points"] == 40
    assert coalition.api.post("/v1/holds/h1/capture", {}, token=key).error_code == "hold_not_open"
    assert_invariants()


def test_an_expired_hold_cannot_be_captured_and_releases_at_the_next_use(coalition, clock):
    key = coalition.partner("shop")
    member = coalition.member(key)
    coalition.purchase(key, member, "40.00")
    coalition.api.post(
        "/v1/holds",
        {"hold_id": "h1", "member": {"card_number": member.card_number}, "points": 30, "ttl_seconds": 60},
        token=key,
    )
    clock.advance(seconds=61)

    assert coalition.me(member)["available_points"] == 40  # read paths already count it released
    capture = coalition.api.post("/v1/holds/h1/capture", {}, token=key)
    assert capture.status == 422 and capture.error_code == "hold_not_open"

    coalition.redeem(key, member, 5)  # the next write releases it in the same transaction

    types = [e["type"] for e in coalition.api.get("/v1/me/entries", token=member.token).json["entries"]]
    assert types == ["redeem", "void", "hold", "earn"]
    assert coalition.me(member)["available_points"] == 35
    assert_invariants()


def test_the_hold_sweep_releases_expired_holds_of_due_members_only(coalition, clock, meter):
    key = coalition.partner("shop")
    due, not_due = coalition.member(key), coalition.member(key)
    for member, ttl in ((due, 60), (not_due, 3600)):
        coalition.purchase(key, member, "10.00")
        coalition.api.post(
            "/v1/holds",
            {
                "hold_id": f"h-{member.member_id}",
                "member": {"card_number": member.card_number},
                "points": 10,
                "ttl_seconds": ttl,
            },
            token=key,
        )
    clock.advance(seconds=120)
    meter.reset()

    job = coalition.api.post("/v1/admin/jobs/hold-sweep", token=coalition.admin)

    assert job.status == 202 and job.json["processed"] == 1
    assert coalition.me(due)["held_points"] == 0 and coalition.me(not_due)["held_points"] == 10
    assert "Scan" not in meter.counts()
    assert_invariants()


def test_returns_claw_back_in_proportion_and_never_beyond_the_purchase(coalition):
    key = coalition.partner("shop", earn_rate="3")
    member = coalition.member(key)
    coalition.purchase(key, member, "33.33", transaction_id="t1")  # 99 points

    first = coalition.api.post("/v1/transactions/t1/returns", {"return_id": "r1", "amount": "11.11"}, token=key)
    second = coalition.api.post("/v1/transactions/t1/returns", {"return_id": "r2", "amount": "22.22"}, token=key)
    third = coalition.api.post("/v1/transactions/t1/returns", {"return_id": "r3", "amount": "0.01"}, token=key)

    assert (first.status, first.json["points_reversed"]) == (201, 33)
    assert (second.status, second.json["points_reversed"]) == (201, 66)  # in total exactly the 99 earned
    assert third.status == 422 and third.error_code == "return_exceeds_purchase"
    assert coalition.me(member)["available_points"] == 0
    assert_invariants()


def test_a_return_after_spending_leaves_a_debt_that_the_issuers_next_points_repay(coalition):
    shop = coalition.partner("shop", earn_rate="1")
    cinema = coalition.partner("cinema", earn_rate="1")
    member = coalition.member(shop)
    coalition.purchase(shop, member, "100.00", transaction_id="t1")
    coalition.purchase(cinema, member, "50.00")
    coalition.redeem(cinema, member, 120)  # shop's 100 (same expiry, issuer id order: cinema first) ...

    ret = coalition.api.post("/v1/transactions/t1/returns", {"return_id": "r1", "amount": "100.00"}, token=shop)

    assert ret.status == 201 and ret.json["points_reversed"] == 100
    me = coalition.me(member)
    assert me["owed_points"] == 70 and me["available_points"] == 0  # 30 left, 70 owed back to shop: never negative
    assert assert_invariants() == {"shop": -70}

    coalition.purchase(shop, member, "100.00")  # 70 repay the debt, 30 become a lot

    me = coalition.me(member)
    assert (me["owed_points"], me["available_points"]) == (0, 30)
    assert assert_invariants() == {"shop": 30}


def test_entries_page_newest_first_with_a_cursor(coalition):
    key = coalition.partner("shop")
    member = coalition.member(key)
    for n in range(5):
        coalition.purchase(key, member, f"{n + 1}.00")

    first = coalition.api.get("/v1/me/entries?limit=2", token=member.token).json
    second = coalition.api.get(f"/v1/me/entries?limit=2&cursor={first['next_cursor']}", token=member.token).json
    third = coalition.api.get(f"/v1/me/entries?limit=2&cursor={second['next_cursor']}", token=member.token).json

    points = [e["points"] for page in (first, second, third) for e in page["entries"]]
    assert points == [5, 4, 3, 2, 1]
    assert third["next_cursor"] is None
    assert all("breakdown" in e for page in (first, second, third) for e in page["entries"])


def test_members_are_recognised_by_card_email_or_phone_and_enrolled_once(coalition):
    key = coalition.partner("shop")
    member = coalition.member(key, email="Ana@Example.com", phone="+33612345678")
    coalition.purchase(key, member, "12.00")

    for query in (f"card_number={member.card_number}", "email=ana@example.com", "phone=%2B33612345678"):
        reply = coalition.api.get(f"/v1/members?{query}", token=key)
        assert reply.json == {"member_id": member.member_id, "tier": "member", "available_points": 12}, query

    duplicate = coalition.api.post("/v1/members", {"email": "ana@example.com"}, token=key)
    assert duplicate.status == 409 and duplicate.error_code == "member_exists"
    assert duplicate.json["error"]["member_id"] == member.member_id


def test_generated_card_numbers_pass_the_luhn_check(coalition):
    key = coalition.partner("shop")
    card = coalition.member(key).card_number
    digits = [int(d) for d in reversed(card)]
    total = sum(digits[0::2]) + sum(sum(divmod(2 * d, 10)) for d in digits[1::2])
    assert len(card) == 16 and total % 10 == 0


def test_every_entry_explains_itself_and_its_lines_sum_to_its_points(coalition):
    key = coalition.partner("shop")
    member = coalition.member(key)
    coalition.purchase(key, member, "30.00", transaction_id="t1")
    coalition.redeem(key, member, 5)
    coalition.api.post(
        "/v1/holds", {"hold_id": "h1", "member": {"card_number": member.card_number}, "points": 9}, token=key
    )
    coalition.api.post("/v1/holds/h1/capture", {"points": 4}, token=key)
    coalition.api.post("/v1/transactions/t1/returns", {"return_id": "r1", "amount": "3.00"}, token=key)

    entries = coalition.api.get("/v1/me/entries", token=member.token).json["entries"]

    assert [e["type"] for e in entries] == ["return", "capture", "hold", "redeem", "earn"]
    for entry in entries:
        assert sum(line["points"] for line in entry["breakdown"]) == entry["points"], entry
        assert all(line["detail"] for line in entry["breakdown"])
    capture = entries[1]["breakdown"][0]
    assert capture == {"rule": "capture", "points": -4, "detail": "4 reserved points spent at shop, 5 released"}


def test_a_suspended_member_cannot_earn_or_spend_until_reactivated(coalition, settings):
    from tests.support.aws import table_snapshot

    key = coalition.partner("shop")
    member = coalition.member(key)
    coalition.purchase(key, member, "10.00")

    suspended = coalition.api.patch(
        f"/v1/admin/members/{member.member_id}", {"status": "suspended"}, token=coalition.admin
    )
    before = table_snapshot(settings)
    refused = [coalition.purchase(key, member, "5.00"), coalition.redeem(key, member, 1)]
    assert table_snapshot(settings) == before
    coalition.api.patch(f"/v1/admin/members/{member.member_id}", {"status": "active"}, token=coalition.admin)
    accepted = coalition.redeem(key, member, 1)

    assert suspended.json == {"member_id": member.member_id, "status": "suspended"}
    assert [(r.status, r.error_code) for r in refused] == [(422, "member_inactive")] * 2
    assert accepted.status == 201
    history = [
        e["breakdown"][0]["detail"]
        for e in coalition.api.get("/v1/me/entries", token=member.token).json["entries"]
        if e["type"] == "status"
    ]
    assert history == ["account suspended -> active (operator)", "account active -> suspended (operator)"]
    assert (
        coalition.api.patch(
            "/v1/admin/members/m_00000000000000000000", {"status": "closed"}, token=coalition.admin
        ).status
        == 404
    )
