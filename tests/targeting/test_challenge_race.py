"""Forty purchases racing to complete one challenge: exactly one books the reward.

As in tests/reliability/test_concurrency.py, the threads race the use case below the HTTP layer (chalice's app holds
one request at a time, as in Lambda), with moto atomic per call, as DynamoDB is (meter.serialise)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.domain.errors import RetryLater
from chalicelib.services import earning
from chalicelib.services.requests import PurchaseRequest
from chalicelib.store.ledger import all_entries
from tests.support.ledger import assert_invariants

FIVE = {
    "challenge_id": "five",
    "name": "Five visits",
    "kind": "purchases",
    "period": "month",
    "target": 5,
    "reward": {"points": 500, "funder": "operator"},
    "starts_at": "2026-11-01T00:00:00Z",
    "ends_at": "2027-01-01T00:00:00Z",
}


@pytest.mark.concurrency
def test_forty_concurrent_purchases_completing_one_challenge_book_one_reward(coalition, container, meter):
    key = coalition.partner("cafe")
    assert coalition.api.post("/v1/admin/challenges", FIVE, token=coalition.admin).status == 201
    member = coalition.member(key)
    for _ in range(4):  # one purchase short of the target: each of the forty would complete it alone
        assert coalition.purchase(key, member, "10.00").json["points"] == 10
    meter.serialise = True
    rt = container.runtime
    partner = rt.store.directory.get_partner("cafe")
    assert partner is not None

    def purchase(n: int) -> str:
        request = PurchaseRequest.model_validate(
            {
                "transaction_id": f"race-{n}",
                "member": {"member_id": member.member_id},
                "amount": "10.00",
                "currency": "EUR",
                "occurred_at": "2026-11-23T09:00:00Z",
                "channel": "store",
            }
        )
        try:
            reply = earning.earn_points(rt, partner, request)
        except RetryLater:
            return "busy"
        return "rewarded" if '"challenge:five"' in reply.body else "earned"

    meter.reset()
    with ThreadPoolExecutor(max_workers=40) as pool:
        outcomes = list(pool.map(purchase, range(40), timeout=300))
    raced = meter.counts()["TransactWriteItems"]
    # Those the race left busy are posted again, as a till retries: each earns once, and none is a second reward.
    retried = [purchase(n) for n, outcome in enumerate(outcomes) if outcome == "busy"]
    replayed = [purchase(n) for n in range(40)]

    assert raced > 40  # they did race: writes over a version another had just moved were refused and retried
    assert outcomes.count("rewarded") + retried.count("rewarded") == 1
    assert "busy" not in retried and replayed.count("rewarded") == 1  # the replay answers what was booked
    rewards = [
        e for e in all_entries(member.member_id) if any(line["rule"] == "challenge:five" for line in e.breakdown)
    ]
    assert len(rewards) == 1 and rewards[0].points == 500
    assert coalition.me(member)["available_points"] == 44 * 10 + 500
    assert assert_invariants() == {"cafe": 440, "operator": 500}
