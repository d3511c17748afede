"""Vouchers (issue 8): a member converts points into a voucher of a published denomination, exactly once per
request id; the points leave the lots first to expire first and stay their issuers' liability in the voucher."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from decimal import Decimal

from chalicelib.domain.errors import VoucherNotUsable
from chalicelib.services import vouchers
from chalicelib.services.requests import VoucherSpendRequest
from chalicelib.store.models import VoucherItem
from tests.support.aws import table_snapshot
from tests.support.ledger import assert_invariants
from tests.support.wallets import stored_wallet

VOUCHERS = {
    "denominations": [
        {"points": 500, "value": "5.00"},
        {"points": 1000, "value": "11.00", "bonus_funder": "operator"},
    ],
    "validity_months": 12,
}


def convert(coalition, member, denomination, request_id="v1"):
    body = {"request_id": request_id, "denomination": denomination}
    return coalition.api.post("/v1/me/vouchers", body, token=member.token)


def member_with_points(coalition, clock):
    """700 points of the market (earned in November: they expire first) and 500 of the fuel station (December)."""
    coalition.program(vouchers=VOUCHERS)
    market, fuel = coalition.partner("market"), coalition.partner("fuel")
    member = coalition.member(market)
    coalition.purchase(market, member, "700.00")
    clock.advance(days=10)  # 2026-12-03
    coalition.purchase(fuel, member, "500.00", occurred_at="2026-12-03T09:00:00Z")
    return member


def test_converting_points_makes_a_voucher_funded_by_the_issuers_of_those_points(coalition, clock):
    member = member_with_points(coalition, clock)

    reply = convert(coalition, member, 1000)

    assert reply.status == 201, reply.json
    voucher = reply.json
    assert (voucher["points"], voucher["value"], voucher["currency"], voucher["status"]) == (
        1000,
        "11.00",
        "EUR",
        "open",
    )
    assert (voucher["expires_on"], voucher["usable_at"], voucher["available_points"]) == ("2027-12-03", "all", 200)
    stored = VoucherItem.get(voucher["code"])
    assert stored.funding == [["fuel", 300, "3.00"], ["market", 700, "7.00"], ["operator", 0, "1.00"]]
    assert stored_wallet(member.member_id).voucher_points == {"fuel": 300, "market": 700}
    entry = coalition.api.get("/v1/me/entries?limit=1", token=member.token).json["entries"][0]
    assert (entry["type"], entry["points"], entry["reference"]) == ("voucher", -1000, voucher["code"])
    assert entry["breakdown"] == [
        {"rule": "voucher", "points": -1000, "detail": "1000 points converted into a voucher of 11.00 EUR"}
    ]
    assert coalition.api.get("/v1/me/vouchers", token=member.token).json["vouchers"] == [
        {k: v for k, v in voucher.items() if k not in ("entry_id", "available_points")}
    ]
    # The points are still their issuers' liability: in the voucher, no longer the member's to spend.
    assert assert_invariants() == {"market": 700, "fuel": 500}
    assert coalition.api.get("/v1/admin/reconciliation", token=coalition.admin).json["ok"] is True


def test_a_conversion_happens_once_per_request_id(coalition, clock):
    member = member_with_points(coalition, clock)

    first, again = convert(coalition, member, 500), convert(coalition, member, 500)
    other = convert(coalition, member, 1000)  # the same request id with another body

    assert first.status == 201 and again.replayed and again.body == first.body
    assert (other.status, other.error_code, other.json["error"]["field"]) == (409, "idempotency_conflict", "request_id")
    assert coalition.me(member)["available_points"] == 700
    assert len(coalition.api.get("/v1/me/vouchers", token=member.token).json["vouchers"]) == 1


def test_what_cannot_be_converted_is_refused_and_writes_nothing(coalition, settings, clock):
    member = member_with_points(coalition, clock)
    assert convert(coalition, member, 1000, "v-0").status == 201  # 1,200 − 1,000 = 200 left
    before = table_snapshot(settings)

    not_offered = convert(coalition, member, 700, "v-700")
    too_many = convert(coalition, member, 1000, "v-1")
    refused_wrote = table_snapshot(settings) != before
    coalition.program()  # a programme without vouchers
    after_programme = table_snapshot(settings)
    none_offered = convert(coalition, member, 500, "v-none")

    assert (not_offered.status, not_offered.error_code, not_offered.json["error"]["field"]) == (
        422,
        "rule_violation",
        "denomination",
    )
    assert (too_many.status, too_many.error_code) == (422, "insufficient_points")
    assert (none_offered.status, none_offered.error_code) == (422, "rule_violation")
    assert not refused_wrote and table_snapshot(settings) == after_programme
    assert coalition.me(member)["available_points"] == 200  # only v-0 converted
    assert assert_invariants() == {"market": 700, "fuel": 500}


def test_a_suspended_member_cannot_convert(coalition, clock):
    member = member_with_points(coalition, clock)
    coalition.api.patch(f"/v1/admin/members/{member.member_id}", {"status": "suspended"}, token=coalition.admin)

    reply = convert(coalition, member, 500)

    assert (reply.status, reply.error_code) == (422, "member_inactive")


def test_a_conversion_costs_a_wallet_read_and_one_transaction_whatever_the_history(coalition, clock, container, meter):
    member = member_with_points(coalition, clock)
    container.runtime.cache._seconds = 3600  # warm: nothing expires during the measurement
    container.settings.key_cache_seconds = 300
    convert(coalition, member, 500, "warm-up")  # the programme is now cached
    for n in range(20):  # a longer history: more entries, more vouchers
        coalition.purchase(coalition.key("market"), member, "1.00", transaction_id=f"h-{n}")
    meter.reset()

    assert convert(coalition, member, 500, "measured").status == 201

    assert [c.operation for c in meter.calls] == ["GetItem", "TransactWriteItems"]
    assert meter.calls[-1].items == 4  # operation record + wallet + voucher + one ledger entry


def spend(coalition, key, code, redemption_id):
    return coalition.api.post(f"/v1/vouchers/{code}/redemptions", {"redemption_id": redemption_id}, token=key)


def void(coalition, key, code, redemption_id):
    return coalition.api.post(f"/v1/vouchers/{code}/redemptions/{redemption_id}/void", token=key)


def test_a_day_of_vouchers_settles_to_the_cent_as_computed_by_hand(coalition, clock):
    """The worked example (point value 0.01; 500 points → 5.00; 1,000 → 11.00, the extra 1.00 paid by the operator):

    Ana buys 700.00 at the market and 500.00 at the fuel station (1,200 points, all ending the same month: ties
    go by issuer, fuel first) and converts 1,000: her voucher is 5.00 of fuel (500 points), 5.00 of the market
    (500) and the operator's 1.00 bonus. Ben buys 500.00 at the market and converts 500: 5.00 of the market.
    Ana spends hers at the cinema. Ben spends his at the bookshop, which refunds the purchase (void): the
    voucher is open again and Ben spends it at the cinema.
    The day's lines: fuel pays the cinema 5.00, the market 5.00 + 5.00 = 10.00 (one line), the operator 1.00
    (voucher_bonus); the bookshop's spend and void net to nothing. Nets: cinema +16.00, market −10.00, fuel −5.00,
    operator −1.00, bookshop 0.00: they sum to 0.00. The market still owes Ana's 200 points.
    """
    coalition.program(vouchers=VOUCHERS)
    market, fuel = coalition.partner("market"), coalition.partner("fuel")
    cinema, books = coalition.partner("cinema"), coalition.partner("books")
    ana, ben = coalition.member(market), coalition.member(market)
    coalition.purchase(market, ana, "700.00")
    coalition.purchase(fuel, ana, "500.00")
    coalition.purchase(market, ben, "500.00")
    anas = convert(coalition, ana, 1000, "a-1").json["code"]
    bens = convert(coalition, ben, 500, "b-1").json["code"]
    assert VoucherItem.get(anas).funding == [["fuel", 500, "5.00"], ["market", 500, "5.00"], ["operator", 0, "1.00"]]

    spent = spend(coalition, cinema, anas, "c-1")
    at_books = spend(coalition, books, bens, "k-1")
    refunded = void(coalition, books, bens, "k-1")
    again = spend(coalition, cinema, bens, "c-2")

    assert (spent.status, spent.json["value"], spent.json["currency"]) == (201, "11.00", "EUR")
    assert (at_books.status, refunded.status, refunded.json["status"], again.status) == (201, 200, "open", 201)
    assert assert_invariants() == {"market": 200}
    clock.now = datetime(2026, 11, 24, 1, 0, tzinfo=timezone.utc)
    day = coalition.api.post("/v1/admin/settlements/2026-11-23/close", token=coalition.admin).json
    assert day["transfers"] == [
        {"from": "fuel", "to": "cinema", "kind": "redemption", "amount": "5.00"},
        {"from": "market", "to": "cinema", "kind": "redemption", "amount": "10.00"},
        {"from": "operator", "to": "cinema", "kind": "voucher_bonus", "amount": "1.00"},
    ]
    nets = {party: Decimal(net) for party, net in day["net_positions"].items()}
    assert {p: n for p, n in nets.items() if n} == {
        "cinema": Decimal("16.00"),
        "market": Decimal("-10.00"),
        "fuel": Decimal("-5.00"),
        "operator": Decimal("-1.00"),
    }
    assert sum(nets.values()) == 0 and day["net_total"] == "0.00"
    assert {issuer: n for issuer, n in day["outstanding"].items() if n} == {"market": 200}
    cinema_statement = coalition.api.get("/v1/settlements/2026-11-23", token=cinema).json
    assert (cinema_statement["redeemed_here"], cinema_statement["net"]) == ({"fuel": 500, "market": 1000}, "16.00")


def test_a_voucher_is_spent_once_where_it_may_be_and_only_its_taker_voids_it(coalition, clock):
    market, cinema, books = coalition.partner("market"), coalition.partner("cinema"), coalition.partner("books")
    coalition.program(vouchers={**VOUCHERS, "usable_at": ["cinema", "books"]})
    ana = coalition.member(market)
    coalition.purchase(market, ana, "600.00")
    code = convert(coalition, ana, 500).json["code"]

    elsewhere = spend(coalition, market, code, "m-1")
    first, replay = spend(coalition, cinema, code, "c-1"), spend(coalition, cinema, code, "c-1")
    twice = spend(coalition, books, code, "k-1")
    not_theirs = void(coalition, books, code, "c-1")
    unknown = [spend(coalition, cinema, bad, "c-9").status for bad in ("ABCD-EFGH-JKMN-P234", "nope", "A" * 3000)]
    clock.advance(days=366)  # past its last day (2027-11-23): no longer spendable, even after a refund
    reopened = void(coalition, cinema, code, "c-1")
    late = spend(coalition, books, code, "k-2")

    assert (elsewhere.status, elsewhere.error_code) == (422, "voucher_not_usable")
    assert first.status == 201 and replay.replayed and replay.body == first.body
    assert (twice.status, twice.error_code, not_theirs.status, not_theirs.error_code) == (
        422,
        "voucher_not_usable",
        422,
        "voucher_not_usable",
    )
    assert unknown == [404, 404, 404]
    assert (reopened.status, late.status, late.error_code) == (200, 422, "voucher_not_usable")
    assert assert_invariants() == {"market": 600}  # 100 points + the open voucher's 500


def test_two_partners_spending_one_voucher_at_once_get_one_success(coalition, container, meter):
    coalition.program(vouchers=VOUCHERS)
    market = coalition.partner("market")
    shops = [coalition.partner(f"shop-{n}") for n in range(8)]
    ana = coalition.member(market)
    coalition.purchase(market, ana, "500.00")
    code = convert(coalition, ana, 500).json["code"]
    meter.serialise = True  # each DynamoDB call atomic, as on AWS
    rt = container.runtime

    def take(n: int) -> str:
        try:
            vouchers.spend_voucher(rt, f"shop-{n}", code, VoucherSpendRequest(redemption_id=f"r-{n}"))
            return "spent"
        except VoucherNotUsable:
            return "refused"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(take, range(len(shops)), timeout=120))

    assert sorted(outcomes) == ["refused"] * 7 + ["spent"]
    assert VoucherItem.get(code).status == "spent"
    assert assert_invariants() == {}


def test_an_open_voucher_past_its_last_day_expires_by_job_as_breakage_and_only_what_is_due_is_read(
    coalition, clock, meter
):
    coalition.program(vouchers=VOUCHERS)
    market, cinema = coalition.partner("market"), coalition.partner("cinema")
    ana = coalition.member(market)
    coalition.purchase(market, ana, "1000.00")
    kept = convert(coalition, ana, 500, "v-kept").json["code"]
    spent = convert(coalition, ana, 500, "v-spent").json["code"]
    assert spend(coalition, cinema, spent, "c-1").status == 201
    clock.advance(days=365)  # 2027-11-23: the last day of both vouchers
    on_last_day = coalition.api.post("/v1/admin/jobs/voucher-expiry", {}, token=coalition.admin).json
    clock.advance(days=1)
    meter.reset()

    ran = coalition.api.post("/v1/admin/jobs/voucher-expiry", {}, token=coalition.admin).json
    reads = [c for c in meter.calls if c.operation in ("Query", "Scan")]
    again = coalition.api.post("/v1/admin/jobs/voucher-expiry", {}, token=coalition.admin).json

    assert (on_last_day["processed"], ran["processed"], again["processed"]) == (0, 1, 0)
    assert {c.operation for c in reads} == {"Query"} and len(reads) == 16  # one per shard, no Scan
    assert VoucherItem.get(kept).status == "expired" and VoucherItem.get(kept).expiry_shard is None
    assert VoucherItem.get(spent).status == "spent"
    entry = coalition.api.get("/v1/me/entries?limit=1", token=ana.token).json["entries"][0]
    assert (entry["type"], entry["points"], entry["attribution"][0]["points"]) == ("voucher_expire", 0, 500)
    assert stored_wallet(ana.member_id).voucher_points == {}
    assert assert_invariants() == {}  # 1,000 issued: 500 spent at the cinema, 500 expired
    assert (spend(coalition, cinema, kept, "c-2").status, coalition.me(ana)["available_points"]) == (422, 0)


def test_the_programme_converts_in_the_earn_that_reaches_its_threshold(coalition):
    """auto_convert {threshold 1,500, denomination 1,000}: the purchase that brings the balance to 1,600 books a
    1,000-point voucher in the same transaction; 600 stay available."""
    market = coalition.partner("market")
    coalition.program(vouchers={**VOUCHERS, "auto_convert": {"threshold": 1500, "denomination": 1000}})
    ana = coalition.member(market)
    below = coalition.purchase(market, ana, "1400.00")
    crossing = coalition.purchase(market, ana, "200.00", transaction_id="t-cross")
    replay = coalition.purchase(market, ana, "200.00", transaction_id="t-cross")

    assert "vouchers" not in below.json and below.json["available_points"] == 1400
    assert crossing.status == 201 and crossing.json["available_points"] == 600
    [voucher] = crossing.json["vouchers"]
    assert (voucher["points"], voucher["value"], voucher["status"]) == (1000, "11.00", "open")
    assert replay.replayed and replay.body == crossing.body  # converted once
    types = [e["type"] for e in coalition.api.get("/v1/me/entries?limit=3", token=ana.token).json["entries"]]
    assert types == ["voucher", "earn", "earn"]
    assert [v["code"] for v in coalition.api.get("/v1/me/vouchers", token=ana.token).json["vouchers"]] == [
        voucher["code"]
    ]
    assert assert_invariants() == {"market": 1600}


def test_a_partner_is_paid_a_vouchers_face_value_to_the_cent_whatever_the_point_values_decimals(coalition, clock):
    """Review: at 0.005 a point, 333 points (111 of the market, 222 of the fuel station) are worth 1.665; a 2.00
    voucher's lines rounded one by one paid the cinema 2.01 (0.56 + 1.11 + 0.34). Shares are whole cents fixed at
    the conversion (the worth rounded to 1.67, shared by largest remainder: market 0.56, fuel 1.11) and the bonus
    is the rest (0.33): the cinema gets 2.00."""
    market, fuel, cinema = coalition.partner("market"), coalition.partner("fuel"), coalition.partner("cinema")
    denomination = {"points": 333, "value": "2.00", "bonus_funder": "operator"}
    coalition.program(point_value="0.005", vouchers={"denominations": [denomination], "validity_months": 12})
    ana = coalition.member(market)
    coalition.purchase(market, ana, "111.00")
    coalition.purchase(fuel, ana, "222.00")
    code = convert(coalition, ana, 333).json["code"]
    assert VoucherItem.get(code).funding == [["fuel", 222, "1.11"], ["market", 111, "0.56"], ["operator", 0, "0.33"]]

    assert spend(coalition, cinema, code, "c-1").status == 201
    clock.now = datetime(2026, 11, 24, 1, 0, tzinfo=timezone.utc)
    day = coalition.api.post("/v1/admin/settlements/2026-11-23/close", token=coalition.admin).json

    assert day["net_positions"]["cinema"] == "2.00" and day["net_total"] == "0.00"


def test_a_till_converts_for_the_member_with_their_card_or_a_spend_code_not_a_member_id(coalition):
    shop = coalition.partner("shop")
    coalition.program(vouchers=VOUCHERS)
    ana = coalition.member(shop)
    coalition.purchase(shop, ana, "1600.00")
    spend_code = coalition.api.post("/v1/me/spend-codes", {"points_max": 500}, token=ana.token).json["code"]

    def at_till(request_id, member, denomination=500):
        body = {"request_id": request_id, "member": member, "denomination": denomination}
        return coalition.api.post("/v1/vouchers", body, token=shop)

    by_card = at_till("t-1", {"card_number": ana.card_number}, 1000)
    by_code = at_till("t-2", {"spend_code": spend_code})
    code_again = at_till("t-3", {"spend_code": spend_code})
    by_id = at_till("t-4", {"member_id": ana.member_id})
    replay = at_till("t-1", {"card_number": ana.card_number}, 1000)

    assert (by_card.status, by_card.json["value"], by_card.json["available_points"]) == (201, "11.00", 600)
    assert (by_code.status, by_code.json["available_points"]) == (201, 100)
    assert (code_again.status, by_id.status, by_id.error_code) == (404, 422, "rule_violation")
    assert replay.replayed and replay.body == by_card.body
    entry = coalition.api.get("/v1/me/entries?limit=1", token=ana.token).json["entries"][0]
    assert (entry["type"], entry["partner_id"], entry["points"]) == ("voucher", "shop", -500)
    assert len(coalition.api.get("/v1/me/vouchers", token=ana.token).json["vouchers"]) == 2
    assert assert_invariants() == {"shop": 1600}


def test_a_spend_reads_the_voucher_once_and_the_wallet_once(coalition, container, meter):
    coalition.program(vouchers=VOUCHERS)
    market, cinema = coalition.partner("market"), coalition.partner("cinema")
    container.runtime.cache._seconds = 3600  # warm: nothing expires during the measurement
    container.settings.key_cache_seconds = 300
    ana = coalition.member(market)
    coalition.purchase(market, ana, "500.00")
    code = convert(coalition, ana, 500).json["code"]
    meter.reset()

    assert spend(coalition, cinema, code, "c-1").status == 201

    # the cinema's API key (its first call), the voucher (read once: the first attempt uses it), the wallet,
    # one transaction
    assert [c.operation for c in meter.calls] == ["GetItem", "GetItem", "GetItem", "TransactWriteItems"]
    assert meter.calls[-1].items == 4  # operation record, wallet, voucher, one ledger entry
