"""What a purchase earned, kept with its operation record, so that its returns undo exactly that.

Two kinds of award:
- proportional: points computed from the purchase's lines (the partner's base and tier points, multiplier
  campaigns, the birthday month). Each keeps, per line, the exact (unfloored) points that line contributed,
  so a return takes back its share: by amount (every line alike) or by the lines it names (a 60.00 diesel
  line earned at 0.5 takes back its 30 points, not 60/80 of the whole). Shares are exact fractions that add
  up over any number of returns, and a purchase returned in full gives back exactly what it earned.
- fixed: points the purchase earned by qualifying (first-purchase bonus, referral bonuses, fixed-points
  campaigns): taken back whole once what is kept of the purchase no longer qualifies (nothing left, or
  less than the rule's minimum amount; for a campaign on some categories, nothing left of its lines).

An award of a campaign capped per member gives its use back to the member once it is taken back whole.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from .challenges import Counted
from .errors import InvalidRequest, ReturnExceedsPurchase
from .money import to_str


@dataclass(frozen=True)
class SoldLine:
    """A line of the purchase as sold: an item (with its sku), or the part no item covers (sku None)."""

    sku: str | None
    category: str | None
    amount: Decimal


@dataclass
class ProportionalAward:
    issuer: str
    rule: str
    points: int
    weights: list[Decimal]  # per sold line: the exact points that line contributed
    qualifying: bool = False  # counts for tiers (the partner's base and tier points)
    capped_campaign: str | None = None  # a campaign capped per member: its use comes back with the whole award
    returned_share: Fraction = Fraction(0)
    taken: int = 0
    fee_per_point: Decimal | None = None  # the issuer's fee when the points were issued (None: not recorded)

    @property
    def all_taken(self) -> bool:
        return self.returned_share == 1

    def take_share(self, share: Fraction) -> int:
        """Points to take back when `share` more of the award is returned (exact over cumulative returns)."""
        self.returned_share = min(Fraction(1), self.returned_share + share)
        due = math.floor(self.points * self.returned_share)
        if due <= self.taken:  # already taken (a purchase recorded in the old form rounded per issuer, not award)
            return 0
        taking, self.taken = due - self.taken, due
        return taking

    def line_share(self, returned: list[Fraction], lines: list[SoldLine]) -> Fraction:
        """The share of this award that the returned amount of each line carries."""
        total = sum(self.weights, Decimal(0))
        if total == 0:
            return Fraction(0)
        carried = sum(
            (
                Fraction(w) * Fraction(r) / Fraction(line.amount)
                for w, r, line in zip(self.weights, returned, lines, strict=True)
            ),
            Fraction(0),
        )
        return carried / Fraction(total)


@dataclass
class FixedAward:
    issuer: str
    rule: str
    points: int
    min_amount: Decimal = Decimal(0)  # taken back once what is kept falls below this, or to nothing
    member_id: str | None = None  # another member's points (the referrer); None: the purchaser's
    scope: list[int] | None = None  # the sold lines that qualified (a campaign on categories); None: all
    capped_campaign: str | None = None  # a campaign capped per member: its use comes back with the award
    taken: bool = False
    fee_per_point: Decimal | None = None  # the issuer's fee when the points were issued (None: not recorded)

    def still_qualifies(self, kept_by_line: list[Fraction]) -> bool:
        kept = sum((kept_by_line[i] for i in self.scope), Fraction(0)) if self.scope is not None else sum(kept_by_line)
        return kept > 0 and kept >= Fraction(self.min_amount)


@dataclass(frozen=True)
class Clawback:
    """Points of one award to take back from one member."""

    issuer: str
    rule: str
    points: int
    member_id: str | None  # None: the purchaser
    qualifying: bool = False
    released_campaign: str | None = None  # a capped campaign whose use goes back to the member
    fee_per_point: Decimal | None = None  # refunded at the fee charged when the points were issued
    expires_on: str | None = None  # the points' validity, when not the purchase's (a challenge's reward)
    detail: str | None = None  # why it goes back, when not the return itself


@dataclass(frozen=True)
class ReturnedLine:
    sku: str
    amount: Decimal


@dataclass(frozen=True)
class ReturnRef:
    """A return of the purchase, as the partner sees it on the transaction."""

    return_id: str
    amount: Decimal
    points_reversed: int
    entry_id: str
    booked_at: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "return_id": self.return_id,
            "amount": to_str(self.amount),
            "points_reversed": self.points_reversed,
            "entry_id": self.entry_id,
            "booked_at": self.booked_at,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ReturnRef:
        return cls(
            raw["return_id"], Decimal(raw["amount"]), int(raw["points_reversed"]), raw["entry_id"], raw["booked_at"]
        )


@dataclass
class PurchaseFacts:
    currency: str
    amount: Decimal
    occurred_on: str
    expires_on: str  # the last valid day of every point the purchase earned
    lines: list[SoldLine]
    proportional: list[ProportionalAward] = field(default_factory=list)
    fixed: list[FixedAward] = field(default_factory=list)
    returned_amount: Decimal = Decimal(0)
    returned_by_line: list[Fraction] = field(default_factory=list)  # exact: amount returns spread over lines
    # Where and when it happened (the partner's reads and reports; absent on purchases booked before they were kept),
    # and its returns as booked (the partner's view of the transaction reads them with the record: one GetItem).
    channel: str | None = None
    store_id: str | None = None
    occurred_at: str | None = None
    returns: list[ReturnRef] = field(default_factory=list)
    # The measured campaigns the purchase counted in, and the member's group in each: a return counts there too.
    measured: list[tuple[str, str]] = field(default_factory=list)
    # The challenge periods it counted in (domain/challenges.py): a return takes it out of them.
    challenges: list[Counted] = field(default_factory=list)

    @property
    def kept_amount(self) -> Decimal:
        return self.amount - self.returned_amount

    def plan_return(self, amount: Decimal, items: list[ReturnedLine] | None) -> list[Clawback]:
        """Record a return of `amount` (of the named lines, or of the whole purchase alike) and say which
        points go back. Refuses more than was bought, in total or per line."""
        if self.returned_amount + amount > self.amount:
            raise ReturnExceedsPurchase(
                f"{to_str(self.returned_amount)} of {to_str(self.amount)} {self.currency} already returned; "
                f"{to_str(amount)} more would exceed the purchase",
                field="amount",
            )
        by_line = self._allocate(amount, items) if items else self._spread(amount)
        self.returned_amount += amount
        clawbacks = []
        for award in self.proportional:
            if self.kept_amount == 0:
                share = Fraction(1)  # all of it returned: whatever is left of every award, exactly
            else:
                share = award.line_share(by_line, self.lines)
            was_whole = not award.all_taken
            points = award.take_share(share)
            released = award.capped_campaign if was_whole and award.all_taken else None
            if points or released:
                clawbacks.append(
                    Clawback(award.issuer, award.rule, points, None, award.qualifying, released, award.fee_per_point)
                )
        kept_by_line = [Fraction(line.amount) - r for line, r in zip(self.lines, self.returned_by_line, strict=True)]
        for fixed in self.fixed:
            if not fixed.taken and not fixed.still_qualifies(kept_by_line):
                fixed.taken = True
                clawbacks.append(
                    Clawback(
                        fixed.issuer,
                        fixed.rule,
                        fixed.points,
                        fixed.member_id,
                        released_campaign=fixed.capped_campaign,
                        fee_per_point=fixed.fee_per_point,
                    )
                )
        return clawbacks

    def _spread(self, amount: Decimal) -> list[Fraction]:
        """A return that names no line takes its amount from every line in proportion to what is kept of it,
        so returns by line and by amount mix: what a later return finds of a line is what is really left."""
        kept = [Fraction(line.amount) - r for line, r in zip(self.lines, self.returned_by_line, strict=True)]
        total = sum(kept, Fraction(0))
        spread = [Fraction(amount) * k / total for k in kept]
        self.returned_by_line = [r + share for r, share in zip(self.returned_by_line, spread, strict=True)]
        return spread

    def _allocate(self, amount: Decimal, items: list[ReturnedLine]) -> list[Fraction]:
        """Spread the returned items over the sold lines with their sku; returns the amount per line."""
        if sum((item.amount for item in items), Decimal(0)) != amount:
            raise InvalidRequest("amount must equal the sum of the returned items", field="amount")
        returned = [Fraction(0)] * len(self.lines)
        for n, item in enumerate(items):
            left = Fraction(item.amount)
            matching = [i for i, line in enumerate(self.lines) if line.sku == item.sku]
            if not matching:
                raise InvalidRequest(f"{item.sku} is not a line of this purchase", field=f"items[{n}].sku")
            for i in matching:
                room = Fraction(self.lines[i].amount) - self.returned_by_line[i] - returned[i]
                take = min(room, left)
                returned[i] += take
                left -= take
            if left:
                raise ReturnExceedsPurchase(f"more of {item.sku} returned than was bought", field=f"items[{n}].amount")
        self.returned_by_line = [before + now for before, now in zip(self.returned_by_line, returned, strict=True)]
        return returned

    # ---- stored form (the purchase's operation record) ------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "amount": to_str(self.amount),
            "occurred_on": self.occurred_on,
            "expires_on": self.expires_on,
            "lines": [[line.sku, line.category, to_str(line.amount)] for line in self.lines],
            "proportional": [
                {
                    "issuer": a.issuer,
                    "rule": a.rule,
                    "points": a.points,
                    "weights": [to_str(w) for w in a.weights],
                    "qualifying": a.qualifying,
                    "returned_share": str(a.returned_share),
                    "taken": a.taken,
                    **({"capped_campaign": a.capped_campaign} if a.capped_campaign else {}),
                    **_fee(a.fee_per_point),
                }
                for a in self.proportional
            ],
            "fixed": [
                {
                    "issuer": f.issuer,
                    "rule": f.rule,
                    "points": f.points,
                    "min_amount": to_str(f.min_amount),
                    "member_id": f.member_id,
                    "taken": f.taken,
                    **({"scope": f.scope} if f.scope is not None else {}),
                    **({"capped_campaign": f.capped_campaign} if f.capped_campaign else {}),
                    **_fee(f.fee_per_point),
                }
                for f in self.fixed
            ],
            "returned_amount": to_str(self.returned_amount),
            "returned_by_line": [str(r) for r in self.returned_by_line],
            **({"channel": self.channel} if self.channel else {}),
            **({"store_id": self.store_id} if self.store_id else {}),
            **({"occurred_at": self.occurred_at} if self.occurred_at else {}),
            **({"returns": [r.to_dict() for r in self.returns]} if self.returns else {}),
            **({"measured": [list(pair) for pair in self.measured]} if self.measured else {}),
            **({"challenges": [c.to_raw() for c in self.challenges]} if self.challenges else {}),
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> PurchaseFacts:
        return cls(
            currency=raw["currency"],
            amount=Decimal(raw["amount"]),
            occurred_on=raw["occurred_on"],
            expires_on=raw["expires_on"],
            lines=[SoldLine(sku, category, Decimal(amount)) for sku, category, amount in raw["lines"]],
            proportional=[
                ProportionalAward(
                    issuer=a["issuer"],
                    rule=a["rule"],
                    points=int(a["points"]),
                    weights=[Decimal(w) for w in a["weights"]],
                    qualifying=bool(a["qualifying"]),
                    capped_campaign=a.get("capped_campaign"),
                    returned_share=Fraction(a["returned_share"]),
                    taken=int(a["taken"]),
                    fee_per_point=_read_fee(a),
                )
                for a in raw["proportional"]
            ],
            fixed=[
                FixedAward(
                    issuer=f["issuer"],
                    rule=f["rule"],
                    points=int(f["points"]),
                    min_amount=Decimal(f["min_amount"]),
                    member_id=f["member_id"],
                    scope=[int(i) for i in f["scope"]] if "scope" in f else None,
                    capped_campaign=f.get("capped_campaign"),
                    taken=bool(f["taken"]),
                    fee_per_point=_read_fee(f),
                )
                for f in raw["fixed"]
            ],
            returned_amount=Decimal(raw["returned_amount"]),
            returned_by_line=[Fraction(r) for r in raw["returned_by_line"]],
            channel=raw.get("channel"),
            store_id=raw.get("store_id"),
            occurred_at=raw.get("occurred_at"),
            returns=[ReturnRef.from_dict(r) for r in raw.get("returns", [])],
            measured=[(str(c), str(g)) for c, g in raw.get("measured", [])],
            challenges=[Counted.from_raw(c) for c in raw.get("challenges", [])],
        )


def legacy_facts(raw: dict[str, Any], partner_id: str, expires_on: str) -> PurchaseFacts:
    """A purchase recorded before awards were kept ({amount, currency, occurred_on, points_by_issuer,
    qualifying_points, returned_amount}): one line, one proportional award per issuer (the partner's base
    points as its qualifying award), already taken back in proportion to what was returned, as returns then
    did. `expires_on` comes from the caller (the record's date and the programme), since it was not kept."""
    amount, returned = Decimal(raw["amount"]), Decimal(raw["returned_amount"])
    share = Fraction(returned) / Fraction(amount)
    awards = []
    for issuer, points in sorted(raw["points_by_issuer"].items()):
        # What the old returns took of this issuer: its total, rounded down once.
        issuer_taken = math.floor(int(points) * share)
        parts = [(issuer, "earned", int(points), False)]
        if issuer == partner_id:
            base = min(int(raw.get("qualifying_points", 0)), int(points))
            parts = [(issuer, "base_rate", base, True), (issuer, "earned", int(points) - base, False)]
        # Each award took its share rounded down; what the issuer's single rounding took more (at most a point
        # per award) goes to the last award, so the awards have taken exactly what the old returns took.
        parts = [part for part in parts if part[2] > 0]
        takes = [math.floor(part * share) for _, _, part, _ in parts]
        if takes:
            takes[-1] += issuer_taken - sum(takes)
        for (owner, rule, part, qualifying), taken in zip(parts, takes, strict=True):
            if part > 0:
                awards.append(
                    ProportionalAward(
                        owner, rule, part, [Decimal(part)], qualifying=qualifying, returned_share=share, taken=taken
                    )
                )
    return PurchaseFacts(
        currency=raw["currency"],
        amount=amount,
        occurred_on=raw["occurred_on"],
        expires_on=expires_on,
        lines=[SoldLine(None, None, amount)],
        proportional=awards,
        returned_amount=returned,
        returned_by_line=[Fraction(returned)],
    )


def _fee(fee: Decimal | None) -> dict[str, str]:
    return {} if fee is None else {"fee_per_point": format(fee, "f")}


def _read_fee(raw: dict[str, Any]) -> Decimal | None:
    """Awards stored before they kept their fee have none: their returns are refunded at the close's fee."""
    fee = raw.get("fee_per_point")
    return None if fee is None else Decimal(fee)
