"""Daily jobs over sparse, sharded indexes of the members table: each shard's run is one Query for the
members that are due (and only them), then one use case per member. Never a Scan."""

from __future__ import annotations

from datetime import date

from ..services.expiry import expire_points
from ..services.runtime import Runtime
from ..services.tier_status import review_member
from ..store.errors import translated
from ..store.models import WalletItem

TIER_REVIEW = "tier-review"
EXPIRY = "expiry"


def review_shards(rt: Runtime) -> list[str]:
    return [f"REVIEW#{n:03d}" for n in range(rt.settings.job_shards)]


def expiry_shards(rt: Runtime) -> list[str]:
    return [f"EXPIRY#{n:03d}" for n in range(rt.settings.job_shards)]


def review_shard(rt: Runtime, shard: str, as_of: date) -> int:
    """Members whose review date is on or before as_of (missed days are caught up the same way)."""
    with translated():
        due = [
            item.member_id for item in WalletItem.reviews_due.query(shard, WalletItem.review_on <= as_of.isoformat())
        ]
    return sum(1 for member_id in due if review_member(rt, member_id, as_of))


def expiry_shard(rt: Runtime, shard: str, as_of: date) -> int:
    """Members with a lot whose validity ended before as_of."""
    with translated():
        due = [
            item.member_id for item in WalletItem.expiries_due.query(shard, WalletItem.next_expiry < as_of.isoformat())
        ]
    return sum(expire_points(rt, member_id, as_of) for member_id in due)
