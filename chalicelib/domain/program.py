"""The programme's rules and the partners' earn settings, as plain values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from typing import Any

from .timefmt import add_months, end_of_month

TIER_METRICS = ("qualifying_points", "spend", "purchases", "distinct_partners")

# Names the system itself uses, so no partner may take one: a settlement party (operator), a file or folder of
# the statements bucket (coalition, parties, settlements, all: the former coalition file), and words that read as
# a keyword rather than a brand in routes, logs and funder fields (admin, system, me, self, none, null, undefined).
RESERVED_PARTNER_IDS = frozenset(
    {
        "operator",
        "all",
        "coalition",
        "parties",
        "settlements",
        "admin",
        "system",
        "me",
        "self",
        "none",
        "null",
        "undefined",
    }
)


OPERATOR = "operator"


@dataclass(frozen=True)
class FirstPurchaseRule:
    points: int
    funder: str
    min_amount: Decimal  # a purchase below this is not a "first purchase" for the bonus (nor for referrals)


@dataclass(frozen=True)
class ReferralRule:
    referrer_points: int
    referee_points: int
    funder: str


@dataclass(frozen=True)
class BirthdayRule:
    """The birthday month multiplies a member's points, funded by `funder` (see campaigns.birthday_campaign)."""

    multiplier: Decimal
    funder: str


@dataclass(frozen=True)
class ActivityRule:
    """Points for a non-purchase engagement (a review, a newsletter sign-up …), with its caps."""

    type: str
    points: int
    max_per_day: int | None = None
    max_total: int | None = None
    funder: str | None = None  # who issues (and pays for) the points; default: the partner posting it


@dataclass(frozen=True)
class EarningLimits:
    """Anti-fraud ceilings: a purchase or a member's day above them is refused (422 rule_violation)."""

    max_points_per_transaction: int
    max_points_per_member_per_day: int


@dataclass(frozen=True)
class VoucherDenomination:
    points: int
    value: Decimal  # in the programme's currency; ≥ points × point_value
    bonus_funder: str | None  # pays value − points × point_value (None: no bonus)


@dataclass(frozen=True)
class VoucherRules:
    """Points a member may convert into vouchers: which amounts, for how long, where they are spent."""

    denominations: tuple[VoucherDenomination, ...]
    validity_months: int
    usable_at: frozenset[str] | None  # None: at every partner
    auto_convert: tuple[int, int] | None = None  # (available points threshold, denomination points)

    def denomination(self, points: int) -> VoucherDenomination | None:
        return next((d for d in self.denominations if d.points == points), None)


@dataclass(frozen=True)
class PartnerCampaignRules:
    """The operator's limits on the campaigns partners run themselves (on their own purchases, at their own cost)."""

    max_multiplier: Decimal
    max_points: int
    max_running: int  # one partner's campaigns running at one moment
    max_measured: int  # of them, with a control group at one moment


DEFAULT_LIMITS = EarningLimits(max_points_per_transaction=1_000_000, max_points_per_member_per_day=2_000_000)


@dataclass(frozen=True)
class Tier:
    name: str
    threshold: Decimal
    earn_multiplier: Decimal


@dataclass(frozen=True)
class Program:
    currency: str
    point_value: Decimal
    expiry_months: int
    tier_metric: str
    tiers: tuple[Tier, ...]  # ascending threshold; the first one has threshold 0
    first_purchase: FirstPurchaseRule | None = None
    referral: ReferralRule | None = None
    birthday: BirthdayRule | None = None
    activities: Mapping[str, ActivityRule] = field(default_factory=dict)
    limits: EarningLimits = DEFAULT_LIMITS
    vouchers: VoucherRules | None = None
    partner_campaigns: PartnerCampaignRules | None = None  # None: partners run no campaigns of their own
    # The optional sections (bonuses, activities, limits) as the operator put them: published as given by
    # GET /v1/program. Rules are read from the typed fields above, never from here.
    published_sections: Mapping[str, Any] = field(default_factory=dict)
    version: int = 0

    @property
    def base_tier(self) -> Tier:
        return self.tiers[0]

    def tier(self, name: str) -> Tier:
        for tier in self.tiers:
            if tier.name == name:
                return tier
        # A tier removed from the programme: its holders earn as the base tier until review.
        return self.base_tier

    def has_tier(self, name: str) -> bool:
        return any(tier.name == name for tier in self.tiers)

    def tier_rank(self, name: str) -> int:
        for rank, tier in enumerate(self.tiers):
            if tier.name == name:
                return rank
        return 0

    def expires_on(self, earned_on: date) -> date:
        """Points expire N months after the end of the month they were earned in."""
        return end_of_month(add_months(earned_on.replace(day=1), self.expiry_months))


