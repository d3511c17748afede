"""Settlement netting alone (pure domain, no AWS): reversals and fee refunds, computed by hand.

Point value 0.01 EUR unless said otherwise; alpha issues, charlie redeems.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.domain.errors import ReversalExceedsRedemption
from chalicelib.domain.ledger import Entry
from chalicelib.domain.reconciliation import liability_differences, liability_from_entries
from chalicelib.domain.settlement import PointFlows, Transfer, combine, settle_day
from chalicelib.domain.spending import SpendingFacts
from chalicelib.domain.wallet import Portion, Wallet

V = Decimal("0.01")
EXPIRY = "2028-12-31"


def entry(
    type: str,
    partner_id: str,
    *portions: tuple[str, int],
    sign: int = 1,
    point_value: str | None = None,
    fees: dict[str, str] | None = None,
) -> Entry:
    """An entry; without `point_value` or `fees` it is one booked before entries recorded their rates."""
    points = sign * sum(n for _, n in portions)
    attribution = [Portion(EXPIRY, issuer, n) for issuer, n in portions]
    return Entry(
        0,
        f"e-{type}",
        type,
        partner_id,
        points,
        attribution=attribution,
        point_value=None if point_value is None else Decimal(point_value),
        fees_per_point={issuer: Decimal(fee) for issuer, fee in (fees or {}).items()},
    )


def flows_of(*entries: Entry) -> PointFlows:
    flows = PointFlows()
    for e in entries:
        flows.add(e)
    return flows


def day(flows: PointFlows, *, previous=None, fees=None, point_value=V, period="2026-11-24"):
    return settle_day(period, flows, previous or {}, fees or {}, "EUR", point_value, "2026-11-25T00:15:00Z")


def nets_sum_to_zero(settlement) -> bool:
    return sum(settlement.net_positions().values()) == Decimal("0.00")


# ---- reversals ----------------------------------------------------------------------------------------------
def test_a_reversal_gives_the_issuer_its_liability_back():
    flows = flows_of(
        entry("earn", "alpha", ("alpha", 200)),
        entry("redeem", "charlie", ("alpha", 100), sign=-1),
        entry("reversal", "charlie", ("alpha", 30)),
    )

    assert flows.reversed == {"alpha": {"charlie": 30}}
    assert flows.liability_change("alpha") == 200 - 100 + 30
    assert day(flows).outstanding == {"alpha": 130, "charlie": 0}


def test_a_reversal_on_the_day_of_its_redemption_nets_the_pairs_line():
    flows = flows_of(
        entry("redeem", "charlie", ("alpha", 100), sign=-1),
        entry("reversal", "charlie", ("alpha", 30)),
    )

    settled = day(flows, previous={"alpha": 100})

    assert settled.transfers == [Transfer("alpha", "charlie", "redemption", Decimal("0.70"))]
    charlie, alpha = settled.statement("charlie"), settled.statement("alpha")
    assert (charlie["redeemed_here"], charlie["reversed_here"]) == ({"alpha": 100}, {"alpha": 30})
    assert (alpha["redeemed_elsewhere"], alpha["reversed_elsewhere"]) == ({"charlie": 100}, {"charlie": 30})
    assert (charlie["receivable"], charlie["payable"], charlie["net"]) == ("0.70", "0.00", "0.70")
    assert (alpha["receivable"], alpha["payable"], alpha["net"]) == ("0.00", "0.70", "-0.70")
    assert settled.document()["matrix"] == {"alpha": {"charlie": 100}}
    assert settled.document()["reversals"] == {"alpha": {"charlie": 30}}


def test_a_later_days_reversal_moves_the_money_back_from_the_redeemer_to_the_issuer():
    flows = flows_of(entry("reversal", "charlie", ("alpha", 30), ("bravo", 12)))

    settled = day(flows, previous={"alpha": 0, "bravo": 5})

    assert settled.transfers == [
        Transfer("charlie", "alpha", "reversal", Decimal("0.30")),
        Transfer("charlie", "bravo", "reversal", Decimal("0.12")),
    ]
    assert settled.net_positions() == {
        "alpha": Decimal("0.30"),
        "bravo": Decimal("0.12"),
        "charlie": Decimal("-0.42"),
        "operator": Decimal("0.00"),
    }
    charlie, alpha = settled.statement("charlie"), settled.statement("alpha")
    assert (charlie["reversed_here"], charlie["receivable"], charlie["payable"]) == (
        {"alpha": 30, "bravo": 12},
        "0.00",
        "0.42",
    )
    assert (alpha["reversed_elsewhere"], alpha["receivable"], alpha["net"]) == ({"charlie": 30}, "0.30", "0.30")
    assert settled.outstanding == {"alpha": 30, "bravo": 17, "charlie": 0}
    assert settled.payments() == [
        {"from": "operator", "to": "alpha", "amount": "0.30"},
        {"from": "operator", "to": "bravo", "amount": "0.12"},
        {"from": "charlie", "to": "operator", "amount": "0.42"},
    ]


def test_own_points_reversed_move_no_money():
    flows = flows_of(entry("reversal", "alpha", ("alpha", 40)))

    settled = day(flows)

    assert settled.transfers == []
    assert settled.statement("alpha")["reversed_here"] == {"alpha": 40}
    assert settled.statement("alpha")["reversed_elsewhere"] == {}
    assert settled.outstanding["alpha"] == 40


def test_each_pairs_line_is_rounded_on_its_own_and_nets_still_sum_to_zero():
    flows = flows_of(
        entry("redeem", "charlie", ("alpha", 1), sign=-1),  # alpha -> charlie 1 point: 0.015 -> 0.02
        entry("reversal", "charlie", ("bravo", 3)),  # charlie -> bravo 3 points: 0.045 -> 0.05
        entry("reversal", "delta", ("alpha", 1)),  # delta -> alpha 1 point: 0.015 -> 0.02
    )

    settled = day(flows, point_value=Decimal("0.015"))

    assert [(t.payer, t.payee, t.kind, str(t.amount)) for t in settled.transfers] == [
        ("alpha", "charlie", "redemption", "0.02"),
        ("delta", "alpha", "reversal", "0.02"),
        ("charlie", "bravo", "reversal", "0.05"),
    ]
    assert nets_sum_to_zero(settled)
    for party in settled.parties:
        statement = settled.statement(party)
        assert Decimal(statement["receivable"]) - Decimal(statement["payable"]) == Decimal(statement["net"])


def test_a_month_keeps_the_days_lines_redemptions_and_reversals_apart():
    first = day(flows_of(entry("redeem", "charlie", ("alpha", 100), sign=-1)), previous={"alpha": 100})
    second = day(flows_of(entry("reversal", "charlie", ("alpha", 30))), previous=first.outstanding, period="2026-11-25")

    month = combine("2026-11", [first, second], "2026-12-01T00:15:00Z")

    assert month.transfers == [
        Transfer("alpha", "charlie", "redemption", Decimal("1.00")),
        Transfer("charlie", "alpha", "reversal", Decimal("0.30")),
    ]
    charlie = month.statement("charlie")
    assert (charlie["redeemed_here"], charlie["reversed_here"]) == ({"alpha": 100}, {"alpha": 30})
    assert (charlie["receivable"], charlie["payable"], charlie["net"]) == ("1.00", "0.30", "0.70")
    assert month.outstanding == {"alpha": 30, "charlie": 0}
    assert nets_sum_to_zero(month)


def test_flows_stored_before_reversals_existed_still_read():
    stored = {"issued": {"alpha": 5}, "returned": {}, "expired": {}, "redeemed": {"alpha": {"bravo": 2}}, "entries": 2}

    flows = PointFlows.from_dict(stored)

    assert flows.reversed == {} and flows.liability_change("alpha") == 3
    assert PointFlows.from_dict(flows.to_dict()) == flows


# ---- rates booked with the entries ----------------------------------------------------------------------------
def test_each_redemption_and_reversal_moves_money_at_its_own_point_value_whatever_the_closes():
    flows = flows_of(
        entry("redeem", "charlie", ("alpha", 100), sign=-1, point_value="0.02"),  # booked today
        entry("reversal", "charlie", ("alpha", 150), point_value="0.01"),  # of an older redemption
        entry("reversal", "delta", ("alpha", 10), point_value="0.01"),
        entry("redeem", "delta", ("alpha", 10), sign=-1, point_value="0.02"),
    )

    settled = day(flows, previous={"alpha": 500}, point_value=Decimal("0.05"))

    # charlie kept -50 points but +0.50: 100 x 0.02 - 150 x 0.01; delta kept 0 points but 10 x (0.02 - 0.01)
    assert settled.transfers == [
        Transfer("alpha", "charlie", "redemption", Decimal("0.50")),
        Transfer("alpha", "delta", "redemption", Decimal("0.10")),
    ]
    assert settled.statement("charlie")["redeemed_here"] == {"alpha": 100} and settled.point_value == Decimal("0.05")
    assert nets_sum_to_zero(settled)


def test_a_lines_exact_values_are_summed_and_rounded_once():
    flows = flows_of(
        *[entry("redeem", "charlie", ("alpha", 1), sign=-1, point_value="0.004") for _ in range(3)],  # 0.012
        entry("earn", "alpha", ("alpha", 3), fees={"alpha": "0.0015"}),  # 0.0045
        entry("earn", "alpha", ("alpha", 1), fees={"alpha": "0.0015"}),  # 0.0015
    )

    settled = day(flows, previous={"alpha": 10}, fees={"alpha": Decimal("0.1")})

    assert settled.transfers == [  # per entry, 0.00 x 3 and 0.00 + 0.00
        Transfer("alpha", "charlie", "redemption", Decimal("0.01")),
        Transfer("alpha", "operator", "fee", Decimal("0.01")),
    ]


def test_a_return_refunds_the_fee_recorded_for_each_issuer_and_the_operator_pays_none():
    flows = flows_of(
        entry("earn", "alpha", ("alpha", 100), fees={"alpha": "0.005"}),
        entry(
            "return",
            "alpha",
            ("alpha", 300),
            ("bravo", 50),
            ("operator", 20),
            sign=-1,
            fees={"alpha": "0.002", "bravo": "0.004", "operator": "0"},
        ),
        entry("bonus", "alpha", ("operator", 40), fees={"operator": "0"}),
    )

    # today's fees (0.009, 0.008) would refund 200 x 0.009 and 50 x 0.008
    settled = day(
        flows, previous={"alpha": 500, "bravo": 50}, fees={"alpha": Decimal("0.009"), "bravo": Decimal("0.008")}
    )

    assert settled.transfers == [
        Transfer("operator", "alpha", "fee_refund", Decimal("0.10")),  # 100 x 0.005 - 300 x 0.002
        Transfer("operator", "bravo", "fee_refund", Decimal("0.20")),  # 50 x 0.004
    ]
    assert nets_sum_to_zero(settled)


def test_a_fee_charged_at_a_rate_the_partner_no_longer_has_is_still_refunded():
    flows = flows_of(entry("return", "alpha", ("alpha", 100), sign=-1, fees={"alpha": "0.002"}))

    settled = day(flows, previous={"alpha": 100}, fees={"alpha": Decimal("0")})

    assert settled.transfers == [Transfer("operator", "alpha", "fee_refund", Decimal("0.20"))]


def test_entries_booked_without_rates_are_valued_at_the_closes_rates():
    flows = flows_of(
        entry("redeem", "charlie", ("alpha", 60), sign=-1),  # no rate: the close's 0.02
        entry("redeem", "charlie", ("alpha", 40), sign=-1, point_value="0.01"),
        entry("earn", "alpha", ("alpha", 200)),  # no fee: the close's 0.003
        entry("earn", "alpha", ("alpha", 100), fees={"alpha": "0.002"}),
    )

    settled = day(flows, previous={"alpha": 0}, fees={"alpha": Decimal("0.003")}, point_value=Decimal("0.02"))

    assert settled.transfers == [
        Transfer("alpha", "charlie", "redemption", Decimal("1.60")),  # 60 x 0.02 + 40 x 0.01
        Transfer("alpha", "operator", "fee", Decimal("0.80")),  # 200 x 0.003 + 100 x 0.002
    ]


def test_flows_stored_before_entries_recorded_rates_still_read_and_are_valued_at_the_closes_rates():
    stored = {  # a closed day's or a shard's flows as stored before rates: no "worth"
        "issued": {"alpha": 500},
        "returned": {"alpha": 200},
        "expired": {},
        "redeemed": {"alpha": {"charlie": 100}},
        "reversed": {"alpha": {"charlie": 30}},
        "entries": 4,
    }

    legacy = PointFlows.from_dict(stored)

    assert (legacy.issued, legacy.redeemed, legacy.reversed) == (
        {"alpha": 500},
        {"alpha": {"charlie": 100}},
        {"alpha": {"charlie": 30}},
    )
    assert legacy.liability_change("alpha") == 500 - 200 - 100 + 30
    assert PointFlows.from_dict(legacy.to_dict()) == legacy
    # A fanned-out close whose other shard was aggregated with rates: each part valued its own way.
    flows = flows_of(
        entry("redeem", "charlie", ("alpha", 50), sign=-1, point_value="0.01"),
        entry("earn", "alpha", ("alpha", 100), fees={"alpha": "0.002"}),
    )
    flows.merge(legacy)
    settled = day(flows, previous={"alpha": 1000}, fees={"alpha": Decimal("0.003")}, point_value=Decimal("0.02"))
    assert settled.transfers == [
        Transfer("alpha", "charlie", "redemption", Decimal("1.90")),  # (100 - 30) x 0.02 + 50 x 0.01
        Transfer("alpha", "operator", "fee", Decimal("1.10")),  # (500 - 200) x 0.003 + 100 x 0.002
    ]
    assert PointFlows.from_dict(flows.to_dict()) == flows


def test_spending_facts_keep_the_point_value_and_older_records_read_without_one():
    spent = [Portion("2028-11-30", "grocer", 30), Portion("2028-12-31", "cinema", 30)]
    facts = SpendingFacts.of(spent, Decimal("0.01"))
    stored = facts.to_dict()
    legacy = {"points": 60, "attribution": [p.to_dict() for p in spent], "reversed": 0}

    assert stored == {**legacy, "point_value": "0.01"}
    assert SpendingFacts.from_dict(legacy).point_value is None
    assert facts.reverse(40) == [Portion("2028-12-31", "cinema", 30), Portion("2028-11-30", "grocer", 10)]
    with pytest.raises(ReversalExceedsRedemption):
        facts.reverse(21)
    assert facts.reverse(None) == [Portion("2028-11-30", "grocer", 20)]
    assert SpendingFacts.from_dict(facts.to_dict()) == SpendingFacts(60, spent, Decimal("0.01"), reversed=60)


# ---- fees ---------------------------------------------------------------------------------------------------
def test_a_day_whose_returns_exceed_its_issues_refunds_the_fee_on_the_difference():
    flows = flows_of(entry("earn", "alpha", ("alpha", 10)), entry("return", "alpha", ("alpha", 50), sign=-1))

    settled = day(flows, previous={"alpha": 100}, fees={"alpha": Decimal("0.002")})

    assert settled.transfers == [Transfer("operator", "alpha", "fee_refund", Decimal("0.08"))]  # 40 x 0.002
    alpha, operator = settled.statement("alpha"), settled.statement("operator")
    assert (alpha["fees"], alpha["fee_refunds"], alpha["receivable"], alpha["net"]) == ("0.00", "0.08", "0.08", "0.08")
    assert (operator["fees_received"], operator["fee_refunds_paid"], operator["net"]) == ("0.00", "0.08", "-0.08")
    assert all(t.amount >= 0 for t in settled.transfers)
    assert nets_sum_to_zero(settled)


def test_a_month_shows_fees_paid_and_refunded_side_by_side():
    fees = {"alpha": Decimal("0.002")}
    first = day(flows_of(entry("earn", "alpha", ("alpha", 500))), fees=fees)
    second = day(
        flows_of(entry("return", "alpha", ("alpha", 200), sign=-1)),
        previous=first.outstanding,
        fees=fees,
        period="2026-11-25",
    )

    month = combine("2026-11", [first, second], "2026-12-01T00:15:00Z")

    alpha = month.statement("alpha")
    assert (alpha["fees"], alpha["fee_refunds"], alpha["payable"], alpha["receivable"]) == (
        "1.00",
        "0.40",
        "1.00",
        "0.40",
    )
    assert alpha["net"] == "-0.60" and nets_sum_to_zero(month)


# ---- reconciliation (invariant 2) ---------------------------------------------------------------------------
def test_reconciliation_counts_reversed_points_back_into_the_issuers_liability():
    wallet = Wallet("m_1", "1234", "member", "2026-01-01", "2027-01-01")
    wallet.credit("alpha", 100, EXPIRY)
    spent = wallet.spend(100)
    wallet.credit("alpha", 30, EXPIRY)  # what the reversal gives back, with its issuer and expiry
    entries = [
        entry("earn", "alpha", ("alpha", 100)),
        Entry(2, "e-redeem", "redeem", "charlie", -100, attribution=spent),
        entry("reversal", "charlie", ("alpha", 30)),
    ]

    assert +liability_from_entries(entries) == {"alpha": 30}  # (charlie: 0, its own liability unmoved)
    assert liability_differences(entries, [wallet]) == {}


def voucher_entry(type: str, partner: str, seq: int) -> Entry:
    """A 1,000-point voucher of alpha worth 11.00 (point value 0.01, 1.00 bonus of the operator)."""
    return Entry(
        seq,
        f"m-{seq:06d}",
        type,
        partner,
        0,
        attribution=[Portion("2027-11-23", "alpha", 1000)],
        point_value=Decimal("0.01"),
        bonuses={"operator": Decimal("1.00")},
    )


def test_a_voucher_bonus_is_paid_by_its_funder_and_paid_back_on_a_void_and_survives_storage():
    spent_and_voided, voided_only = PointFlows(), PointFlows()
    for entry in (voucher_entry("voucher_spend", "cinema", 1), voucher_entry("voucher_void", "cinema", 2)):
        spent_and_voided.add(entry)
    voided_only.add(voucher_entry("voucher_void", "cinema", 3))

    day = settle_day(
        "2026-11-23", PointFlows.from_dict(spent_and_voided.to_dict()), {}, {}, "EUR", Decimal("0.01"), "t"
    )
    refund = settle_day("2026-11-24", voided_only, {}, {}, "EUR", Decimal("0.01"), "t")

    assert day.transfers == []  # spent and refunded the same day: nothing moves
    assert refund.transfers == [
        Transfer("cinema", "alpha", "reversal", Decimal("10.00")),
        Transfer("cinema", "operator", "voucher_bonus_back", Decimal("1.00")),
    ]
    assert sum(refund.net_positions().values()) == 0
    assert (
        PointFlows.from_dict({k: v for k, v in voided_only.to_dict().items() if k != "voucher_bonus"}).voucher_bonus
        == {}
    )
