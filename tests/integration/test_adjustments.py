"""Adjustments by customer service (issue 9): the operator credits or debits points with a reason, funded or
absorbed by a named issuer, exactly once, settled as that issuer's issuance or return."""

from __future__ import annotations

from datetime import datetime, timezone

from tests.support.aws import table_snapshot
from tests.support.ledger import assert_invariants


def adjust(coalition, member, adjustment_id, points, funder, reason="goodwill after a lost receipt"):
    body = {"adjustment_id": adjustment_id, "points": points, "reason": reason, "funder": funder}
    return coalition.api.post(f"/v1/admin/members/{member.member_id}/adjustments", body, token=coalition.admin)


def close(coalition, clock, day):
    clock.now = datetime.fromisoformat(day).replace(hour=23, minute=59, tzinfo=timezone.utc)
    clock.advance(hours=2)
    return coalition.api.post(f"/v1/admin/settlements/{day}/close", token=coalition.admin).json


def test_a_credit_is_its_funders_issuance_and_a_debit_takes_back_the_named_issuers_points(coalition, clock):
    market = coalition.partner("market", fee_per_point="0.002")
    cinema = coalition.partner("cinema")
    ana = coalition.member(market)
    coalition.purchase(market, ana, "100.00")  # 100 market points, fee 0.20

    credit = adjust(coalition, ana, "adj-1", 500, "market")
    replay = adjust(coalition, ana, "adj-1", 500, "market")
    other = adjust(coalition, ana, "adj-1", 400, "market")
    assert coalition.redeem(cinema, ana, 550).status == 201  # market's 600, first to expire first
    too_much = adjust(coalition, ana, "adj-2", -100, "market")  # 50 left: a debit makes no debt
    never_held = adjust(coalition, ana, "adj-4", -10, "cinema")
    debit = adjust(coalition, ana, "adj-2b", -50, "market")
    gift = adjust(coalition, ana, "adj-3", 20, "operator")

    assert credit.status == 201, credit.json
    assert (credit.json["points"], credit.json["available_points"], credit.json["funder"]) == (500, 600, "market")
    assert replay.replayed and replay.body == credit.body
    assert (other.status, other.error_code) == (409, "idempotency_conflict")
    assert [(r.status, r.error_code) for r in (too_much, never_held)] == [(422, "insufficient_points")] * 2
    assert (debit.json["available_points"], debit.json["owed_points"]) == (0, 0)
    assert (gift.json["available_points"], gift.json["owed_points"]) == (20, 0)
    entries = coalition.api.get("/v1/me/entries?limit=3", token=ana.token).json["entries"]
    assert [(e["type"], e["points"]) for e in entries] == [
        ("adjustment", 20),
        ("adjustment_debit", -50),
        ("redeem", -550),
    ]
    assert entries[0]["breakdown"] == [
        {"rule": "adjustment", "points": 20, "detail": "goodwill after a lost receipt (by operator)"}
    ]
    assert assert_invariants() == {"operator": 20}
    day = close(coalition, clock, "2026-11-23")
    market_statement = day["partners"]["market"]
    # issued 100 + 500, returned 50: fee on 550 net at 0.002 = 1.10
    assert (market_statement["issued_points"], market_statement["returned_points"], market_statement["fees"]) == (
        600,
        50,
        "1.10",
    )
    assert {"from": "market", "to": "cinema", "kind": "redemption", "amount": "5.50"} in day["transfers"]
    assert day["net_total"] == "0.00"


def test_adjustments_refuse_what_they_cannot_do_and_write_nothing(coalition):
    market = coalition.partner("market")
    ana = coalition.member(market)
    coalition.partner("gone")
    coalition.api.patch("/v1/admin/partners/gone", {"status": "suspended"}, token=coalition.admin)
    before = table_snapshot(coalition.api.container.settings)

    cases = {
        "a suspended funder": adjust(coalition, ana, "a-0", 10, "gone"),
        "zero": adjust(coalition, ana, "a-1", 0, "market"),
        "no reason": adjust(coalition, ana, "a-2", 10, "market", reason=""),
        "unknown funder": adjust(coalition, ana, "a-3", 10, "nobody"),
        "points as text": coalition.api.post(
            f"/v1/admin/members/{ana.member_id}/adjustments",
            {"adjustment_id": "a-4", "points": "10", "reason": "why not", "funder": "market"},
            token=coalition.admin,
        ),
        "unknown member": coalition.api.post(
            "/v1/admin/members/m_00000000000000000000/adjustments",
            {"adjustment_id": "a-5", "points": 10, "reason": "why not", "funder": "market"},
            token=coalition.admin,
        ),
        "a partner": coalition.api.post(
            f"/v1/admin/members/{ana.member_id}/adjustments",
            {"adjustment_id": "a-6", "points": 10, "reason": "why not", "funder": "market"},
            token=market,
        ),
    }

    assert {name: (r.status, r.error_code) for name, r in cases.items()} == {
        "a suspended funder": (422, "rule_violation"),
        "zero": (400, "invalid_request"),
        "no reason": (400, "invalid_request"),
        "unknown funder": (422, "rule_violation"),
        "points as text": (400, "invalid_request"),
        "unknown member": (404, "not_found"),
        "a partner": (403, "forbidden"),
    }
    assert table_snapshot(coalition.api.container.settings) == before
