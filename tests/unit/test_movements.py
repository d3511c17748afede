"""The movement declarations (domain/movements.py): one per entry type, and what settlement and reconciliation
make of each, computed by hand on one entry: 100 of alpha's points at charlie, point value 0.01, alpha's fee
0.002 per point.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.domain.errors import ClaimNotOpen, HoldNotOpen, IdempotencyConflict
from chalicelib.domain.ledger import Entry, operation_key
from chalicelib.domain.movements import (
    MOVEMENTS,
    OPERATIONS,
    EntryType,
    Liability,
    OperationKind,
    Rate,
    Settles,
    Starter,
    movement,
    operation,
)
from chalicelib.domain.reconciliation import liability_from_entries
from chalicelib.domain.settlement import PointFlows, settle_day
from chalicelib.domain.wallet import Portion

POINT_VALUE = Decimal("0.01")
FEE = Decimal("0.002")

# What today's settlement counts for each type: {figure: value}; figures not named are empty.
EXPECTED: dict[str, dict[str, object]] = {
    "earn": {"issued": 100, "fee": Decimal("0.200"), "liability": 100},
    "bonus": {"issued": 100, "fee": Decimal("0.200"), "liability": 100},
    "activity": {"issued": 100, "fee": Decimal("0.200"), "liability": 100},
    "return": {"returned": 100, "fee": Decimal("-0.200"), "liability": -100},
    "redeem": {"redeemed": 100, "redeemed_worth": Decimal("1.00"), "liability": -100},
    "capture": {"redeemed": 100, "redeemed_worth": Decimal("1.00"), "liability": -100},
    "reversal": {"reversed": 100, "reversed_worth": Decimal("1.00"), "liability": 100},
    "expire": {"expired": 100, "liability": -100},
    "forfeit": {"expired": 100, "liability": -100},  # an erased member's points: as expiry
    "hold": {"liability": 0},
    "void": {"liability": 0},
    "tier": {"liability": 0},
    "status": {"liability": 0},
    "voucher": {"liability": 0},  # from the lots into an open voucher: still outstanding
    "voucher_spend": {"redeemed": 100, "redeemed_worth": Decimal("1.00"), "liability": -100},
    "voucher_void": {"reversed": 100, "reversed_worth": Decimal("1.00"), "liability": 100},
    "voucher_expire": {"expired": 100, "liability": -100},
    "reward": {"redeemed": 100, "redeemed_worth": Decimal("1.00"), "liability": -100},  # spent at the offerer
    "reward_cancel": {"reversed": 100, "reversed_worth": Decimal("1.00"), "liability": 100},
    "adjustment": {"issued": 100, "fee": Decimal("0.200"), "liability": 100},  # a credit: the funder's issuance
    "adjustment_debit": {"returned": 100, "fee": Decimal("-0.200"), "liability": -100},  # as a return
    "reinstatement": {"reinstated": 100, "liability": 100},  # an expiry undone: no fee, no money
    "grant": {"issued": 100, "fee": Decimal("0.200"), "liability": 100},  # a launch credit: the funder's issuance
    "membership_fee": {"liability": 0},  # no points: its money is the fee collected (below)
    "membership_end": {"liability": 0},
}


def one_entry(type: str) -> Entry:
    """As stored: the type's string, every rate recorded."""
    return Entry(
        1,
        "m-000001",
        type,
        "charlie",
        0,
        attribution=[Portion("2028-12-31", "alpha", 100)],
        point_value=POINT_VALUE,
        fees_per_point={"alpha": FEE},
    )


def figures(flows: PointFlows) -> dict[str, object]:
    found: dict[str, object] = {
        "issued": flows.issued["alpha"],
        "returned": flows.returned["alpha"],
        "expired": flows.expired["alpha"],
        "reinstated": flows.reinstated["alpha"],
        "redeemed": flows.redeemed.get("alpha", {}).get("charlie", 0),
        "reversed": flows.reversed.get("alpha", {}).get("charlie", 0),
        "fee": flows.fee_due("alpha", Decimal("9")),
        "redeemed_worth": flows.kept_value("alpha", "charlie", Decimal("9")) if flows.redeemed else 0,
        "reversed_worth": -flows.kept_value("alpha", "charlie", Decimal("9")) if flows.reversed else 0,
        "liability": flows.liability_change("alpha"),
    }
    return {name: value for name, value in found.items() if value or name == "liability"}


