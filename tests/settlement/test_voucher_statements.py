"""Voucher lines in statements (issue 8): each party sees its vouchers apart from its point lines, which count them
too; months add them up; periods stored before voucher lines still read; reconciliation checks the open voucher
points by issuer.

The day is the worked example of tests/integration/test_vouchers.py (point value 0.01; 500 points → 5.00, 1,000 →
11.00 with the operator's 1.00 bonus), on 2026-11-23:
- Ana buys 700.00 at the market and 500.00 at the fuel station and converts 1,000: fuel 500 (5.00), market 500
  (5.00) and the operator's 1.00. Ben buys 500.00 at the market and converts 500: market 500 (5.00).
- Ana spends hers at the cinema (11.00). Ben spends his at the bookshop, which voids it; he spends it at the
  cinema (5.00).
By hand, per party:
- cinema: 2 vouchers spent here, 1,500 points (fuel 500, market 1,000), face value 5 + 5 + 1 + 5 = 16.00; bonus
  received 1.00.
- books: 1 spent here and 1 voided here, market 500 points, 5.00 each way.
- market: 1,000 points converted; spent at the cinema 1,000 (10.00) and the bookshop 500 (5.00), voided at the
  bookshop 500 (5.00); no voucher open at the day's end (outstanding 200: Ana's points left).
- fuel: 500 converted; 500 spent at the cinema (5.00).
- operator: bonus paid 1.00.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from chalicelib.domain.ledger import Entry
from chalicelib.domain.settlement import PointFlows, VoucherFlows, settle_day
from chalicelib.domain.wallet import Portion
from chalicelib.store.models import SettlementItem
from tests.integration.test_vouchers import VOUCHERS, convert, spend, void
from tests.support.api import Coalition, Member
from tests.support.clock import Clock
from tests.support.wallets import rewrite, stored_wallet

NONE_HERE = {"count": 0, "points": 0, "value": "0.00", "by_issuer": {}}


def lines(**figures: Any) -> dict[str, Any]:
    """A statement's voucher section: the given figures, every other line empty."""
    return {
        "converted_points": 0,
        "spent_here": NONE_HERE,
        "spent_elsewhere": {},
        "voided_here": NONE_HERE,
        "voided_elsewhere": {},
        "bonus_paid": "0.00",
        "bonus_received": "0.00",
        "expired_points": 0,
        **figures,
    }


def worked_example_day(coalition: Coalition) -> tuple[dict[str, str], dict[str, Member]]:
    coalition.program(vouchers=VOUCHERS)
    keys = {p: coalition.partner(p) for p in ("market", "fuel", "cinema", "books")}
    ana, ben = coalition.member(keys["market"]), coalition.member(keys["market"])
    coalition.purchase(keys["market"], ana, "700.00")
    coalition.purchase(keys["fuel"], ana, "500.00")
    coalition.purchase(keys["market"], ben, "500.00")
    anas = convert(coalition, ana, 1000, "a-1").json["code"]
    bens = convert(coalition, ben, 500, "b-1").json["code"]
    assert spend(coalition, keys["cinema"], anas, "c-1").status == 201
    assert spend(coalition, keys["books"], bens, "k-1").status == 201
    assert void(coalition, keys["books"], bens, "k-1").status == 200
    assert spend(coalition, keys["cinema"], bens, "c-2").status == 201
    return keys, {"ana": ana, "ben": ben}


def close(coalition: Coalition, *days: str) -> list[dict[str, Any]]:
    closed = []
    for day in days:
        reply = coalition.api.post(f"/v1/admin/settlements/{day}/close", token=coalition.admin)
        assert reply.status == 201, reply.json
        closed.append(reply.json)
    return closed


def statement(coalition: Coalition, key: str, period: str) -> dict[str, Any]:
    reply = coalition.api.get(f"/v1/settlements/{period}", token=key)
    assert reply.status == 200, reply.json
    return reply.json


