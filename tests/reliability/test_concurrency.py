"""Concurrent requests on one member serialise through conditional writes: no overdraft, no lost update.

Chalice's app object holds the current request (one at a time, as in Lambda), so the threads race the
use cases below the HTTP layer; moto is made atomic per call, as DynamoDB is (meter.serialise).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.domain.errors import InsufficientPoints
from chalicelib.services import burning
from chalicelib.services.requests import RedemptionRequest
from tests.support.ledger import assert_invariants


@pytest.mark.concurrency
def test_forty_redemptions_of_ten_from_two_hundred_points(coalition, container, meter):
    key = coalition.partner("shop")
    member = coalition.member(key)
    coalition.purchase(key, member, "200.00")
    meter.serialise = True
    rt = container.runtime

    def redeem(n: int) -> str:
        request = RedemptionRequest(redemption_id=f"race-{n}", member={"card_number": member.card_number}, points=10)
        try:
            burning.redeem_points(rt, "shop", request)
            return "redeemed"
        except InsufficientPoints:
            return "insufficient_points"

    with ThreadPoolExecutor(max_workers=40) as pool:
        outcomes = list(pool.map(redeem, range(40), timeout=120))

    assert outcomes.count("redeemed") == 20
    assert outcomes.count("insufficient_points") == 20
    assert coalition.me(member)["available_points"] == 0
    entries = coalition.api.get("/v1/me/entries?limit=100", token=member.token).json["entries"]
    assert sorted(e["type"] for e in entries) == ["earn"] + ["redeem"] * 20
    assert assert_invariants() == {}  # all 200 of shop's points redeemed: nothing outstanding
