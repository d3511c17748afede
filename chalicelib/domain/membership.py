"""Paid membership: plans a member pays for, monthly or yearly, sold at any partner's till. The fee is the operator's
revenue: the selling partner collects it and pays it to the operator on the day's statement (the `membership_fee`
movement, domain/movements.py). The benefits are an earn multiplier the operator funds, and offers and challenges
that only members of given plans see (their `plans` filter).

The monthly voucher: a plan may give its members a voucher every month of their membership (the programme's voucher
denomination of `monthly_voucher` points), the first with the sale, then on the same day of each month after the
membership began while it is paid for. Its points are the operator's: issued to the member and converted at once
(a `grant` and a `voucher` entry, never through the member's lots), so the operator pays the partner where it is
spent, as for any voucher of its points.

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
from .program import OPERATOR, VoucherRules
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
    monthly_voucher: int | None = None  # the points of a programme voucher denomination given every month (None: none)

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan_id": self.plan_id,
            "name": self.name,
            "fee": format(self.fee, "f"),
            "period": self.period.value,
            "earn_multiplier": format(self.earn_multiplier, "f"),
            "on_sale": self.on_sale,
            "monthly_voucher": self.monthly_voucher,
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
            monthly_voucher=None if raw.get("monthly_voucher") is None else int(raw["monthly_voucher"]),
        )


def check_plan(plan: Plan, vouchers: VoucherRules | None) -> None:
    """A plan's own rules, once its amounts are parsed (the fee in the programme's currency): a multiplier within
    bounds; a monthly voucher of one of the programme's denominations."""
    if not Decimal(1) <= plan.earn_multiplier <= MAX_EARN_MULTIPLIER:
        raise InvalidRequest(f"earn_multiplier must be from 1 to {MAX_EARN_MULTIPLIER}", field="earn_multiplier")
    if plan.monthly_voucher is not None:
        denomination = None if vouchers is None else vouchers.denomination(plan.monthly_voucher)
        if denomination is None:
            known = "none" if vouchers is None else ", ".join(str(d.points) for d in vouchers.denominations)
            message = f"monthly_voucher must be the points of a voucher denomination of the programme (known: {known})"
            raise InvalidRequest(message, field="monthly_voucher")
        if denomination.bonus_funder not in (None, OPERATOR):
            message = (
                f"the {plan.monthly_voucher}-point voucher's bonus is funded by {denomination.bonus_funder}: a plan's "
                "voucher is the operator's (its fee pays for it)"
            )
            raise InvalidRequest(message, field="monthly_voucher")


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
    monthly_voucher: int | None = None  # as paid for: the voucher denomination's points given each month
    vouchers_given: int = 0  # months of the membership whose voucher was given (or passed: suspended, none then)

    def active(self, on: date) -> bool:
        return self.since <= on.isoformat() <= self.paid_through

    @property
    def next_voucher_on(self) -> str | None:
        """The day the next monthly voucher is given: the same day of a month as the membership began (the month's
        last day when it has no such day), while the membership is paid for (None: none to give)."""
        if not self.monthly_voucher:
            return None
        due = add_months(date.fromisoformat(self.since), self.vouchers_given).isoformat()
        return due if due <= self.paid_through else None

    @property
    def progress(self) -> str:
        """What the job has booked of this membership: it grows with every renewal and monthly voucher, so the job's
        operation id for what is due next is new each time (a day due may stay the same: a renewal's, with a voucher
        of that period still to give after a capped catch-up)."""
        return f"{self.since}#{self.renewals}.{self.vouchers_given}"

    @property
    def due_on(self) -> str:
        """When the job next has something to do: the next voucher, or the renewal."""
        return min(self.renews_on, self.next_voucher_on or self.renews_on)

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
            self.monthly_voucher,
            self.vouchers_given,
        ]

    @classmethod
    def from_list(cls, raw: list[Any]) -> Membership:
        plan_id, name, period, multiplier, fee, sold_by, since, paid_from, paid_through, auto_renew, renewals = raw[:11]
        voucher, given = (raw[11], raw[12]) if len(raw) > 11 else (None, 0)  # written before monthly vouchers: none
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
            None if voucher is None else int(voucher),
            int(given),
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
    "monthly_voucher",
    "vouchers_given",
)


def period_end(since: date, period: PlanPeriod, n: int) -> date:
    """The last day of the membership's period number `n` (0: the first): the day before the same day of the month
    (n + 1) periods after it began, or that month's last day when it has no such day."""
    return add_months(since, (n + 1) * period.months) - timedelta(days=1)


def sell(current: Membership | None, plan: Plan, seller: str, today: date, auto_renew: bool) -> Membership:
    """The membership a sale starts today. A member whose membership is still running is refused, whatever the plan:
    its renewal is the job's (on the terms of the plan then, collected by the till that sold it), and the member
    turns it on or off in the app; another plan can be sold once it ends (the fee paid is not refunded here)."""
    if not plan.on_sale:
        raise MembershipRefused(f"plan {plan.plan_id} is no longer on sale", field="plan_id")
    if current is not None and current.paid_through >= today.isoformat():
        renewal = f"renews on {current.renews_on}" if current.auto_renew else "renewal off: the member may turn it on"
        raise MembershipRefused(
            f"the member holds plan {current.plan_id} through {current.paid_through} ({renewal}): "
            "a new membership can be sold once it ends",
            field="member",
        )
    return Membership(
        plan.plan_id,
        plan.name,
        plan.period,
        plan.earn_multiplier,
        plan.fee,
        seller,
        today.isoformat(),
        today.isoformat(),
        period_end(today, plan.period, 0).isoformat(),
        auto_renew,
        monthly_voucher=plan.monthly_voucher,
    )


def renewed(current: Membership, plan: Plan) -> Membership:
    """The next period paid, on the plan's terms now, collected by the same till. Periods follow the day the
    membership began (31 January renews on 28 February, then on 31 March), so short months never make it drift.
    The new period's monthly vouchers begin with its first month: months before it gave theirs, or none (a voucher
    the plan added since, or months a job's catch-up left), and are never given back-dated."""
    months_before = (current.renewals + 1) * plan.period.months
    return replace(
        current,
        name=plan.name,
        earn_multiplier=plan.earn_multiplier,
        fee=plan.fee,
        paid_from=current.renews_on,
        paid_through=period_end(date.fromisoformat(current.since), plan.period, current.renewals + 1).isoformat(),
        renewals=current.renewals + 1,
        monthly_voucher=plan.monthly_voucher,
        vouchers_given=max(current.vouchers_given, months_before),
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
        "monthly_voucher": membership.monthly_voucher,
        # Within the days paid for; or, the period's vouchers all given, the next comes with the renewal.
        "next_voucher_on": membership.next_voucher_on
        or (membership.renews_on if membership.auto_renew and membership.monthly_voucher else None),
    }


def member_of(plans: tuple[str, ...], membership: Membership | None, on: date) -> bool:
    """A `plans` filter (an exclusive offer or challenge): empty takes in everyone; otherwise members of one of
    these plans, on that day."""
    return not plans or (membership is not None and membership.plan_id in plans and membership.active(on))