DEFAULT_PROGRAM = Program(
    currency="EUR",
    point_value=Decimal("0.01"),
    expiry_months=24,
    tier_metric="qualifying_points",
    tiers=(Tier("member", Decimal(0), Decimal(1)),),
)


# A derived rate that does not end within this many decimals (1 % back at 0.03 per point: 0.333… points per unit)
# is rounded up to it: nobody earns less than the promised % back, and the published rate recomputes every earn.
DERIVED_RATE_QUANTUM = Decimal("0.00000001")


def cashback_rate(percent: Decimal, point_value: Decimal) -> Decimal:
    """Points per currency unit that give `percent` % of the amount back at `point_value` per point."""
    return plain(_ceiling(percent / 100 / point_value, DERIVED_RATE_QUANTUM))


def percent_back(rate: Decimal, point_value: Decimal) -> Decimal:
    """The % of the amount a rate gives back in points' value (before tier and campaign multipliers)."""
    return plain(rate * point_value * 100)


def plain(value: Decimal) -> Decimal:
    """The value without trailing zeros (2.00 -> 2), never in exponent form once formatted with "f"."""
    normal = value.normalize()
    exponent = normal.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    return normal.quantize(Decimal(1)) if exponent > 0 else normal


def _ceiling(value: Decimal, quantum: Decimal) -> Decimal:
    exact = value.quantize(quantum, rounding=ROUND_DOWN)
    return exact if exact == value else exact + quantum


@dataclass(frozen=True)
class Partner:
    """A partner's earn settings as it gave them: each rate in points per currency unit or as a % back (cashback),
    never both for the base rate nor for one category. A % back is kept as promised and turned into points per
    unit at the point value of the moment (rate_for), so that changing the point value keeps the promise."""

    partner_id: str
    name: str
    currency: str
    earn_rate: Decimal | None  # None: the base rate is cashback_percent
    category_rates: dict[str, Decimal] = field(default_factory=dict)
    fee_per_point: Decimal = Decimal(0)
    status: str = "active"
    version: int = 0  # as read; the store writes back only over that version (0: never written)
    cashback_percent: Decimal | None = None
    category_cashback_percent: dict[str, Decimal] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return self.status == "active"

    def view(self) -> dict[str, Any]:
        """The partner as the API shows it (decimals as strings), each rate in the form it was given."""
        return {
            "partner_id": self.partner_id,
            "name": self.name,
            "currency": self.currency,
            "earn_rate": None if self.earn_rate is None else format(self.earn_rate, "f"),
            "category_rates": {k: format(v, "f") for k, v in sorted(self.category_rates.items())},
            "cashback_percent": None if self.cashback_percent is None else format(self.cashback_percent, "f"),
            "category_cashback_percent": {k: format(v, "f") for k, v in sorted(self.category_cashback_percent.items())},
            "fee_per_point": format(self.fee_per_point, "f"),
            "status": self.status,
        }

    def percent_for(self, category: str | None) -> Decimal | None:
        """The % back a line of this category earns at, if it earns by cashback (None: by a points rate)."""
        if category is not None and category in self.category_cashback_percent:
            return self.category_cashback_percent[category]
        if category is not None and category in self.category_rates:
            return None
        return self.cashback_percent

    def rate_for(self, category: str | None, point_value: Decimal) -> Decimal:
        """Points per currency unit for a line of this category, at this point value."""
        percent = self.percent_for(category)
        if percent is not None:
            return cashback_rate(percent, point_value)
        if category is not None and category in self.category_rates:
            return self.category_rates[category]
        assert self.earn_rate is not None  # a partner has a base rate in one form or the other
        return self.earn_rate

    def rate_text(self, category: str | None, point_value: Decimal, currency: str) -> str:
        """How a line's rate came about, for its breakdown: "2% back on fuel at 0.01 EUR per point = 2 pt/EUR"."""
        rate = f"{format(self.rate_for(category, point_value), 'f')} pt/{currency}"
        on = f" on {category}" if category else ""
        percent = self.percent_for(category)
        if percent is None:
            return rate + on
        return f"{format(percent, 'f')}% back{on} at {format(point_value, 'f')} {currency} per point = {rate}"

    def categories(self) -> list[str]:
        """The categories with a rate of their own, in either form."""
        return sorted({*self.category_rates, *self.category_cashback_percent})


