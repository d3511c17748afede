"""The daily voucher expiry over the sparse, sharded index of open vouchers: each shard's run is one Query for the
vouchers whose last day is before the job's date (only open vouchers are on the index), then one use case each."""

from __future__ import annotations

from datetime import date

from ..services.runtime import Runtime
from ..services.vouchers import expire_voucher
from ..store.layout import DueIndex, due_shards

JOB = "voucher-expiry"


def shard_names(rt: Runtime) -> list[str]:
    return due_shards(DueIndex.VOUCHERS)


def run_shard(rt: Runtime, shard: str, as_of: date) -> int:
    return sum(1 for code in rt.store.vouchers.due(shard, as_of.isoformat()) if expire_voucher(rt, code, as_of))
