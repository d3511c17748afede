"""A campaign's measured effect: its treated members against its control group (issue 12).

A campaign with a control share holds out that share of the members it targets, chosen by a hash of member and
campaign (the same member is always on the same side of the same campaign). A held-out member's qualifying
purchase earns nothing from the campaign, and is recorded as "would have qualified".

The unit is the customer: a targeted member with at least one qualifying purchase in the campaign. Each purchase
records on its entry (`measured`) the member's running figures in the campaign before it: spend T and purchases n.
The settlement close adds, per day, campaign and group, what each purchase adds to

    customers (n = 0 before it), purchases, spend, Σ T², Σ n², Σ T·n, points awarded

so that the sums over days are the per-customer totals' sums of squares (a sum of increments (T+a)² − T²
telescopes to the member's final T²), and a report over any range of days reads one item per day, never entries.
From them: the mean and the variance of spend and purchases per customer, their covariance (the average basket's
interval, by the delta method), and the difference treated − control with a normal 95 % interval.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from typing import Any

TREATED = "treated"
CONTROL = "control"
Z95 = Decimal("1.959964")


def in_control(member_id: str, campaign_id: str, share: Decimal) -> bool:
    """The member is held out of the campaign: a uniform draw in [0, 1) from a hash of both ids, below `share`.
    Deterministic (every container, every retry decides the same) and independent across campaigns."""
    if share <= 0:
        return False
    digest = hashlib.sha256(f"{campaign_id}\x00{member_id}".encode()).digest()
    return Decimal(int.from_bytes(digest[:8], "big")) / Decimal(2**64) < share


@dataclass(frozen=True)
class Measured:
    """One purchase (or return) in one measured campaign, as its entry records it."""

    campaign_id: str
    group: str  # treated | control
    spend_before: Decimal  # the member's spend in this campaign before this purchase
    purchases_before: int
    amount: Decimal  # the purchase's amount (a return: negative)
    points: int = 0  # what the campaign awarded (control: 0)
    purchases: int = 1  # the purchases it adds (a return: 0)


def measured_to_raw(measured: list[Measured]) -> dict[str, Any] | None:
    """An entry's measured campaigns as stored: the amount and purchases once (one purchase or return is measured in
    every campaign with the same figures), then per campaign its id, group initial, the member's spend and purchases
    before, and the points it awarded. Ten measured campaigns stay a few hundred bytes of the entry."""
    if not measured:
        return None
    amount, purchases = measured[0].amount, measured[0].purchases
    assert all(m.amount == amount and m.purchases == purchases for m in measured), "one sale per entry"
    rows = [[m.campaign_id, m.group[0], format(m.spend_before, "f"), m.purchases_before, m.points] for m in measured]
    return {"amount": format(amount, "f"), "purchases": purchases, "in": rows}


def measured_from_raw(raw: dict[str, Any] | None) -> list[Measured]:
    if not raw:
        return []
    amount, purchases = Decimal(raw["amount"]), int(raw["purchases"])
    groups = {TREATED[0]: TREATED, CONTROL[0]: CONTROL}
    return [
        Measured(campaign, groups[initial], Decimal(spend), int(before), amount, int(points), purchases)
        for campaign, initial, spend, before, points in raw["in"]
    ]


@dataclass
class GroupFigures:
    """Sums over one group's customers (any range of days: they add up)."""

    customers: int = 0
    purchases: int = 0
    spend: Decimal = Decimal(0)
    spend_sq: Decimal = Decimal(0)  # Σ over customers of (their spend)²
    purchases_sq: int = 0  # Σ (their purchases)²
    spend_purchases: Decimal = Decimal(0)  # Σ their spend × their purchases
    points: int = 0

    def add(self, m: Measured) -> None:
        t, n = m.spend_before, m.purchases_before
        t2, n2 = t + m.amount, n + m.purchases
        self.customers += 1 if n == 0 and m.purchases else 0
        self.purchases += m.purchases
        self.spend += m.amount
        self.spend_sq += t2 * t2 - t * t
        self.purchases_sq += n2 * n2 - n * n
        self.spend_purchases += t2 * n2 - t * n
        self.points += m.points

    def merge(self, other: GroupFigures) -> None:
        self.customers += other.customers
        self.purchases += other.purchases
        self.spend += other.spend
        self.spend_sq += other.spend_sq
        self.purchases_sq += other.purchases_sq
        self.spend_purchases += other.spend_purchases
        self.points += other.points

    def to_list(self) -> list[Any]:
        return [
            self.customers,
            self.purchases,
            format(self.spend, "f"),
            format(self.spend_sq, "f"),
            self.purchases_sq,
            format(self.spend_purchases, "f"),
            self.points,
        ]

    @classmethod
    def from_list(cls, raw: list[Any]) -> GroupFigures:
        customers, purchases, spend, spend_sq, purchases_sq, spend_purchases, points = raw
        return cls(
            int(customers),
            int(purchases),
            Decimal(spend),
            Decimal(spend_sq),
            int(purchases_sq),
            Decimal(spend_purchases),
            int(points),
        )