class KeyScope(StrEnum):
    """What a partner's API key may do: `till` posts operations (purchases, returns, spending, holds, members,
    vouchers, rewards), `finance` reads statements, their line items and reports, `admin` both, plus webhooks.
    A till cannot read what the partner is owed; a finance person's key cannot book a purchase."""

    TILL = "till"
    FINANCE = "finance"
    ADMIN = "admin"

    def allows(self, needed: tuple[KeyScope, ...]) -> bool:
        return self is KeyScope.ADMIN or self in needed


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    partner_id: str
    secret_hash: str
    partner_status: str
    revoked: bool
    scope: KeyScope = KeyScope.ADMIN


def program_from_document(document: dict[str, Any], version: int = 0) -> Program:
    """The stored programme document (already validated on PUT) as a Program: every rule typed, read once."""
    tiers = tuple(
        sorted(
            (Tier(t["name"], Decimal(str(t["threshold"])), Decimal(t["earn_multiplier"])) for t in document["tiers"]),
            key=lambda tier: tier.threshold,
        )
    )
    known = {"currency", "point_value", "expiry_months", "tier_metric", "tiers"}
    bonuses = document.get("bonuses") or {}
    return Program(
        currency=document["currency"],
        point_value=Decimal(document["point_value"]),
        expiry_months=int(document["expiry_months"]),
        tier_metric=document["tier_metric"],
        tiers=tiers,
        first_purchase=_first_purchase(bonuses.get("first_purchase")),
        referral=_referral(bonuses.get("referral")),
        birthday=_birthday(bonuses),
        activities={name: _activity(name, rule) for name, rule in (document.get("activities") or {}).items()},
        limits=_limits(document.get("limits") or {}),
        vouchers=_vouchers(document.get("vouchers")),
        partner_campaigns=_partner_campaigns(document.get("partner_campaigns")),
        published_sections={k: v for k, v in document.items() if k not in known},
        version=version,
    )


def _first_purchase(rule: dict[str, Any] | None) -> FirstPurchaseRule | None:
    if not rule:
        return None
    return FirstPurchaseRule(int(rule["points"]), rule.get("funder", OPERATOR), Decimal(rule.get("min_amount", "0")))


def _referral(rule: dict[str, Any] | None) -> ReferralRule | None:
    if not rule:
        return None
    return ReferralRule(int(rule["referrer_points"]), int(rule["referee_points"]), rule.get("funder", OPERATOR))


def _birthday(bonuses: dict[str, Any]) -> BirthdayRule | None:
    multiplier = bonuses.get("birthday_month_multiplier")
    return None if not multiplier else BirthdayRule(Decimal(multiplier), bonuses.get("birthday_funder", OPERATOR))


def _activity(name: str, rule: dict[str, Any]) -> ActivityRule:
    return ActivityRule(name, int(rule["points"]), rule.get("max_per_day"), rule.get("max_total"), rule.get("funder"))


def _vouchers(rules: dict[str, Any] | None) -> VoucherRules | None:
    if not rules:
        return None
    usable_at = rules.get("usable_at", "all")
    auto = rules.get("auto_convert")
    return VoucherRules(
        denominations=tuple(
            VoucherDenomination(int(d["points"]), Decimal(d["value"]), d.get("bonus_funder"))
            for d in rules["denominations"]
        ),
        validity_months=int(rules["validity_months"]),
        usable_at=None if usable_at == "all" else frozenset(usable_at),
        auto_convert=None if not auto else (int(auto["threshold"]), int(auto["denomination"])),
    )


def _partner_campaigns(rules: dict[str, Any] | None) -> PartnerCampaignRules | None:
    if rules is None:
        return None
    return PartnerCampaignRules(
        Decimal(rules.get("max_multiplier", "2")),
        int(rules.get("max_points", 500)),
        int(rules.get("max_running", 5)),
        int(rules.get("max_measured", 1)),
    )


def _limits(given: dict[str, Any]) -> EarningLimits:
    return EarningLimits(
        int(given.get("max_points_per_transaction", DEFAULT_LIMITS.max_points_per_transaction)),
        int(given.get("max_points_per_member_per_day", DEFAULT_LIMITS.max_points_per_member_per_day)),
    )


def program_document(program: Program) -> dict[str, Any]:
    """What GET /v1/program publishes of the rules (partners and campaigns are added by the service)."""
    return {
        "currency": program.currency,
        "point_value": format(program.point_value, "f"),
        "expiry_months": program.expiry_months,
        "expiry_policy": f"points expire {program.expiry_months} months after the end of the month they were earned in",
        "tier_metric": program.tier_metric,
        "tier_window_months": 12,
        "tiers": [
            {
                "name": t.name,
                "threshold": int(t.threshold)
                if t.threshold == t.threshold.to_integral_value()
                else format(t.threshold, "f"),
                "earn_multiplier": format(t.earn_multiplier, "f"),
            }
            for t in program.tiers
        ],
        **program.published_sections,
        "limits": vars(program.limits),
    }
