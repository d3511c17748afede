"""Sales without a member: posted like a purchase with no `member`, nothing earned, nothing personal kept, exactly
once; summed per day as booked, so a partner can compare its members with its other customers."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from statistics import mean, variance

from chalicelib.store.models import EntryItem, OperationItem, WalletItem
from tests.support.capacity import capacity_meter
from tests.support.ledger import assert_invariants


def sale(coalition, key, amount, transaction_id):
    return coalition.sale(key, amount, transaction_id, store_id="S1")


def test_a_sale_without_a_member_earns_nothing_keeps_nothing_personal_and_happens_once(coalition):
    key = coalition.partner("shop")

    first = sale(coalition, key, "12.50", "anon-1")
    again = sale(coalition, key, "12.50", "anon-1")
    other_body = sale(coalition, key, "13.00", "anon-1")
    bad = sale(coalition, key, "12.505", "anon-2")
    seen = coalition.api.get("/v1/transactions/anon-1", token=key)
    back = coalition.api.post("/v1/transactions/anon-1/returns", {"return_id": "r-1", "amount": "1.00"}, token=key)

    assert first.status == 201 and first.json["points"] == 0 and first.json["member_id"] is None
    assert again.status == 201 and again.replayed and again.json == first.json
    assert (other_body.status, bad.status) == (409, 400)
    assert seen.json["member_id"] is None and (seen.json["amount"], seen.json["store_id"]) == ("12.50", "S1")
    assert (back.status, back.error_code) == (422, "rule_violation")
    assert [r.op_key for r in OperationItem.scan()] == ["shop#purchase#anon-1"]
    assert EntryItem.count() == 0 and WalletItem.count() == 0
    assert assert_invariants() == {}


def test_a_sale_without_a_member_costs_one_transaction_of_two_small_items(coalition, container):
    container.settings.key_cache_seconds = 300  # warm means warm, however slow the machine
    container.runtime.cache._seconds = 3600
    key = coalition.partner("shop")
    sale(coalition, key, "1.00", "warm")  # the key and partner in the cache

    with capacity_meter() as meter:
        assert sale(coalition, key, "9.99", "anon-2").status == 201

    assert [b.operation for b in meter.billed] == ["TransactWriteItems"]
    assert meter.wcu == 4 and meter.rcu == 0 and meter.largest_write() < 1024


def test_members_and_non_members_compared_over_closed_days(coalition, clock):
    key = coalition.partner("shop")
    members = [coalition.member(key) for _ in range(3)]
    member_amounts = ["10.00", "20.00", "30.00", "40.00"]
    for n, amount in enumerate(member_amounts):
        assert coalition.purchase(key, members[n % 3], amount).status == 201
    other_amounts = ["5.00", "15.00", "10.00"]
    for n, amount in enumerate(other_amounts):
        assert sale(coalition, key, amount, f"anon-{n}").status == 201
    path = "/v1/reports/members-vs-non-members?from=2026-11-01&to=2026-11-30"

    before = coalition.api.get(path, token=key).json
    clock.now = datetime(2026, 11, 24, 1, 0, tzinfo=timezone.utc)
    assert coalition.api.post("/v1/admin/settlements/2026-11-23/close", token=coalition.admin).status == 201
    report = coalition.api.get(path, token=key).json
    operator = coalition.api.get(
        "/v1/admin/partners/shop/members-vs-non-members?from=2026-11-01&to=2026-11-30", token=coalition.admin
    ).json
    too_long = coalition.api.get("/v1/reports/members-vs-non-members?from=2026-01-01&to=2026-11-30", token=key)

    assert before["members"]["purchases"] == before["non_members"]["purchases"] == 0  # nothing closed yet
    assert report == operator
    assert (report["members"]["purchases"], report["members"]["spend"]) == (4, "100.00")
    assert (report["non_members"]["purchases"], report["non_members"]["spend"]) == (3, "30.00")
    m = [Decimal(a) for a in member_amounts]
    o = [Decimal(a) for a in other_amounts]
    assert report["members"]["average_basket"]["value"] == "25.00"
    half = Decimal("1.959964") * (variance(m) / 4).sqrt()
    assert Decimal(report["members"]["average_basket"]["high"]) - Decimal("25.00") - half <= Decimal("0.01")
    found = report["basket_difference"]
    assert Decimal(found["difference"]) == mean(m) - mean(o) == Decimal(15)
    assert Decimal(found["low"]) < 15 < Decimal(found["high"])
    assert too_long.status == 400