@dataclass
class EffectTally:
    """campaign -> group -> figures, for a set of entries (a shard of a day, a day): mergeable."""

    campaigns: dict[str, dict[str, GroupFigures]] = field(default_factory=dict)

    def add(self, measured: list[Measured]) -> None:
        for m in measured:
            self.campaigns.setdefault(m.campaign_id, {}).setdefault(m.group, GroupFigures()).add(m)

    def merge(self, other: EffectTally) -> None:
        for campaign, groups in other.campaigns.items():
            mine = self.campaigns.setdefault(campaign, {})
            for group, figures in groups.items():
                mine.setdefault(group, GroupFigures()).merge(figures)

    def __bool__(self) -> bool:
        return bool(self.campaigns)

    def to_dict(self) -> dict[str, Any]:
        return {c: {g: f.to_list() for g, f in groups.items()} for c, groups in self.campaigns.items()}

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> EffectTally:
        return cls({c: {g: GroupFigures.from_list(f) for g, f in groups.items()} for c, groups in (raw or {}).items()})


# ---- estimates --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Estimate:
    """A mean (or a ratio) and its standard error; None where the group is too small to say."""

    value: Decimal | None
    error: Decimal | None


@dataclass(frozen=True)
class GroupEstimates:
    customers: int
    spend: Estimate  # per customer
    purchases: Estimate  # per customer
    basket: Estimate  # spend per purchase


def estimates(f: GroupFigures) -> GroupEstimates:
    n = f.customers
    if n == 0 or f.purchases == 0:
        none = Estimate(None, None)
        return GroupEstimates(n, none, none, none)
    with localcontext() as ctx:
        ctx.prec = 34
        count = Decimal(n)
        mean_s, mean_p = f.spend / count, Decimal(f.purchases) / count
        if n < 2:
            return GroupEstimates(n, Estimate(mean_s, None), Estimate(mean_p, None), Estimate(mean_s / mean_p, None))
        var_s = max(Decimal(0), (f.spend_sq - count * mean_s * mean_s) / (count - 1))
        var_p = max(Decimal(0), (Decimal(f.purchases_sq) - count * mean_p * mean_p) / (count - 1))
        cov = (f.spend_purchases - count * mean_s * mean_p) / (count - 1)
        basket = mean_s / mean_p
        var_b = max(Decimal(0), (var_s - 2 * basket * cov + basket * basket * var_p) / (count * mean_p * mean_p))
        return GroupEstimates(
            n,
            Estimate(mean_s, (var_s / count).sqrt()),
            Estimate(mean_p, (var_p / count).sqrt()),
            Estimate(basket, var_b.sqrt()),
        )


@dataclass(frozen=True)
class Difference:
    """treated − control, its 95 % interval, and the relative uplift (treated / control − 1) with its interval."""

    difference: Decimal
    low: Decimal
    high: Decimal
    uplift: Decimal | None
    uplift_low: Decimal | None
    uplift_high: Decimal | None


def difference(treated: Estimate, control: Estimate) -> Difference | None:
    if None in (treated.value, control.value, treated.error, control.error):
        return None
    assert treated.value is not None and control.value is not None  # for the type checker: checked above
    assert treated.error is not None and control.error is not None
    with localcontext() as ctx:
        ctx.prec = 34
        diff = treated.value - control.value
        error = (treated.error**2 + control.error**2).sqrt()
        if control.value == 0:
            return Difference(diff, diff - Z95 * error, diff + Z95 * error, None, None, None)
        ratio = treated.value / control.value
        # the delta method for a ratio of independent means (also where the treated mean is 0)
        ratio_error = ((treated.error / control.value) ** 2 + (ratio * control.error / control.value) ** 2).sqrt()
        return Difference(
            diff,
            diff - Z95 * error,
            diff + Z95 * error,
            ratio - 1,
            ratio - 1 - Z95 * ratio_error,
            ratio - 1 + Z95 * ratio_error,
        )