def test_each_party_sees_its_voucher_lines_as_computed_by_hand(coalition, clock):
    keys, _ = worked_example_day(coalition)
    clock.now = datetime(2026, 11, 24, 1, 0, tzinfo=timezone.utc)
    [day] = close(coalition, "2026-11-23")
    cinema, books, market, fuel = (
        statement(coalition, keys[p], "2026-11-23") for p in ("cinema", "books", "market", "fuel")
    )
    operator = day["operator"]

    assert cinema["vouchers"] == lines(
        spent_here={"count": 2, "points": 1500, "value": "16.00", "by_issuer": {"fuel": 500, "market": 1000}},
        bonus_received="1.00",
    )
    assert books["vouchers"] == lines(
        spent_here={"count": 1, "points": 500, "value": "5.00", "by_issuer": {"market": 500}},
        voided_here={"count": 1, "points": 500, "value": "5.00", "by_issuer": {"market": 500}},
    )
    assert market["vouchers"] == lines(
        converted_points=1000,
        spent_elsewhere={"books": {"points": 500, "value": "5.00"}, "cinema": {"points": 1000, "value": "10.00"}},
        voided_elsewhere={"books": {"points": 500, "value": "5.00"}},
    )
    assert fuel["vouchers"] == lines(converted_points=500, spent_elsewhere={"cinema": {"points": 500, "value": "5.00"}})
    assert operator["vouchers"] == lines(bonus_paid="1.00")
    # The point and money lines are as they were: the vouchers are in them too.
    assert (cinema["redeemed_here"], cinema["net"], books["net"]) == ({"fuel": 500, "market": 1000}, "16.00", "0.00")
    assert (books["redeemed_here"], books["reversed_here"]) == ({"market": 500}, {"market": 500})
    assert (market["outstanding_points"], market["outstanding_voucher_points"], market["net"]) == (200, 0, "-10.00")
    assert day["net_total"] == "0.00"
    assert day["vouchers"] == {
        "converted": {"fuel": 500, "market": 1000},
        "spent": {"fuel": {"cinema": 500}, "market": {"books": 500, "cinema": 1000}},
        "voided": {"market": {"books": 500}},
        "expired": {},
        "bonus": {"operator": {"cinema": "1.00"}},
        "outstanding": {"fuel": 0, "market": 0},
    }
    assert day["partners"]["cinema"]["vouchers"] == cinema["vouchers"]
    as_csv = coalition.api.get("/v1/settlements/2026-11-23?format=csv", token=keys["cinema"]).body.decode()
    rows = {(r["section"], r["line"], r["counterparty"]): r for r in csv.DictReader(io.StringIO(as_csv))}
    assert rows[("vouchers", "spent_here", "")]["amount"] == "16.00"
    assert rows[("vouchers", "spent_here_by_issuer", "market")]["points"] == "1000"
    assert rows[("vouchers", "bonus_received", "")]["amount"] == "1.00"
    assert rows[("liability", "in_vouchers", "")]["points"] == "0"


def a_second_day(coalition: Coalition, clock: Clock, keys: dict[str, str], ben: Member) -> None:
    """2026-11-24: Ben buys 500.00 more at the market and converts 500; the bookshop takes that voucher and voids
    it: it is open at the day's end (market 500 voucher points)."""
    clock.now = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)
    coalition.purchase(keys["market"], ben, "500.00", transaction_id="t-24")
    code = convert(coalition, ben, 500, "b-2").json["code"]
    assert spend(coalition, keys["books"], code, "k-2").status == 201
    assert void(coalition, keys["books"], code, "k-2").status == 200


