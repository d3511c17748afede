"""Daily jobs over sparse, sharded indexes of the members table: each shard's run is one Query for the
members that are due (and only them), then one use case per member. Never a Scan."""

from __future__ import annotations

from datetime import date

from ..services.expiry import expire_points
from ..services.runtime import Runtime
from ..services.tier_status import review_member
from ..store.layout import DueIndex, due_shards

TIER_REVIEW = "tier-review"
EXPIRY = "expiry"


def review_shards(rt: Runtime) -> list[str]:
    return due_shards(DueIndex.REVIEW)


def expiry_shards(rt: Runtime) -> list[str]:
    return due_shards(DueIndex.EXPIRY)


def review_shard(rt: Runtime, shard: str, as_of: date) -> int:
    """Members whose review date is on or before as_of (missed days are caught up the same way)."""
    return sum(
        1 for member_id in rt.store.wallets.reviews_due(shard, as_of.isoformat()) if review_member(rt, member_id, as_of)
    )


def expiry_shard(rt: Runtime, shard: str, as_of: date) -> int:
    """Members with a lot whose validity ended before as_of."""
    return sum(
        expire_points(rt, member_id, as_of) for member_id in rt.store.wallets.expiries_due(shard, as_of.isoformat())
    )
