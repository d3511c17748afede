"""Where items sit: how the sparse "due" indexes of the jobs spread members and vouchers over partition keys, and the
formats of those keys. Data layout, not configuration: every item is written under a key derived from the shard
count, and a job reads exactly the keys the count names, so a count changed on a live table would silently hide
the items written under the old one. Changing it is a migration (rewrite the items' keys, then the count).
"""

from __future__ import annotations

import zlib
from enum import StrEnum

JOB_SHARDS = 16  # partition keys per due index: spreads a busy day's writes, one Query per shard for a job
# Partition keys per partner and day of the ledger's settlement index: a big partner's day of entries spread over
# them (no hot key), a close reads each one (one Query per partner, day and shard).
SETTLEMENT_SHARDS = 16


class DueIndex(StrEnum):
    """The sparse indexes a job reads (the prefix of their partition keys)."""

    HOLDS = "HOLDS"  # members with open holds, by their next hold expiry
    REVIEW = "REVIEW"  # members above the base tier, by their review date
    EXPIRY = "EXPIRY"  # members with lots, by their next lot expiry
    VOUCHERS = "VOUCHERS"  # open vouchers, by their last day
    MEMBERSHIPS = "MEMBERSHIPS"  # members with a paid membership, by the day it renews (or lapses)


def due_shard(index: DueIndex, key: str) -> str:
    """The shard an item (a member id, a voucher code) sits on in `index`."""
    return shard_key(index, zlib.crc32(key.encode()) % JOB_SHARDS)


def due_shards(index: DueIndex) -> list[str]:
    """Every shard of `index`: what a job fans out over."""
    return [shard_key(index, n) for n in range(JOB_SHARDS)]


def shard_key(index: DueIndex, n: int) -> str:
    return f"{index.value}#{n:03d}"


def settle_key(partner_id: str, day: str, entry_id: str) -> str:
    """Where an entry sits in the settlement index: its partner's day, on the shard its id falls on."""
    return settle_shard_key(partner_id, day, zlib.crc32(entry_id.encode()) % SETTLEMENT_SHARDS)


def settle_shard_key(partner_id: str, day: str, shard: int) -> str:
    return f"{partner_id}#{day}#{shard:03d}"


def settlement_shards() -> range:
    """Every shard of a partner's day: what a close reads (read at call time: tests may lay out fewer)."""
    return range(SETTLEMENT_SHARDS)


# Partition keys per partner and kind of the operations table's listing indexes (a partner's purchases, redemptions,
# holds; and its purchases by store): 5,000 purchases/s of one partner put ~313 writes/s on each (< 1,000). Every
# page reads each shard once (one Query each), so a page costs the shard count in Queries whatever the history.
LIST_SHARDS = 16


def list_shard(op_key: str) -> int:
    """The shard an operation record sits on in the listing indexes: spread by its own key."""
    return zlib.crc32(op_key.encode()) % LIST_SHARDS


def list_key(partner_id: str, kind: str, shard: int) -> str:
    return f"{partner_id}#{kind}#{shard:03d}"


def store_list_key(partner_id: str, kind: str, store_id: str, shard: int) -> str:
    return f"{partner_id}#{kind}#{store_id}#{shard:03d}"


def list_at(created_at: str, operation_id: str) -> str:
    """The listing indexes' sort key: the booking time (ISO, sorts as text), then the partner's own id, so that two
    records booked in the same millisecond still have distinct, totally ordered positions."""
    return f"{created_at}#{operation_id}"


def list_shards() -> range:
    return range(LIST_SHARDS)