def test_a_month_adds_up_its_days_voucher_lines_and_carries_the_open_voucher_points(coalition, clock):
    keys, members = worked_example_day(coalition)
    a_second_day(coalition, clock, keys, members["ben"])
    clock.now = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)
    close(coalition, *(f"2026-11-{n}" for n in range(23, 31)))

    day_two = statement(coalition, keys["market"], "2026-11-24")
    last_day = statement(coalition, keys["market"], "2026-11-30")
    market, books = statement(coalition, keys["market"], "2026-11"), statement(coalition, keys["books"], "2026-11")
    month = coalition.api.get("/v1/admin/settlements/2026-11", token=coalition.admin).json

    assert day_two["vouchers"] == lines(
        converted_points=500,
        spent_elsewhere={"books": {"points": 500, "value": "5.00"}},
        voided_elsewhere={"books": {"points": 500, "value": "5.00"}},
    )
    assert (day_two["outstanding_voucher_points"], last_day["outstanding_voucher_points"]) == (500, 500)
    assert last_day["vouchers"] == lines()  # nothing moved that day; the open voucher is carried
    assert market["vouchers"] == lines(
        converted_points=1500,
        spent_elsewhere={"books": {"points": 1000, "value": "10.00"}, "cinema": {"points": 1000, "value": "10.00"}},
        voided_elsewhere={"books": {"points": 1000, "value": "10.00"}},
    )
    assert (market["outstanding_points"], market["outstanding_voucher_points"]) == (700, 500)  # 200 + the voucher
    assert books["vouchers"] == lines(
        spent_here={"count": 2, "points": 1000, "value": "10.00", "by_issuer": {"market": 1000}},
        voided_here={"count": 2, "points": 1000, "value": "10.00", "by_issuer": {"market": 1000}},
    )
    assert month["vouchers"]["outstanding"] == {"fuel": 0, "market": 500}
    assert month["vouchers"]["converted"] == {"fuel": 500, "market": 1500}
    assert month["operator"]["vouchers"]["bonus_paid"] == "1.00"
    assert month["net_positions"]["cinema"] == "16.00" and month["net_total"] == "0.00"
    assert coalition.api.get("/v1/admin/reconciliation", token=coalition.admin).json["ok"] is True


def test_a_period_stored_before_voucher_lines_reads_and_the_next_day_carries_from_it(coalition, clock):
    """A day closed before statements showed vouchers stored neither the flows' voucher counters nor the open
    voucher points: its statement shows no voucher line (its point lines are as they were), and the next day
    carries its open voucher points from none."""
    keys, members = worked_example_day(coalition)
    clock.now = datetime(2026, 11, 24, 1, 0, tzinfo=timezone.utc)
    close(coalition, "2026-11-23")
    stored = SettlementItem.get("DAY#2026-11-23", "ALL")
    legacy = {k: v for k, v in stored.flows.items() if k not in ("vouchers", "voucher_bonus")}
    stored.update(actions=[SettlementItem.flows.set(legacy), SettlementItem.outstanding_vouchers.remove()])

    old = statement(coalition, keys["cinema"], "2026-11-23")
    a_second_day(coalition, clock, keys, members["ben"])
    clock.now = datetime(2026, 11, 25, 1, 0, tzinfo=timezone.utc)
    close(coalition, "2026-11-24")
    market = statement(coalition, keys["market"], "2026-11-24")

    assert SettlementItem.get("DAY#2026-11-23", "ALL").outstanding_vouchers is None
    assert (old["vouchers"], old["outstanding_voucher_points"]) == (lines(), 0)
    assert (old["redeemed_here"], old["net"]) == ({"fuel": 500, "market": 1000}, "16.00")
    assert (market["outstanding_voucher_points"], market["outstanding_points"]) == (500, 700)


