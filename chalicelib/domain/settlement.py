"""Settlement of closed days: who issued, redeemed, returned and let expire which points, and the money
that moves for it. Pure: the store hands in a day's entries; nothing here reads or writes.

Money moves at the rates in force when each movement was booked: every entry that moves money records its rate
(domain/ledger.py), and the flows add up the exact, unrounded value of each line next to its points. Entries
booked before rates were recorded are valued at the close's rates (the point value and fees handed to
settle_day), as they always were. Money lines are rounded to the cent one by one, and each line is paid by one
party and received by another, so the net positions of all parties sum to exactly 0.00 by construction.
Per day and per pair:
- cross-brand points (i ≠ r), net = value of issuer i's points redeemed at r (at the point value of each
  redemption) − value of those r reversed that day (at the point value of the redemption each reversal undoes):
  net > 0: issuer i pays redeemer r  round(net)          (kind "redemption");
  net < 0: redeemer r pays issuer i back  round(−net)    (kind "reversal");
- fees, net = fee on the points partner p issued (at p's fee per point when each was issued) − fee on the points
  returned to it that day (at the fee that was charged when those points were issued):
  net > 0: p pays the operator  round(net)               (kind "fee");
  net < 0: the operator refunds p  round(−net)           (kind "fee_refund").
- membership fees, per partner: the fees of paid memberships it sold or renewed that day, collected for the
  operator: p pays the operator  round(Σ fees)            (kind "membership_fee").
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .effect import EffectTally, SaleSums
from .ledger import Entry
from .movements import EntryType, Liability, Movement, Rate, Settles, movement
from .program import OPERATOR as OPERATOR  # the operator as a party (defined with the programme)

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Worth:
    """What some points are worth: the exact (unrounded) sum of points × rate of those booked with a rate, and
    the points booked before entries recorded their rate, which the close values at its own rate. Signed: points
    taken back count negative."""

    amount: Decimal = Decimal(0)
    unrated: int = 0

    def add(self, points: int, rate: Decimal | None, value: Decimal | None = None) -> None:
        """`value`: the portion's money as booked (a voucher's share, in whole cents), used as it is."""
        if value is not None:
            self.amount += value
        elif rate is None:
            self.unrated += points
        else:
            self.amount += points * rate

    def merge(self, other: Worth) -> None:
        self.amount += other.amount
        self.unrated += other.unrated

    def at(self, close_rate: Decimal) -> Decimal:
        """The exact value, the unrated points at the close's rate."""
        return self.amount + self.unrated * close_rate

    def to_list(self) -> list[Any]:
        return [format(self.amount, "f"), self.unrated]

    @classmethod
    def from_list(cls, raw: list[Any]) -> Worth:
        return cls(Decimal(raw[0]), int(raw[1]))


