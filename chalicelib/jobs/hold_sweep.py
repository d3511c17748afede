"""Hold sweep: release the points of holds whose TTL has passed.

Members with open holds carry (hold_shard, next_hold_expiry) in a sparse index: a shard's sweep is one
Query for the members that are due, never a Scan. The schedule fans out one message per shard.
"""

from __future__ import annotations

from ..domain.errors import ConcurrencyConflict, TransientFailure
from ..observability import logger
from ..services.operations import release_expired_holds
from ..services.runtime import Runtime, iso
from ..store.bookings import Booking, commit
from ..store.errors import translated
from ..store.models import WalletItem
from ..store.wallets import load_wallet

JOB = "hold-sweep"


def shard_names(rt: Runtime) -> list[str]:
    return [f"HOLDS#{n:03d}" for n in range(rt.settings.sweep_shards)]


def sweep_shard(rt: Runtime, shard: str) -> int:
    now = rt.now()
    with translated():
        due = [item.member_id for item in WalletItem.holds_due.query(shard, WalletItem.next_hold_expiry <= iso(now))]
    return sum(_release(rt, member_id) for member_id in due)


def _release(rt: Runtime, member_id: str) -> int:
    for _ in range(rt.settings.conflict_attempts):
        wallet = load_wallet(member_id)
        if wallet is None:
            return 0
        entries = release_expired_holds(wallet, rt.now())
        if not entries:
            return 0
        try:
            commit(Booking(wallet=wallet, entries=entries), rt.settings)
            return len(entries)
        except (ConcurrencyConflict, TransientFailure):
            continue  # the member was busy: read again (a redelivered message is just as safe)
    logger.warning("hold sweep gave up on a busy member", extra={"member_id": member_id})
    return 0
