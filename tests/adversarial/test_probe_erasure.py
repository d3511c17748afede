"""Adversarial probes: erasure and what partners do afterwards."""

from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest

from chalicelib.services import privacy
from tests.support.ledger import assert_invariants


def wallet_of(coalition, member_id):
    return coalition.api.container.runtime.store.wallets.load(member_id)


def erase(coalition, member_id):
    reply = coalition.api.delete(f"/v1/admin/members/{member_id}", token=coalition.admin)
    assert reply.status == 204, reply.json


def close(coalition, clock, day):
    clock.now = datetime.fromisoformat(day).replace(hour=23, minute=59, tzinfo=timezone.utc)
    clock.advance(hours=2)
    return coalition.api.post(f"/v1/admin/settlements/{day}/close", token=coalition.admin).json


@pytest.fixture
def two(coalition):
    return coalition.partner("market"), coalition.partner("cinema")


def test_a_reversal_after_erasure_leaves_spendable_points_on_the_erased_wallet(coalition, two):
    """Erasure forfeits every point; a partner's reversal of an earlier redemption (a `corrects` operation, allowed
    on inactive members) then gives points back as lots of the erased member: a liability nobody can ever use,
    outstanding until they expire (up to expiry_months), never forfeited."""
    market, cinema = two
    member = coalition.member(market, email="rev@example.com")
    assert coalition.purchase(market, member, "200.00").status == 201
    assert coalition.redeem(cinema, member, 150, redemption_id="red-1").status == 201
    erase(coalition, member.member_id)
    reversal = coalition.api.post("/v1/redemptions/red-1/reversals", {"reversal_id": "rv-1"}, token=cinema)
    wallet = wallet_of(coalition, member.member_id)
    assert_invariants()
    assert sum(wallet.lots.values()) == 0, (reversal.status, reversal.json, wallet.lots)


def test_a_reward_claim_cancelled_after_erasure_leaves_points_on_the_erased_wallet(coalition, two):
    market, cinema = two
    reward = {
        "reward_id": "ticket",
        "name": "Ticket",
        "description": "d",
        "points": 100,
        "stock": 5,
        "valid_from": "2026-11-01T00:00:00Z",
        "valid_until": "2027-01-01T00:00:00Z",
        "channels": ["store"],
    }
    assert coalition.api.post("/v1/rewards", reward, token=cinema).status == 201
    member = coalition.member(market, email="claim@example.com")
    assert coalition.purchase(market, member, "200.00").status == 201
    claimed = coalition.api.post("/v1/me/rewards/ticket/claims", {"claim_id": "c-1"}, token=member.token)
    assert claimed.status == 201, claimed.json
    erase(coalition, member.member_id)
    code = claimed.json["code"]
    cancelled = coalition.api.post(f"/v1/reward-claims/{code}/cancel", token=cinema)
    wallet = wallet_of(coalition, member.member_id)
    assert_invariants()
    assert sum(wallet.lots.values()) == 0, (cancelled.status, cancelled.json, wallet.lots)


def test_erase_with_a_debt_then_the_purchase_returned(coalition, two, clock):
    market, cinema = two
    member = coalition.member(market, email="debt@example.com")
    assert coalition.purchase(market, member, "100.00", transaction_id="p-1").status == 201
    assert coalition.purchase(cinema, member, "100.00", transaction_id="p-2").status == 201
    assert coalition.redeem(cinema, member, 150).status == 201  # takes market's first? (ties by issuer id)
    # a return at market of what was spent: a debt to market
    ret = coalition.api.post("/v1/transactions/p-1/returns", {"return_id": "rt-1", "amount": "100.00"}, token=market)
    assert ret.status == 201, ret.json
    before = wallet_of(coalition, member.member_id)
    erase(coalition, member.member_id)
    after = wallet_of(coalition, member.member_id)
    # return the other purchase too, after erasure: its points were forfeited, nothing taken twice
    ret2 = coalition.api.post("/v1/transactions/p-2/returns", {"return_id": "rt-2", "amount": "100.00"}, token=cinema)
    print("debts before", before.debts, "lots", before.lots, "after", after.debts, after.lots, ret2.status, ret2.json)
    assert_invariants()
    day = close(coalition, clock, "2026-11-29")
    report = coalition.api.get("/v1/admin/reconciliation", token=coalition.admin).json
    assert report["ok"] is True, report
    final = wallet_of(coalition, member.member_id)
    print("final", final.lots, final.debts, day.get("breakage"))
    assert sum(final.lots.values()) == 0


def test_capture_and_void_of_a_hold_released_by_erasure(coalition, two):
    market, cinema = two
    member = coalition.member(market, email="hold@example.com")
    assert coalition.purchase(market, member, "100.00").status == 201
    hold = {"hold_id": "h-1", "member": {"card_number": member.card_number}, "points": 50}
    assert coalition.api.post("/v1/holds", hold, token=cinema).status == 201
    erase(coalition, member.member_id)
    capture = coalition.api.post("/v1/holds/h-1/capture", {}, token=cinema)
    void = coalition.api.post("/v1/holds/h-1/void", token=cinema)
    assert capture.status == 422, capture.json
    assert void.status == 422, void.json
    assert_invariants()


def test_erase_twice_concurrently_forfeits_once(coalition, two, meter):
    market, _ = two
    member = coalition.member(market, email="twice@example.com")
    assert coalition.purchase(market, member, "100.00").status == 201
    rt = coalition.api.container.runtime
    meter.serialise = True  # moto applies one call at a time, as DynamoDB applies each atomically
    errors = []

    def run():
        try:
            privacy.erase_member(rt, member.member_id)
        except Exception as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    entries = rt.store.ledger.all_entries(member.member_id)
    assert [e.type.value for e in entries].count("forfeit") == 1
    assert [e.type.value for e in entries].count("status") == 1
    assert errors == [] or all("NotFound" not in type(e).__name__ for e in errors), errors
    assert_invariants()


