"""expire_points: lots whose validity has ended leave the wallet as `expire` entries (breakage)."""

from __future__ import annotations

from datetime import date, datetime

from ..domain.ledger import Entry, new_entry
from ..domain.settlement import OPERATOR
from ..domain.wallet import Wallet
from .operations import apply_to_wallet
from .runtime import Runtime, iso


def expire_points(rt: Runtime, member_id: str, as_of: date) -> int:
    """Expire what is due on `as_of` (lots valid until the day before); returns the points expired."""

    def change(wallet: Wallet, now: datetime) -> list[Entry]:
        portions = wallet.expire_lots(as_of.isoformat())
        if not portions:
            return []
        points = sum(p.points for p in portions)
        line = {"rule": "expiry", "points": -points, "detail": f"points valid until {portions[-1].expires_on}"}
        return [
            new_entry(wallet, "expire", OPERATOR, -points, breakdown=[line], attribution=portions, booked_at=iso(now))
        ]

    entries = apply_to_wallet(rt, member_id, change)
    return -sum(e.points for e in entries)