def test_reconciliation_reports_voucher_points_moved_between_issuers_that_the_totals_miss(coalition, clock):
    """Ana's 1,000-point voucher is fuel 500 + market 500 (points of one day: ties go by issuer), 200 market points
    left in her lots. Tampered: the wallet says fuel 400 + market 600 in the voucher and 100 fuel + 100 market points
    in the lots. Her balance and each issuer's total liability still agree with the entries; only the voucher
    points by issuer do not."""
    coalition.program(vouchers=VOUCHERS)
    market, fuel = coalition.partner("market"), coalition.partner("fuel")
    ana = coalition.member(market)
    coalition.purchase(market, ana, "700.00")
    coalition.purchase(fuel, ana, "500.00")
    assert convert(coalition, ana, 1000).status == 201
    wallet = stored_wallet(ana.member_id)
    [((ends, issuer), points)] = wallet.lots.items()
    assert (wallet.voucher_points, issuer, points) == ({"fuel": 500, "market": 500}, "market", 200)
    wallet.voucher_points = {"fuel": 400, "market": 600}
    wallet.lots = {(ends, "fuel"): 100, (ends, "market"): 100}
    rewrite(wallet)

    report = coalition.api.get("/v1/admin/reconciliation", token=coalition.admin).json

    assert report["ok"] is False and report["invariant_1"]["ok"] is True
    liability = report["invariant_2"]
    assert {i: f["from_entries"] == f["from_wallets"] for i, f in liability["by_issuer"].items()} == {
        "fuel": True,
        "market": True,
    }
    assert liability["ok"] is False and liability["vouchers"] == {
        "ok": False,
        "by_issuer": {
            "fuel": {"from_entries": 500, "from_wallets": 400},
            "market": {"from_entries": 500, "from_wallets": 600},
        },
    }
    assert liability["coalition"]["vouchers"]["by_issuer"] == {
        "fuel": {"settled_plus_open_days": 500, "wallets": 400},
        "market": {"settled_plus_open_days": 500, "wallets": 600},
    }


def voucher_movement(type: str, partner: str, points: int, **money: dict[str, Decimal]) -> Entry:
    """A movement of alpha's voucher points (a conversion takes them from the member's lots)."""
    return Entry(
        0,
        f"e-{type}",
        type,
        partner,
        -points if type == "voucher" else 0,
        attribution=[Portion("2027-11-23", "alpha", points)],
        point_value=Decimal("0.01") if type in ("voucher_spend", "voucher_void") else None,
        **money,
    )


def test_the_voucher_counters_survive_storage_and_an_expired_voucher_is_its_issuers_voucher_breakage():
    """Day 1: 1,500 of alpha's points become two vouchers (1,000 and 500); the 1,000 is spent at the cinema
    (10.00 + the operator's 1.00). Day 2: the 500 expires. Flows stored before voucher lines read as none."""
    first = PointFlows()
    for entry in (
        voucher_movement("voucher", "operator", 1500),
        voucher_movement(
            "voucher_spend",
            "cinema",
            1000,
            values={"alpha": Decimal("10.00")},
            bonuses={"operator": Decimal("1.00")},
        ),
    ):
        first.add(entry)
    second = PointFlows()
    second.add(voucher_movement("voucher_expire", "operator", 500))

    stored = PointFlows.from_dict(first.to_dict())
    day_one = settle_day("2026-11-23", stored, {"alpha": 1500}, {}, "EUR", Decimal("0.01"), "t", {})
    day_two = settle_day(
        "2026-11-24", second, day_one.outstanding, {}, "EUR", Decimal("0.01"), "t", day_one.outstanding_vouchers
    )
    legacy = PointFlows.from_dict({k: v for k, v in first.to_dict().items() if k != "vouchers"})

    assert stored == first and stored.vouchers.spends == {"cinema": 1}
    assert day_one.statement("alpha")["vouchers"] == lines(
        converted_points=1500, spent_elsewhere={"cinema": {"points": 1000, "value": "10.00"}}
    )
    assert day_one.statement("cinema")["vouchers"]["spent_here"]["value"] == "11.00"
    assert (day_one.outstanding, day_one.outstanding_vouchers) == ({"alpha": 500, "cinema": 0}, {"alpha": 500})
    alpha = day_two.statement("alpha")
    assert (alpha["vouchers"], alpha["expired_points"]) == (lines(expired_points=500), 500)
    assert (alpha["outstanding_points"], alpha["outstanding_voucher_points"]) == (0, 0)
    assert legacy.vouchers == VoucherFlows() and legacy.redeemed == first.redeemed
