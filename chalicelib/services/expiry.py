"""expire_points: lots whose validity has ended leave the wallet as `expire` entries (breakage)."""

from __future__ import annotations

from datetime import date, datetime, time, timezone

from ..domain.ledger import Entry
from ..domain.wallet import Wallet
from .operations import apply_to_wallet, expire_due_lots
from .runtime import Runtime


def expire_points(rt: Runtime, member_id: str, as_of: date) -> int:
    """Expire what is due on `as_of` (lots valid until the day before); returns the points expired."""

    def change(wallet: Wallet, now: datetime) -> list[Entry]:
        # Booked now; due as of the job's date (a catch-up run expires what was due on its day).
        return expire_due_lots(wallet, datetime.combine(as_of, time(0), tzinfo=timezone.utc), booked_at=now)

    entries = apply_to_wallet(rt, member_id, change)
    return -sum(e.points for e in entries)
