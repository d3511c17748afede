"""Cases an adversarial review of challenges found or checked, kept as tests: other currencies, the minimum amount
on returns, UTC periods, extensions, late returns and replays, targets, the currency's decimals, fees and expiry."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from chalicelib.store.ledger import all_entries
from tests.support.ledger import assert_invariants
from tests.targeting.test_challenges import challenge, create, give_back, mine, rules


def legacy_partner(coalition, partner_id, currency):
    """A partner onboarded before one-currency-per-programme (the code keeps supporting them)."""
    key = coalition.partner(partner_id)
    rt = coalition.api.container.runtime
    found = rt.store.directory.get_partner(partner_id)
    rt.store.directory.save_partner(replace(found, currency=currency))
    rt.cache.forget(f"partner:{partner_id}")
    return key


def test_a_partner_in_another_currency_adds_no_spend(coalition):
    """A JPY partner's 10000 JPY (~60 EUR) must not count as 10000.00 EUR spend."""
    eur = coalition.partner("cafe")
    jpy = legacy_partner(coalition, "sushi", "JPY")
    create(coalition, challenge(kind="spend", target="300.00"))
    member = coalition.member(eur)
    reply = coalition.purchase(jpy, member, "1000", currency="JPY")
    assert reply.status == 201, reply.json
    assert "challenge:five" not in rules(reply), reply.json["breakdown"]


def test_a_partner_in_another_currency_is_not_compared_with_a_minimum_amount(coalition):
    """min_amount 50.00 (EUR); a 60 JPY purchase (~0.36 EUR) must not count."""
    eur = coalition.partner("cafe")
    jpy = legacy_partner(coalition, "sushi", "JPY")
    create(coalition, challenge(target=1, min_amount="50.00"))
    member = coalition.member(eur)
    reply = coalition.purchase(jpy, member, "60", currency="JPY")
    assert reply.status == 201, reply.json
    assert "challenge:five" not in rules(reply), reply.json["breakdown"]


def test_a_purchase_kept_below_the_minimum_leaves_the_spend_whole(coalition):
    """spend 100.00, min 50.00. A buys 100 (complete), returns 60 (kept 40 < 50: no longer counts at all).
    A purchase of 60 should then leave spend at 60 (not complete) - a 40.00 purchase would never have counted."""
    key = coalition.partner("cafe")
    create(coalition, challenge(kind="spend", target="100.00", min_amount="50.00"))
    member = coalition.member(key)
    first = coalition.purchase(key, member, "100.00", transaction_id="t-1")
    assert "challenge:five" in rules(first)
    back = give_back(coalition, key, "t-1", "60.00", "r-1")
    assert "return:challenge:five" in [line["rule"] for line in back["breakdown"]]
    seen = mine(coalition, member)["five"]
    again = coalition.purchase(key, member, "60.00", transaction_id="t-2")
    assert seen["progress"] == "0.00", seen
    assert "challenge:five" not in rules(again), (seen, again.json)


def test_a_time_with_an_offset_counts_in_its_utc_month(coalition, clock):
    """Periods are calendar months UTC: 2026-12-01T00:30+01:00 is 30 Nov 23:30 UTC, in November."""
    key = coalition.partner("cafe")
    create(coalition, challenge(target=2))
    member = coalition.member(key)
    coalition.purchase(key, member, "10.00", occurred_at="2026-11-20T09:00:00Z")
    clock.now = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)
    second = coalition.purchase(key, member, "10.00", occurred_at="2026-12-01T00:30:00+01:00")
    assert second.status == 201, second.json
    assert "challenge:five" in rules(second), second.json


def test_a_return_past_the_days_a_period_is_kept_leaves_its_reward(coalition, clock):
    """README: 'A completed period is kept 90 days after it ends; a return after that leaves the reward.'"""
    key = coalition.partner("cafe")
    create(coalition, challenge(target=1, ends_at="2026-12-01T00:00:00Z"))
    member = coalition.member(key)
    assert coalition.purchase(key, member, "10.00", transaction_id="t-1").json["points"] == 510
    clock.now = datetime(2027, 6, 1, 10, 0, tzinfo=timezone.utc)  # ~180 days after the period ended
    back = give_back(coalition, key, "t-1", "10.00", "r-1")
    assert "return:challenge:five" not in [line["rule"] for line in back["breakdown"]], back


def test_an_extended_opt_in_challenge_keeps_its_enrolments(coalition, clock):
    key = coalition.partner("cafe")
    body = challenge(target=1, opt_in=True, ends_at="2026-12-01T00:00:00Z")
    create(coalition, body)
    member = coalition.member(key)
    assert coalition.api.post("/v1/me/challenges/five/enrolment", token=member.token).status == 201
    extended = coalition.api.put(
        "/v1/admin/challenges/five", {**body, "ends_at": "2027-01-01T00:00:00Z"}, token=coalition.admin
    )
    assert extended.status == 200, extended.json
    clock.now = datetime(2026, 12, 10, 10, 0, tzinfo=timezone.utc)
    first = coalition.purchase(key, member, "10.00", occurred_at="2026-12-10T09:00:00Z")
    assert "challenge:five" in rules(first), first.json  # December counts for an enrolled member


