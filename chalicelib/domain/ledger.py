"""Ledger entries and idempotency records: the immutable history and the 'exactly once' memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from .effect import Measured
from .movements import EntryType, OperationKind
from .wallet import Portion, Wallet


@dataclass(frozen=True)
class Sale:
    """The money side of a purchase or return, as the partner posted it."""

    amount: Decimal  # signed: + a purchase, − what a return gave back
    currency: str
    channel: str | None  # "store" | "online" (None: booked before channels were kept)
    store_id: str | None
    occurred_at: str | None  # the purchase's own time (a return: its purchase's)

    def to_dict(self) -> dict[str, Any]:
        return {
            "amount": format(self.amount, "f"),
            "currency": self.currency,
            "channel": self.channel,
            "store_id": self.store_id,
            "occurred_at": self.occurred_at,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Sale:
        return cls(
            Decimal(raw["amount"]), raw["currency"], raw.get("channel"), raw.get("store_id"), raw.get("occurred_at")
        )


@dataclass
class Entry:
    """One movement: earn, bonus, activity, redeem, hold, capture, void, return, reversal, expire; or a decision
    that moves no points (tier, status), each declared in domain/movements.py. `points` is the signed change of
    the member's lots − debts + held; `held` the signed change of held points; `attribution` says whose points
    moved (issuer, lot expiry).

    Entries that move money at settlement record, when booked, the rate their type declares and settle at, so
    that a later change of the programme or of a partner's fee does not revalue them: `point_value` on spending
    (redeem, capture; the programme's value then) and on reversals (the value of the spending they undo);
    `fees_per_point` on entries that issue points or take them back (earn, bonus, activity, return): each
    issuer's fee per point (on a return, the fee that was charged when the points were issued). Entries booked
    before rates were recorded have neither: the close values them at its own rates. A voucher spent or voided
    also records `bonuses`: what its bonus funder pays the spending partner over the points' worth, and `values`:
    each issuer's share of the face value in whole cents, settled as it is (so the partner is paid the face value
    to the cent whatever the point value's decimals)."""

    seq: int
    entry_id: str
    type: EntryType  # what it does to liability and money: its declaration in domain/movements.py
    partner_id: str
    points: int
    held: int = 0
    breakdown: list[dict[str, Any]] | None = None
    attribution: list[Portion] = field(default_factory=list)
    reference: str | None = None
    booked_at: str = ""
    member_id: str = ""
    point_value: Decimal | None = None
    fees_per_point: dict[str, Decimal] = field(default_factory=dict)  # issuer -> fee per point
    bonuses: dict[str, Decimal] = field(default_factory=dict)  # funder -> money over the points' worth (vouchers)
    values: dict[str, Decimal] = field(default_factory=dict)  # issuer -> the money its points move, as booked
    from_tier: str | None = None  # a tier decision: the tier it left (webhooks' tier.changed); None on others
    # A sale's facts, on the entry that counts it (a purchase's `earn`) and on its returns, so that reports read sales
    # from the day index they already read: the signed money of the sale (+ purchase, − return), where it happened,
    # and when the purchase happened (the time between a member's purchases).
    sale: Sale | None = None
    # The campaigns with a control group this purchase (or return) is measured in: domain/effect.py.
    measured: list[Measured] = field(default_factory=list)
    # A paid membership's fee, which the entry's partner collected for the operator (a `membership_fee` entry).
    fee_collected: Decimal | None = None

    def __post_init__(self) -> None:
        self.type = EntryType(self.type)  # as stored (its string) or as booked: one of the declared types

    def fee_of(self, issuer: str) -> Decimal | None:
        """The fee per point recorded for `issuer`'s points in this entry (None: none was recorded)."""
        return self.fees_per_point.get(issuer)

    def public(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "entry_id": self.entry_id,
            "type": self.type.value,
            "partner_id": self.partner_id,
            "points": self.points,
            "held_points": self.held,
            "attribution": [p.to_dict() for p in self.attribution],
            "reference": self.reference,
            "booked_at": self.booked_at,
        }
        if self.breakdown is not None:
            body["breakdown"] = self.breakdown
        return body


def new_entry(
    wallet: Wallet,
    type: EntryType,
    partner_id: str,
    points: int,
    *,
    held: int = 0,
    breakdown: list[dict[str, Any]] | None = None,
    attribution: list[Portion] | None = None,
    reference: str | None = None,
    booked_at: str,
    point_value: Decimal | None = None,
    fees_per_point: dict[str, Decimal] | None = None,
    bonuses: dict[str, Decimal] | None = None,
    values: dict[str, Decimal] | None = None,
    sale: Sale | None = None,
    fee_collected: Decimal | None = None,
) -> Entry:
    """Number the entry from the wallet's counter, so entries of a member are ordered and unique."""
    wallet.entry_seq += 1
    return Entry(
        seq=wallet.entry_seq,
        entry_id=f"{wallet.member_id}-{wallet.entry_seq:06d}",
        type=type,
        partner_id=partner_id,
        points=points,
        held=held,
        breakdown=breakdown if breakdown is not None else default_breakdown(type, partner_id, points, held),
        attribution=list(attribution or []),
        reference=reference,
        booked_at=booked_at,
        member_id=wallet.member_id,
        point_value=point_value,
        fees_per_point=dict(fees_per_point or {}),
        bonuses=dict(bonuses or {}),
        values=dict(values or {}),
        sale=sale,
        fee_collected=fee_collected,
    )


def entry_number(member_id: str, entry_id: str) -> int | None:
    """The number of an entry of `member_id` from its id (`new_entry` writes member-000042), or None when the id
    is not one of that member's entries."""
    prefix, _, number = entry_id.rpartition("-")
    if prefix != member_id or not (number.isascii() and number.isdigit()) or len(number) > 15:
        return None
    seq = int(number)
    return seq if seq > 0 and entry_id == f"{member_id}-{seq:06d}" else None


def tier_entry(wallet: Wallet, change: Any, booked_at: str) -> Entry:
    """A tier decision in the member's history: no points move, the reason is the breakdown."""
    line = {"rule": change.rule, "points": 0, "detail": change.detail, "tier": change.to_tier}
    entry = new_entry(wallet, EntryType.TIER, "operator", 0, breakdown=[line], booked_at=booked_at)
    entry.from_tier = change.from_tier
    return entry


def default_breakdown(type: EntryType, partner_id: str, points: int, held: int) -> list[dict[str, Any]]:
    """Every entry explains itself to the member; lines sum to the entry's points. The rule is the type."""
    details = {
        EntryType.REDEEM: f"{-points} points spent at {partner_id}",
        EntryType.HOLD: f"{held} points reserved by {partner_id}",
        EntryType.CAPTURE: f"{-points} reserved points spent at {partner_id}"
        + (f", {-held + points} released" if -held + points else ""),
        EntryType.VOID: f"{-held} reserved points released by {partner_id}",
    }
    return [{"rule": type.value, "points": points, "detail": details.get(type, type.value)}]


@dataclass
class OperationRecord:
    """A partner's operation (partner, kind, id): the request's fingerprint and the answer it got."""

    op_key: str
    kind: str
    partner_id: str
    member_id: str
    fingerprint: str
    status_code: int
    body: str
    data: dict[str, Any] = field(default_factory=dict)
    created_at: str = ""
    version: int = 0

    @property
    def operation_id(self) -> str:
        """The partner's own id (the key is partner#kind#id; ids may contain '#', partners and kinds do not)."""
        return self.op_key.split("#", 2)[2]


def operation_key(partner_id: str, kind: OperationKind, operation_id: str) -> str:
    return f"{partner_id}#{kind}#{operation_id}"


@dataclass(frozen=True)
class EntryFilter:
    """Which entries of a member's history a page shows: by partner, by type, by UTC day of booking (inclusive)."""

    partner_id: str | None = None
    type: EntryType | None = None
    first_day: date | None = None
    last_day: date | None = None

    def matches(self, entry: Entry) -> bool:
        day = entry.booked_at[:10]
        return (
            (self.partner_id is None or entry.partner_id == self.partner_id)
            and (self.type is None or entry.type == self.type)
            and (self.first_day is None or day >= self.first_day.isoformat())
            and (self.last_day is None or day <= self.last_day.isoformat())
        )

    def before_period(self, entry: Entry) -> bool:
        """Booked before the first day: entries are numbered in booking order, so no older one matches either."""
        return self.first_day is not None and entry.booked_at[:10] < self.first_day.isoformat()
