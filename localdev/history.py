"""Sixty-odd days of a coalition's life, booked through the same use cases the API calls, with a clock that moves.

Every booking happens at its own moment of the past (a Container whose clock the history moves), so each entry lands
in its own settlement day and every day up to yesterday can be closed as the schedule would have closed it.

What a day holds (random.Random(seed): the same history on every run):
- purchases at the four brands by a crowd of members, in store (with a store id) or online, some with item lines
  (fuel at FuelCo's half rate, alcohol at FreshMart's zero rate); a few big spenders cross the silver and gold
  thresholds, and the upgrade is booked at once as the programme says;
- returns of earlier purchases (part or whole), redemptions at a brand other than where the points were earned,
  now and then a voucher converted and spent at FreshMart, and claims of Cinemax's popcorn menu, fulfilled;
- the daily jobs on the days they have work: expiry the day after a month ends (validity ends at a month end), and
  the tier review (reviews fall 12 months after a tier was reached: run on the last day, it finds none yet);
- paid memberships: FreshMart's tills sell the Plus plan to a few of the crowd on the first day (one of them turns
  renewal off) and to one more mid-month; the renewal job runs every morning, renewing or letting them lapse;
- the previous day closed, once its grace has passed.

Expiry, honestly: the programme's points are valid 24 months, longer than the history. The coalition's first
(partial) month is its pilot, run under a pilot programme whose points were valid one month; the full programme
replaces it on the 1st of the next month. A lot keeps the expiry it was earned with, so the pilot's points left
unspent expire at the end of the following month, and the expiry job of the next day books them as breakage of
their issuers: the only way points expire here is the way they would in production.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

from chalicelib.jobs import dispatch
from chalicelib.services import burning, earning, memberships, returns, rewards, settlement, vouchers
from chalicelib.services.auth import partner_profile
from chalicelib.services.requests import (
    MembershipChoice,
    MembershipSaleRequest,
    PurchaseRequest,
    RedemptionRequest,
    ReturnRequest,
    RewardClaimRequest,
    VoucherRequest,
    VoucherSpendRequest,
)
from chalicelib.services.runtime import Runtime

HISTORY_DAYS = 62  # ≥ 62: the pilot month's points expire at the end of the next month, inside the history

# brand -> (share of the purchases, typical basket in EUR, share online)
BRANDS: dict[str, tuple[float, tuple[int, int], float]] = {
    "freshmart": (0.42, (15, 120), 0.2),
    "fuelco": (0.28, (30, 85), 0.0),
    "cinemax": (0.14, (12, 45), 0.5),
    "pageturner": (0.16, (10, 70), 0.6),
}
STORES = {"freshmart": ["fm-paris-01", "fm-lyon-02", "fm-lille-03"], "fuelco": ["fc-a6-12", "fc-a7-03"]}
STORES.update({"cinemax": ["cx-odeon"], "pageturner": ["pt-paris"]})


class MovingClock:
    """The time the history's use cases see: a day's hours go by as its operations are booked; then real time."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self.real = False

    def __call__(self) -> datetime:
        return datetime.now(timezone.utc) if self.real else self.now

    def at(self, day: date, hour: int, minute: int = 0) -> None:
        self.now = datetime.combine(day, time(hour, minute), tzinfo=timezone.utc)

    def tick(self, minutes: int = 7) -> datetime:
        self.now += timedelta(minutes=minutes)
        return self.now


@dataclass
class Shopper:
    member_id: str
    card_number: str
    brand: str  # where they shop most: their redemptions go elsewhere
    spend: float  # basket multiplier: the big spenders reach silver or gold
    visits: float  # chance of a purchase on a given day
    crowd: bool = True  # False: the guide's demo members, who only shop (their balances stay as the guide says)
    available: int = 0
    claims: int = 0


@dataclass
class Figures:
    purchases: int = 0
    returns: int = 0
    redemptions: int = 0
    vouchers: int = 0
    voucher_spends: int = 0
    claims: int = 0
    expired_points: int = 0
    memberships_sold: int = 0  # at a till (renewals are the job's)
    days_closed: int = 0
    tier_changes: list[str] = field(default_factory=list)


