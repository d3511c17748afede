from __future__ import annotations

from datetime import datetime, timedelta, timezone


class Clock:
    """The time the app sees; tests move it."""

    def __init__(self, start: datetime = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
