"""What closing a day reads, and where writes land (partition heat)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.services import earning, members, settlement
from chalicelib.services.auth import partner_profile
from chalicelib.services.requests import EnrolRequest, PurchaseRequest
from chalicelib.store import layout

START = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


def book_purchases(rt, clock, member_ids, partner_ids, count, tag):
    for n in range(count):
        partner_id = partner_ids[n % len(partner_ids)]
        clock.advance(seconds=1)
        request = PurchaseRequest.model_validate(
            {
                "transaction_id": f"{tag}-{n}",
                "member": {"member_id": member_ids[n % len(member_ids)]},
                "amount": "12.00",
                "currency": "EUR",
                "occurred_at": clock().isoformat(),
                "channel": "online",
            }
        )
        earning.earn_points(rt, partner_profile(rt, partner_id), request)


@pytest.mark.slow
def test_a_close_reads_that_days_entries_only_however_long_the_history(coalition, container, clock, meter):
    for partner_id in ("alpha", "bravo", "charlie"):
        coalition.partner(partner_id)
    rt = container.runtime
    member_ids = [members.enrol_member(rt, "alpha", EnrolRequest(email=f"m{n}@x.com"))["member_id"] for n in range(5)]
    reads = {}
    for day in range(10):
        clock.now = START + timedelta(days=day)
        book_purchases(rt, clock, member_ids, ["alpha", "bravo", "charlie"], 12, f"d{day}")
        clock.now = START + timedelta(days=day + 1)
        meter.reset()
        settlement.close_day(rt, (START + timedelta(days=day)).date().isoformat())
        queries = [
            c for c in meter.calls if c.operation == "Query" and c.params.get("IndexName") == "by_settlement_day"
        ]
        reads[day + 1] = (len(queries), sum(c.returned for c in queries), Counter(c.operation for c in meter.calls))

    print(
        f"\nclose of a day with 1 day of history: {reads[1][:2]}; with 10 days: {reads[10][:2]} "
        "(Queries on the day index, entries read)"
    )
    assert reads[1][:2] == reads[10][:2] == (4 * layout.SETTLEMENT_SHARDS, 12)  # 3 partners + operator
    assert "Scan" not in reads[10][2]


def partition_keys(calls) -> Counter[str]:
    """Every partition key written, base tables and GSIs (moto reports no consumed capacity: count ourselves)."""
    keys: Counter[str] = Counter()
    for call in calls:
        for put in transaction_puts(call):
            table = put["TableName"].rsplit("-", 1)[-1]
            item = put["Item"]
            hash_key = next(name for name in ("member_id", "op_key", "pk", "period") if name in item)
            keys[f"{table}:{item[hash_key]['S']}"] += 1
            for gsi_key in ("settle_key", "hold_shard", "listing"):
                if gsi_key in item:
                    keys[f"{table}/{gsi_key}:{item[gsi_key]['S']}"] += 1
    return keys


def transaction_puts(call):
    if call.operation == "TransactWriteItems":
        return [entry["Put"] for entry in call.params["TransactItems"] if "Put" in entry]
    if call.operation == "PutItem":
        return [call.params]
    return []


@pytest.mark.slow
def test_one_partner_making_half_the_transactions_heats_no_partition_key(coalition, container, clock, meter):
    """200 transactions here (moto slows down as tables grow); bench/partition_heat.py runs the 1,000."""
    for partner_id in ("bigmart", "p2", "p3", "p4", "p5", "p6"):
        coalition.partner(partner_id)
    rt = container.runtime
    member_ids = [members.enrol_member(rt, "p2", EnrolRequest(email=f"m{n}@x.com"))["member_id"] for n in range(40)]
    meter.reset()
    partners = ["bigmart", "p2", "bigmart", "p3", "bigmart", "p4", "bigmart", "p5", "bigmart", "p6"]

    book_purchases(rt, clock, member_ids, partners, 200, "heat")

    keys = partition_keys(meter.calls)
    hottest, count = keys.most_common(1)[0]
    bigmart_shards = [n for k, n in keys.items() if k.startswith("ledger/settle_key:bigmart#")]
    assert sum(bigmart_shards) == 100  # every bigmart entry is on the day index ...
    assert len(bigmart_shards) == layout.SETTLEMENT_SHARDS  # ... spread over every shard
    # None takes more than 12 % of all writes (1/16 of bigmart's half = 3.1 % expected; unsharded it would be 50 %).
    # Shards follow random member ids: a bound of 24 of bigmart's 100 entries fails by chance about once in 7
    # million runs (binomial tail × 16 shards), where 12 failed one run in 7.
    assert max(bigmart_shards) <= 0.12 * 200
    assert 5000 * count / 200 < 1000, (hottest, count)  # the hottest key, at 5,000 transactions/s
