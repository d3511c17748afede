"""A purchase costs the same with 20 campaigns running, half for segments and half measured with a control group,
as with none: the segments are evaluated on the wallet the purchase read, the campaigns and segments come from the
configuration cache, and the measured figures ride on the entry and the wallet head it writes anyway."""

from __future__ import annotations

from decimal import Decimal

from chalicelib.domain.effect import in_control
from tests.support.capacity import capacity_meter

WINDOW = {"starts_at": "2026-11-01T00:00:00Z", "ends_at": "2026-12-31T00:00:00Z", "funder": "operator"}


def warm_purchase(coalition, key, member, tag):
    coalition.purchase(key, member, "10.00", transaction_id=f"warm-{tag}")  # fills the caches
    with capacity_meter() as meter:
        reply = coalition.purchase(key, member, "10.00", transaction_id=f"measured-{tag}")
    assert reply.status == 201, reply.json
    transaction = next(b for b in meter.billed if b.operation == "TransactWriteItems")
    return reply.json, [b.operation for b in meter.billed], len(transaction.written_bytes), meter


def test_twenty_campaigns_for_segments_and_control_groups_leave_a_purchase_at_its_cost(coalition, container):
    container.runtime.cache._seconds = 3600  # warm means warm, however slow the machine
    key = coalition.partner("shop")
    member = coalition.member(key, email="m@example.com", birth_date="1980-01-01")
    _, alone_calls, alone_items, alone = warm_purchase(coalition, key, member, "alone")

    for n in range(10):  # segments this member is not in, and a campaign for each
        segment = {"segment_id": f"young-{n}", "name": "young", "rules": {"age": {"max": 20 + n}}}
        assert coalition.api.post("/v1/admin/segments", segment, token=coalition.admin).status == 201
        campaign = {"campaign_id": f"seg-{n}", "name": "s", "multiplier": "2", "segment": f"young-{n}", **WINDOW}
        assert coalition.api.post("/v1/admin/campaigns", campaign, token=coalition.admin).status == 201
    held_out = [c for c in (f"ab-{n}" for n in range(200)) if in_control(member.member_id, c, Decimal("0.5"))][:10]
    for campaign_id in held_out:  # measured campaigns that hold this member out: measured, not rewarded
        campaign = {"campaign_id": campaign_id, "name": "m", "points": 5, "control_share": "0.5", **WINDOW}
        assert coalition.api.post("/v1/admin/campaigns", campaign, token=coalition.admin).status == 201
    body, calls, items, twenty = warm_purchase(coalition, key, member, "twenty")

    print(f"\nalone: {alone.wcu} WCU {alone.rcu} RCU, largest item {alone.largest_write()} B")
    print(f"20 campaigns: {twenty.wcu} WCU {twenty.rcu} RCU, items {[b.written_bytes for b in twenty.billed]} B")
    assert calls == alone_calls == ["GetItem", "TransactWriteItems"]
    assert items == alone_items == 3  # the operation record, the wallet head, the entry
    assert (twenty.wcu, twenty.rcu) == (alone.wcu, alone.rcu) == (6, 0.5)
    assert body["points"] == 10 and len(body["breakdown"]) == 1  # held out of ten, outside the other ten


def test_twenty_challenges_under_way_leave_a_purchase_at_its_cost(coalition, container):
    """The member makes progress in all twenty (every kind, high targets): the progress rides on the wallet head the
    purchase writes anyway, packed with it."""
    container.runtime.cache._seconds = 3600
    key = coalition.partner("shop")
    member = coalition.member(key, email="m@example.com", birth_date="1980-01-01")
    _, alone_calls, alone_items, alone = warm_purchase(coalition, key, member, "alone")
    kinds = [("purchases", 1000), ("spend", "9000.00"), ("partners", 50), ("streak", 6)]
    for n in range(20):
        kind, target = kinds[n % 4]
        challenge = {
            "challenge_id": f"ch-{n}",
            "name": f"Challenge {n}",
            "kind": kind,
            "period": "month",
            "target": target,
            "reward": {"points": 100, "funder": "operator"},
            "starts_at": "2026-11-01T00:00:00Z",
            "ends_at": "2026-12-31T00:00:00Z",
        }
        assert coalition.api.post("/v1/admin/challenges", challenge, token=coalition.admin).status == 201
    body, calls, items, twenty = warm_purchase(coalition, key, member, "twenty")
    progress = coalition.api.get("/v1/me/challenges", token=member.token).json["challenges"]

    print(f"\n20 challenges: {twenty.wcu} WCU {twenty.rcu} RCU, items {[b.written_bytes for b in twenty.billed]} B")
    assert calls == alone_calls == ["GetItem", "TransactWriteItems"]
    assert items == alone_items == 3  # the operation record, the wallet head, the entry
    assert (twenty.wcu, twenty.rcu) == (alone.wcu, alone.rcu) == (6, 0.5)
    assert len(progress) == 20 and {c["progress"] for c in progress} == {2, "20.00", 1}
    assert body["points"] == 10


def test_a_purchase_completing_twenty_challenges_and_earning_campaigns_writes_four_items(coalition, container):
    """Every award beyond the partner's own rides on one bonus entry, whatever their number."""
    container.runtime.cache._seconds = 3600
    key = coalition.partner("shop")
    member = coalition.member(key)
    for n in range(20):
        challenge = {
            "challenge_id": f"ch-{n}",
            "name": f"Challenge {n}",
            "kind": "purchases",
            "target": 2,  # the warm-up purchase is the first, the measured one completes them
            "reward": {"points": 10 + n, "funder": "operator" if n % 2 else "shop"},
            "starts_at": "2026-11-01T00:00:00Z",
            "ends_at": "2026-12-31T00:00:00Z",
        }
        assert coalition.api.post("/v1/admin/challenges", challenge, token=coalition.admin).status == 201
        campaign = {"campaign_id": f"c-{n}", "name": "c", "points": 1, **WINDOW}
        assert coalition.api.post("/v1/admin/campaigns", campaign, token=coalition.admin).status == 201
    body, calls, items, meter = warm_purchase(coalition, key, member, "twenty")

    print(f"\n20 challenges completed, 20 campaigns: {meter.wcu} WCU, {[b.written_bytes for b in meter.billed]} B")
    assert calls == ["GetItem", "TransactWriteItems"] and items == 4  # the record, the head, the earn, one bonus
    assert body["points"] == 10 + sum(10 + n for n in range(20)) + 20
    entries = coalition.api.get("/v1/me/entries?limit=10", token=member.token).json["entries"]
    bonus = next(e for e in entries if e["type"] == "bonus")
    assert bonus["points"] == sum(line["points"] for line in bonus["breakdown"]) == 20 + sum(range(10, 30))
    assert len(bonus["breakdown"]) == 40
