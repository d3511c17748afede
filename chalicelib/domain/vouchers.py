"""Vouchers: points converted into an amount of money a member spends once, at any allowed partner, in any channel.

Converting takes the denomination's points from the member's lots (first to expire first, like any spending) and
keeps whose they were: the voucher's `funding`. The issuers' liability moves from points to the voucher, nothing
is paid yet. When the voucher is spent, each issuer pays the spending partner its points at the point value of
the conversion, and the bonus funder pays what the denomination adds over that; a void (the partner refunds the
purchase) takes that back and the voucher is spendable again until its expiry; an expired voucher is breakage of
its issuers. Pure: the store keeps vouchers, the services book their movements.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from .errors import VoucherNotUsable
from .program import VoucherDenomination, VoucherRules
from .timefmt import add_months
from .wallet import Portion

# 16 symbols of a 32-letter alphabet without 0/O, 1/I/L: 80 bits, read out at a till without confusion.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_SYMBOLS = 16


CODE = re.compile(rf"[{CODE_ALPHABET}]{{4}}(-[{CODE_ALPHABET}]{{4}}){{{CODE_SYMBOLS // 4 - 1}}}")


def is_code(text: str) -> bool:
    """A code this system could have issued (anything else names no voucher, and is never looked up)."""
    return CODE.fullmatch(text) is not None


def new_code() -> str:
    symbols = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_SYMBOLS))
    return "-".join(symbols[i : i + 4] for i in range(0, CODE_SYMBOLS, 4))


@dataclass(frozen=True)
class Share:
    """Who pays what of a voucher's face value when it is spent: an issuer for its points, or the bonus funder
    (points 0) for what the denomination adds over its points' worth."""

    party: str
    points: int
    value: Decimal  # exact; settlement rounds each day's line once

    def to_list(self) -> list[Any]:
        return [self.party, self.points, format(self.value, "f")]

    @classmethod
    def from_list(cls, raw: list[Any]) -> Share:
        return cls(str(raw[0]), int(raw[1]), Decimal(raw[2]))


@dataclass(frozen=True)
class Spending:
    partner_id: str
    redemption_id: str
    spent_at: str


@dataclass(frozen=True)
class Voucher:
    code: str
    member_id: str
    points: int
    value: Decimal
    currency: str
    issued_at: str
    expires_on: str  # the last day it can be spent
    usable_at: frozenset[str] | None  # None: every partner (the programme's rule when it was issued)
    funding: tuple[Share, ...]  # sums to `value`; the issuers' points sum to `points`
    status: str = "open"  # open | spent | expired
    spent: Spending | None = None
    version: int = 0

    def check_spendable(self, partner_id: str, today: date) -> None:
        if self.status == "spent":
            raise VoucherNotUsable(f"voucher {self.code} is already spent", field="code")
        if self.status == "expired" or today.isoformat() > self.expires_on:
            raise VoucherNotUsable(f"voucher {self.code} expired on {self.expires_on}", field="code")
        if self.usable_at is not None and partner_id not in self.usable_at:
            raise VoucherNotUsable(f"voucher {self.code} cannot be spent at {partner_id}", field="code")

    def spend(self, partner_id: str, redemption_id: str, at: str, today: date) -> Voucher:
        self.check_spendable(partner_id, today)
        return replace(self, status="spent", spent=Spending(partner_id, redemption_id, at))

    def void(self, partner_id: str, redemption_id: str) -> Voucher:
        """The spending partner refunds the purchase: the voucher is open again (expiring on the same day)."""
        if self.spent is None or (self.spent.partner_id, self.spent.redemption_id) != (partner_id, redemption_id):
            raise VoucherNotUsable(f"voucher {self.code} is not spent by {redemption_id} here", field="redemption_id")
        return replace(self, status="open", spent=None)

    def expire(self, today: date) -> Voucher | None:
        """The voucher once its last day is over, if it is still open (None: nothing to expire)."""
        if self.status != "open" or today.isoformat() <= self.expires_on:
            return None
        return replace(self, status="expired")

    @property
    def bonuses(self) -> dict[str, Decimal]:
        """What the bonus funder pays over the points' worth."""
        return {s.party: s.value for s in self.funding if not s.points}

    def portions(self) -> list[Portion]:
        """The voucher's points by issuer, as a spend, void or expiry moves them (dated with the voucher's end)."""
        return [Portion(self.expires_on, issuer, points) for issuer, points in sorted(self.issuer_points.items())]

    @property
    def issuer_points(self) -> dict[str, int]:
        points: dict[str, int] = {}
        for share in self.funding:
            if share.points:
                points[share.party] = points.get(share.party, 0) + share.points
        return points


def convert(
    member_id: str,
    denomination: VoucherDenomination,
    rules: VoucherRules,
    taken: list[Portion],
    point_value: Decimal,
    currency: str,
    issued_at: str,
    today: date,
    code: str | None = None,
) -> Voucher:
    """The voucher that the points `taken` (the denomination's points, spent from the lots) become. Each issuer's
    share is its points at the point value, in whole cents: the points' worth rounded to the cent is shared out by
    largest remainder, so the shares and the bonus add up to the face value to the cent and settlement pays the
    spending partner exactly that, whatever the point value's decimals. The bonus funder's is the rest."""
    assert sum(p.points for p in taken) == denomination.points, "take exactly the denomination's points"
    by_issuer: dict[str, int] = {}
    for portion in taken:
        by_issuer[portion.issuer] = by_issuer.get(portion.issuer, 0) + portion.points
    issuers = sorted(by_issuer.items())
    cents = _share_out(cents_of(denomination.points * point_value), [points * point_value for _, points in issuers])
    shares = [Share(issuer, points, value) for (issuer, points), value in zip(issuers, cents, strict=True)]
    bonus = denomination.value - sum(cents, Decimal(0))
    if bonus > 0:
        assert denomination.bonus_funder is not None, "the programme names a bonus funder for every bonus"
        shares.append(Share(denomination.bonus_funder, 0, bonus))
    return Voucher(
        code=code or new_code(),
        member_id=member_id,
        points=denomination.points,
        value=denomination.value,
        currency=currency,
        issued_at=issued_at,
        expires_on=add_months(today, rules.validity_months).isoformat(),
        usable_at=rules.usable_at,
        funding=tuple(shares),
    )


CENT = Decimal("0.01")


def cents_of(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _share_out(total: Decimal, exact: list[Decimal]) -> list[Decimal]:
    """Whole-cent parts of `total` in proportion to the `exact` amounts: each rounded down, then the cents left
    to the largest remainders (ties: in order)."""
    parts = [amount.quantize(CENT, rounding=ROUND_DOWN) for amount in exact]
    left = int((total - sum(parts, Decimal(0))) / CENT)
    by_remainder = sorted(range(len(exact)), key=lambda i: exact[i] - parts[i], reverse=True)
    for i in by_remainder[: max(0, left)]:
        parts[i] += CENT
    return parts


def auto_conversion(rules: VoucherRules | None, available: int) -> VoucherDenomination | None:
    """The denomination the programme converts on its own once the available balance reaches its threshold."""
    if rules is None or rules.auto_convert is None:
        return None
    threshold, points = rules.auto_convert
    return rules.denomination(points) if available >= threshold else None
