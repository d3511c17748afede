"""Statement periods: a day (YYYY-MM-DD), a month (YYYY-MM), or a range of days (YYYY-MM-DD..YYYY-MM-DD, at most
MAX_RANGE_DAYS). Days and months are closed and stored; a range is made of its stored days when asked for."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from .errors import InvalidRequest

MAX_RANGE_DAYS = 92  # a quarter: what API.md allows a range
# ASCII digits only: date.fromisoformat() would also take other forms, and the stored keys are these.
DAY = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
PERIOD = re.compile(rf"(?P<first>{DAY})\.\.(?P<last>{DAY})|(?P<day>{DAY})|(?P<month>[0-9]{{4}}-[0-9]{{2}})")


class PeriodKind(StrEnum):
    DAY = "day"
    MONTH = "month"
    RANGE = "range"


@dataclass(frozen=True)
class Period:
    text: str  # as the API names it (and the stored keys: DAY#…, MONTH#…)
    kind: PeriodKind
    first: date
    last: date

    @property
    def stored(self) -> bool:
        """Closed days and months are stored as they closed; a range is combined from its days."""
        return self.kind is not PeriodKind.RANGE

    def days(self) -> list[str]:
        return [(self.first + timedelta(days=n)).isoformat() for n in range((self.last - self.first).days + 1)]

    @property
    def title(self) -> str:
        if self.kind is PeriodKind.DAY:
            return self.first.strftime("%-d %B %Y")
        if self.kind is PeriodKind.MONTH:
            return self.first.strftime("%B %Y")
        return f"{self.first.strftime('%-d %B %Y')} to {self.last.strftime('%-d %B %Y')}"


def parse_statement_period(text: str) -> Period:
    """A day, a month or a range of at most MAX_RANGE_DAYS days; anything else is a 400 naming `period`."""
    match = PERIOD.fullmatch(text)
    try:
        if match is None:
            raise ValueError(text)
        if match["day"]:
            day = date.fromisoformat(match["day"])
            return Period(text, PeriodKind.DAY, day, day)
        if match["month"]:
            first = date.fromisoformat(f"{match['month']}-01")
            last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
            return Period(text, PeriodKind.MONTH, first, last)
        first, last = date.fromisoformat(match["first"]), date.fromisoformat(match["last"])
    except (ValueError, OverflowError):  # not a date; or the month after 9999-12
        raise InvalidRequest(
            f"{text!r} is not a period: use YYYY-MM-DD, YYYY-MM or YYYY-MM-DD..YYYY-MM-DD", field="period"
        ) from None
    if last < first or (last - first).days >= MAX_RANGE_DAYS:
        raise InvalidRequest(
            f"a range ends on or after its first day, at most {MAX_RANGE_DAYS} days in all", field="period"
        )
    return Period(text, PeriodKind.RANGE, first, last)
