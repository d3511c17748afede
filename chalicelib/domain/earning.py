"""How many points a purchase earns, and a breakdown that explains every one of them.

points = floor(Σ item amount × rate × tier multiplier), rounded once per transaction; the breakdown's
lines sum exactly to the points so a member can recompute them from GET /v1/program.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from .errors import InvalidRequest
from .money import to_str
from .program import Tier


@dataclass(frozen=True)
class PurchaseLine:
    category: str | None
    amount: Decimal
    sku: str | None = None  # None: the part of the amount no item covers


@dataclass(frozen=True)
class BreakdownLine:
    rule: str
    points: int
    detail: str

    def to_dict(self) -> dict[str, object]:
        return {"rule": self.rule, "points": self.points, "detail": self.detail}


@dataclass(frozen=True)
class Earn:
    points: int
    breakdown: list[BreakdownLine]
    weights: list[Decimal]  # per line: the exact points it contributed (a return by line takes back its share)


def floor_points(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def split_purchase(amount: Decimal, items: list[PurchaseLine]) -> list[PurchaseLine]:
    """The items as given, plus the part of the amount no item covers (earned at the partner's base rate)."""
    itemised = sum((item.amount for item in items), Decimal(0))
    if itemised > amount:
        raise InvalidRequest("the items add up to more than the amount", field="items")
    rest = amount - itemised
    return [*items, PurchaseLine(None, rest)] if rest else list(items)


def purchase_points(
    amount: Decimal,
    currency: str,
    lines: list[tuple[PurchaseLine, Decimal]],
    tier: Tier,
    rate_text: Callable[[str | None], str] | None = None,
) -> Earn:
    """`lines` are the purchase's lines (split_purchase) with the partner's rate for each; `rate_text` says how the
    rate of a line's category came about (a % back and the point value it was derived at), by default
    "0.5 pt/EUR on fuel"."""
    base_exact = sum((line.amount * rate for line, rate in lines), Decimal(0))
    base = floor_points(base_exact)
    weights = [line.amount * rate * tier.earn_multiplier for line, rate in lines]
    total = floor_points(sum(weights, Decimal(0)))
    rates = sorted({(line.category, rate) for line, rate in lines}, key=str)
    texts = ", ".join(
        rate_text(category) if rate_text else f"{to_str(rate)} pt/{currency}" + (f" on {category}" if category else "")
        for category, rate in rates
    )
    breakdown = [BreakdownLine("base_rate", base, f"{to_str(amount)} {currency} at {texts}")]
    if tier.earn_multiplier != 1:
        breakdown.append(
            BreakdownLine("tier_multiplier", total - base, f"{tier.name} tier × {to_str(tier.earn_multiplier)}")
        )
    return Earn(total, breakdown, weights)
