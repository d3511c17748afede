"""The daily renewal of paid memberships over the sparse, sharded `memberships_due` index: each shard's run is one
Query for the members whose paid period ended before the job's date (only members with a membership are on the
index), then one renewal or lapse each (services/memberships.py), once per period whatever the reruns."""

from __future__ import annotations

from datetime import date

from ..services.memberships import settle_due
from ..services.runtime import Runtime
from ..store.layout import DueIndex, due_shards

JOB = "membership-renewal"


def shard_names(rt: Runtime) -> list[str]:
    return due_shards(DueIndex.MEMBERSHIPS)


def run_shard(rt: Runtime, shard: str, as_of: date) -> int:
    """Members who renew on `as_of` or before (missed days are caught up the same way)."""
    due = rt.store.wallets.memberships_due(shard, as_of.isoformat())
    if not due:
        return 0
    plans = {plan.plan_id: plan for plan in rt.store.directory.list_plans()}  # one Query for the shard, read now
    return sum(1 for member_id in due if settle_due(rt, member_id, as_of, plans))
