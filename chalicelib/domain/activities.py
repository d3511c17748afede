"""Engagement activities (a review, a newsletter sign-up, an e-learning module …): points per type, with caps.

The wallet keeps, per activity type, the total ever counted and the count of the day, so a cap is checked
inside the same conditional write as the points it guards. A daily cap counts activities by the day they
are booked (server time, UTC), not the day they claim to have happened: a batch of late or backdated
postings earns one day's cap, and the wallet never needs more than today's count.
"""

from __future__ import annotations

from .errors import RuleViolation
from .program import ActivityRule
from .wallet import Wallet

MAX_DAYS_LATE = 6  # an activity may be posted up to this many days after it happened


def count_activity(wallet: Wallet, rule: ActivityRule, day: str) -> None:
    """Count one more activity of this type booked on `day`, or refuse it if a cap is reached."""
    counts = wallet.engagements.setdefault(rule.type, {"total": 0, "days": {}})
    days: dict[str, int] = counts["days"]
    if rule.max_total is not None and counts["total"] >= rule.max_total:
        raise RuleViolation(f"{rule.type} earns points {rule.max_total} time(s) at most", field="type")
    if rule.max_per_day is not None and days.get(day, 0) >= rule.max_per_day:
        raise RuleViolation(f"{rule.type} earns points {rule.max_per_day} time(s) a day at most", field="type")
    counts["total"] += 1
    days[day] = days.get(day, 0) + 1
    for other in [d for d in days if d != day]:  # only the booking day's count can still matter
        del days[other]
