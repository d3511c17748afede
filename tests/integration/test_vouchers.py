"""Vouchers (issue 8): a member converts points into a voucher of a published denomination, exactly once per
request id; the points leave the lots first to expire first and stay their issuers' liability in the voucher."""

from __future__ import annotations

from chalicelib.store.models import VoucherItem, WalletItem
from tests.support.aws import table_snapshot
from tests.support.ledger import assert_invariants

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
    assert WalletItem.get(member.member_id).voucher_points == {"fuel": 300, "market": 700}
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
    before = table_snapshot(settings)

    not_offered = convert(coalition, member, 700, "v-700")
    too_many = [convert(coalition, member, 1000, f"v-{n}") for n in range(2)][-1]  # 1,200 − 1,000 = 200 left
    after_first = table_snapshot(settings)
    coalition.program()  # a programme without vouchers
    none_offered = convert(coalition, member, 500, "v-none")

    assert (not_offered.status, not_offered.error_code, not_offered.json["error"]["field"]) == (
        422,
        "rule_violation",
        "denomination",
    )
    assert (too_many.status, too_many.error_code) == (422, "insufficient_points")
    assert (none_offered.status, none_offered.error_code) == (422, "rule_violation")
    assert before != after_first and coalition.me(member)["available_points"] == 200  # only v-0 converted
    assert assert_invariants() == {"market": 700, "fuel": 500}


def test_a_suspended_member_cannot_convert(coalition, clock):
    member = member_with_points(coalition, clock)
    coalition.api.patch(f"/v1/admin/members/{member.member_id}", {"status": "suspended"}, token=coalition.admin)

    reply = convert(coalition, member, 500)

    assert (reply.status, reply.error_code) == (422, "member_inactive")


def test_a_conversion_costs_a_wallet_read_and_one_transaction_whatever_the_history(coalition, clock, container, meter):
    member = member_with_points(coalition, clock)
    container.runtime.cache._seconds = 30
    convert(coalition, member, 500, "warm-up")  # the programme is now cached
    for n in range(20):  # a longer history: more entries, more vouchers
        coalition.purchase(coalition.key("market"), member, "1.00", transaction_id=f"h-{n}")
    meter.reset()

    assert convert(coalition, member, 500, "measured").status == 201

    assert [c.operation for c in meter.calls] == ["GetItem", "TransactWriteItems"]
    assert meter.calls[-1].items == 4  # operation record + wallet + voucher + one ledger entry
