"""Counting a segment's members for sizing (GET /v1/admin/segments/{id} → members): a job over a parallel Scan of
the members table, each page read once (a page's completion record), its matches added to its shard's counter; the
segment item names its latest count. Started when a segment is defined or replaced, and on demand.

Cost: per page of 200 members, 1 Scan page (and the vaults of its broad wallets: 1 BatchGetItem), 2 GetItem (the
count, the page's record) and 1 TransactWriteItems (the page's record and counter). Reading the count: 1 GetItem
(the segment) + 1 GetItem (the count) + 1 BatchGetItem (its shards' counters)."""

from __future__ import annotations

import json
import secrets
from typing import Any

from ..domain.errors import NotFound
from ..domain.grants import ShardFigures
from ..domain.segments import Segment, SegmentCount
from .runtime import Runtime, iso

PAGE = 200
COUNT_JOB_PREFIX = "count-"


def new_count(rt: Runtime, segment: Segment) -> SegmentCount:
    """Record a count of `segment` as it stands now, and name it on the segment; its shards are then sent (or run)."""
    stamp = rt.now().strftime("%Y%m%dT%H%M%S")
    job_id = f"{COUNT_JOB_PREFIX}{segment.segment_id}-{stamp}-{secrets.token_hex(3)}"
    segments = rt.settings.scan_segments
    shards = tuple(f"scan-{n}" for n in range(segments))
    count = SegmentCount(job_id, segment.to_dict(), shards, segments, iso(rt.now()))
    rt.store.jobs.create_count(count)
    rt.store.directory.set_count_job(segment, job_id)  # not if replaced meanwhile: that one's count is its own
    return count


def count_page(rt: Runtime, count: SegmentCount, shard: str, cursor: str | None) -> tuple[ShardFigures, str | None]:
    """The members of one page of a Scan segment, and those of them in the segment today."""
    start = None if cursor is None else json.loads(cursor)
    wallets, key = rt.store.wallets.scan(int(shard.removeprefix("scan-")), count.segments, PAGE, start)
    segment = Segment.from_dict(count.segment)
    today = rt.now().date()
    matched = sum(1 for wallet in wallets if segment.matches(wallet, today))
    next_cursor = None if key is None else json.dumps(key, sort_keys=True, separators=(",", ":"))
    return ShardFigures(seen=len(wallets), matched=matched), next_cursor


def count_view(rt: Runtime, job_id: str, segment: Segment | None = None) -> dict[str, Any] | None:
    """The count's progress; None if there is no such count, or it counted other rules than `segment`'s now (a
    replacement whose own count did not start: its members are not these)."""
    count = rt.store.jobs.get_count(job_id)
    if count is None or (segment is not None and count.segment != segment.to_dict()):
        return None
    figures = rt.store.jobs.shard_figures(job_id, list(count.shards))
    done = all(f.finished for f in figures)
    return {
        "job_id": job_id,
        "status": "done" if done else "running",
        "members": sum(f.matched for f in figures) if done else None,
        "gone_through": sum(f.seen for f in figures),
        "started_at": count.started_at,
        "finished_at": max((f.last_at for f in figures if f.last_at), default=None) if done else None,
    }


def segment_with_count(rt: Runtime, segment_id: str) -> dict[str, Any]:
    """GET /v1/admin/segments/{id}: the segment and its latest count (null: never counted)."""
    found = rt.store.directory.segment_with_count(segment_id)
    if found is None:
        raise NotFound(f"segment {segment_id} does not exist", field="segment_id")
    segment, job_id = found
    return {**segment.to_dict(), "count": None if job_id is None else count_view(rt, job_id, segment)}


def running_count(rt: Runtime, segment: Segment, job_id: str | None) -> dict[str, Any] | None:
    """The segment's count still running over its current rules, if any: asked to count again, it answers that."""
    view = None if job_id is None else count_view(rt, job_id, segment)
    return view if view is not None and view["status"] == "running" else None
