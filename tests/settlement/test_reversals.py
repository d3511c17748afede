"""A reversal closed end to end: booked through the store (as the reversal use case books it), then closed,
reconciled live and stated. Point value 0.01 EUR.

2026-11-23  m buys 100.00 at alpha (100 alpha points); m redeems 60 at charlie
            -> alpha pays charlie 0.60; alpha outstanding 40
2026-11-24  charlie reverses 25 of that redemption: the points go back to m as alpha's
            -> charlie pays alpha back 0.25; alpha outstanding 40 + 25 = 65 = m's wallet
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from tests.support.ledger import assert_invariants


def close(coalition, day):
    reply = coalition.api.post(f"/v1/admin/settlements/{day}/close", token=coalition.admin)
    assert reply.status == 201, reply.json
    return json.loads(reply.body)


def test_a_reversal_moves_the_money_back_on_the_day_it_is_booked(coalition, api, clock):
    alpha, charlie = coalition.partner("alpha"), coalition.partner("charlie")
    m = coalition.member(alpha)
    coalition.purchase(alpha, m, "100.00")
    assert coalition.redeem(charlie, m, 60, redemption_id="ticket").status == 201
    spent = api.get("/v1/me/entries", token=m.token).json["entries"][0]["attribution"]
    assert spent == [{"issuer": "alpha", "expires_on": spent[0]["expires_on"], "points": 60}]
    clock.now = datetime(2026, 11, 24, 1, 0, tzinfo=timezone.utc)
    first = close(coalition, "2026-11-23")
    assert first["transfers"] == [{"from": "alpha", "to": "charlie", "kind": "redemption", "amount": "0.60"}]

    clock.now = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)
    reversal = api.post("/v1/redemptions/ticket/reversals", {"reversal_id": "rv1", "points": 25}, token=charlie)
    assert reversal.status == 201 and reversal.json["points"] == 25
    assert assert_invariants() == {"alpha": 65}
    live = api.get("/v1/admin/reconciliation", token=coalition.admin).json  # the reversal's day is still open
    assert live["invariant_2"]["coalition"]["by_issuer"]["alpha"] == {"settled_plus_open_days": 65, "wallets": 65}
    assert live["ok"] is True

    clock.now = datetime(2026, 11, 25, 1, 0, tzinfo=timezone.utc)
    second = close(coalition, "2026-11-24")

    assert second["transfers"] == [{"from": "charlie", "to": "alpha", "kind": "reversal", "amount": "0.25"}]
    assert second["reversals"] == {"alpha": {"charlie": 25}} and second["matrix"] == {}
    assert second["net_positions"] == {"alpha": "0.25", "charlie": "-0.25", "operator": "0.00"}
    assert second["outstanding"] == {"alpha": 65, "charlie": 0}
    assert second["payments"] == [
        {"from": "operator", "to": "alpha", "amount": "0.25"},
        {"from": "charlie", "to": "operator", "amount": "0.25"},
    ]
    charlie_statement = api.get("/v1/settlements/2026-11-24", token=charlie).json
    alpha_statement = api.get("/v1/settlements/2026-11-24", token=alpha).json
    assert (charlie_statement["reversed_here"], charlie_statement["payable"], charlie_statement["net"]) == (
        {"alpha": 25},
        "0.25",
        "-0.25",
    )
    assert (alpha_statement["reversed_elsewhere"], alpha_statement["receivable"], alpha_statement["net"]) == (
        {"charlie": 25},
        "0.25",
        "0.25",
    )
    assert alpha_statement["outstanding_points"] == 65
    after = api.get("/v1/admin/reconciliation", token=coalition.admin).json
    assert after["ok"] is True and after["invariant_2"]["by_issuer"]["alpha"] == {
        "from_entries": 65,
        "from_wallets": 65,
    }
