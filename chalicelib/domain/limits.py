"""Anti-fraud ceilings of the programme: points per transaction, and points credited to a member per day."""

from __future__ import annotations

from datetime import date

from .errors import RuleViolation
from .program import Program
from .wallet import Wallet


def check_transaction(program: Program, points: int) -> None:
    ceiling = program.limits.max_points_per_transaction
    if points > ceiling:
        raise RuleViolation(f"{points} points exceed the programme's {ceiling} per transaction", field="amount")


def count_daily(program: Program, wallet: Wallet, points: int, today: date) -> None:
    """Count the points credited to the member today (booking day, UTC); refuse what goes beyond the limit."""
    ceiling = program.limits.max_points_per_member_per_day
    total = wallet.count_issued(today.isoformat(), points)
    if total > ceiling:
        raise RuleViolation(
            f"the member would be credited {total} points today, above the programme's {ceiling} a day",
            field="amount" if points else None,
        )