# ---- at booking -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Running:
    """A member's figures in one measured campaign so far, kept in their wallet until `kept_until` (the last day a
    late purchase or a return can still count in the campaign): then dropped, so the wallet keeps only what runs."""

    spend: Decimal
    purchases: int
    kept_until: str


def measure_purchase(
    measures: dict[str, Running],
    groups: list[tuple[str, str]],
    amount: Decimal,
    points: dict[str, int],
    kept_until: dict[str, str],
) -> list[Measured]:
    """A purchase in the measured campaigns `groups` ((campaign, group) pairs): what its entry records, and the
    member's running figures (`measures`, kept in the wallet) moved on. `points`: what each campaign awarded."""
    measured = []
    for campaign_id, group in groups:
        before = measures.get(campaign_id) or Running(Decimal(0), 0, kept_until[campaign_id])
        measured.append(
            Measured(campaign_id, group, before.spend, before.purchases, amount, points.get(campaign_id, 0))
        )
        measures[campaign_id] = Running(before.spend + amount, before.purchases + 1, kept_until[campaign_id])
    return measured


def measure_return(
    measures: dict[str, Running], groups: list[tuple[str, str]], amount: Decimal, points: dict[str, int]
) -> list[Measured]:
    """A return of `amount` of a purchase measured in `groups`: the member's spend in each campaign goes down by it
    (their purchases stay counted: a purchase returned is still a visit), and the points the return took back of each
    campaign (`points`, negative) come off its cost. A campaign whose figures the wallet no longer keeps (past its
    `kept_until`) is not changed: its days are reported as they were."""
    measured = []
    for campaign_id, group in groups:
        before = measures.get(campaign_id)
        if before is None:
            continue
        measured.append(
            Measured(campaign_id, group, before.spend, before.purchases, -amount, points.get(campaign_id, 0), 0)
        )
        measures[campaign_id] = Running(before.spend - amount, before.purchases, before.kept_until)
    return measured


def forget_ended(measures: dict[str, Running], today: str, current: dict[str, str]) -> None:
    """Drop the figures of campaigns past their `kept_until`, or past the date their campaign now says (`current`:
    campaign -> kept until, as the campaign stands now: extended, it keeps them longer). Only by date: a campaign this
    container's cache does not list (created a moment ago elsewhere) keeps its members' figures."""
    for campaign_id, running in list(measures.items()):
        if max(running.kept_until, current.get(campaign_id, "")) < today:
            del measures[campaign_id]


# ---- members against non-members ----------------------------------------------------------------------------
MILLI = Decimal("0.001")  # sums are kept in thousandths, as integers: exact for every currency's decimals


@dataclass
class SaleSums:
    """Purchases at a partner (gross: returns are not taken off, as a sale without a member has none): their count,
    and the sum and sum of squares of their amounts, in thousandths. Members' come from the settlement close (each
    purchase's sale on its earn entry), non-members' from the sale's own booking (a sharded counter)."""

    count: int = 0
    amount: int = 0
    amount_sq: int = 0

    def add(self, amount: Decimal) -> None:
        units = int(amount / MILLI)
        self.count += 1
        self.amount += units
        self.amount_sq += units * units

    def merge(self, other: SaleSums) -> None:
        self.count += other.count
        self.amount += other.amount
        self.amount_sq += other.amount_sq

    def to_list(self) -> list[int]:
        return [self.count, self.amount, self.amount_sq]

    @classmethod
    def from_list(cls, raw: list[Any]) -> SaleSums:
        return cls(int(raw[0]), int(raw[1]), int(raw[2]))

    def basket(self) -> Estimate:
        """The average purchase and its standard error (None below two purchases)."""
        if self.count == 0:
            return Estimate(None, None)
        with localcontext() as ctx:
            ctx.prec = 34
            n = Decimal(self.count)
            mean = Decimal(self.amount) / n
            if self.count < 2:
                return Estimate(mean * MILLI, None)
            var = max(Decimal(0), (Decimal(self.amount_sq) - n * mean * mean) / (n - 1))
            return Estimate(mean * MILLI, (var / n).sqrt() * MILLI)
