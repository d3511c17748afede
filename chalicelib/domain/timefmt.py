"""Time helpers: the one text form of instants (ISO 8601 UTC with a Z, to the millisecond, so text order is
time order), and calendar-month arithmetic."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta, timezone

from .errors import InvalidRequest

# A till's clock may run this far ahead of ours; beyond it, an `occurred_at` is in the future.
CLOCK_SKEW = timedelta(minutes=5)


def refuse_future(occurred_at: datetime, now: datetime) -> None:
    if occurred_at > now + CLOCK_SKEW:
        raise InvalidRequest("occurred_at is in the future", field="occurred_at")


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def most_at_once(windows: list[tuple[datetime, datetime]]) -> int:
    """The most half-open windows [start, end) that overlap at one moment."""
    moments = sorted([(start, 1) for start, _ in windows] + [(end, -1) for _, end in windows])
    running = most = 0
    for _, step in moments:  # an end sorts before a start at the same moment (-1 < 1): windows are half-open
        running += step
        most = max(most, running)
    return most


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has no such day (31 Jan + 1 = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month0 = divmod(index, 12)
    return date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))


def end_of_month(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])
