"""A partner's sales KPIs over a period, from the sales its ledger entries carry (a purchase's `earn`, its returns).

Definitions (published in the report and the README):
- sales: the money of the purchases booked in the period minus what returns booked in the period gave back.
- purchases: purchases booked in the period (a purchase returned later still happened: it counts).
- customers: members with at least one purchase here in the period (non-member sales are not recorded).
- average basket: sales ÷ purchases.
- purchase frequency: purchases ÷ customers.
- mean days between purchases: over customers with ≥ 2 purchases, the mean of the gaps between each one's
  consecutive purchases (by the time they happened), all gaps weighted alike.
- loyalty rate: loyal customers ÷ customers × 100, a customer being loyal when they bought here at least twice in
  the period (LOYALTY_RATE_DEFINITION).
Money is Decimal throughout, rounded to cents only when shown; rates and means are rounded when shown too.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

LOYAL_PURCHASES = 2
LOYALTY_RATE_DEFINITION = (
    f"a customer is loyal when they bought here at least {LOYAL_PURCHASES} times in the period (purchases booked in "
    "the period, returned or not); loyalty_rate = loyal customers / customers x 100, customers being the members who "
    "bought here at least once in the period"
)
CENT = Decimal("0.01")
TENTH = Decimal("0.1")
SECONDS_A_DAY = Decimal(86400)


@dataclass(frozen=True)
class SaleLine:
    """One purchase (amount > 0, `purchase` True) or return (amount < 0) of a member at this partner."""

    member_id: str
    amount: Decimal
    purchase: bool
    channel: str | None
    store_id: str | None
    occurred_at: str | None  # the purchase's own time (ISO); None: booked before it was kept


@dataclass
class Slice:
    """Sales, purchases and members of one store or channel."""

    sales: Decimal = Decimal(0)
    purchases: int = 0
    members: set[str] = field(default_factory=set)

    def add(self, line: SaleLine) -> None:
        self.sales += line.amount
        if line.purchase:
            self.purchases += 1
            self.members.add(line.member_id)


@dataclass(frozen=True)
class SalesFigures:
    sales: Decimal
    returns: Decimal  # what returns gave back (≥ 0)
    purchases: int
    customers: int
    loyal_customers: int
    mean_days_between_purchases: Decimal | None  # None: no customer bought twice
    by_store: dict[str | None, Slice]
    by_channel: dict[str | None, Slice]

    @property
    def average_basket(self) -> Decimal | None:
        return None if self.purchases == 0 else self.sales / self.purchases

    @property
    def purchase_frequency(self) -> Decimal | None:
        return None if self.customers == 0 else Decimal(self.purchases) / self.customers

    @property
    def loyalty_rate(self) -> Decimal:
        return Decimal(0) if self.customers == 0 else Decimal(100 * self.loyal_customers) / self.customers


def sales_figures(lines: list[SaleLine]) -> SalesFigures:
    by_store: dict[str | None, Slice] = defaultdict(Slice)
    by_channel: dict[str | None, Slice] = defaultdict(Slice)
    bought: dict[str, list[str | None]] = defaultdict(list)  # member -> the times of their purchases
    sales = returns = Decimal(0)
    for line in lines:
        sales += line.amount
        by_store[line.store_id].add(line)
        by_channel[line.channel].add(line)
        if line.purchase:
            bought[line.member_id].append(line.occurred_at)
        else:
            returns -= line.amount
    return SalesFigures(
        sales=sales,
        returns=returns,
        purchases=sum(len(times) for times in bought.values()),
        customers=len(bought),
        loyal_customers=sum(1 for times in bought.values() if len(times) >= LOYAL_PURCHASES),
        mean_days_between_purchases=_mean_gap_days(list(bought.values())),
        by_store=dict(by_store),
        by_channel=dict(by_channel),
    )


def _mean_gap_days(purchase_times: list[list[str | None]]) -> Decimal | None:
    gaps: list[Decimal] = []
    for times in purchase_times:
        known = sorted(datetime.fromisoformat(t) for t in times if t is not None)
        gaps += [Decimal((later - earlier).total_seconds()) for earlier, later in zip(known, known[1:], strict=False)]
    return None if not gaps else sum(gaps, Decimal(0)) / len(gaps) / SECONDS_A_DAY


def money(amount: Decimal | None) -> str | None:
    return None if amount is None else format(amount.quantize(CENT, rounding=ROUND_HALF_EVEN), "f")


def ratio(value: Decimal | None, step: Decimal = CENT) -> str | None:
    return None if value is None else format(value.quantize(step, rounding=ROUND_HALF_EVEN), "f")


def change(current: Decimal | None, previous: Decimal | None, step: Decimal = CENT) -> str | None:
    """current − previous, shown like the figures (None when either is unknown)."""
    return None if current is None or previous is None else ratio(current - previous, step)


def percent_change(current: Decimal, previous: Decimal) -> str | None:
    """The change relative to the previous figure, in % (None: nothing to compare with)."""
    return None if previous == 0 else ratio((current - previous) * 100 / abs(previous), TENTH)
