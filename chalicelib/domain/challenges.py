"""Challenges (issue 12): a goal a member reaches with their purchases within a period, rewarded once per period.

    purchases   "5 purchases this month": purchases that count (at least `min_amount`, at the challenge's partners)
    spend       "spend 300.00 this quarter": the money of those purchases, net of returns
    partners    "buy at 3 different partners this month": partners with a purchase that counts
    streak      "a purchase every week for 4 weeks": consecutive weeks (Monday to Sunday, UTC) with a purchase

A challenge repeats every `period` of its window (a calendar month, a calendar quarter, or the whole window once).
Its target is the same for everyone, or each member's own: set by the operator (a sales agent's objective), or
derived from the member's previous months (their average there × a factor, at least a minimum), fixed for the
period by the member's first purchase in it.

A member's progress in a period lives in their wallet head and moves in the purchase's own conditional write: no
extra call, and of any number of purchases racing to complete it, exactly one writes the completion and books the
reward (points of the challenge's funder). A return of a purchase that counted takes it out of the progress; if the
period is then no longer complete, the reward goes back (a debt where it was spent), and a later purchase may
complete it again. Progress is kept until its period ends (plus the late-posting grace), and a completed period for
RETURNS_COUNTED after its end: a return after that leaves the reward.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any

from .challenge_progress import BookedReward, ChallengeKind, Progress, SetTarget
from .money import MINOR_UNITS
from .segments import purchases_over, spend_over
from .timefmt import add_months, iso, most_at_once
from .wallet import Wallet

# A purchase counts in its period if posted within the campaigns' grace (services/earning.py's BONUS_POSTING_GRACE):
# an incomplete period is kept that long after its end, then forgotten.
POSTING_GRACE = timedelta(days=7)
# A completed period is kept this long after its end, so that a return of a purchase that counted can undo it.
RETURNS_COUNTED = timedelta(days=90)
# At most this many challenges run at any moment: a member's progress in each is in their wallet head.
MAX_RUNNING = 20
# The ids of a challenge's control group, figures and breakdown lines: never a campaign's id (refused there).
PREFIX = "challenge:"


class ChallengePeriod(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    WHOLE = "challenge"  # the challenge's whole window, once


@dataclass(frozen=True)
class DerivedTarget:
    """A target per member: their average per month over the `months` before the period, × `factor`, rounded up (to
    a whole purchase, or a cent), at least `minimum`."""

    months: int
    factor: Decimal
    minimum: Decimal

    def to_dict(self, shown: Callable[[Decimal], str | int]) -> dict[str, Any]:
        return {"months": self.months, "factor": format(self.factor, "f"), "minimum": shown(self.minimum)}


@dataclass(frozen=True)
class Challenge:
    challenge_id: str
    name: str
    kind: ChallengeKind
    period: ChallengePeriod
    starts_at: datetime
    ends_at: datetime
    reward_points: int
    funder: str
    target: Decimal | None = None  # the same for every member (None: each member's own)
    targets: str | None = None  # "set" by the operator per member, or "derived" from their previous months
    derived: DerivedTarget | None = None
    partners: tuple[str, ...] = ()  # empty: purchases anywhere count
    min_amount: Decimal = Decimal(0)  # a purchase counts from this amount (and a return below it uncounts it)
    tiers: tuple[str, ...] = ()
    segment: str | None = None
    plans: tuple[str, ...] = ()  # only members of these paid membership plans (domain/membership.py); empty: all
    control_share: Decimal = Decimal(0)
    opt_in: bool = False
    currency: str = "EUR"  # the programme's when defined: spend, minimum amounts and targets are in it

    @property
    def key(self) -> str:
        """Its id among measured campaigns, enrolments and breakdown rules."""
        return PREFIX + self.challenge_id

    @property
    def measured(self) -> bool:
        return self.control_share > 0

    @property
    def money(self) -> bool:
        return self.kind is ChallengeKind.SPEND

    @property
    def kept_until(self) -> str:
        """The last day its measured figures stay in wallets (as a measured campaign's)."""
        return (self.ends_at + RETURNS_COUNTED).date().isoformat()

    @property
    def last_day(self) -> date:
        return (self.ends_at - timedelta(microseconds=1)).date()

    @property
    def places(self) -> int:
        """The decimals of its money."""
        return MINOR_UNITS.get(self.currency, 2)

    def counts(self, at: datetime, partner_id: str, amount: Decimal, currency: str) -> bool:
        """Does a purchase of `amount` in `currency` at `partner_id` at `at` count in it (window, partners, minimum)?
        Where money is compared (a spend target, a minimum amount), only a purchase in the challenge's currency: a
        partner onboarded in another currency before the programme had one counts its visits, not its amounts."""
        money_compared = self.kind is ChallengeKind.SPEND or self.min_amount > 0
        return (
            self.starts_at <= at < self.ends_at
            and (not self.partners or partner_id in self.partners)
            and (currency == self.currency or not money_compared)
            and amount >= self.min_amount
        )

    def period_of(self, at: datetime) -> str:
        day = at.astimezone(timezone.utc).date()  # periods are UTC calendar months, as the window is
        if self.period is ChallengePeriod.MONTH:
            return f"{day.year:04d}-{day.month:02d}"
        if self.period is ChallengePeriod.QUARTER:
            return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
        return "all"

    def period_days(self, period: str) -> tuple[date, date]:
        """The first and last days of a period, within the challenge's window."""
        first, last = self.starts_at.date(), self.last_day
        if self.period is ChallengePeriod.WHOLE:
            return first, last
        year = int(period[:4])
        if self.period is ChallengePeriod.MONTH:
            start_month, months = int(period[5:7]), 1
        else:
            start_month, months = (int(period[6]) - 1) * 3 + 1, 3
        start = date(year, start_month, 1)
        after = add_months(start, months)
        return max(first, start), min(last, after - timedelta(days=1))

    def target_for(self, wallet: Wallet, period: str) -> Decimal | None:
        """The member's target in `period` (None: they have none, so the challenge is not theirs)."""
        if self.target is not None:
            return self.target
        if self.targets == "set":
            found = wallet.challenge_targets.get(self.challenge_id)
            if found is None or found.kind != self.kind:
                return None  # none set, or set while it counted something else (changed before it started)
            return found.target
        assert self.derived is not None
        return derived_target(self, wallet, self.period_days(period)[0])

    def to_dict(self) -> dict[str, Any]:
        return {
            "challenge_id": self.challenge_id,
            "name": self.name,
            "kind": self.kind.value,
            "period": self.period.value,
            "starts_at": iso(self.starts_at),
            "ends_at": iso(self.ends_at),
            "reward": {"points": self.reward_points, "funder": self.funder},
            **({"target": self.shown(self.target)} if self.target is not None else {}),
            **({"targets": self.targets} if self.targets else {}),
            **({"derived": self.derived.to_dict(self.shown)} if self.derived else {}),
            **({"partners": list(self.partners)} if self.partners else {}),
            **({"min_amount": format(self.min_amount, "f")} if self.min_amount else {}),
            **({"tiers": list(self.tiers)} if self.tiers else {}),
            **({"segment": self.segment} if self.segment else {}),
            **({"plans": list(self.plans)} if self.plans else {}),
            **({"control_share": format(self.control_share, "f")} if self.control_share else {}),
            **({"opt_in": True} if self.opt_in else {}),
            "currency": self.currency,
        }

    def shown(self, value: Decimal) -> str | int:
        """A target or a progress as the API shows it: money as text with the currency's decimals, else a number."""
        if self.money:
            return format(value.quantize(Decimal(1).scaleb(-self.places)), "f")
        return int(value)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Challenge:
        money = raw["kind"] == ChallengeKind.SPEND
        derived = raw.get("derived")
        return cls(
            challenge_id=raw["challenge_id"],
            name=raw["name"],
            kind=ChallengeKind(raw["kind"]),
            period=ChallengePeriod(raw["period"]),
            starts_at=datetime.fromisoformat(raw["starts_at"].replace("Z", "+00:00")),
            ends_at=datetime.fromisoformat(raw["ends_at"].replace("Z", "+00:00")),
            reward_points=int(raw["reward"]["points"]),
            funder=raw["reward"]["funder"],
            target=None if raw.get("target") is None else _read(raw["target"], money),
            targets=raw.get("targets"),
            derived=None
            if derived is None
            else DerivedTarget(int(derived["months"]), Decimal(derived["factor"]), _read(derived["minimum"], money)),
            partners=tuple(raw.get("partners") or ()),
            min_amount=Decimal(raw.get("min_amount") or 0),
            tiers=tuple(raw.get("tiers") or ()),
            segment=raw.get("segment"),
            plans=tuple(raw.get("plans") or ()),
            control_share=Decimal(raw.get("control_share") or 0),
            opt_in=bool(raw.get("opt_in")),
            currency=raw.get("currency", "EUR"),
        )


def derived_target(challenge: Challenge, wallet: Wallet, period_start: date) -> Decimal:
    """The member's average per month over the `months` full months before the period, × the factor, rounded up (to
    a whole purchase, or the currency's smallest unit), computed exactly: 35 purchases over 3 months × 0.6 is 7."""
    rule = challenge.derived
    assert rule is not None
    before = period_start.replace(day=1) - timedelta(days=1)  # the last day of the month before the period
    if challenge.kind is ChallengeKind.SPEND:
        total = Fraction(spend_over(wallet, before, rule.months))
        unit = Fraction(1, 10**challenge.places)
    else:
        total = Fraction(purchases_over(wallet, before, rule.months, challenge.partners))
        unit = Fraction(1)
    units = math.ceil(total / rule.months * Fraction(rule.factor) / unit)
    value = Decimal(units).scaleb(-challenge.places) if challenge.money else Decimal(units)
    return max(rule.minimum, value)


# ---- a member's progress ----------------------------------------------------------------------------------------
def progress_key(challenge_id: str, period: str) -> str:
    return f"{challenge_id}/{period}"


@dataclass(frozen=True)
class Counted:
    """A purchase counted in a challenge's period, as its record keeps it: a return finds the progress by `key` and
    uncounts the purchase once what is kept of it falls below `min_amount` (or to nothing)."""

    key: str
    min_amount: Decimal

    def to_raw(self) -> list[str]:
        return [self.key, format(self.min_amount, "f")]

    @classmethod
    def from_raw(cls, raw: list[str]) -> Counted:
        return cls(str(raw[0]), Decimal(raw[1]))


@dataclass(frozen=True)
class Completion:
    """A period completed by this purchase: its reward is to be booked (funded by the challenge's funder)."""

    challenge: Challenge
    period: str
    progress: Progress

    @property
    def key(self) -> str:
        return progress_key(self.challenge.challenge_id, self.period)

    def detail(self) -> str:
        reached = self.challenge.shown(self.progress.value)
        return (
            f"{self.challenge.name}: challenge completed ({reached} {_unit(self.challenge.kind)} in {self.period}), "
            f"funded by {self.challenge.funder}"
        )


def advance(
    wallet: Wallet, challenges: list[Challenge], partner_id: str, occurred_at: datetime, amount: Decimal
) -> tuple[list[Counted], list[Completion]]:
    """Count a purchase in the periods of `challenges` (those that take this member in and count it): what its record
    keeps, and the periods it completes now (their reward not booked yet)."""
    counted, completed = [], []
    for challenge in challenges:
        period = challenge.period_of(occurred_at)
        key = progress_key(challenge.challenge_id, period)
        progress = wallet.challenges.get(key)
        if progress is None:
            target = challenge.target_for(wallet, period)
            if target is None:
                continue
            last_day = challenge.period_days(period)[1]
            progress = Progress(challenge.kind, target, (last_day + POSTING_GRACE).isoformat())
            wallet.challenges[key] = progress
        progress.spend += amount
        progress.count(partner_id, occurred_at.astimezone(timezone.utc).date(), 1)
        counted.append(Counted(key, challenge.min_amount))
        if progress.complete and progress.reward is None:
            completed.append(Completion(challenge, period, progress))
    return counted, completed


def book_reward(completion: Completion, fee_per_point: Decimal, expires_on: str, today: date) -> None:
    """Record on the progress the reward booked now; the completed period is kept for returns to undo it."""
    challenge, progress = completion.challenge, completion.progress
    progress.reward = BookedReward(challenge.reward_points, challenge.funder, fee_per_point, expires_on, str(today))
    last_day = challenge.period_days(completion.period)[1]
    progress.until = max(progress.until, (last_day + RETURNS_COUNTED).isoformat())


@dataclass(frozen=True)
class Undone:
    """A completion a return undid: its reward goes back."""

    challenge_id: str
    period: str
    reward: BookedReward


def take_out(
    wallet: Wallet,
    counted: list[Counted],
    partner_id: str,
    occurred_on: date,
    kept_before: Decimal,
    kept_after: Decimal,
) -> list[Undone]:
    """A return that leaves `kept_after` of a purchase that counted in `counted` (`kept_before` before it): what it
    gives back leaves each period's spend, and once what is kept no longer counts (below the challenge's minimum, or
    nothing) the purchase leaves it whole: its count and the rest of its money. A period no longer complete gives its
    reward back. Periods the wallet no longer keeps are left as they were."""
    undone = []
    for entry in counted:
        progress = wallet.challenges.get(entry.key)
        if progress is None:
            continue
        if _counts(kept_before, entry.min_amount) and not _counts(kept_after, entry.min_amount):
            progress.spend = max(Decimal(0), progress.spend - kept_before)
            progress.count(partner_id, occurred_on, -1)
        elif _counts(kept_before, entry.min_amount):
            progress.spend = max(Decimal(0), progress.spend - (kept_before - kept_after))
        if progress.reward is not None and not progress.complete:
            challenge_id, period = entry.key.rsplit("/", 1)
            undone.append(Undone(challenge_id, period, progress.reward))
            progress.reward = None
    return undone


def _counts(kept: Decimal, min_amount: Decimal) -> bool:
    return kept > 0 and kept >= min_amount


def forget_ended(progress: dict[str, Progress], today: str, challenges: dict[str, Challenge]) -> None:
    """Drop periods past the day they are kept to, or past the day their challenge now keeps them to (`challenges`,
    as they stand now: one extended keeps its last period longer). Only by date: a challenge this container's cache
    does not list keeps its periods to their own day."""
    for key, kept in list(progress.items()):
        challenge_id, period = key.rsplit("/", 1)
        challenge = challenges.get(challenge_id)
        until = kept.until
        if challenge is not None and _period_of_kind(challenge, period):
            last_day = challenge.period_days(period)[1]
            until = max(until, (last_day + (POSTING_GRACE if kept.reward is None else RETURNS_COUNTED)).isoformat())
        if until < today:
            del progress[key]


def _period_of_kind(challenge: Challenge, period: str) -> bool:
    """Is `period` a key of the challenge's kind of period (its period changed before it started otherwise)?"""
    pattern = {
        ChallengePeriod.WHOLE: r"all",
        ChallengePeriod.MONTH: r"[0-9]{4}-(0[1-9]|1[0-2])",
        ChallengePeriod.QUARTER: r"[0-9]{4}-Q[1-4]",
    }[challenge.period]
    return re.fullmatch(pattern, period) is not None


def forget_ended_targets(targets: dict[str, SetTarget], today: str, last_days: dict[str, str]) -> None:
    """Operator-set targets once their challenge is over: past the last day kept with them, or the one the challenge
    now has (`last_days`, by challenge id: extended, it keeps them longer)."""
    for key in [k for k, t in targets.items() if max(t.last_day, last_days.get(k, "")) < today]:
        del targets[key]


def most_running(challenges: list[Challenge]) -> int:
    """The most challenges at one moment whose members' progress wallets may keep: from its start to RETURNS_COUNTED
    after its end (a completed period is kept that long for returns)."""
    return most_at_once([(c.starts_at, c.ends_at + RETURNS_COUNTED) for c in challenges])


def _read(value: object, money: bool) -> Decimal:
    return Decimal(str(value)) if money else Decimal(int(str(value)))


def _unit(kind: ChallengeKind) -> str:
    return {
        ChallengeKind.PURCHASES: "purchases",
        ChallengeKind.SPEND: "spent",
        ChallengeKind.PARTNERS: "partners",
        ChallengeKind.STREAK: "weeks in a row",
    }[kind]