@dataclass
class VoucherFlows:
    """The voucher movements among a set of entries (domain/movements.py, `moves_vouchers`), so statements show
    them apart. They are counted in PointFlows too, as their liability says (a spend is in `redeemed`, a void in
    `reversed`, an expiry in `expired`; a conversion moves no liability): these counters add nothing to the money
    or the outstanding liability, they say which part of it was vouchers. Mergeable, like the flows."""

    converted: Counter[str] = field(default_factory=Counter)  # issuer -> points converted into vouchers
    expired: Counter[str] = field(default_factory=Counter)  # issuer -> voucher points expired (breakage)
    spent: dict[str, Counter[str]] = field(default_factory=dict)  # issuer -> spending partner -> points
    voided: dict[str, Counter[str]] = field(default_factory=dict)  # issuer -> spending partner -> points
    spent_worth: dict[str, dict[str, Worth]] = field(default_factory=dict)  # issuer -> spender: shares as booked
    voided_worth: dict[str, dict[str, Worth]] = field(default_factory=dict)  # issuer -> spender
    bonus_spent: dict[str, dict[str, Decimal]] = field(default_factory=dict)  # funder -> spender (gross)
    bonus_voided: dict[str, dict[str, Decimal]] = field(default_factory=dict)  # funder -> spender (gross)
    spends: Counter[str] = field(default_factory=Counter)  # spending partner -> vouchers spent there
    voids: Counter[str] = field(default_factory=Counter)  # spending partner -> voucher spends voided there

    def add(self, entry: Entry, declared: Movement) -> None:
        """A voucher movement, by its declared liability: NONE converts, SPENDS spends, GIVES_BACK voids, EXPIRES
        expires (the entry's partner is where it was spent or voided); its bonus by its declared sign."""
        partner, liability = entry.partner_id, declared.liability
        if liability is Liability.SPENDS:
            self.spends[partner] += 1
        elif liability is Liability.GIVES_BACK:
            self.voids[partner] += 1
        for portion in entry.attribution:
            issuer, points = portion.issuer, portion.points
            match liability:
                case Liability.NONE:
                    self.converted[issuer] += points
                case Liability.EXPIRES:
                    self.expired[issuer] += points
                case Liability.SPENDS:
                    self.spent.setdefault(issuer, Counter())[partner] += points
                    rate, value = recorded_rate(declared.rate, entry, issuer), entry.values.get(issuer)
                    _worth(self.spent_worth, issuer, partner).add(points, rate, value)
                case Liability.GIVES_BACK:
                    self.voided.setdefault(issuer, Counter())[partner] += points
                    rate, value = recorded_rate(declared.rate, entry, issuer), entry.values.get(issuer)
                    _worth(self.voided_worth, issuer, partner).add(points, rate, value)
                case Liability.ISSUES | Liability.RETURNS | Liability.REINSTATES:
                    pass  # no movement of vouchers issues, returns or reinstates points
        bonuses = self.bonus_spent if declared.bonus_sign > 0 else self.bonus_voided  # gross, each way
        for funder, amount in entry.bonuses.items() if declared.bonus_sign else ():
            by_spender = bonuses.setdefault(funder, {})
            by_spender[partner] = by_spender.get(partner, Decimal(0)) + amount

    def merge(self, other: VoucherFlows) -> None:
        self.converted.update(other.converted)
        self.expired.update(other.expired)
        _merge_matrix(self.spent, other.spent)
        _merge_matrix(self.voided, other.voided)
        _merge_worths(self.spent_worth, other.spent_worth)
        _merge_worths(self.voided_worth, other.voided_worth)
        _merge_amounts(self.bonus_spent, other.bonus_spent)
        _merge_amounts(self.bonus_voided, other.bonus_voided)
        self.spends.update(other.spends)
        self.voids.update(other.voids)

    def open_change(self, issuer: str) -> int:
        """How these entries moved the issuer's open voucher points: each count with the voucher sign its
        liability declares (converted − spent + voided − expired)."""
        moved = {
            Liability.NONE: self.converted.get(issuer, 0),
            Liability.SPENDS: sum(self.spent.get(issuer, Counter()).values()),
            Liability.GIVES_BACK: sum(self.voided.get(issuer, Counter()).values()),
            Liability.EXPIRES: self.expired.get(issuer, 0),
        }
        return sum(liability.voucher_sign * points for liability, points in moved.items())

    def issuers(self) -> set[str]:
        return set(self.converted) | set(self.expired) | set(self.spent) | set(self.voided)

    def open_after(self, before: dict[str, int]) -> dict[str, int]:
        return {issuer: before.get(issuer, 0) + self.open_change(issuer) for issuer in set(before) | self.issuers()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "converted": dict(self.converted),
            "expired": dict(self.expired),
            "spent": {i: dict(r) for i, r in self.spent.items()},
            "voided": {i: dict(r) for i, r in self.voided.items()},
            "spent_worth": _worths_to_dict(self.spent_worth),
            "voided_worth": _worths_to_dict(self.voided_worth),
            "bonus_spent": _amounts_to_dict(self.bonus_spent),
            "bonus_voided": _amounts_to_dict(self.bonus_voided),
            "spends": dict(self.spends),
            "voids": dict(self.voids),
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> VoucherFlows:
        return cls(
            converted=Counter(raw["converted"]),
            expired=Counter(raw["expired"]),
            spent={i: Counter(r) for i, r in raw["spent"].items()},
            voided={i: Counter(r) for i, r in raw["voided"].items()},
            spent_worth=_worths_from_dict(raw["spent_worth"]),
            voided_worth=_worths_from_dict(raw["voided_worth"]),
            bonus_spent=_amounts_from_dict(raw["bonus_spent"]),
            bonus_voided=_amounts_from_dict(raw["bonus_voided"]),
            spends=Counter(raw["spends"]),
            voids=Counter(raw["voids"]),
        )


@dataclass
class PointFlows:
    """The point movements of a set of entries, by issuer (and redeemer). Mergeable: shards add up."""

    issued: Counter[str] = field(default_factory=Counter)
    returned: Counter[str] = field(default_factory=Counter)
    expired: Counter[str] = field(default_factory=Counter)
    redeemed: dict[str, Counter[str]] = field(default_factory=dict)  # issuer -> redeemer -> points
    entries: int = 0
    # issuer -> expired points given back (breakage undone; `expired` stays what expired: net = expired − this)
    reinstated: Counter[str] = field(default_factory=Counter)
    reversed: dict[str, Counter[str]] = field(default_factory=dict)  # issuer -> redeemer -> points given back
    # What the points above are worth, at the rates their entries were booked at:
    redeemed_worth: dict[str, dict[str, Worth]] = field(default_factory=dict)  # issuer -> redeemer
    reversed_worth: dict[str, dict[str, Worth]] = field(default_factory=dict)  # issuer -> redeemer
    fee_worth: dict[str, Worth] = field(default_factory=dict)  # issuer -> fee on issued − fee on returned
    # Voucher bonuses: funder -> spending partner -> money (exact; net of voids), over the points' worth.
    voucher_bonus: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    vouchers: VoucherFlows = field(default_factory=VoucherFlows)  # which of the movements above were vouchers
    # Not money: the measured campaigns' figures of these entries, which the close stores per day (domain/effect.py).
    effects: EffectTally = field(default_factory=EffectTally)
    member_sales: dict[str, SaleSums] = field(default_factory=dict)  # partner -> its members' purchases
    # Paid memberships: partner -> the fees it collected for the operator (exact), and how many it sold or renewed.
    membership_fees: dict[str, Decimal] = field(default_factory=dict)
    memberships_sold: Counter[str] = field(default_factory=Counter)

    def add(self, entry: Entry) -> None:
        """Count the entry as its type's declaration says (domain/movements.py): its liability effect in the
        points, its settlement effect at the rate it recorded. A pair's redeemer is the entry's partner."""
        self.entries += 1
        declared = movement(entry.type)
        for portion in entry.attribution:
            issuer, points = portion.issuer, portion.points
            self._count(declared.liability, issuer, entry.partner_id, points)
            rate, value = recorded_rate(declared.rate, entry, issuer), entry.values.get(issuer)
            self._value(declared.settles, issuer, entry.partner_id, points, rate, value)
        for funder, amount in entry.bonuses.items() if declared.bonus_sign else ():
            by_spender = self.voucher_bonus.setdefault(funder, {})
            by_spender[entry.partner_id] = by_spender.get(entry.partner_id, Decimal(0)) + declared.bonus_sign * amount
        if declared.moves_vouchers:
            self.vouchers.add(entry, declared)
        self.effects.add(entry.measured)
        if entry.type is EntryType.EARN and entry.sale is not None and entry.sale.amount > 0:
            self.member_sales.setdefault(entry.partner_id, SaleSums()).add(entry.sale.amount)
        if declared.settles is Settles.MEMBERSHIP_FEE and entry.fee_collected is not None:
            fees = self.membership_fees
            fees[entry.partner_id] = fees.get(entry.partner_id, Decimal(0)) + entry.fee_collected
            self.memberships_sold[entry.partner_id] += 1

    def _count(self, liability: Liability, issuer: str, partner_id: str, points: int) -> None:
        match liability:
            case Liability.ISSUES:
                self.issued[issuer] += points
            case Liability.RETURNS:
                self.returned[issuer] += points
            case Liability.EXPIRES:
                self.expired[issuer] += points
            case Liability.REINSTATES:
                self.reinstated[issuer] += points
            case Liability.SPENDS:
                self.redeemed.setdefault(issuer, Counter())[partner_id] += points
            case Liability.GIVES_BACK:
                self.reversed.setdefault(issuer, Counter())[partner_id] += points
            case Liability.NONE:
                pass

    def _value(
        self,
        settles: Settles,
        issuer: str,
        partner_id: str,
        points: int,
        rate: Decimal | None,
        value: Decimal | None = None,
    ) -> None:
        match settles:
            case Settles.FEE_ON_ISSUE:
                self.fee_worth.setdefault(issuer, Worth()).add(points, rate)
            case Settles.FEE_REFUND:
                self.fee_worth.setdefault(issuer, Worth()).add(-points, rate)
            case Settles.REDEMPTION_PAIR:
                _worth(self.redeemed_worth, issuer, partner_id).add(points, rate, value)
            case Settles.REVERSAL_PAIR:
                _worth(self.reversed_worth, issuer, partner_id).add(points, rate, value)
            case Settles.BREAKAGE | Settles.BREAKAGE_REVERSAL | Settles.NOTHING | Settles.MEMBERSHIP_FEE:
                pass  # breakage is the expired points (net of those reinstated); a membership fee is the entry's

    def merge(self, other: PointFlows) -> None:
        self.issued.update(other.issued)
        self.returned.update(other.returned)
        self.expired.update(other.expired)
        self.reinstated.update(other.reinstated)
        _merge_matrix(self.redeemed, other.redeemed)
        _merge_matrix(self.reversed, other.reversed)
        self.entries += other.entries
        _merge_worths(self.redeemed_worth, other.redeemed_worth)
        _merge_worths(self.reversed_worth, other.reversed_worth)
        for issuer, worth in other.fee_worth.items():
            self.fee_worth.setdefault(issuer, Worth()).merge(worth)
        _merge_amounts(self.voucher_bonus, other.voucher_bonus)
        self.vouchers.merge(other.vouchers)
        self.effects.merge(other.effects)
        for partner, sums in other.member_sales.items():
            self.member_sales.setdefault(partner, SaleSums()).merge(sums)
        for partner, amount in other.membership_fees.items():
            self.membership_fees[partner] = self.membership_fees.get(partner, Decimal(0)) + amount
        self.memberships_sold.update(other.memberships_sold)

    def redeemed_from(self, issuer: str) -> int:
        return sum(self.redeemed.get(issuer, Counter()).values())

    def reversed_to(self, issuer: str) -> int:
        return sum(self.reversed.get(issuer, Counter()).values())

    def net_redeemed(self, issuer: str, redeemer: str) -> int:
        """Points of `issuer` that `redeemer` kept: redeemed there minus reversed there (negative when a
        reversal gives back more than that period's redemptions)."""
        return self.redeemed.get(issuer, Counter())[redeemer] - self.reversed.get(issuer, Counter())[redeemer]

    def kept_value(self, issuer: str, redeemer: str, close_point_value: Decimal) -> Decimal:
        """The exact value of what `redeemer` kept of `issuer`'s points: each redemption at its point value, minus
        each reversal at the value of the redemption it undid (entries without one at `close_point_value`)."""
        redeemed = self.redeemed_worth.get(issuer, {}).get(redeemer, Worth())
        reversed_ = self.reversed_worth.get(issuer, {}).get(redeemer, Worth())
        return redeemed.at(close_point_value) - reversed_.at(close_point_value)

    def fee_due(self, issuer: str, close_fee: Decimal) -> Decimal:
        """The exact fee on `issuer`'s points issued net of those returned, each at the fee per point recorded
        when they were issued (entries without one at `close_fee`)."""
        return self.fee_worth.get(issuer, Worth()).at(close_fee)

    def pairs(self) -> list[tuple[str, str]]:
        """Every (issuer, redeemer) with a redemption or a reversal, in order."""
        found = {(i, r) for matrix in (self.redeemed, self.reversed) for i, by_r in matrix.items() for r in by_r}
        return sorted(found)

    def liability_change(self, issuer: str) -> int:
        """issued − returned − redeemed + reversed − expired + reinstated: how these entries moved the issuer's
        outstanding points (each count with its liability's declared sign)."""
        moved = {
            Liability.ISSUES: self.issued.get(issuer, 0),
            Liability.RETURNS: self.returned.get(issuer, 0),
            Liability.SPENDS: self.redeemed_from(issuer),
            Liability.GIVES_BACK: self.reversed_to(issuer),
            Liability.EXPIRES: self.expired.get(issuer, 0),
            Liability.REINSTATES: self.reinstated.get(issuer, 0),
        }
        return sum(liability.sign * points for liability, points in moved.items())

    def outstanding_after(self, before: dict[str, int]) -> dict[str, int]:
        return {
            issuer: before.get(issuer, 0) + self.liability_change(issuer) for issuer in set(before) | self.parties()
        }

    def parties(self) -> set[str]:
        found = set(self.issued) | set(self.returned) | set(self.expired) | set(self.redeemed) | set(self.reversed)
        found |= set(self.reinstated)
        for issuer, redeemer in self.pairs():
            found |= {issuer, redeemer}
        return found

    def to_dict(self) -> dict[str, Any]:
        return {
            "issued": dict(self.issued),
            "returned": dict(self.returned),
            "expired": dict(self.expired),
            "redeemed": {i: dict(r) for i, r in self.redeemed.items()},
            "reversed": {i: dict(r) for i, r in self.reversed.items()},
            "entries": self.entries,
            "worth": {  # [exact amount, unrated points]
                "redeemed": _worths_to_dict(self.redeemed_worth),
                "reversed": _worths_to_dict(self.reversed_worth),
                "fees": {i: w.to_list() for i, w in self.fee_worth.items()},
            },
            "voucher_bonus": _amounts_to_dict(self.voucher_bonus),
            "vouchers": self.vouchers.to_dict(),
            "reinstated": dict(self.reinstated),
            **({"effects": self.effects.to_dict()} if self.effects else {}),
            **({"member_sales": {p: s.to_list() for p, s in self.member_sales.items()}} if self.member_sales else {}),
            **(
                {
                    "membership_fees": {p: format(a, "f") for p, a in self.membership_fees.items()},
                    "memberships_sold": dict(self.memberships_sold),
                }
                if self.membership_fees
                else {}
            ),
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> PointFlows:
        """Also reads flows stored before reversals existed (no "reversed" field: none), and flows stored before
        entries recorded their rates (no "worth" field: every point in them is unrated, valued at the close's
        rates, as it was when they were stored)."""
        flows = cls(
            issued=Counter(raw["issued"]),
            returned=Counter(raw["returned"]),
            expired=Counter(raw["expired"]),
            redeemed={i: Counter(r) for i, r in raw["redeemed"].items()},
            entries=int(raw["entries"]),
            reversed={i: Counter(r) for i, r in raw.get("reversed", {}).items()},
        )
        worth = raw.get("worth")
        if worth is None:
            flows.redeemed_worth = _unrated(flows.redeemed)
            flows.reversed_worth = _unrated(flows.reversed)
            flows.fee_worth = {
                i: Worth(unrated=flows.issued.get(i, 0) - flows.returned.get(i, 0))
                for i in set(flows.issued) | set(flows.returned)
            }
        else:
            flows.redeemed_worth = _worths_from_dict(worth["redeemed"])
            flows.reversed_worth = _worths_from_dict(worth["reversed"])
            flows.fee_worth = {i: Worth.from_list(w) for i, w in worth["fees"].items()}
        # Absent in flows stored before vouchers could be spent: none.
        flows.voucher_bonus = _amounts_from_dict(raw.get("voucher_bonus", {}))
        # Absent in flows stored before statements showed voucher lines: no voucher movement told apart (their
        # spends, voids and expiries stay in the point lines they were counted in, which is all they showed then).
        vouchers = raw.get("vouchers")
        flows.vouchers = VoucherFlows() if vouchers is None else VoucherFlows.from_dict(vouchers)
        flows.reinstated = Counter(raw.get("reinstated", {}))  # absent in flows stored before reinstatements: none
        flows.effects = EffectTally.from_dict(raw.get("effects"))  # absent: no measured campaign
        flows.member_sales = {p: SaleSums.from_list(s) for p, s in raw.get("member_sales", {}).items()}
        # Absent in flows without a paid membership sold (and in those stored before memberships): none.
        flows.membership_fees = {p: Decimal(a) for p, a in raw.get("membership_fees", {}).items()}
        flows.memberships_sold = Counter(raw.get("memberships_sold", {}))
        return flows


def recorded_rate(rate: Rate, entry: Entry, issuer: str) -> Decimal | None:
    """The rate of that kind the entry recorded for `issuer`'s points (None: booked before entries recorded
    rates, or a movement that records none)."""
    match rate:
        case Rate.FEE_PER_POINT:
            return entry.fee_of(issuer)
        case Rate.POINT_VALUE:
            return entry.point_value
        case Rate.NONE:
            return None


def _merge_matrix(into: dict[str, Counter[str]], other: dict[str, Counter[str]]) -> None:
    for issuer, by_redeemer in other.items():
        into.setdefault(issuer, Counter()).update(by_redeemer)


def _worth(matrix: dict[str, dict[str, Worth]], issuer: str, redeemer: str) -> Worth:
    return matrix.setdefault(issuer, {}).setdefault(redeemer, Worth())


def _merge_worths(into: dict[str, dict[str, Worth]], other: dict[str, dict[str, Worth]]) -> None:
    for issuer, by_redeemer in other.items():
        for redeemer, worth in by_redeemer.items():
            _worth(into, issuer, redeemer).merge(worth)


def _worths_to_dict(matrix: dict[str, dict[str, Worth]]) -> dict[str, dict[str, list[Any]]]:
    return {i: {r: w.to_list() for r, w in by_r.items()} for i, by_r in matrix.items()}


def _worths_from_dict(raw: dict[str, dict[str, list[Any]]]) -> dict[str, dict[str, Worth]]:
    return {i: {r: Worth.from_list(w) for r, w in by_r.items()} for i, by_r in raw.items()}


def _merge_amounts(into: dict[str, dict[str, Decimal]], other: dict[str, dict[str, Decimal]]) -> None:
    for payer, by_payee in other.items():
        mine = into.setdefault(payer, {})
        for payee, amount in by_payee.items():
            mine[payee] = mine.get(payee, Decimal(0)) + amount


def _amounts_to_dict(matrix: dict[str, dict[str, Decimal]]) -> dict[str, dict[str, str]]:
    return {f: {s: format(a, "f") for s, a in by_s.items()} for f, by_s in matrix.items()}


def _amounts_from_dict(raw: dict[str, dict[str, str]]) -> dict[str, dict[str, Decimal]]:
    return {f: {s: Decimal(a) for s, a in by_s.items()} for f, by_s in raw.items()}


def _unrated(matrix: dict[str, Counter[str]]) -> dict[str, dict[str, Worth]]:
    return {i: {r: Worth(unrated=n) for r, n in by_r.items()} for i, by_r in matrix.items()}


@dataclass(frozen=True)
class Transfer:
    payer: str
    payee: str
    kind: str  # redemption | reversal | fee | fee_refund | voucher_bonus | voucher_bonus_back | membership_fee
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
    # issuer -> points of open vouchers at the period's end (part of `outstanding`, which counts them too)
    outstanding_vouchers: dict[str, int] = field(default_factory=dict)

    def net_positions(self) -> dict[str, Decimal]:
        nets = {party: ZERO for party in self.parties}
        for transfer in self.transfers:
            nets[transfer.payer] -= transfer.amount
            nets[transfer.payee] += transfer.amount
        return nets

    def statement(self, party: str) -> dict[str, Any]:
        """One party's own part: what API.md calls a partner statement (the operator has one too).

        `receivable` is every line paid to the party (other issuers' points redeemed here, net of reversals;
        reversals of its own points elsewhere; fee refunds; the operator's fees), `payable` every line it pays,
        so receivable − payable = net. `fees` is what the party paid, `fee_refunds` what it got back."""
        flows = self.flows
        receivable = sum((t.amount for t in self.transfers if t.payee == party), ZERO)
        payable = sum((t.amount for t in self.transfers if t.payer == party), ZERO)
        statement = {
            "period": self.period,
            "partner_id": party,
            "currency": self.currency,
            "point_value": format(self.point_value, "f"),
            "issued_points": flows.issued.get(party, 0),
            "returned_points": flows.returned.get(party, 0),
            "fees": str(self._paid(party, "fee")),
            "fee_refunds": str(self._received(party, "fee_refund")),
            "redeemed_here": _here(flows.redeemed, party),
            "redeemed_elsewhere": _elsewhere(flows.redeemed, party),
            "reversed_here": _here(flows.reversed, party),
            "reversed_elsewhere": _elsewhere(flows.reversed, party),
            "expired_points": flows.expired.get(party, 0),
            "reinstated_points": flows.reinstated.get(party, 0),
            "outstanding_points": self.outstanding.get(party, 0),
            "outstanding_voucher_points": self.outstanding_vouchers.get(party, 0),
            "vouchers": self.voucher_lines(party),
            "memberships_sold": flows.memberships_sold.get(party, 0),
            "membership_fees": str(self._paid(party, "membership_fee")),
            "receivable": str(receivable),
            "payable": str(payable),
            "net": str(receivable - payable),
            "closed_at": self.closed_at,
        }
        if party == OPERATOR:
            statement["fees_received"] = str(self._received(party, "fee"))
            statement["fee_refunds_paid"] = str(self._paid(party, "fee_refund"))
            statement["membership_fees_received"] = str(self._received(party, "membership_fee"))
        return statement

    def voucher_lines(self, party: str) -> dict[str, Any]:
        """The party's voucher movements, apart from the point lines above, which count them too (a spend in
        `redeemed_*`, a void in `reversed_*`, an expiry in `expired_points`; the money in receivable/payable):
        its points converted into vouchers; the vouchers spent here (their face value: every issuer's share and
        the bonus) and voided here; its voucher points spent and voided elsewhere (its shares); the bonuses it
        funded and received net of voids; its voucher points expired (breakage)."""
        vouchers = self.flows.vouchers
        return {
            "converted_points": vouchers.converted.get(party, 0),
            "spent_here": self._vouchers_here(
                party, vouchers.spends, vouchers.spent, vouchers.spent_worth, vouchers.bonus_spent
            ),
            "spent_elsewhere": self._vouchers_elsewhere(party, vouchers.spent, vouchers.spent_worth),
            "voided_here": self._vouchers_here(
                party, vouchers.voids, vouchers.voided, vouchers.voided_worth, vouchers.bonus_voided
            ),
            "voided_elsewhere": self._vouchers_elsewhere(party, vouchers.voided, vouchers.voided_worth),
            "bonus_paid": str(cents(_bonus_net(self.flows.voucher_bonus, funder=party))),
            "bonus_received": str(cents(_bonus_net(self.flows.voucher_bonus, spender=party))),
            "expired_points": vouchers.expired.get(party, 0),
        }

    def _vouchers_here(
        self,
        party: str,
        count: Counter[str],
        points: dict[str, Counter[str]],
        worth: dict[str, dict[str, Worth]],
        bonuses: dict[str, dict[str, Decimal]],
    ) -> dict[str, Any]:
        """Vouchers spent (or voided) at the party: how many, their points by issuer, their face value."""
        by_issuer = _here(points, party)
        shares = sum((by_r[party].at(self.point_value) for by_r in worth.values() if party in by_r), ZERO)
        bonus = sum((by_s.get(party, ZERO) for by_s in bonuses.values()), ZERO)
        return {
            "count": count.get(party, 0),
            "points": sum(by_issuer.values()),
            "value": str(cents(shares + bonus)),
            "by_issuer": by_issuer,
        }

    def _vouchers_elsewhere(
        self, party: str, points: dict[str, Counter[str]], worth: dict[str, dict[str, Worth]]
    ) -> dict[str, dict[str, Any]]:
        mine = worth.get(party, {})
        return {
            partner: {"points": n, "value": str(cents(mine.get(partner, Worth()).at(self.point_value)))}
            for partner, n in _elsewhere(points, party).items()
        }

    def _paid(self, party: str, kind: str) -> Decimal:
        return sum((t.amount for t in self.transfers if t.payer == party and t.kind == kind), ZERO)

    def _received(self, party: str, kind: str) -> Decimal:
        return sum((t.amount for t in self.transfers if t.payee == party and t.kind == kind), ZERO)

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
        return _matrix(self.flows.redeemed)

    def reversal_matrix(self) -> dict[str, dict[str, int]]:
        return _matrix(self.flows.reversed)

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
            "reversals": self.reversal_matrix(),
            "breakage": {i: n for i, n in sorted(self.flows.expired.items()) if n},
            "reinstated": {i: n for i, n in sorted(self.flows.reinstated.items()) if n},
            "outstanding": dict(sorted(self.outstanding.items())),
            "vouchers": self.voucher_summary(),
            "net_positions": {p: str(n) for p, n in sorted(nets.items())},
            "net_total": str(sum(nets.values(), ZERO)),
            "payments": self.payments(),
            "transfers": [
                {"from": t.payer, "to": t.payee, "kind": t.kind, "amount": str(t.amount)} for t in self.transfers
            ],
            "closed_at": self.closed_at,
        }

    def voucher_summary(self) -> dict[str, Any]:
        """The operator's view of the period's vouchers: points converted, spent and voided (issuer -> spending
        partner), expired, by issuer; the bonuses (funder -> spending partner, net of voids); and the open voucher
        points by issuer at the period's end."""
        vouchers = self.flows.vouchers
        return {
            "converted": {i: n for i, n in sorted(vouchers.converted.items()) if n},
            "spent": _matrix(vouchers.spent),
            "voided": _matrix(vouchers.voided),
            "expired": {i: n for i, n in sorted(vouchers.expired.items()) if n},
            "bonus": {
                f: {s: str(cents(a)) for s, a in sorted(by_s.items())}
                for f, by_s in sorted(self.flows.voucher_bonus.items())
            },
            "outstanding": dict(sorted(self.outstanding_vouchers.items())),
        }


def settle_day(
    day: str,
    flows: PointFlows,
    previous_outstanding: dict[str, int],
    fees_per_point: dict[str, Decimal],
    currency: str,
    point_value: Decimal,
    closed_at: str,
    previous_vouchers: dict[str, int] | None = None,
) -> Settlement:
    """`point_value` and `fees_per_point` are the rates at the close: the statement shows the point value, and
    both value the entries booked before entries recorded their own rates (every other entry settles at its own).
    `previous_vouchers`: the open voucher points at the day before's end, carried over like the outstanding."""
    transfers = (
        redemption_transfers(flows, point_value)
        + fee_transfers(flows, fees_per_point)
        + voucher_bonus_transfers(flows)
        + membership_fee_transfers(flows)
    )
    outstanding = flows.outstanding_after(previous_outstanding)
    paying = {party for t in transfers for party in (t.payer, t.payee)}
    parties = sorted(set(outstanding) | set(fees_per_point) | {OPERATOR} | paying)
    open_vouchers = flows.vouchers.open_after(previous_vouchers or {})
    return Settlement(day, currency, point_value, flows, outstanding, transfers, parties, closed_at, open_vouchers)


def redemption_transfers(flows: PointFlows, point_value: Decimal) -> list[Transfer]:
    """One line per cross-brand pair on the value the redeemer kept that day (exact, rounded once): the issuer
    pays the redeemer, or, when reversals gave back more than was redeemed, the redeemer pays the issuer back.
    `point_value` (the close's) values only entries booked without one."""
    transfers = []
    for issuer, redeemer in flows.pairs():
        if issuer == redeemer:
            continue  # own points move no money
        kept = flows.kept_value(issuer, redeemer, point_value)
        if kept > 0:
            transfers.append(Transfer(issuer, redeemer, "redemption", cents(kept)))
        elif kept < 0:
            transfers.append(Transfer(redeemer, issuer, "reversal", cents(-kept)))
    return transfers


def fee_transfers(flows: PointFlows, fees_per_point: dict[str, Decimal]) -> list[Transfer]:
    """The fee on points issued net of returns, each at the fee recorded when the points were issued; a day whose
    refunds exceed its fees refunds the difference (the operator pays the partner), so no line is ever negative.
    The operator pays no fee. `fees_per_point` (the close's) values only entries booked without a fee."""
    transfers = []
    for partner in sorted(set(fees_per_point) | set(flows.fee_worth)):
        if partner == OPERATOR:
            continue
        due = flows.fee_due(partner, fees_per_point.get(partner, Decimal(0)))
        if due > 0:
            transfers.append(Transfer(partner, OPERATOR, "fee", cents(due)))
        elif due < 0:
            transfers.append(Transfer(OPERATOR, partner, "fee_refund", cents(-due)))
    return transfers


def voucher_bonus_transfers(flows: PointFlows) -> list[Transfer]:
    """What vouchers spent that day add over their points' worth, paid by their bonus funder to the partner where
    they were spent (net of voids; a day of more voids than spends pays it back). Exact, rounded once per pair."""
    transfers = []
    for funder, by_spender in sorted(flows.voucher_bonus.items()):
        for spender, amount in sorted(by_spender.items()):
            if funder == spender or not amount:
                continue
            if amount > 0:
                transfers.append(Transfer(funder, spender, "voucher_bonus", cents(amount)))
            else:
                transfers.append(Transfer(spender, funder, "voucher_bonus_back", cents(-amount)))
    return transfers


def membership_fee_transfers(flows: PointFlows) -> list[Transfer]:
    """The fees of the paid memberships each partner sold or renewed that day, which it collected for the operator:
    one line per partner, paid to the operator (exact, rounded once; fees are whole cents, so nothing is lost)."""
    return [
        Transfer(partner, OPERATOR, "membership_fee", cents(amount))
        for partner, amount in sorted(flows.membership_fees.items())
        if partner != OPERATOR and amount > 0
    ]


def combine(period: str, days: list[Settlement], closed_at: str) -> Settlement:
    """A month from its closed days: flows and money lines add up; outstanding (of vouchers too) is the last
    day's."""
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
        period,
        last.currency,
        last.point_value,
        flows,
        dict(last.outstanding),
        transfers,
        sorted(parties),
        closed_at,
        dict(last.outstanding_vouchers),
    )


def _here(matrix: dict[str, Counter[str]], party: str) -> dict[str, int]:
    """{issuer: points} that moved at `party` (its own points included)."""
    return {issuer: by_r[party] for issuer, by_r in sorted(matrix.items()) if by_r.get(party)}


def _elsewhere(matrix: dict[str, Counter[str]], party: str) -> dict[str, int]:
    """{redeemer: points} of `party`'s points that moved at other partners."""
    return {r: n for r, n in sorted(matrix.get(party, Counter()).items()) if r != party and n}


def _bonus_net(bonus: dict[str, dict[str, Decimal]], *, funder: str = "", spender: str = "") -> Decimal:
    """The exact voucher bonus (net of voids) the funder paid, or the spender received, from or to other parties:
    a partner's bonus on a voucher spent at itself moves no money, as its transfers say."""
    return sum(
        (amount for f, by_s in bonus.items() for s, amount in by_s.items() if f != s and (f == funder or s == spender)),
        ZERO,
    )


def _matrix(matrix: dict[str, Counter[str]]) -> dict[str, dict[str, int]]:
    return {issuer: dict(sorted(by_r.items())) for issuer, by_r in sorted(matrix.items())}
