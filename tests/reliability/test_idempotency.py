"""Exactly one effect per (partner, operation id): replays answer the first body byte for byte."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.domain.errors import MemberExists
from chalicelib.services import burning, earning, members, returns
from chalicelib.services.auth import partner_profile
from chalicelib.services.requests import (
    CaptureRequest,
    EnrolRequest,
    HoldRequest,
    PurchaseRequest,
    RedemptionRequest,
    ReturnRequest,
)
from chalicelib.store.models import WalletItem
from tests.support.aws import table_snapshot
from tests.support.ledger import assert_invariants


def purchase_body(member, transaction_id="t1", amount="50.00"):
    return {
        "transaction_id": transaction_id,
        "member": {"member_id": member.member_id},
        "amount": amount,
        "currency": "EUR",
        "occurred_at": "2026-11-23T09:00:00Z",
        "channel": "online",
    }


def mutating_calls(member):
    """Each mutating partner endpoint, in an order where each call is valid the first time."""
    ref = {"card_number": member.card_number}
    return [
        ("/v1/transactions", purchase_body(member)),
        ("/v1/transactions/t1/returns", {"return_id": "ret1", "amount": "10.00"}),
        ("/v1/redemptions", {"redemption_id": "red1", "member": ref, "points": 5}),
        ("/v1/holds", {"hold_id": "h1", "member": ref, "points": 7}),
        ("/v1/holds/h1/capture", {"points": 4}),
        ("/v1/holds", {"hold_id": "h2", "member": ref, "points": 3}),
        ("/v1/holds/h2/void", None),
    ]


def test_every_mutating_call_replayed_three_times_has_one_effect(coalition, settings):
    key = coalition.partner("shop")
    member = coalition.member(key)

    for path, body in mutating_calls(member):
        first = coalition.api.post(path, body, token=key)
        assert first.status in (200, 201), (path, first.json)
        before = table_snapshot(settings)
        for _ in range(3):
            again = coalition.api.post(path, body, token=key)
            assert (again.status, again.body, again.replayed) == (first.status, first.body, True), path
        assert table_snapshot(settings) == before, f"a replay of {path} wrote something"

    types = [e["type"] for e in coalition.api.get("/v1/me/entries", token=member.token).json["entries"]]
    assert types == ["void", "hold", "capture", "hold", "redeem", "return", "earn"]
    assert coalition.me(member)["available_points"] == 50 - 10 - 5 - 4
    assert_invariants()


def test_the_same_id_with_another_body_is_a_conflict_and_writes_nothing(coalition, settings):
    key = coalition.partner("shop")
    member = coalition.member(key)
    coalition.api.post("/v1/transactions", purchase_body(member), token=key)
    before = table_snapshot(settings)

    reply = coalition.api.post("/v1/transactions", purchase_body(member, amount="60.00"), token=key)

    assert reply.status == 409 and reply.error_code == "idempotency_conflict"
    assert reply.json["error"]["field"] == "transaction_id"
    assert table_snapshot(settings) == before


def test_the_same_id_at_two_partners_is_two_operations(coalition):
    shop, cinema = coalition.partner("shop"), coalition.partner("cinema")
    member = coalition.member(shop)

    a = coalition.api.post("/v1/transactions", purchase_body(member), token=shop)
    b = coalition.api.post("/v1/transactions", purchase_body(member), token=cinema)

    assert (a.status, b.status, a.replayed, b.replayed) == (201, 201, False, False)
    assert coalition.me(member)["available_points"] == 100


@pytest.mark.concurrency
def test_every_mutating_call_sent_three_times_at_once_has_one_effect(coalition, container, meter):
    key = coalition.partner("shop")
    member = coalition.member(key)
    rt = container.runtime
    meter.serialise = True
    ref = {"card_number": member.card_number}
    partner = partner_profile(rt, "shop")
    calls = [
        lambda: earning.earn_points(rt, partner, PurchaseRequest.model_validate(purchase_body(member))),
        lambda: returns.return_purchase(rt, "shop", "t1", ReturnRequest(return_id="ret1", amount="10.00")),
        lambda: burning.redeem_points(rt, "shop", RedemptionRequest(redemption_id="red1", member=ref, points=5)),
        lambda: burning.place_hold(rt, "shop", HoldRequest(hold_id="h1", member=ref, points=7)),
        lambda: burning.capture_hold(rt, "shop", "h1", CaptureRequest(points=4)),
        lambda: burning.place_hold(rt, "shop", HoldRequest(hold_id="h2", member=ref, points=3)),
        lambda: burning.void_hold(rt, "shop", "h2"),
    ]

    for call in calls:
        with ThreadPoolExecutor(max_workers=3) as pool:
            replies = [future.result(timeout=60) for future in [pool.submit(call) for _ in range(3)]]
        assert len({(r.status, r.body) for r in replies}) == 1, replies  # byte-identical
        assert sorted(r.replayed for r in replies) == [False, True, True]

    assert coalition.me(member)["available_points"] == 31
    entries = coalition.api.get("/v1/me/entries", token=member.token).json["entries"]
    assert len(entries) == 7
    assert_invariants()


@pytest.mark.concurrency
def test_one_member_enrolled_three_times_at_once_exists_once(coalition, container, meter):
    coalition.partner("shop")
    meter.serialise = True

    def enrol(_):
        try:
            return members.enrol_member(container.runtime, "shop", EnrolRequest(email="same@example.com"))["member_id"]
        except MemberExists as exists:
            return exists.details["member_id"]

    with ThreadPoolExecutor(max_workers=3) as pool:
        ids = list(pool.map(enrol, range(3), timeout=60))

    assert len(set(ids)) == 1
    assert [w.member_id for w in WalletItem.scan()] == ids[:1]
