"""Segments: groups of members described by rules over what their wallet already holds (issue 12), so that the
request that needs one (a purchase deciding its campaigns, a grant's page) decides membership on the wallet it has
read, with no call of its own.

Every rule given must hold (AND); a rule left out does not restrict. What the rules can see:

    tiers               the member's tier is one of these
    age                 {min?, max?} in whole years on the day asked, from the birth date (none known: no match)
    interests           the member listed at least one of these interests
    preferred_partners  the member prefers at least one of these partners
    purchases           {min?, max?, months, partners?}: purchases (not returned whole) over the last `months`
                        calendar months, this one included; at these partners only, if given
    spend               {min?, max?, months}: money spent over the last `months` months (net of returns)
    inactive_months     no purchase at all over the last N months, this one included
    distinct_partners   {min, months}: bought at at least `min` different partners over the last `months` months

`months` is at most 12: the wallet keeps 12 months of activity (the tiers' rolling year), and a rule over more
would silently see less. A segment is owned by the operator or by a partner; a partner's segment sees only its own
customers (members who bought there within the year) and names no other partner (services/segments.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from .program import OPERATOR
from .wallet import MonthActivity, Wallet

MAX_MONTHS = 12


@dataclass(frozen=True)
class Band:
    """An inclusive range; a missing end is open."""

    min: Decimal | None = None
    max: Decimal | None = None

    def holds(self, value: Decimal) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)

    def to_dict(self, *, money: bool = False) -> dict[str, Any]:
        """Counts and ages as JSON numbers, money as text (as everywhere in the API)."""
        shown = (lambda v: format(v, "f")) if money else int
        return {k: shown(v) for k, v in (("min", self.min), ("max", self.max)) if v is not None}


@dataclass(frozen=True)
class OverMonths:
    """A figure over the last `months` calendar months (this one included), within a band."""

    band: Band
    months: int
    partners: tuple[str, ...] = ()  # purchases only: at these partners (empty: anywhere)
    money: bool = False  # spend: the band is an amount of money

    def to_dict(self) -> dict[str, Any]:
        where = {"partners": list(self.partners)} if self.partners else {}
        return {**self.band.to_dict(money=self.money), "months": self.months, **where}


@dataclass(frozen=True)
class SegmentRules:
    tiers: tuple[str, ...] = ()
    age: Band | None = None
    interests: tuple[str, ...] = ()
    preferred_partners: tuple[str, ...] = ()
    purchases: OverMonths | None = None
    spend: OverMonths | None = None
    inactive_months: int | None = None
    distinct_partners: OverMonths | None = None

    def partners_named(self) -> set[str]:
        named = set(self.preferred_partners)
        if self.purchases is not None:
            named |= set(self.purchases.partners)
        return named

    def matches(self, wallet: Wallet, on: date) -> bool:
        if self.tiers and wallet.tier not in self.tiers:
            return False
        if self.age is not None:
            years = age_on(wallet.birth_date, on)
            if years is None or not self.age.holds(Decimal(years)):
                return False
        if self.interests and not set(self.interests) & set(wallet.profile.interests):
            return False
        if self.preferred_partners and not set(self.preferred_partners) & set(wallet.profile.preferred_partners):
            return False
        if self.purchases is not None and not self.purchases.band.holds(
            Decimal(purchases_over(wallet, on, self.purchases.months, self.purchases.partners))
        ):
            return False
        if self.spend is not None and not self.spend.band.holds(spend_over(wallet, on, self.spend.months)):
            return False
        if self.inactive_months is not None and purchases_over(wallet, on, self.inactive_months) > 0:
            return False
        return self.distinct_partners is None or self.distinct_partners.band.holds(
            Decimal(len(partners_over(wallet, on, self.distinct_partners.months)))
        )

    def to_dict(self) -> dict[str, Any]:
        rules: dict[str, Any] = {
            "tiers": list(self.tiers),
            "age": None if self.age is None else self.age.to_dict(),
            "interests": list(self.interests),
            "preferred_partners": list(self.preferred_partners),
            "purchases": None if self.purchases is None else self.purchases.to_dict(),
            "spend": None if self.spend is None else self.spend.to_dict(),
            "inactive_months": self.inactive_months,
            "distinct_partners": None if self.distinct_partners is None else self.distinct_partners.to_dict(),
        }
        return {name: value for name, value in rules.items() if value not in (None, [])}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> SegmentRules:
        return cls(
            tiers=tuple(raw.get("tiers") or ()),
            age=_band(raw["age"]) if raw.get("age") else None,
            interests=tuple(raw.get("interests") or ()),
            preferred_partners=tuple(raw.get("preferred_partners") or ()),
            purchases=_over(raw["purchases"]) if raw.get("purchases") else None,
            spend=_over(raw["spend"], money=True) if raw.get("spend") else None,
            inactive_months=raw.get("inactive_months"),
            distinct_partners=_over(raw["distinct_partners"]) if raw.get("distinct_partners") else None,
        )


@dataclass(frozen=True)
class Segment:
    segment_id: str
    name: str
    rules: SegmentRules
    owner: str = OPERATOR  # the operator, or the partner whose customers it selects

    def matches(self, wallet: Wallet, on: date) -> bool:
        if self.owner != OPERATOR and self.owner not in partners_over(wallet, on, MAX_MONTHS):
            return False  # a partner's segment: its own customers only
        return wallet.active and self.rules.matches(wallet, on)

    def to_dict(self) -> dict[str, Any]:
        return {"segment_id": self.segment_id, "name": self.name, "owner": self.owner, "rules": self.rules.to_dict()}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Segment:
        return cls(raw["segment_id"], raw["name"], SegmentRules.from_dict(raw["rules"]), raw.get("owner", OPERATOR))


@dataclass(frozen=True)
class SegmentCount:
    """A count of a segment's members (a job over a parallel Scan of the members table, page by page): the segment
    as it stood when the count started, and its shards."""

    job_id: str
    segment: dict[str, Any]
    shards: tuple[str, ...]
    segments: int  # Scan segments of the members table
    started_at: str


def age_on(birth_date: str | None, on: date) -> int | None:
    if not birth_date:
        return None
    born = date.fromisoformat(birth_date)
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def last_months(on: date, months: int) -> list[str]:
    """The "YYYY-MM" keys of the last `months` calendar months, this one included."""
    index = on.year * 12 + on.month - 1
    return [f"{(index - n) // 12:04d}-{(index - n) % 12 + 1:02d}" for n in range(months)]


def _months(wallet: Wallet, on: date, months: int) -> list[MonthActivity]:
    return [wallet.activity[m] for m in last_months(on, months) if m in wallet.activity]


def purchases_over(wallet: Wallet, on: date, months: int, partners: tuple[str, ...] = ()) -> int:
    if not partners:
        return sum(month.purchases for month in _months(wallet, on, months))
    return sum(_at(month, partner) for month in _months(wallet, on, months) for partner in partners)


def _at(month: MonthActivity, partner: str) -> int:
    """Purchases at `partner` that month (a partner listed before counts were kept counts once)."""
    if partner not in month.partners:
        return 0
    return month.partner_purchases.get(partner, 1)


def spend_over(wallet: Wallet, on: date, months: int) -> Decimal:
    return sum((Decimal(month.spend) for month in _months(wallet, on, months)), Decimal(0))


def partners_over(wallet: Wallet, on: date, months: int) -> set[str]:
    return {p for month in _months(wallet, on, months) for p in month.counted_partners()}


def _band(raw: dict[str, Any]) -> Band:
    return Band(*(None if raw.get(k) is None else Decimal(str(raw[k])) for k in ("min", "max")))


def _over(raw: dict[str, Any], *, money: bool = False) -> OverMonths:
    return OverMonths(_band(raw), int(raw["months"]), tuple(raw.get("partners") or ()), money)
