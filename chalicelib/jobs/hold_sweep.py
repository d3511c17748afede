"""Hold sweep: release the points of holds whose TTL has passed.

Members with open holds carry (hold_shard, next_hold_expiry) in a sparse index: a shard's sweep is one
Query for the members that are due, never a Scan. The schedule fans out one message per shard.
"""

from __future__ import annotations

from ..services.operations import apply_to_wallet
from ..services.runtime import Runtime, iso
from ..store.layout import DueIndex, due_shards

JOB = "hold-sweep"


def shard_names(rt: Runtime) -> list[str]:
    return due_shards(DueIndex.HOLDS)


def sweep_shard(rt: Runtime, shard: str) -> int:
    return sum(_release(rt, member_id) for member_id in rt.store.wallets.holds_due(shard, iso(rt.now())))


def _release(rt: Runtime, member_id: str) -> int:
    return len(apply_to_wallet(rt, member_id, lambda wallet, now: []))