def test_every_entry_type_has_exactly_one_declaration() -> None:
    assert set(MOVEMENTS) == set(EntryType)
    assert all(MOVEMENTS[t].type is t for t in EntryType)
    assert set(EXPECTED) == {t.value for t in EntryType}


def test_types_are_stored_as_their_strings() -> None:
    assert sorted(str(t) for t in EntryType) == sorted(EXPECTED)
    assert EntryType.REVERSAL == "reversal" and f"{EntryType.EARN}" == "earn"
    assert movement("capture") is MOVEMENTS[EntryType.CAPTURE]
    with pytest.raises(ValueError):
        movement("refund")


@pytest.mark.parametrize("type", list(EXPECTED))
def test_settlement_counts_what_the_declaration_says(type: str) -> None:
    flows = PointFlows()
    flows.add(one_entry(type))
    assert figures(flows) == EXPECTED[type]
    assert flows.entries == 1


@pytest.mark.parametrize("type", list(EXPECTED))
def test_reconciliation_moves_liability_by_the_declared_sign(type: str) -> None:
    liability = liability_from_entries([one_entry(type)])
    assert liability["alpha"] == 100 * movement(type).liability.sign == EXPECTED[type]["liability"]


def test_settlement_and_rates_agree_with_liability() -> None:
    """Each liability effect settles one way and records the rate it settles at."""
    consistent = {
        Liability.ISSUES: (Settles.FEE_ON_ISSUE, Rate.FEE_PER_POINT),
        Liability.RETURNS: (Settles.FEE_REFUND, Rate.FEE_PER_POINT),
        Liability.SPENDS: (Settles.REDEMPTION_PAIR, Rate.POINT_VALUE),
        Liability.GIVES_BACK: (Settles.REVERSAL_PAIR, Rate.POINT_VALUE),
        Liability.EXPIRES: (Settles.BREAKAGE, Rate.NONE),
        Liability.REINSTATES: (Settles.BREAKAGE_REVERSAL, Rate.NONE),
        Liability.NONE: (Settles.NOTHING, Rate.NONE),
    }
    money_only = {EntryType.MEMBERSHIP_FEE: (Settles.MEMBERSHIP_FEE, Rate.NONE)}  # moves money, not points
    for m in MOVEMENTS.values():
        assert (m.settles, m.rate) == money_only.get(m.type, consistent[m.liability]), m.type
        assert m.liability is Liability.NONE or m.type not in money_only


def test_a_membership_fee_is_paid_by_the_partner_that_collected_it_to_the_operator() -> None:
    flows = PointFlows()
    for fee in ("9.99", "99.00"):
        entry = Entry(1, "m-000001", "membership_fee", "charlie", 0, fee_collected=Decimal(fee))
        flows.add(entry)
    flows.add(Entry(2, "m-000002", "membership_end", "operator", 0))
    day = settle_day("2026-11-23", flows, {}, {}, "EUR", POINT_VALUE, "2026-11-24T00:00:00Z")

    assert flows.membership_fees == {"charlie": Decimal("108.99")} and flows.memberships_sold == {"charlie": 2}
    assert [(t.payer, t.payee, t.kind, t.amount) for t in day.transfers] == [
        ("charlie", "operator", "membership_fee", Decimal("108.99"))
    ]
    assert day.statement("charlie")["membership_fees"] == "108.99"
    assert day.statement("operator")["membership_fees_received"] == "108.99"
    assert sum(day.net_positions().values()) == 0 and flows.liability_change("charlie") == 0
    assert PointFlows.from_dict(flows.to_dict()).membership_fees == flows.membership_fees


def test_who_moves_held_points_and_who_starts_what() -> None:
    assert {t for t, m in MOVEMENTS.items() if m.moves_held} == {EntryType.HOLD, EntryType.CAPTURE, EntryType.VOID}
    assert {t for t, m in MOVEMENTS.items() if m.counts_purchase} == {EntryType.EARN}
    assert MOVEMENTS[EntryType.EXPIRE].started_by == {Starter.JOB}
    assert MOVEMENTS[EntryType.STATUS].started_by == {Starter.OPERATOR}
    assert Starter.JOB in MOVEMENTS[EntryType.VOID].started_by  # holds past their expiry
    assert all(m.started_by for m in MOVEMENTS.values())


