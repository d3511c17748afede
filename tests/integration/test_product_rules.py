"""Product rules decided in issue 7 (items 6, 7, 21–25): replays outlive windows, caps and limits cannot be beaten
by dates, spending needs the card, closing releases identifiers."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from chalice.test import Client

import app as application
from chalicelib.bootstrap import Container
from chalicelib.store import directory
from tests.support.api import PROGRAM, ApiClient
from tests.support.aws import ADMIN_KEY, table_snapshot
from tests.support.ledger import assert_invariants
from tests.support.wallets import put_legacy, stored_wallet

ACTIVITIES = {"review": {"points": 50, "max_per_day": 1}}


def activity(coalition, key, member, activity_id, occurred_at):
    body = {
        "activity_id": activity_id,
        "member": {"member_id": member.member_id},
        "type": "review",
        "occurred_at": occurred_at,
    }
    return coalition.api.post("/v1/activities", body, token=key)


# ---- 6. a replay answers the stored reply whatever changed since --------------------------------------------
def test_replays_after_the_posting_window_or_a_programme_change_answer_the_first_reply(coalition, clock, settings):
    coalition.program(activities=ACTIVITIES)
    shop = coalition.partner("shop")
    member = coalition.member(shop)
    purchase = coalition.purchase(shop, member, "10.00", transaction_id="t1")
    review = activity(coalition, shop, member, "a1", "2026-11-23T09:00:00Z")
    clock.advance(days=91)  # past both the 6-day activity and the 90-day purchase windows
    coalition.program()  # the review activity no longer exists
    before = table_snapshot(settings)

    purchase_again = coalition.purchase(shop, member, "10.00", transaction_id="t1")
    review_again = activity(coalition, shop, member, "a1", "2026-11-23T09:00:00Z")
    conflicting = coalition.purchase(shop, member, "11.00", transaction_id="t1")

    assert purchase_again.replayed and purchase_again.body == purchase.body
    assert review_again.replayed and review_again.body == review.body
    assert (conflicting.status, conflicting.error_code) == (409, "idempotency_conflict")
    assert table_snapshot(settings) == before


# ---- 7 and 21. daily caps count by booking day ----------------------------------------------------------------
def test_a_daily_cap_cannot_be_beaten_by_claiming_other_days(coalition, clock):
    coalition.program(activities=ACTIVITIES)
    shop = coalition.partner("shop")
    member = coalition.member(shop)
    clock.now = datetime(2026, 11, 23, 23, 58, tzinfo=timezone.utc)
    # Eight dates can be claimed (six days late … tomorrow within the clock skew): one review earns today.
    claimed = ["2026-11-17T10:00:00Z"] + [f"2026-11-{d}T10:00:00Z" for d in range(18, 24)] + ["2026-11-24T00:01:00Z"]
    replies = [activity(coalition, shop, member, f"a{n}", at) for n, at in enumerate(claimed)]
    oldest_again = activity(coalition, shop, member, "a-old", "2026-11-17T11:00:00Z")

    assert [r.status for r in replies] == [201] + [422] * 7
    assert oldest_again.error_code == "rule_violation"
    clock.advance(minutes=5)  # the next booking day
    assert activity(coalition, shop, member, "a-next", "2026-11-18T12:00:00Z").status == 201
    assert coalition.me(member)["available_points"] == 100


def test_a_backdated_purchase_does_not_pick_up_a_past_campaign(coalition, clock):
    shop = coalition.partner("shop")
    coalition.api.post(
        "/v1/admin/campaigns",
        {
            "campaign_id": "x5",
            "name": "Five times",
            "starts_at": "2026-09-01T00:00:00Z",
            "ends_at": "2026-09-30T00:00:00Z",
            "funder": "operator",
            "multiplier": "5",
        },
        token=coalition.admin,
    )
    member = coalition.member(shop)

    late = coalition.purchase(shop, member, "10.00", occurred_at="2026-09-15T10:00:00Z")  # posted 2 months late
    clock.now = datetime(2026, 10, 3, 10, tzinfo=timezone.utc)
    offline = coalition.purchase(shop, member, "10.00", occurred_at="2026-09-29T10:00:00Z")  # 4 days: in grace

    assert [line["rule"] for line in late.json["breakdown"]] == ["base_rate"]
    assert offline.json["points"] == 50


# ---- 23. anti-fraud limits ---------------------------------------------------------------------------------------
def test_points_per_transaction_and_per_member_per_day_are_limited(coalition, settings):
    coalition.program(limits={"max_points_per_transaction": 5000, "max_points_per_member_per_day": 8000})
    shop = coalition.partner("shop", earn_rate="10")
    member = coalition.member(shop)
    published = coalition.api.get("/v1/program").json["limits"]
    assert published == {"max_points_per_transaction": 5000, "max_points_per_member_per_day": 8000}

    huge = coalition.purchase(shop, member, "2000000.00")
    first = coalition.purchase(shop, member, "450.00")
    before = table_snapshot(settings)
    second = coalition.purchase(shop, member, "400.00")  # 4,500 + 4,000 > 8,000 today

    assert (huge.status, huge.error_code, huge.json["error"]["field"]) == (422, "rule_violation", "amount")
    assert first.status == 201
    assert (second.status, second.error_code) == (422, "rule_violation")
    assert table_snapshot(settings) == before
    assert coalition.me(member)["available_points"] == 4500


# ---- 24. only the card spends ------------------------------------------------------------------------------------
def test_only_the_card_spends_an_email_phone_or_member_id_learnt_from_them_cannot(coalition):
    """The attack: a partner that knows a member's e-mail looks the member up (or enrols the e-mail and reads the
    conflict), learns the member id, and spends with it. Only the card the member presents is consent."""
    shop = coalition.partner("shop")
    member = coalition.member(shop, email="ana@example.com", phone="+33612345678")
    coalition.purchase(shop, member, "50.00")  # 50 points
    learnt = coalition.api.get("/v1/members?email=ana@example.com", token=shop).json["member_id"]
    conflict = coalition.api.post("/v1/members", {"email": "ana@example.com"}, token=shop).json["error"]
    assert learnt == conflict["member_id"] == member.member_id  # recognising still works

    refused = {
        "member.email": coalition.api.post(
            "/v1/redemptions", {"redemption_id": "r1", "member": {"email": "ana@example.com"}, "points": 10}, token=shop
        ),
        "member.phone": coalition.api.post(
            "/v1/holds", {"hold_id": "h1", "member": {"phone": "+33612345678"}, "points": 10}, token=shop
        ),
        "member.member_id": coalition.api.post(
            "/v1/redemptions", {"redemption_id": "r2", "member": {"member_id": learnt}, "points": 10}, token=shop
        ),
        "member.member_id ": coalition.api.post(
            "/v1/holds", {"hold_id": "h2", "member": {"member_id": learnt}, "points": 10}, token=shop
        ),
    }
    by_card = coalition.api.post(
        "/v1/redemptions",
        {"redemption_id": "r3", "member": {"card_number": member.card_number}, "points": 10},
        token=shop,
    )

    for field, reply in refused.items():
        assert (reply.status, reply.error_code, reply.json["error"]["field"]) == (422, "rule_violation", field.strip())
    assert (by_card.status, by_card.json["available_points"]) == (201, 40)
    me = coalition.me(member)
    assert (me["available_points"], me["held_points"]) == (40, 0)  # only the card's 10 points moved


# ---- 25. closed members ---------------------------------------------------------------------------------------------
def test_a_closed_member_is_no_longer_found_and_their_identifiers_are_free_again(coalition):
    shop = coalition.partner("shop")
    member = coalition.member(shop, email="ana@example.com", card_number="12345678")
    coalition.purchase(shop, member, "20.00", transaction_id="t1")

    closed = coalition.api.patch(f"/v1/admin/members/{member.member_id}", {"status": "closed"}, token=coalition.admin)

    assert closed.status == 200
    for query in ("email=ana@example.com", "card_number=12345678"):
        assert coalition.api.get(f"/v1/members?{query}", token=shop).status == 404
    reopened = coalition.api.patch(f"/v1/admin/members/{member.member_id}", {"status": "active"}, token=coalition.admin)
    assert (reopened.status, reopened.error_code) == (422, "rule_violation")
    assert coalition.redeem(shop, member, 5).error_code == "not_found"  # its card is released
    # a return still corrects the closed member's points
    ret = coalition.api.post("/v1/transactions/t1/returns", {"return_id": "r1", "amount": "20.00"}, token=shop)
    assert ret.status == 201
    again = coalition.api.post("/v1/members", {"email": "ana@example.com", "card_number": "12345678"}, token=shop)
    assert again.status == 201 and again.json["member_id"] != member.member_id
    assert assert_invariants() == {}


def test_a_first_purchase_minimum_is_an_amount_of_the_programmes_currency(coalition):
    for bad in ("abc", "5.001", "-1", "5.00\n"):
        bonuses = {"first_purchase": {"points": 200, "funder": "operator", "min_amount": bad}}
        reply = coalition.api.put("/v1/admin/program", {**PROGRAM, "bonuses": bonuses}, token=coalition.admin)
        assert (reply.status, reply.json["error"]["field"]) == (400, "bonuses.first_purchase.min_amount"), bad


def test_one_coalition_trades_in_one_currency_so_amounts_compare_as_they_are(coalition):
    """Review D11: the first-purchase minimum (and tier spend) compare a partner's amounts with the programme's
    currency; with no exchange rates kept, a partner in another currency is refused, and so is a programme that
    would change currency under its partners."""
    bonuses = {"first_purchase": {"points": 200, "funder": "operator", "min_amount": "10.00"}}
    coalition.program(bonuses=bonuses)
    shop = coalition.partner("shop")
    body = {"partner_id": "zurich", "name": "Zurich", "currency": "CHF", "earn_rate": "1"}

    swiss = coalition.api.post("/v1/admin/partners", body, token=coalition.admin)
    dollars = coalition.api.put("/v1/admin/program", {**PROGRAM, "currency": "USD"}, token=coalition.admin)

    assert (swiss.status, swiss.error_code, swiss.json["error"]["field"]) == (422, "currency_mismatch", "currency")
    assert coalition.api.get("/v1/admin/partners/zurich", token=coalition.admin).status == 404
    assert (dollars.status, dollars.error_code, dollars.json["error"]["field"]) == (
        422,
        "currency_mismatch",
        "currency",
    )
    assert coalition.api.get("/v1/program").json["currency"] == "EUR"
    member = coalition.member(shop)
    below, at = coalition.purchase(shop, member, "9.99"), coalition.purchase(shop, member, "10.00")
    assert [line["rule"] for line in below.json["breakdown"]] == ["base_rate"]
    assert (at.json["points"], at.json["breakdown"][-1]["rule"]) == (210, "first_purchase_bonus")


def test_a_wallet_written_before_it_listed_its_identifiers_still_releases_card_and_referral_code(coalition):
    """Review D13: closing a member whose wallet has no `aliases` (written before they were kept) released
    nothing, so the card stayed taken and still found the closed member."""
    shop = coalition.partner("shop")
    member = coalition.member(shop, card_number="12345678")
    code = coalition.me(member)["referral_code"]
    put_legacy(stored_wallet(member.member_id), aliases=None)  # as the old code wrote it: no `aliases`

    closed = coalition.api.patch(f"/v1/admin/members/{member.member_id}", {"status": "closed"}, token=coalition.admin)

    assert closed.status == 200
    assert coalition.api.get("/v1/members?card_number=12345678", token=shop).status == 404
    again = coalition.api.post("/v1/members", {"card_number": "12345678", "referral_code": code}, token=shop)
    assert (again.status, again.error_code) == (422, "rule_violation")  # the closed member's code is gone too
    fresh = coalition.api.post("/v1/members", {"card_number": "12345678"}, token=shop)
    assert fresh.status == 201 and fresh.json["member_id"] != member.member_id


def test_partners_onboarded_in_another_currency_before_the_rule_do_not_lock_the_programme(coalition):
    """Review of D11: a coalition that already had a CHF partner could not change its programme at all."""
    coalition.partner("shop")
    shop = directory.get_partner("shop")
    directory.create_partner(replace(shop, partner_id="zurich", currency="CHF"), "2026-01-01T00:00:00.000Z")

    same = coalition.api.put("/v1/admin/program", {**PROGRAM, "point_value": "0.02"}, token=coalition.admin)
    other = coalition.api.put("/v1/admin/program", {**PROGRAM, "currency": "CHF"}, token=coalition.admin)

    assert (same.status, coalition.api.get("/v1/program").json["point_value"]) == (200, "0.02")
    assert (other.status, other.error_code) == (422, "currency_mismatch")  # still no change of currency


def test_a_new_partner_is_checked_against_the_programme_as_last_written_not_a_cached_one(tables, settings, clock):
    """Review of D11: a container that had cached the programme in EUR created an EUR partner after the programme
    had moved to USD in another container."""
    settings = settings.model_copy(update={"config_cache_seconds": 30})
    first, second = Container(settings, clock), Container(settings, clock)
    partner = {"partner_id": "shop", "name": "Shop", "currency": "EUR", "earn_rate": "1"}
    with Client(application.app) as client:
        api = ApiClient(client, None)
        application.app.container = first
        assert api.put("/v1/admin/program", PROGRAM, token=ADMIN_KEY).status == 200
        application.app.container = second
        assert api.get("/v1/program").json["currency"] == "EUR"  # cached here now
        application.app.container = first
        assert api.put("/v1/admin/program", {**PROGRAM, "currency": "USD"}, token=ADMIN_KEY).status == 200
        application.app.container = second

        created = api.post("/v1/admin/partners", partner, token=ADMIN_KEY)

    assert (created.status, created.error_code) == (422, "currency_mismatch")


def test_a_legacy_wallet_whose_referral_code_was_never_an_alias_can_still_be_closed(coalition):
    """Review of D13: wallets of the first enrolments kept the code given at enrolment as `referral_code`, with no
    REF# alias behind it; releasing that derived alias failed its condition on every retry (503)."""
    shop = coalition.partner("shop")
    member = coalition.member(shop, card_number="12345678")
    put_legacy(stored_wallet(member.member_id), aliases=None, referral_code="FRIEND42")

    closed = coalition.api.patch(f"/v1/admin/members/{member.member_id}", {"status": "closed"}, token=coalition.admin)

    assert closed.status == 200
    assert coalition.api.get("/v1/members?card_number=12345678", token=shop).status == 404
