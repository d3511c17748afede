"""Paid membership: plans a member pays for, monthly or yearly, sold at any partner's till. The fee is the operator's
revenue: the selling partner collects it and pays it to the operator on the day's statement (the `membership_fee`
movement, domain/movements.py). The benefits are an earn multiplier the operator funds, and offers and challenges
that only members of given plans see (their `plans` filter).

A membership is kept in the member's wallet head: what is decided on a purchase (the multiplier, the exclusive
filters) is read from the wallet the purchase reads anyway, with no extra call. It records the terms paid for: a
plan changed later applies from the next payment on. The renewal job (jobs/memberships.py) reads the members whose
paid period ends, from a sparse due index, and renews (charging the seller's till again) or lets the membership
lapse.

Periods are whole calendar days (UTC): a membership bought on 31 January for a month is paid through 27 February
(the same day next month, or that month's last day, minus one). A member holds one plan at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from .errors import InvalidRequest, MembershipRefused
from .timefmt import add_months

# The earn multiplier of a plan: at least 1 (no extra points), at most this (the operator pays every point over 1).
MAX_EARN_MULTIPLIER = Decimal(5)
PREFIX = "membership:"  # a membership's breakdown lines and multiplier: membership:<plan id>
MAX_PLANS = 20  # plans defined, on sale or not: a plans filter and the plan cache stay small


class PlanPeriod(StrEnum):
    MONTH = "month"
    YEAR = "year"

    @property
    def months(self) -> int:
        return 1 if self is PlanPeriod.MONTH else 12


@dataclass(frozen=True)
class Plan:
    """A paid membership as the operator sells it. The fee is in the programme's currency, whole cents."""

    plan_id: str
    name: str
    fee: Decimal
    period: PlanPeriod
    earn_multiplier: Decimal = Decimal(1)  # on the base points of every purchase (the operator funds the extra)
    on_sale: bool = True  # False: no new sales; memberships already paid for renew as before

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan_id": self.plan_id,
            "name": self.name,
            "fee": format(self.fee, "f"),
            "period": self.period.value,
            "earn_multiplier": format(self.earn_multiplier, "f"),
            "on_sale": self.on_sale,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Plan:
        return cls(
            plan_id=str(raw["plan_id"]),
            name=str(raw["name"]),
            fee=Decimal(raw["fee"]),
            period=PlanPeriod(raw["period"]),
            earn_multiplier=Decimal(raw.get("earn_multiplier") or 1),
            on_sale=bool(raw.get("on_sale", True)),
        )


def check_plan(plan: Plan) -> None:
    """A plan's own rules, once its amounts are parsed (the fee in the programme's currency): a multiplier within
    bounds."""
    if not Decimal(1) <= plan.earn_multiplier <= MAX_EARN_MULTIPLIER:
        raise InvalidRequest(f"earn_multiplier must be from 1 to {MAX_EARN_MULTIPLIER}", field="earn_multiplier")


def check_change(before: Plan, after: Plan) -> None:
    """A plan's period is what its members paid for: it never changes (a new plan is another id)."""
    if before.period is not after.period:
        message = f"plan {before.plan_id} is sold by the {before.period}: its period cannot change"
        raise InvalidRequest(message, field="period")


@dataclass(frozen=True)
class Membership:
    """A member's paid membership: the plan and the terms of the last payment, and the days it covers."""

    plan_id: str
    name: str
    period: PlanPeriod
    earn_multiplier: Decimal  # as paid for (a later change of the plan applies from the next payment)
    fee: Decimal  # the last payment
    sold_by: str  # the partner whose till sold it: it collects the renewals too
    since: str  # the first day of the membership (renewals keep it)
    paid_from: str  # the first day of the period last paid for
    paid_through: str  # the last day paid for (inclusive)
    auto_renew: bool = True
    renewals: int = 0  # payments after the first: each renewal's operation id is unique with it

    def active(self, on: date) -> bool:
        return self.since <= on.isoformat() <= self.paid_through

    @property
    def renews_on(self) -> str:
        """The day after the last day paid for: when the renewal job charges the next period (or lets it lapse)."""
        return (date.fromisoformat(self.paid_through) + timedelta(days=1)).isoformat()

    def to_dict(self) -> dict[str, Any]:
        """As held (the member's export)."""
        return dict(zip(_MEMBERSHIP_FIELDS, self.to_list(), strict=True))

    def to_list(self) -> list[Any]:
        return [
            self.plan_id,
            self.name,
            self.period.value,
            format(self.earn_multiplier, "f"),
            format(self.fee, "f"),
            self.sold_by,
            self.since,
            self.paid_from,
            self.paid_through,
            self.auto_renew,
            self.renewals,
        ]

    @classmethod
    def from_list(cls, raw: list[Any]) -> Membership:
        plan_id, name, period, multiplier, fee, sold_by, since, paid_from, paid_through, auto_renew, renewals = raw
        return cls(
            str(plan_id),
            str(name),
            PlanPeriod(period),
            Decimal(multiplier),
            Decimal(fee),
            str(sold_by),
            str(since),
            str(paid_from),
            str(paid_through),
            bool(auto_renew),
            int(renewals),
        )


