"""The daily voucher expiry over the sparse, sharded index of open vouchers: each shard's run is one Query for the
vouchers whose last day is before the job's date (only open vouchers are on the index), then one use case each."""

from __future__ import annotations

from datetime import date

from ..services.runtime import Runtime
from ..services.vouchers import expire_voucher
from ..store.errors import translated
from ..store.models import VoucherItem
from ..store.vouchers import shard_key

JOB = "voucher-expiry"


def shard_names(rt: Runtime) -> list[str]:
    return [shard_key(n) for n in range(rt.settings.job_shards)]


def run_shard(rt: Runtime, shard: str, as_of: date) -> int:
    with translated():
        due = [item.code for item in VoucherItem.vouchers_due.query(shard, VoucherItem.expires_on < as_of.isoformat())]
    return sum(1 for code in due if expire_voucher(rt, code, as_of))
