"""A partner's statement as a finance person reads it: what to pay or receive, from whom, by when; every point line
with its money value; the flows with every other brand; the daily nets; the outstanding liability explained.

Built from the settled figures only (the period's Settlement and the days it is made of): nothing here is computed
from ledger entries, so the page costs the same for a partner with ten entries or a hundred thousand.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from .periods import Period
from .settlement import OPERATOR, Settlement, cents

ZERO = Decimal("0.00")
# What moves money between two brands, by the transfer kinds settle_day writes.
BRAND_KINDS = {"redemption", "reversal", "voucher_bonus", "voucher_bonus_back"}


class Direction(StrEnum):
    PAY = "pay"
    RECEIVE = "receive"
    NOTHING = "nothing"


@dataclass(frozen=True)
class PaymentInstruction:
    direction: Direction
    amount: Decimal  # never negative: the direction says who pays
    payer: str
    payee: str
    due_on: date
    reference: str  # what to write on the bank transfer

    def sentence(self, currency: str, names: dict[str, str]) -> str:
        if self.direction is Direction.NOTHING and self.payer == self.payee:
            return "The operator clears this period's payments: see the coalition's settlement for each transfer."
        if self.direction is Direction.NOTHING:
            return "Nothing to pay or receive for this period."
        payer, payee = names.get(self.payer, self.payer), names.get(self.payee, self.payee)
        return (
            f"{payer} pays {self.amount} {currency} to {payee} by {self.due_on.isoformat()}, "
            f"reference {self.reference}."
        )


@dataclass(frozen=True)
class PointLine:
    """One figure of points and what it is worth at the statement's point value."""

    key: str
    label: str
    points: int
    value: Decimal
    explanation: str


@dataclass(frozen=True)
class BrandFlow:
    """Everything that moved between this partner and one other brand in the period, and the money it settled."""

    counterparty: str
    their_points_redeemed_here: int  # they pay us
    our_points_redeemed_there: int  # we pay them
    reversed_here: int  # their points given back at our tills (we pay back)
    reversed_there: int  # our points given back at theirs (they pay back)
    received: Decimal
    paid: Decimal

    @property
    def net(self) -> Decimal:
        return self.received - self.paid


@dataclass(frozen=True)
class DailyNet:
    day: str
    net: Decimal


@dataclass(frozen=True)
class Liability:
    points: int
    value: Decimal
    voucher_points: int
    explanation: str
    members_owe: bool  # negative: members owe the partner points (debts after returns)


@dataclass(frozen=True)
class StatementReport:
    period: Period
    partner_id: str
    partner_name: str
    currency: str
    point_value: Decimal
    receivable: Decimal
    payable: Decimal
    net: Decimal
    payment: PaymentInstruction
    points: list[PointLine]
    fees: Decimal
    fee_refunds: Decimal
    memberships_sold: int  # paid memberships sold or renewed at the partner's tills
    membership_fees: Decimal  # their fees, collected for the operator
    flows: list[BrandFlow]
    daily_nets: list[DailyNet]
    liability: Liability
    vouchers: list[PointLine]
    voucher_money: dict[str, Decimal]  # bonus paid/received, face value of vouchers spent here
    closed_at: str
    names: dict[str, str]


def build_report(
    period: Period,
    partner_id: str,
    settlement: Settlement,
    days: list[Settlement],
    names: dict[str, str],
    payment_terms_days: int,
) -> StatementReport:
    """`settlement`: the period's (a stored day or month, or its days combined); `days`: the closed days it is made
    of, in order (the daily nets); `names`: party id -> display name."""
    statement = settlement.statement(partner_id)
    value = _valuer(settlement.point_value)
    receivable, payable = Decimal(statement["receivable"]), Decimal(statement["payable"])
    net = receivable - payable
    redeemed_here = sum(statement["redeemed_here"].values())
    redeemed_elsewhere = sum(statement["redeemed_elsewhere"].values())
    points = [
        PointLine(
            "issued",
            "Points issued",
            statement["issued_points"],
            value(statement["issued_points"]),
            "points members earned at your tills, and bonuses you funded",
        ),
        PointLine(
            "returned",
            "Points returned",
            statement["returned_points"],
            value(statement["returned_points"]),
            "points taken back because purchases were returned",
        ),
        PointLine(
            "redeemed_here",
            "Points redeemed at your tills",
            redeemed_here,
            value(redeemed_here),
            "points of every brand (yours included) that members spent with you",
        ),
        PointLine(
            "redeemed_elsewhere",
            "Your points redeemed at other brands",
            redeemed_elsewhere,
            value(redeemed_elsewhere),
            "your points that members spent at other brands: you pay those brands",
        ),
        PointLine(
            "expired",
            "Points expired (breakage)",
            statement["expired_points"],
            value(statement["expired_points"]),
            "your points that expired or were forfeited: liability released, no money moves",
        ),
        PointLine(
            "reinstated",
            "Expired points reinstated",
            statement["reinstated_points"],
            value(statement["reinstated_points"]),
            "expired points customer service gave back (breakage undone)",
        ),
    ]
    vouchers = statement["vouchers"]
    voucher_lines = [
        PointLine(
            "converted",
            "Your points converted into vouchers",
            vouchers["converted_points"],
            value(vouchers["converted_points"]),
            "still your liability, now as vouchers",
        ),
        PointLine(
            "spent_here",
            "Vouchers spent at your tills",
            vouchers["spent_here"]["points"],
            Decimal(vouchers["spent_here"]["value"]),
            f"{vouchers['spent_here']['count']} vouchers, face value",
        ),
        PointLine(
            "voucher_expired",
            "Your voucher points expired",
            vouchers["expired_points"],
            value(vouchers["expired_points"]),
            "breakage of vouchers never spent",
        ),
    ]
    outstanding = statement["outstanding_points"]
    return StatementReport(
        period=period,
        partner_id=partner_id,
        partner_name=names.get(partner_id, partner_id),
        currency=settlement.currency,
        point_value=settlement.point_value,
        receivable=receivable,
        payable=payable,
        net=net,
        payment=_instruction(partner_id, net, period, payment_terms_days),
        points=points,
        fees=Decimal(statement["fees"]),
        fee_refunds=Decimal(statement["fee_refunds"]),
        memberships_sold=statement["memberships_sold"],
        membership_fees=Decimal(statement["membership_fees"]),
        flows=_brand_flows(partner_id, settlement),
        daily_nets=[DailyNet(day.period, day.net_positions().get(partner_id, ZERO)) for day in days],
        liability=_liability(outstanding, statement["outstanding_voucher_points"], value(outstanding)),
        vouchers=voucher_lines,
        voucher_money={
            "bonus_paid": Decimal(vouchers["bonus_paid"]),
            "bonus_received": Decimal(vouchers["bonus_received"]),
        },
        closed_at=settlement.closed_at,
        names=names,
    )