def test_export_of_a_member_with_more_than_100_entries(coalition, two):
    market, _ = two
    member = coalition.member(market, email="many@example.com")
    for i in range(105):
        assert coalition.purchase(market, member, "1.00", transaction_id=f"t{i}").status == 201
    export = coalition.api.get("/v1/me/export", token=member.token)
    assert export.status == 200
    assert len(export.json["entries"]) == 100 and export.json["next_cursor"]
    rest = coalition.api.get(f"/v1/me/entries?limit=100&cursor={export.json['next_cursor']}", token=member.token)
    ids = [e["entry_id"] for e in export.json["entries"]] + [e["entry_id"] for e in rest.json["entries"]]
    total = len(coalition.api.container.runtime.store.ledger.all_entries(member.member_id))
    assert len(ids) == len(set(ids)) == total
    assert rest.json["next_cursor"] is None


def test_late_credit_grant_adjustment_reinstatement_on_erased(coalition, two, clock):
    market, _ = two
    member = coalition.member(market, email="late@example.com")
    assert coalition.purchase(market, member, "10.00").status == 201
    erase(coalition, member.member_id)
    mid = member.member_id
    adj = coalition.api.post(
        f"/v1/admin/members/{mid}/adjustments",
        {"adjustment_id": "a1", "points": 10, "reason": "xyz", "funder": "operator"},
        token=coalition.admin,
    )
    late = coalition.api.post(
        f"/v1/admin/members/{mid}/late-credits",
        {
            "late_credit_id": "l1",
            "partner_id": "market",
            "transaction_id": "old-1",
            "amount": "10.00",
            "currency": "EUR",
            "occurred_at": "2026-01-02T10:00:00Z",
            "receipt": "R1",
            "reason": "lost receipt",
        },
        token=coalition.admin,
    )
    grant = coalition.api.post(
        "/v1/admin/grants",
        {"grant_id": "g1", "points": 5, "funder": "operator", "reason": "launch", "to": {"member_ids": [mid]}},
        token=coalition.admin,
    )
    assert adj.status == 422 and late.status == 422, (adj.json, late.json)
    assert grant.status == 202
    assert sum(wallet_of(coalition, mid).lots.values()) == 0


def test_an_erasure_repeated_after_the_pool_failed_still_deletes_the_sign_in(coalition, settings, monkeypatch):
    """The sign-in is deleted before the member is: a throttled AdminDeleteUser answers 503 and writes nothing, and
    the repeat finds the link still there and deletes the user."""
    import boto3
    from botocore.exceptions import ClientError

    from chalicelib.store import member_pool
    from tests.support.cognito import sign_in, sign_up

    market = coalition.partner("market")
    member = coalition.api.post("/v1/members", {"email": "pool@example.com"}, token=market).json
    token = sign_up(settings, "pool@example.com")
    assert coalition.api.post("/v1/me/claims", {}, token=token).status == 201
    real = member_pool._cognito(settings.region)
    calls = []

    class Throttled:
        exceptions = real.exceptions

        def admin_delete_user(self, **request):
            calls.append(request["Username"])
            if len(calls) == 1:
                error = {"Error": {"Code": "TooManyRequestsException", "Message": "slow down"}}
                raise ClientError(error, "AdminDeleteUser")
            return real.admin_delete_user(**request)

    monkeypatch.setattr(member_pool, "_cognito", lambda region: Throttled())
    first = coalition.api.delete(f"/v1/admin/members/{member['member_id']}", token=coalition.admin)
    status_after_first = wallet_of(coalition, member["member_id"]).status
    again = coalition.api.delete(f"/v1/admin/members/{member['member_id']}", token=coalition.admin)

    assert (first.status, first.error_code) == (503, "retry_later"), first.json  # transient: retry, not 500
    assert status_after_first == "active"  # nothing erased yet: the link is still there to find
    assert again.status == 204 and len(calls) == 2
    with pytest.raises(boto3.client("cognito-idp", region_name=settings.region).exceptions.UserNotFoundException):
        sign_in(settings, "pool@example.com")


def test_the_export_lists_the_members_reward_claims(coalition, two):
    market, cinema = two
    reward = {
        "reward_id": "ticket",
        "name": "Ticket",
        "description": "d",
        "points": 100,
        "stock": 5,
        "valid_from": "2026-11-01T00:00:00Z",
        "valid_until": "2027-01-01T00:00:00Z",
        "channels": ["store"],
    }
    assert coalition.api.post("/v1/rewards", reward, token=cinema).status == 201
    member = coalition.member(market, email="exp@example.com")
    assert coalition.purchase(market, member, "200.00").status == 201
    claimed = coalition.api.post("/v1/me/rewards/ticket/claims", {"claim_id": "c-1"}, token=member.token).json
    export = coalition.api.get("/v1/me/export", token=member.token)
    assert claimed["code"] in export.body.decode(), sorted(export.json)


def test_the_export_of_a_member_with_more_than_100_vouchers_says_there_are_more(coalition):
    coalition.program(vouchers={"denominations": [{"points": 1, "value": "0.01"}], "validity_months": 12})
    market = coalition.partner("market")
    member = coalition.member(market, email="vv@example.com")
    assert coalition.purchase(market, member, "200.00").status == 201
    for i in range(101):
        reply = coalition.api.post("/v1/me/vouchers", {"request_id": f"v{i}", "denomination": 1}, token=member.token)
        assert reply.status == 201, reply.json
    export = coalition.api.get("/v1/me/export", token=member.token).json
    assert (len(export["vouchers"]), export["more_vouchers"]) == (100, True)