_MEMBERSHIP_FIELDS = (
    "plan_id",
    "name",
    "period",
    "earn_multiplier",
    "fee",
    "sold_by",
    "since",
    "paid_from",
    "paid_through",
    "auto_renew",
    "renewals",
)


def paid_through(first_day: date, period: PlanPeriod) -> date:
    """The last day of a period starting on `first_day`."""
    return add_months(first_day, period.months) - timedelta(days=1)


def sell(current: Membership | None, plan: Plan, seller: str, today: date, auto_renew: bool) -> Membership:
    """The membership after a sale today. A member without one (or whose membership ended) starts today; a member of
    the same plan pays the next period ahead, from the day after the one paid through (at most one period ahead, so
    a till's mistake cannot sell years at once); a member of another plan is refused (they change plans when theirs
    ends: the fee paid for it is not refunded here)."""
    if not plan.on_sale:
        raise MembershipRefused(f"plan {plan.plan_id} is no longer on sale", field="plan_id")
    if current is None or current.paid_through < today.isoformat():
        return Membership(
            plan.plan_id,
            plan.name,
            plan.period,
            plan.earn_multiplier,
            plan.fee,
            seller,
            today.isoformat(),
            today.isoformat(),
            paid_through(today, plan.period).isoformat(),
            auto_renew,
        )
    if current.plan_id != plan.plan_id:
        raise MembershipRefused(
            f"the member holds plan {current.plan_id} through {current.paid_through}: "
            "another plan can be sold once it ends",
            field="plan_id",
        )
    if current.paid_through >= paid_through(today, plan.period).isoformat():
        raise MembershipRefused(
            f"the member is paid through {current.paid_through}: the next period can be sold once less than a "
            f"{plan.period} is left",
            field="plan_id",
        )
    return paid_again(current, plan, seller, auto_renew=auto_renew)


def paid_again(current: Membership, plan: Plan, seller: str, *, auto_renew: bool) -> Membership:
    """The next period paid, on the plan's terms now, collected by `seller` (who then collects the renewals)."""
    start = date.fromisoformat(current.renews_on)
    return replace(
        current,
        name=plan.name,
        earn_multiplier=plan.earn_multiplier,
        fee=plan.fee,
        sold_by=seller,
        paid_from=start.isoformat(),
        paid_through=paid_through(start, plan.period).isoformat(),
        auto_renew=auto_renew,
        renewals=current.renewals + 1,
    )


def sale_detail(membership: Membership, currency: str, *, renewal: bool) -> str:
    """The fee entry's explanation to the member."""
    what = "renewed" if renewal else "paid"
    return (
        f"{membership.name} membership {what} at {membership.sold_by}: {format(membership.fee, 'f')} {currency} "
        f"for {membership.paid_from} to {membership.paid_through}"
    )


def membership_view(membership: Membership | None, currency: str, today: date) -> dict[str, Any] | None:
    """What the member (and the till that sold it) sees: the plan, the days paid for, and what happens next."""
    if membership is None:
        return None
    return {
        "plan_id": membership.plan_id,
        "name": membership.name,
        "period": membership.period.value,
        "earn_multiplier": format(membership.earn_multiplier, "f"),
        "fee": format(membership.fee, "f"),
        "currency": currency,
        "sold_by": membership.sold_by,
        "since": membership.since,
        "paid_from": membership.paid_from,
        "paid_through": membership.paid_through,
        "active": membership.active(today),
        "auto_renew": membership.auto_renew,
        "renews_on": membership.renews_on if membership.auto_renew else None,
        "ends_on": None if membership.auto_renew else membership.paid_through,
    }


def member_of(plans: tuple[str, ...], membership: Membership | None, on: date) -> bool:
    """A `plans` filter (an exclusive offer or challenge): empty takes in everyone; otherwise members of one of
    these plans, on that day."""
    return not plans or (membership is not None and membership.plan_id in plans and membership.active(on))