def _valuer(point_value: Decimal) -> Callable[[int], Decimal]:
    """Points' money value at the statement's point value, in cents."""
    return lambda points: cents(Decimal(points) * point_value)


def _instruction(partner_id: str, net: Decimal, period: Period, terms_days: int) -> PaymentInstruction:
    """Through the operator as clearing house: a partner that owes pays the operator, the operator pays a partner
    it owes. Due `terms_days` after the period's last day."""
    due = period.last + timedelta(days=terms_days)
    reference = f"COAL-{partner_id.upper()}-{period.text.replace('..', '-TO-')}"
    if partner_id == OPERATOR:  # the clearing house itself: it receives and pays the others, its net is its fees
        return PaymentInstruction(Direction.NOTHING, ZERO, OPERATOR, OPERATOR, due, reference)
    if net < 0:
        return PaymentInstruction(Direction.PAY, -net, partner_id, OPERATOR, due, reference)
    if net > 0:
        return PaymentInstruction(Direction.RECEIVE, net, OPERATOR, partner_id, due, reference)
    return PaymentInstruction(Direction.NOTHING, ZERO, partner_id, OPERATOR, due, reference)


def _brand_flows(partner_id: str, settlement: Settlement) -> list[BrandFlow]:
    flows = settlement.flows
    counterparties = {
        other
        for transfer in settlement.transfers
        if transfer.kind in BRAND_KINDS and partner_id in (transfer.payer, transfer.payee)
        for other in (transfer.payer, transfer.payee)
    }
    counterparties |= {i for i, by_r in flows.redeemed.items() if by_r.get(partner_id)}
    counterparties |= set(flows.redeemed.get(partner_id, {}))
    counterparties -= {partner_id}
    result = []
    for other in sorted(counterparties):
        received = sum(
            (
                t.amount
                for t in settlement.transfers
                if (t.payer, t.payee) == (other, partner_id) and t.kind in BRAND_KINDS
            ),
            ZERO,
        )
        paid = sum(
            (
                t.amount
                for t in settlement.transfers
                if (t.payer, t.payee) == (partner_id, other) and t.kind in BRAND_KINDS
            ),
            ZERO,
        )
        result.append(
            BrandFlow(
                counterparty=other,
                their_points_redeemed_here=_moved(flows.redeemed, other, partner_id),
                our_points_redeemed_there=_moved(flows.redeemed, partner_id, other),
                reversed_here=_moved(flows.reversed, other, partner_id),
                reversed_there=_moved(flows.reversed, partner_id, other),
                received=received,
                paid=paid,
            )
        )
    return result


def _moved(matrix: dict[str, Counter[str]], issuer: str, redeemer: str) -> int:
    return matrix[issuer][redeemer] if issuer in matrix else 0


def _liability(points: int, voucher_points: int, value: Decimal) -> Liability:
    explanation = (
        "Points you issued that members still hold, have on hold at a till or in open vouchers: issued − returned − "
        "redeemed − expired (+ reversed and reinstated) since your first day, valued at the point value."
    )
    if points < 0:
        explanation += (
            f" It is negative: members owe you {-points} points. When a purchase is returned after its points were "
            "spent, the points cannot be taken back; the member owes them to you as a debt, and the next points you "
            "issue to that member pay it off first."
        )
    return Liability(points, value, voucher_points, explanation, points < 0)