def test_operation_kinds_keep_their_stored_strings_and_answers() -> None:
    """The kinds are the middle of stored operation keys: never renamed. Id fields, conflict answers and
    corrections as the executor had them."""
    assert {k: (d.id_field, d.conflict, d.corrects) for k, d in OPERATIONS.items()} == {
        "purchase": ("transaction_id", IdempotencyConflict, False),
        "return": ("return_id", IdempotencyConflict, True),
        "redemption": ("redemption_id", IdempotencyConflict, False),
        "hold": ("hold_id", IdempotencyConflict, False),
        "capture": ("hold_id", HoldNotOpen, False),
        "void": ("hold_id", HoldNotOpen, False),
        "activity": ("activity_id", IdempotencyConflict, False),
        "reversal": ("reversal_id", IdempotencyConflict, True),
        "voucher": ("request_id", IdempotencyConflict, False),
        "voucher_redemption": ("redemption_id", IdempotencyConflict, False),
        "voucher_void": ("redemption_id", IdempotencyConflict, True),
        "reward_claim": ("claim_id", IdempotencyConflict, False),
        "reward_cancel": ("code", ClaimNotOpen, True),
        "adjustment": ("adjustment_id", IdempotencyConflict, True),
        "reinstatement": ("reinstatement_id", IdempotencyConflict, True),
        "late_credit": ("late_credit_id", IdempotencyConflict, False),
        "grant": ("grant_id", IdempotencyConflict, False),
        "membership_sale": ("sale_id", IdempotencyConflict, False),
        "membership_renewal": ("renewal", IdempotencyConflict, True),
    }
    assert all(OPERATIONS[k].kind is k for k in OperationKind)
    assert operation_key("alpha", OperationKind.CAPTURE, "h-1") == "alpha#capture#h-1"
    assert operation("void") is OPERATIONS[OperationKind.VOID]


def test_operations_book_the_movements_partners_and_members_start() -> None:
    booked = {t for d in OPERATIONS.values() for t in d.books}
    by_partners_and_members = {t for t, m in MOVEMENTS.items() if m.started_by & {Starter.PARTNER, Starter.MEMBER}}
    desk = {OperationKind.ADJUSTMENT, OperationKind.REINSTATEMENT, OperationKind.LATE_CREDIT}  # customer service
    jobs = (OperationKind.GRANT, OperationKind.MEMBERSHIP_RENEWAL)
    assert booked == by_partners_and_members | {t for k in (*desk, *jobs) for t in OPERATIONS[k].books}
    assert all(OPERATIONS[k].started_by == {Starter.OPERATOR} for k in desk)
    assert all(Starter.OPERATOR in MOVEMENTS[t].started_by for k in desk for t in OPERATIONS[k].books)
    assert OPERATIONS[OperationKind.VOUCHER].started_by == {Starter.MEMBER, Starter.PARTNER}
    assert OPERATIONS[OperationKind.REWARD_CLAIM].started_by == {Starter.MEMBER}
    assert OPERATIONS[OperationKind.REWARD_CANCEL].started_by == {Starter.PARTNER, Starter.OPERATOR}
    assert OPERATIONS[OperationKind.ADJUSTMENT].started_by == {Starter.OPERATOR}
    assert OPERATIONS[OperationKind.GRANT].started_by == {Starter.OPERATOR, Starter.JOB}
    assert MOVEMENTS[EntryType.GRANT].started_by == {Starter.OPERATOR, Starter.JOB, Starter.PARTNER}
    assert OPERATIONS[OperationKind.MEMBERSHIP_RENEWAL].started_by == {Starter.JOB}
    others = set(OperationKind) - {
        OperationKind.VOUCHER,
        OperationKind.REWARD_CLAIM,
        OperationKind.REWARD_CANCEL,
        *desk,
        *jobs,
    }
    assert all(OPERATIONS[k].started_by == {Starter.PARTNER} for k in others)
    reversible = {k for k, d in OPERATIONS.items() if d.reversible}
    assert reversible == {OperationKind.REDEMPTION, OperationKind.CAPTURE}
    assert all(MOVEMENTS[t].liability is Liability.SPENDS for k in reversible for t in OPERATIONS[k].books)
