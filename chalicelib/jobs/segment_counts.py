"""A segment's count as a job: one message per Scan segment of the members table, each run page by page
(jobs/queue.py's run_pages); without a queue (local stage) the shards run inline, within the request."""

from __future__ import annotations

from typing import Any

from ..domain.segments import Segment
from ..observability import logger
from ..services import segment_counts
from ..services.runtime import Runtime
from .queue import enqueue, run_pages

JOB = "segment-count"


def start(rt: Runtime, segment: Segment) -> str:
    """Record a count of the segment and send its shards (or run them); returns the count's job id."""
    count = segment_counts.new_count(rt, segment)
    messages: list[dict[str, Any]] = [{"job": JOB, "job_id": count.job_id, "shard": s} for s in count.shards]
    if enqueue(rt, messages):
        logger.info("segment count fanned out", extra={"job": count.job_id, "shards": len(messages)})
    else:
        for message in messages:
            run_shard(rt, count.job_id, message["shard"], None)
    return count.job_id


def run_message(rt: Runtime, message: dict[str, Any]) -> int:
    return run_shard(rt, message["job_id"], message["shard"], message.get("cursor"))


def run_shard(rt: Runtime, job_id: str, shard: str, cursor: str | None) -> int:
    count = rt.store.jobs.get_count(job_id)
    if count is None:
        logger.warning("segment count not found", extra={"job": job_id})
        return 0
    return run_pages(rt, JOB, job_id, shard, cursor, lambda at: segment_counts.count_page(rt, count, shard, at))