def test_an_extended_challenge_keeps_the_targets_set(coalition, clock):
    key = coalition.partner("cafe")
    body = challenge(targets="set", target=None, ends_at="2026-12-01T00:00:00Z")
    create(coalition, body)
    member = coalition.member(key)
    put = coalition.api.put(
        f"/v1/admin/challenges/five/targets/{member.member_id}", {"target": 1}, token=coalition.admin
    )
    assert put.status == 200
    extended = coalition.api.put(
        "/v1/admin/challenges/five", {**body, "ends_at": "2027-01-01T00:00:00Z"}, token=coalition.admin
    )
    assert extended.status == 200, extended.json
    clock.now = datetime(2026, 12, 10, 10, 0, tzinfo=timezone.utc)
    first = coalition.purchase(key, member, "10.00", occurred_at="2026-12-10T09:00:00Z")
    assert "challenge:five" in rules(first), first.json


def test_two_partners_using_one_transaction_id_return_their_own_purchase(coalition):
    keys = {p: coalition.partner(p) for p in ("cafe", "deli")}
    create(coalition, challenge(kind="partners", target=2))
    member = coalition.member(keys["cafe"])
    coalition.purchase(keys["cafe"], member, "10.00", transaction_id="t-1")
    second = coalition.purchase(keys["deli"], member, "10.00", transaction_id="t-1")
    assert "challenge:five" in rules(second)
    back = give_back(coalition, keys["cafe"], "t-1", "10.00", "r-1")
    assert "return:challenge:five" in [line["rule"] for line in back["breakdown"]]
    assert mine(coalition, member)["five"]["progress"] == 1
    assert assert_invariants() == {"deli": 10}


def test_a_purchase_replayed_a_week_after_its_return_books_nothing(coalition, clock):
    key = coalition.partner("cafe")
    create(coalition, challenge(target=1))
    member = coalition.member(key)
    body = {
        "transaction_id": "t-1",
        "member": {"member_id": member.member_id},
        "amount": "10.00",
        "currency": "EUR",
        "occurred_at": "2026-11-23T09:00:00Z",
        "channel": "store",
    }
    first = coalition.api.post("/v1/transactions", body, token=key)
    give_back(coalition, key, "t-1", "10.00", "r-1")
    clock.advance(days=7)
    again = coalition.api.post("/v1/transactions", body, token=key)
    assert again.status == 201 and again.json == first.json
    assert coalition.me(member)["available_points"] == 0
    assert assert_invariants() == {}


def test_a_set_streak_longer_than_a_period_is_refused(coalition):
    coalition.partner("cafe")
    key = coalition.partner("deli")
    create(coalition, challenge(kind="streak", targets="set", target=None))
    member = coalition.member(key)
    put = coalition.api.put(
        f"/v1/admin/challenges/five/targets/{member.member_id}", {"target": 50}, token=coalition.admin
    )
    assert put.status == 400, put.json


def test_a_started_challenge_cannot_be_ended_in_the_past_by_put(coalition):
    key = coalition.partner("cafe")
    body = challenge(target=1)
    create(coalition, body)
    member = coalition.member(key)
    assert coalition.purchase(key, member, "10.00", occurred_at="2026-11-20T09:00:00Z").json["points"] == 510
    moved = coalition.api.put(
        "/v1/admin/challenges/five", {**body, "ends_at": "2026-11-10T00:00:00Z"}, token=coalition.admin
    )
    assert (moved.status, moved.json["error"]["field"]) == (422, "ends_at")


@pytest.mark.parametrize(("currency", "target"), [("JPY", "3000"), ("BHD", "30.125"), ("EUR", "30.10")])
def test_money_is_shown_with_the_currencys_decimals(coalition, currency, target):
    coalition.program(currency=currency)
    coalition.partner("shop", currency=currency)
    reply = coalition.api.post("/v1/admin/challenges", challenge(kind="spend", target=target), token=coalition.admin)

    assert reply.status == 201, reply.json
    assert (reply.json["target"], reply.json["currency"]) == (target, currency)


