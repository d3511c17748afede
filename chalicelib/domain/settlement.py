"""Settlement of closed days: who issued, redeemed, returned and let expire which points, and the money
that moves for it. Pure: the store hands in a day's entries; nothing here reads or writes.

Money lines are rounded to the cent one by one, and each line is paid by one party and received by
another, so the net positions of all parties sum to exactly 0.00 by construction:
- a cross-brand redemption line: issuer i pays redeemer r  round(R[i][r] × point value)   (i ≠ r);
- a fee line: partner p pays the operator  round(net points p issued × p's fee per point).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .ledger import Entry

OPERATOR = "operator"
CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# How each entry type's attribution moves an issuer's liability (hold, void, tier, status: it does not).
ISSUING = frozenset({"earn", "bonus", "activity"})
SPENDING = frozenset({"redeem", "capture"})


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class PointFlows:
    """The point movements of a set of entries, by issuer (and redeemer). Mergeable: shards add up."""

    issued: Counter[str] = field(default_factory=Counter)
    returned: Counter[str] = field(default_factory=Counter)
    expired: Counter[str] = field(default_factory=Counter)
    redeemed: dict[str, Counter[str]] = field(default_factory=dict)  # issuer -> redeemer -> points
    entries: int = 0

    def add(self, entry: Entry) -> None:
        self.entries += 1
        for portion in entry.attribution:
            if entry.type in ISSUING:
                self.issued[portion.issuer] += portion.points
            elif entry.type == "return":
                self.returned[portion.issuer] += portion.points
            elif entry.type == "expire":
                self.expired[portion.issuer] += portion.points
            elif entry.type in SPENDING:
                self.redeemed.setdefault(portion.issuer, Counter())[entry.partner_id] += portion.points

    def merge(self, other: PointFlows) -> None:
        self.issued.update(other.issued)
        self.returned.update(other.returned)
        self.expired.update(other.expired)
        for issuer, by_redeemer in other.redeemed.items():
            self.redeemed.setdefault(issuer, Counter()).update(by_redeemer)
        self.entries += other.entries

    def redeemed_from(self, issuer: str) -> int:
        return sum(self.redeemed.get(issuer, Counter()).values())

    def liability_change(self, issuer: str) -> int:
        """issued − returned − redeemed − expired: how these entries moved the issuer's outstanding points."""
        return (
            self.issued.get(issuer, 0)
            - self.returned.get(issuer, 0)
            - self.redeemed_from(issuer)
            - self.expired.get(issuer, 0)
        )

    def outstanding_after(self, before: dict[str, int]) -> dict[str, int]:
        return {
            issuer: before.get(issuer, 0) + self.liability_change(issuer) for issuer in set(before) | self.parties()
        }

    def parties(self) -> set[str]:
        found = set(self.issued) | set(self.returned) | set(self.expired) | set(self.redeemed)
        for by_redeemer in self.redeemed.values():
            found |= set(by_redeemer)
        return found

    def to_dict(self) -> dict[str, Any]:
        return {
            "issued": dict(self.issued),
            "returned": dict(self.returned),
            "expired": dict(self.expired),
            "redeemed": {i: dict(r) for i, r in self.redeemed.items()},
            "entries": self.entries,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> PointFlows:
        return cls(
            Counter(raw["issued"]),
            Counter(raw["returned"]),
            Counter(raw["expired"]),
            {i: Counter(r) for i, r in raw["redeemed"].items()},
            int(raw["entries"]),
        )


@dataclass(frozen=True)
class Transfer:
    payer: str
    payee: str
    kind: str  # redemption | fee
    amount: Decimal


@dataclass
class Settlement:
    """One closed period (a day, or a month made of closed days)."""

    period: str
    currency: str
    point_value: Decimal
    flows: PointFlows
    outstanding: dict[str, int]  # issuer -> points outstanding at the period's end
    transfers: list[Transfer]
    parties: list[str]
    closed_at: str

    def net_positions(self) -> dict[str, Decimal]:
        nets = {party: ZERO for party in self.parties}
        for transfer in self.transfers:
            nets[transfer.payer] -= transfer.amount
            nets[transfer.payee] += transfer.amount
        return nets

    def statement(self, party: str) -> dict[str, Any]:
        """One party's own part: what API.md calls a partner statement (the operator has one too)."""
        flows = self.flows
        receivable = sum((t.amount for t in self.transfers if t.payee == party and t.kind == "redemption"), ZERO)
        fees_paid = sum((t.amount for t in self.transfers if t.payer == party and t.kind == "fee"), ZERO)
        fees_received = sum((t.amount for t in self.transfers if t.payee == party and t.kind == "fee"), ZERO)
        payable = sum((t.amount for t in self.transfers if t.payer == party and t.kind == "redemption"), ZERO)
        redeemed_here = {i: r[party] for i, r in sorted(flows.redeemed.items()) if r.get(party)}
        redeemed_elsewhere = {r: n for r, n in sorted(flows.redeemed.get(party, Counter()).items()) if r != party and n}
        statement = {
            "period": self.period,
            "partner_id": party,
            "currency": self.currency,
            "point_value": format(self.point_value, "f"),
            "issued_points": flows.issued.get(party, 0),
            "returned_points": flows.returned.get(party, 0),
            "fees": str(fees_paid),
            "redeemed_here": redeemed_here,
            "redeemed_elsewhere": redeemed_elsewhere,
            "expired_points": flows.expired.get(party, 0),
            "outstanding_points": self.outstanding.get(party, 0),
            "receivable": str(receivable + fees_received),
            "payable": str(payable + fees_paid),
            "net": str(receivable + fees_received - payable - fees_paid),
            "closed_at": self.closed_at,
        }
        if party == OPERATOR:
            statement["fees_received"] = str(fees_received)
        return statement

    def payments(self) -> list[dict[str, str]]:
        """Through the operator as clearing house: debtors pay the operator, the operator pays creditors."""
        result = []
        for party, net in sorted(self.net_positions().items()):
            if party == OPERATOR or net == 0:
                continue
            if net < 0:
                result.append({"from": party, "to": OPERATOR, "amount": str(-net)})
            else:
                result.append({"from": OPERATOR, "to": party, "amount": str(net)})
        return result

    def matrix(self) -> dict[str, dict[str, int]]:
        return {i: dict(sorted(r.items())) for i, r in sorted(self.flows.redeemed.items())}

    def document(self) -> dict[str, Any]:
        """The operator's view of the whole period."""
        nets = self.net_positions()
        return {
            "period": self.period,
            "currency": self.currency,
            "point_value": format(self.point_value, "f"),
            "entries": self.flows.entries,
            "partners": {p: self.statement(p) for p in self.parties if p != OPERATOR},
            "operator": self.statement(OPERATOR),
            "matrix": self.matrix(),
            "breakage": {i: n for i, n in sorted(self.flows.expired.items()) if n},
            "outstanding": dict(sorted(self.outstanding.items())),
            "net_positions": {p: str(n) for p, n in sorted(nets.items())},
            "net_total": str(sum(nets.values(), ZERO)),
            "payments": self.payments(),
            "transfers": [
                {"from": t.payer, "to": t.payee, "kind": t.kind, "amount": str(t.amount)} for t in self.transfers
            ],
            "closed_at": self.closed_at,
        }


def settle_day(
    day: str,
    flows: PointFlows,
    previous_outstanding: dict[str, int],
    fees_per_point: dict[str, Decimal],
    currency: str,
    point_value: Decimal,
    closed_at: str,
) -> Settlement:
    transfers = []
    for issuer, by_redeemer in sorted(flows.redeemed.items()):
        for redeemer, points in sorted(by_redeemer.items()):
            if issuer != redeemer and points:
                transfers.append(Transfer(issuer, redeemer, "redemption", cents(points * point_value)))
    for partner, fee in sorted(fees_per_point.items()):
        net_issued = flows.issued.get(partner, 0) - flows.returned.get(partner, 0)
        if partner != OPERATOR and fee and net_issued:
            transfers.append(Transfer(partner, OPERATOR, "fee", cents(net_issued * fee)))
    outstanding = flows.outstanding_after(previous_outstanding)
    parties = sorted(set(outstanding) | set(fees_per_point) | {OPERATOR})
    return Settlement(day, currency, point_value, flows, outstanding, transfers, parties, closed_at)


def combine(period: str, days: list[Settlement], closed_at: str) -> Settlement:
    """A month from its closed days: flows and money lines add up; outstanding is the last day's."""
    flows = PointFlows()
    merged: dict[tuple[str, str, str], Decimal] = {}
    parties: set[str] = set()
    for day in days:
        flows.merge(day.flows)
        parties |= set(day.parties)
        for t in day.transfers:
            merged[(t.payer, t.payee, t.kind)] = merged.get((t.payer, t.payee, t.kind), ZERO) + t.amount
    transfers = [Transfer(payer, payee, kind, amount) for (payer, payee, kind), amount in sorted(merged.items())]
    last = days[-1]
    return Settlement(
        period, last.currency, last.point_value, flows, dict(last.outstanding), transfers, sorted(parties), closed_at
    )
