"""The one text form of instants: ISO 8601 UTC with a Z, to the millisecond, so text order is time order."""

from __future__ import annotations

from datetime import datetime, timezone


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