def test_a_target_set_for_another_kind_is_no_target(coalition, clock):
    key = coalition.partner("cafe")
    body = challenge("agent", targets="set", target=None, starts_at="2026-12-01T00:00:00Z")
    create(coalition, body)
    member = coalition.member(key)
    put = coalition.api.put(
        f"/v1/admin/challenges/agent/targets/{member.member_id}", {"target": 5}, token=coalition.admin
    )
    assert put.status == 200, put.json
    changed = coalition.api.put("/v1/admin/challenges/agent", {**body, "kind": "spend"}, token=coalition.admin)
    assert changed.status == 200, changed.json
    clock.now = datetime(2026, 12, 3, 10, 0, tzinfo=timezone.utc)
    first = coalition.purchase(key, member, "5.00", occurred_at="2026-12-03T09:00:00Z")
    # A 5-purchase objective now reads as "spend 5.00": one coffee completes it.
    assert "challenge:agent" not in rules(first), first.json


def test_a_reward_goes_back_at_the_fee_charged_for_it(coalition, container):
    key = coalition.partner("cafe", fee_per_point="0.002")
    coalition.partner("bank", fee_per_point="0.003")
    create(coalition, challenge(target=1, reward={"points": 100, "funder": "bank"}))
    member = coalition.member(key)
    coalition.purchase(key, member, "10.00", transaction_id="t-1")
    patched = coalition.api.patch("/v1/admin/partners/bank", {"fee_per_point": "0.009"}, token=coalition.admin)
    assert patched.status == 200, patched.json
    container.runtime.cache.forget("partner:bank")
    give_back(coalition, key, "t-1", "10.00", "r-1")
    entries = all_entries(member.member_id)
    rows = [
        (e.type, e.points, getattr(e, "fees_per_point", None), [line["rule"] for line in (e.breakdown or [])])
        for e in entries
    ]
    back = [e for e in entries if any(line["rule"] == "return:challenge:five" for line in (e.breakdown or []))]
    assert len(back) == 1 and back[0].fees_per_point == {"bank": Decimal("0.003")}, rows
    for e in entries:
        assert sum(line["points"] for line in (e.breakdown or [])) == e.points or not e.breakdown, (
            e.type,
            e.points,
            e.breakdown,
        )
    assert assert_invariants() == {}


def test_a_return_after_the_reward_expired_takes_nothing_expired(coalition, clock):
    clock.now = datetime(2026, 11, 30, 10, tzinfo=timezone.utc)
    coalition.program(expiry_months=1)
    key = coalition.partner("cafe")
    create(coalition, challenge(target=2))
    member = coalition.member(key)
    coalition.purchase(key, member, "10.00", transaction_id="t-1", occurred_at="2026-11-30T09:00:00Z")
    done = coalition.purchase(key, member, "10.00", transaction_id="t-2", occurred_at="2026-11-30T09:00:00Z")
    assert done.json["points"] == 510
    clock.now = datetime(2027, 1, 1, 0, 45, tzinfo=timezone.utc)
    job = coalition.api.post("/v1/admin/jobs/expiry", {"as_of": "2027-01-01"}, token=coalition.admin).json
    assert job["processed"] == 520, job
    clock.now = datetime(2027, 1, 10, 10, tzinfo=timezone.utc)
    back = give_back(coalition, key, "t-1", "10.00", "r-1")
    assert back["points_reversed"] == 0 and back["owed_points"] == 0, back
    assert assert_invariants() == {}


def test_a_return_after_the_challenge_ended_still_undoes_its_completion(coalition, clock):
    key = coalition.partner("cafe")
    create(coalition, challenge(target=2))
    member = coalition.member(key)
    coalition.purchase(key, member, "10.00", transaction_id="t-1")
    assert coalition.purchase(key, member, "10.00", transaction_id="t-2").json["points"] == 510
    assert coalition.api.delete("/v1/admin/challenges/five", token=coalition.admin).status == 204
    clock.advance(days=20)
    other = coalition.purchase(key, member, "10.00", transaction_id="t-3", occurred_at="2026-12-13T09:00:00Z")
    assert other.json["points"] == 10
    back = give_back(coalition, key, "t-1", "10.00", "r-1")
    assert back["points_reversed"] == 510, back
    assert assert_invariants() == {"cafe": 20}


def test_a_monthly_streak_counts_a_week_across_months_in_each_month(coalition, clock):
    """Month streak target 2: Mon 23 Nov and Mon 30 Nov + Tue 1 Dec (same week as 30 Nov)."""
    key = coalition.partner("cafe")
    create(coalition, challenge(kind="streak", target=2))
    member = coalition.member(key)
    a = coalition.purchase(key, member, "10.00", occurred_at="2026-11-23T09:00:00Z").json["points"]
    clock.now = datetime(2026, 12, 1, 12, tzinfo=timezone.utc)
    b = coalition.purchase(key, member, "10.00", occurred_at="2026-11-30T09:00:00Z").json["points"]
    c = coalition.purchase(key, member, "10.00", occurred_at="2026-12-01T09:00:00Z").json["points"]
    assert (a, b, c) == (10, 510, 10)
