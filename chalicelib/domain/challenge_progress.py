"""A member's progress in a challenge's period, as their wallet head keeps it (domain/challenges.py says what
challenges are and how purchases and returns move this)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum


class ChallengeKind(StrEnum):
    PURCHASES = "purchases"
    SPEND = "spend"
    PARTNERS = "partners"
    STREAK = "streak"


@dataclass(frozen=True)
class SetTarget:
    """A member's own target, set by the operator: for a challenge of this kind (one changed before it started does not
    take a target of another), kept until the challenge's last day."""

    target: Decimal
    kind: ChallengeKind
    last_day: str


@dataclass(frozen=True)
class BookedReward:
    """The reward booked on completion: what a return that undoes the completion takes back, at the fee charged."""

    points: int
    funder: str
    fee_per_point: Decimal
    expires_on: str
    booked_on: str


@dataclass
class Progress:
    """A member's figures in one period of one challenge (the wallet's `challenges`, keyed "<id>/<period>")."""

    kind: ChallengeKind
    target: Decimal
    until: str  # the last day it is kept
    purchases: int = 0
    spend: Decimal = Decimal(0)
    partners: dict[str, int] = field(default_factory=dict)  # partners kind: purchases counted at each
    weeks: dict[int, int] = field(default_factory=dict)  # streak: purchases counted in each week (week_of)
    reward: BookedReward | None = None

    @property
    def value(self) -> Decimal:
        if self.kind is ChallengeKind.PURCHASES:
            return Decimal(self.purchases)
        if self.kind is ChallengeKind.SPEND:
            return self.spend
        if self.kind is ChallengeKind.PARTNERS:
            return Decimal(sum(1 for n in self.partners.values() if n > 0))
        return Decimal(longest_run(self.weeks))

    @property
    def complete(self) -> bool:
        return self.value >= self.target

    def to_dict(self) -> dict[str, object]:
        """As the member's export shows it."""
        return {
            "kind": self.kind.value,
            "target": format(self.target, "f"),
            "purchases": self.purchases,
            "spend": format(self.spend, "f"),
            "partners": dict(self.partners),
            "weeks_in_a_row": longest_run(self.weeks),
            "reward_points": None if self.reward is None else self.reward.points,
            "kept_until": self.until,
        }

    def count(self, partner_id: str, on: date, sign: int) -> None:
        """A purchase counted in (sign 1) or out (-1)."""
        self.purchases = max(0, self.purchases + sign)
        if self.kind is ChallengeKind.PARTNERS:
            self.partners[partner_id] = max(0, self.partners.get(partner_id, 0) + sign)
            if not self.partners[partner_id]:
                del self.partners[partner_id]
        if self.kind is ChallengeKind.STREAK:
            week = week_of(on)
            self.weeks[week] = max(0, self.weeks.get(week, 0) + sign)
            if not self.weeks[week]:
                del self.weeks[week]


def week_of(day: date) -> int:
    """Weeks counted from Monday 0001-01-01: consecutive weeks have consecutive numbers."""
    return (day.toordinal() - 1) // 7


def longest_run(weeks: dict[int, int]) -> int:
    best = run = 0
    previous = None
    for week in sorted(w for w, n in weeks.items() if n > 0):
        run = run + 1 if previous is not None and week == previous + 1 else 1
        best, previous = max(best, run), week
    return best
