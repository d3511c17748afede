"""Spend codes: a short-lived, single-use code a member's app shows at a till — consent to spend up to a number of
points, like a card scan, without handing over the card number. A partner names the member by it in a redemption
or a hold (`member: {spend_code}`); the booking that spends consumes it (one use, whatever races it)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from .errors import RuleViolation
from .timefmt import iso

VALID_FOR = timedelta(minutes=5)
DIGITS = 12  # 10^12 codes, each valid a few minutes: guessing one is hopeless at any request rate


def new_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(DIGITS))


@dataclass(frozen=True)
class SpendCode:
    code: str
    member_id: str
    points_max: int
    expires_at: str

    @classmethod
    def issue(cls, member_id: str, points_max: int, now: datetime) -> SpendCode:
        return cls(new_code(), member_id, points_max, iso(now + VALID_FOR))

    def check_live(self, now: datetime) -> None:
        """Past its minutes a code names nobody. (Used codes are gone: the store no longer finds them.)"""
        if iso(now) >= self.expires_at:
            raise RuleViolation("this spend code has expired: ask the member for a new one", field="member.spend_code")

    def check_points(self, points: int) -> None:
        if points > self.points_max:
            raise RuleViolation(
                f"this spend code allows {self.points_max} points at most, not {points}", field="member.spend_code"
            )
