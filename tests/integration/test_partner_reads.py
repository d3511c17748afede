"""A partner reads its own purchases, redemptions and holds: by id, and page by page over its booking days."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.cursors import decode_cursor, encode_cursor

START = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def post_history(coalition, clock, key, members, days: int = 4, per_day: int = 3) -> list[str]:
    """Purchases over `days` booking days, `per_day` a day, alternating stores s1/s2 (every third: no store);
    returns their ids, oldest first."""
    ids = []
    for day in range(days):
        clock.now = START + timedelta(days=day)
        for n in range(per_day):
            clock.advance(minutes=7)
            transaction_id = f"d{day}-{n}"
            store = {0: {"store_id": "s1"}, 1: {"store_id": "s2"}, 2: {}}[len(ids) % 3]
            reply = coalition.purchase(
                key,
                members[len(ids) % len(members)],
                "10.00",
                transaction_id=transaction_id,
                occurred_at=iso(clock.now - timedelta(minutes=5)),
                **store,
            )
            assert reply.status == 201, reply.json
            ids.append(transaction_id)
    return ids


def walk(api, key, path: str, field: str) -> tuple[list[str], int]:
    """Every page of a list: the ids in order and how many pages it took."""
    seen, pages, url = [], 0, path
    while True:
        reply = api.get(url, token=key)
        assert reply.status == 200, reply.json
        pages += 1
        seen += [row[field] for row in reply.json[path.split("?")[0].rsplit("/", 1)[1]]]
        cursor = reply.json["next_cursor"]
        if cursor is None:
            return seen, pages
        url = f"{path}&cursor={cursor}"


@pytest.fixture
def shop(coalition, clock):
    clock.now = START
    key = coalition.partner("shop")
    return key, [coalition.member(key), coalition.member(key)]


@pytest.mark.parametrize("limit", [1, 2, 5])
def test_pages_show_every_purchase_once_newest_first(coalition, clock, shop, limit):
    key, members = shop
    ids = post_history(coalition, clock, key, members)

    seen, pages = walk(
        coalition.api, key, f"/v1/transactions?from=2026-11-20&to=2026-11-23&limit={limit}", "transaction_id"
    )

    assert seen == list(reversed(ids))  # 12, none skipped, none repeated
    assert pages == -(-len(ids) // limit) or pages == len(ids) // limit + 1  # the last page may be the empty end


def test_from_and_to_bound_the_booking_days(coalition, clock, shop):
    key, members = shop
    ids = post_history(coalition, clock, key, members)

    seen, _ = walk(coalition.api, key, "/v1/transactions?from=2026-11-21&to=2026-11-22&limit=2", "transaction_id")

    assert seen == [i for i in reversed(ids) if i.startswith(("d1-", "d2-"))]


def test_the_store_filter_lists_that_store_only(coalition, clock, shop):
    key, members = shop
    ids = post_history(coalition, clock, key, members)

    seen, _ = walk(
        coalition.api, key, "/v1/transactions?from=2026-11-20&to=2026-11-23&store_id=s1&limit=2", "transaction_id"
    )
    rows = coalition.api.get("/v1/transactions?from=2026-11-20&to=2026-11-23&store_id=s2&limit=100", token=key).json

    assert seen == [i for n, i in reversed(list(enumerate(ids))) if n % 3 == 0]
    assert {row["store_id"] for row in rows["transactions"]} == {"s2"} and len(rows["transactions"]) == 4


def test_a_transaction_shows_its_place_points_member_and_returns(coalition, clock, shop):
    key, (member, _) = shop
    coalition.purchase(
        key, member, "80.00", transaction_id="t1", store_id="s9", channel="online", occurred_at=iso(START)
    )
    clock.advance(hours=2)
    for return_id, amount in (("r1", "20.00"), ("r2", "30.00")):
        assert (
            coalition.api.post(
                "/v1/transactions/t1/returns", {"return_id": return_id, "amount": amount}, token=key
            ).status
            == 201
        )

    view = coalition.api.get("/v1/transactions/t1", token=key).json

    assert view["member_id"] == member.member_id
    assert (view["amount"], view["currency"], view["channel"], view["store_id"]) == ("80.00", "EUR", "online", "s9")
    assert view["points"] == 80 and view["points_reversed"] == 50
    assert (view["returned_amount"], view["net_amount"]) == ("50.00", "30.00")
    assert [(r["return_id"], r["amount"], r["points_reversed"]) for r in view["returns"]] == [
        ("r1", "20.00", 20),
        ("r2", "30.00", 30),
    ]
    assert view["returns"][0]["booked_at"] == "2026-11-20T10:00:00.000Z"
    listed = coalition.api.get("/v1/transactions?from=2026-11-20&to=2026-11-20", token=key).json["transactions"]
    assert listed == [view]


def test_partners_never_see_each_others_records(coalition, clock, shop):
    key_a, (member, _) = shop
    key_b = coalition.partner("fuel")
    coalition.purchase(key_a, member, "10.00", transaction_id="same-id", store_id="a-store", occurred_at=iso(START))
    coalition.purchase(key_a, member, "11.00", transaction_id="only-a", occurred_at=iso(START))
    coalition.purchase(key_b, member, "25.00", transaction_id="same-id", store_id="b-store", occurred_at=iso(START))

    assert coalition.api.get("/v1/transactions/only-a", token=key_b).status == 404
    assert coalition.api.get("/v1/transactions/same-id", token=key_a).json["amount"] == "10.00"
    assert coalition.api.get("/v1/transactions/same-id", token=key_b).json["amount"] == "25.00"
    listed_b = coalition.api.get("/v1/transactions?from=2026-11-20&to=2026-11-20", token=key_b).json["transactions"]
    assert [(t["transaction_id"], t["amount"]) for t in listed_b] == [("same-id", "25.00")]
    assert (
        coalition.api.get("/v1/transactions?from=2026-11-20&to=2026-11-20&store_id=a-store", token=key_b).json[
            "transactions"
        ]
        == []
    )
    # A's cursor sent by B pages B's own records only (positions are read under the caller's partition keys).
    page_a = coalition.api.get("/v1/transactions?from=2026-11-20&to=2026-11-20&limit=1", token=key_a).json
    with_a_cursor = coalition.api.get(f"/v1/transactions?limit=1&cursor={page_a['next_cursor']}", token=key_b).json
    assert all(t["amount"] == "25.00" for t in with_a_cursor["transactions"])
    redeemed = coalition.redeem(key_a, member, 5, redemption_id="red-1")
    assert redeemed.status == 201
    assert coalition.api.get("/v1/redemptions/red-1", token=key_b).status == 404


def test_redemptions_show_their_reversals(coalition, clock, shop):
    key, (member, _) = shop
    coalition.purchase(key, member, "100.00", occurred_at=iso(START))
    assert coalition.redeem(key, member, 40, redemption_id="red-1").status == 201
    clock.advance(minutes=3)
    body = {"reversal_id": "rev-1", "points": 15}
    assert coalition.api.post("/v1/redemptions/red-1/reversals", body, token=key).status == 201

    view = coalition.api.get("/v1/redemptions/red-1", token=key).json
    listed = coalition.api.get("/v1/redemptions?from=2026-11-20&to=2026-11-20&limit=5", token=key).json

    assert (view["member_id"], view["points"], view["reversed_points"]) == (member.member_id, 40, 15)
    assert [(r["reversal_id"], r["points"], r["booked_at"]) for r in view["reversals"]] == [
        ("rev-1", 15, "2026-11-20T08:03:00.000Z")
    ]
    assert listed == {"redemptions": [view], "next_cursor": None}


def test_holds_show_their_status_captured_points_and_reversals(coalition, clock, shop):
    key, (member, _) = shop
    coalition.purchase(key, member, "100.00", occurred_at=iso(START))
    card = {"card_number": member.card_number}
    for hold_id, ttl in (("h-captured", 900), ("h-voided", 900), ("h-expired", 60), ("h-open", 3600)):
        clock.advance(seconds=1)
        reply = coalition.api.post(
            "/v1/holds", {"hold_id": hold_id, "member": card, "points": 10, "ttl_seconds": ttl}, token=key
        )
        assert reply.status == 201, reply.json
    assert coalition.api.post("/v1/holds/h-captured/capture", {"points": 7}, token=key).status == 201
    assert (
        coalition.api.post("/v1/holds/h-captured/reversals", {"reversal_id": "hr-1", "points": 2}, token=key).status
        == 201
    )
    assert coalition.api.post("/v1/holds/h-voided/void", token=key).status == 200
    clock.advance(minutes=5)  # h-expired's 60 s are over; the others' are not

    holds = {
        h["hold_id"]: h for h in coalition.api.get("/v1/holds?from=2026-11-20&to=2026-11-20", token=key).json["holds"]
    }

    assert {hold_id: h["status"] for hold_id, h in holds.items()} == {
        "h-captured": "captured",
        "h-voided": "voided",
        "h-expired": "expired",
        "h-open": "open",
    }
    captured = holds["h-captured"]
    assert (captured["points"], captured["captured_points"], captured["reversed_points"]) == (10, 7, 2)
    assert [r["reversal_id"] for r in captured["reversals"]] == ["hr-1"]
    assert coalition.api.get("/v1/holds/h-captured", token=key).json == captured
    assert coalition.api.get("/v1/holds/h-open", token=coalition.partner("fuel")).status == 404


@pytest.mark.parametrize(
    "query, field",
    [
        ("from=2026-11-23&to=2026-11-20", "to"),
        ("from=2026-08-01&to=2026-11-20", "to"),  # more than 92 days
        ("from=yesterday", "from"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("cursor=not-a-cursor", "cursor"),
        ("store_id=" + "x" * 65, "store_id"),
    ],
)
def test_bad_list_queries_are_400_naming_the_field(coalition, shop, query, field):
    key, _ = shop
    reply = coalition.api.get(f"/v1/transactions?{query}", token=key)
    assert (reply.status, reply.error_code, reply.json["error"].get("field")) == (400, "invalid_request", field)


def test_tampered_or_foreign_cursors_are_refused(coalition, clock, shop):
    key, members = shop
    post_history(coalition, clock, key, members, days=1)
    cursor = coalition.api.get("/v1/transactions?from=2026-11-20&to=2026-11-20&limit=1", token=key).json["next_cursor"]
    fields = decode_cursor(cursor)
    signature = fields.pop("h")
    assert len(signature) == 32
    forged = [
        {**fields, "h": signature, "t": "2026-11-21"},  # signed for another window
        {**fields, "h": "0" * 32},
        {**fields, "k": "redemption"},  # another list's
        {**fields, "t": "2027-06-01"},  # a window over 92 days
        {**fields, "a": {"99": "2026-11-20T08:07:00.000Z#d0-0"}},  # no such shard
        {**fields, "a": {"0": "2025-01-01T00:00:00.000Z#x"}},  # a position outside the window
        {**fields, "d": list(range(16)), "a": {}},  # a finished list has no cursor
        {**fields, "extra": 1},
    ]
    for tampered in forged:
        reply = coalition.api.get(f"/v1/transactions?cursor={encode_cursor(tampered)}", token=key)
        assert (reply.status, reply.json["error"]["field"]) == (400, "cursor"), tampered
    other_window = coalition.api.get(f"/v1/transactions?from=2026-11-19&cursor={cursor}", token=key)
    assert (other_window.status, other_window.json["error"]["field"]) == (400, "cursor")
    assert coalition.api.get(f"/v1/redemptions?cursor={cursor}", token=key).status == 400
    assert coalition.api.get(f"/v1/transactions?cursor={cursor}", token=key).status == 200


def test_a_page_costs_the_same_calls_whatever_the_history(coalition, clock, container, shop, meter):
    """Warm: 16 Queries (one per shard, keys only) + 1 BatchGetItem of the records shown, at 3 and at 30
    purchases; a record by id: 1 GetItem; a hold by id: 1 BatchGetItem (the hold, its capture, its void)."""
    container.runtime.cache._seconds = 3600  # warm: nothing expires during the measurement
    container.settings.key_cache_seconds = 300
    key, members = shop

    def cost(path: str) -> list[tuple[str, int]]:
        coalition.api.get(path, token=key)  # warms the key's cache
        meter.reset()
        reply = coalition.api.get(path, token=key)
        assert reply.status == 200, reply.json
        return [(c.operation, c.items) for c in meter.calls]

    post_history(coalition, clock, key, members, days=1, per_day=3)
    small = cost("/v1/transactions?from=2026-11-20&to=2026-11-23&limit=5")
    post_history(coalition, clock, key, members, days=4, per_day=8)
    large = cost("/v1/transactions?from=2026-11-20&to=2026-11-23&limit=5")

    assert [op for op, _ in small] == [op for op, _ in large] == ["Query"] * 16 + ["BatchGetItem"]
    assert large[-1] == ("BatchGetItem", 5)
    assert cost("/v1/transactions/d0-0") == [("GetItem", 1)]
    card = {"card_number": members[0].card_number}
    coalition.api.post("/v1/holds", {"hold_id": "h1", "member": card, "points": 1}, token=key)
    assert cost("/v1/holds/h1") == [("BatchGetItem", 3)]
