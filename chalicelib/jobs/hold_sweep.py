"""Hold sweep: release the points of holds whose TTL has passed.

Members with open holds carry (hold_shard, next_hold_expiry) in a sparse index: a shard's sweep is one
Query for the members that are due, never a Scan. The schedule fans out one message per shard.
"""

from __future__ import annotations

from ..services.operations import apply_to_wallet
from ..services.runtime import Runtime, iso
from ..store.errors import translated
from ..store.models import WalletItem

JOB = "hold-sweep"


def shard_names(rt: Runtime) -> list[str]:
    return [f"HOLDS#{n:03d}" for n in range(rt.settings.job_shards)]


def sweep_shard(rt: Runtime, shard: str) -> int:
    now = rt.now()
    with translated():
        due = [item.member_id for item in WalletItem.holds_due.query(shard, WalletItem.next_hold_expiry <= iso(now))]
    return sum(_release(rt, member_id) for member_id in due)


def _release(rt: Runtime, member_id: str) -> int:
    return len(apply_to_wallet(rt, member_id, lambda wallet, now: []))