@dataclass
class History:
    rt: Runtime
    clock: MovingClock
    shoppers: list[Shopper]
    reward_id: str
    first_day: date
    full_programme_from: date  # the pilot's end: the 1st of the month after the first day
    set_full_programme: Callable[[], None]
    rng: random.Random = field(default_factory=lambda: random.Random(2026))
    figures: Figures = field(default_factory=Figures)
    purchases: list[tuple[str, str, Decimal, str]] = field(default_factory=list)  # partner, tx id, amount, member
    open_vouchers: list[str] = field(default_factory=list)
    tiers: dict[str, str] = field(default_factory=dict)
    _ids: int = 0

    def next_id(self, prefix: str) -> str:
        self._ids += 1
        return f"{prefix}-{self._ids:05d}"

    # ---- one day ------------------------------------------------------------------------------------------
    def live_day(self, day: date) -> None:
        self.clock.at(day, 0, 40)
        if day == self.full_programme_from:
            self.set_full_programme()
        if day.day == 1:  # validity ends at a month end: the only day in a month the expiry job finds work
            self.run_job("expiry", day)
        self.close_previous(day)
        self.run_job("membership-renewal", day)
        self.clock.at(day, 8)
        self.sell_memberships(day)
        for shopper in self.shoppers:
            # The guide's members shop on the first day: they never spend in the history, so their pilot points
            # are still there when the pilot's validity ends.
            if self.rng.random() < shopper.visits or (day == self.first_day and not shopper.crowd):
                self.purchase(shopper)
        for _ in range(self.rng.randint(0, 2)):
            self.give_back_a_purchase()
        crowd = [shopper for shopper in self.shoppers if shopper.crowd]
        for shopper in self.rng.sample(crowd, k=4):
            self.redeem(shopper)
        if self.rng.random() < 0.25:
            self.voucher(self.rng.choice(crowd))
        if self.open_vouchers and self.rng.random() < 0.4:
            self.spend_voucher(self.open_vouchers.pop(0))
        if self.rng.random() < 0.2:
            self.claim(self.rng.choice(crowd))

    def close_previous_if_due(self, today: date) -> None:
        """At the real time: yesterday closes only once its grace has passed (from 00:15 UTC by default)."""
        yesterday = today - timedelta(days=1)
        if self.rt.now() >= settlement.day_closes_at(self.rt, yesterday.isoformat()):
            settlement.close_day(self.rt, yesterday.isoformat())
            self.figures.days_closed += 1

    def close_previous(self, day: date) -> None:
        """Yesterday closes after midnight plus the grace, as the hourly schedule closes it."""
        grace = timedelta(minutes=self.rt.settings.settlement_grace_minutes)
        self.clock.now = max(self.clock.now, datetime.combine(day, time(0), tzinfo=timezone.utc) + grace)
        previous = (day - timedelta(days=1)).isoformat()
        if previous >= (self.rt.store.settlements.cursor(settlement.EPOCH) or previous):
            settlement.close_day(self.rt, previous)
            self.figures.days_closed += 1

    def run_job(self, job: str, day: date) -> None:
        done = dispatch.fan_out(self.rt, job, day.isoformat())
        if job == "expiry":
            self.figures.expired_points += 0 if done.get("processed") is None else int(done["processed"])

    # ---- what members and partners do ---------------------------------------------------------------------
    def sell_memberships(self, day: date) -> None:
        """The crowd's first four join Plus on the first day (the fourth turns renewal off at once: it lapses after a
        month); the fifth joins on the first 15th. The guide's members never do: their balances stay as the guide
        says."""
        crowd = [shopper for shopper in self.shoppers if shopper.crowd]
        first_15th = day.day == 15 and day - self.first_day < timedelta(days=31)
        buyers = crowd[:4] if day == self.first_day else crowd[4:5] if first_15th else []
        for shopper in buyers:
            sale = {"sale_id": self.next_id("fm-plus"), "member": {"member_id": shopper.member_id}, "plan_id": "plus"}
            partner = partner_profile(self.rt, "freshmart")
            memberships.sell_membership(self.rt, partner, MembershipSaleRequest.model_validate(sale))
            self.figures.memberships_sold += 1
        if day == self.first_day and buyers:
            memberships.choose_renewal(self.rt, buyers[-1].member_id, MembershipChoice(auto_renew=False))

    def purchase(self, shopper: Shopper) -> None:
        brand = shopper.brand if self.rng.random() < 0.6 else self.pick_brand()
        _, (low, high), online = BRANDS[brand]
        amount = Decimal(self.rng.randint(low * 100, high * 100)) / 100 * Decimal(str(shopper.spend))
        amount = amount.quantize(Decimal("0.01"))
        channel = "online" if self.rng.random() < online else "store"
        body: dict[str, Any] = {
            "transaction_id": self.next_id(brand[:2]),
            "member": {"member_id": shopper.member_id},
            "amount": str(amount),
            "currency": "EUR",
            "occurred_at": (self.clock.tick() - timedelta(minutes=3)).isoformat(),
            "channel": channel,
        }
        if channel == "store":
            body["store_id"] = self.rng.choice(STORES[brand])
        items = self.items(brand, amount)
        if items:
            body["items"] = items
        reply = earning.earn_points(self.rt, partner_profile(self.rt, brand), PurchaseRequest.model_validate(body))
        earned = json.loads(reply.body)
        shopper.available = earned["available_points"]
        if self.tiers.get(shopper.member_id, "member") != earned["tier"]:
            self.figures.tier_changes.append(f"{shopper.card_number} {earned['tier']} on {self.clock.now:%Y-%m-%d}")
        self.tiers[shopper.member_id] = earned["tier"]
        self.purchases.append((brand, body["transaction_id"], amount, shopper.member_id))
        self.figures.purchases += 1

    def items(self, brand: str, amount: Decimal) -> list[dict[str, str]]:
        if brand == "fuelco":  # the tank at half rate, the shop at the full one
            fuel = (amount * Decimal("0.8")).quantize(Decimal("0.01"))
            return [{"sku": "diesel", "category": "fuel", "amount": str(fuel)}]
        if brand == "freshmart" and self.rng.random() < 0.3:  # wine earns nothing
            return [{"sku": "wine-bdx", "category": "alcohol", "amount": str(min(amount, Decimal("9.90")))}]
        return []

    def give_back_a_purchase(self) -> None:
        """A return of one of the last week's purchases: half of it, or all."""
        if len(self.purchases) < 10:
            return
        recent = self.rng.randrange(len(self.purchases) - 8, len(self.purchases))
        brand, transaction_id, amount, member_id = self.purchases.pop(recent)
        if not self.shopper(member_id).crowd:
            return
        part = amount if self.rng.random() < 0.4 else (amount / 2).quantize(Decimal("0.01"))
        request = ReturnRequest(return_id=f"ret-{transaction_id}", amount=str(part))
        self.clock.tick()
        reply = returns.return_purchase(self.rt, brand, transaction_id, request)
        self.shopper(member_id).available = json.loads(reply.body)["available_points"]
        self.figures.returns += 1

    def redeem(self, shopper: Shopper) -> None:
        """Points earned at one brand, spent at another."""
        if shopper.available < 150:
            return
        points = self.rng.choice([100, 150, 250, 400])
        points = min(points, shopper.available - shopper.available % 50)
        where = self.rng.choice([b for b in BRANDS if b != shopper.brand])
        request = RedemptionRequest.model_validate(
            {"redemption_id": self.next_id("rd"), "member": {"card_number": shopper.card_number}, "points": points}
        )
        self.clock.tick()
        shopper.available = json.loads(burning.redeem_points(self.rt, where, request).body)["available_points"]
        self.figures.redemptions += 1

    def voucher(self, shopper: Shopper) -> None:
        if shopper.available < 400:
            return
        self.clock.tick()
        request = VoucherRequest(request_id=self.next_id("vr"), denomination=200)
        converted = json.loads(vouchers.convert_points(self.rt, shopper.member_id, request).body)
        shopper.available = converted["available_points"]
        self.open_vouchers.append(converted["code"])
        self.figures.vouchers += 1

    def spend_voucher(self, code: str) -> None:
        self.clock.tick()
        vouchers.spend_voucher(self.rt, "freshmart", code, VoucherSpendRequest(redemption_id=self.next_id("vs")))
        self.figures.voucher_spends += 1

    def claim(self, shopper: Shopper) -> None:
        if shopper.available < 300 or shopper.claims >= 2:  # the reward's per-member limit
            return
        self.clock.tick()
        request = RewardClaimRequest(claim_id=self.next_id("cl"))
        claimed = json.loads(rewards.claim_reward(self.rt, shopper.member_id, self.reward_id, request).body)
        shopper.available = claimed["available_points"]
        shopper.claims += 1
        rewards.fulfil_claim(self.rt, "cinemax", claimed["code"])
        self.figures.claims += 1

    def pick_brand(self) -> str:
        return self.rng.choices(list(BRANDS), weights=[share for share, _, _ in BRANDS.values()])[0]

    def shopper(self, member_id: str) -> Shopper:
        return next(s for s in self.shoppers if s.member_id == member_id)
