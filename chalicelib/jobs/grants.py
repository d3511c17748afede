"""A grant's job: one message per shard (a Scan segment, a shard of the reviews index, or a batch of listed ids),
each run page by page; a page that leaves more behind sends its shard's next page as a message of its own, so no
run nears Lambda's 15 minutes. Without a queue (local stage) the pages run inline, through the same functions.

A message is {"job": "grant", "job_id", "shard", "cursor"?}. A page's completion record is written once: a
redelivered page that was completed only passes on where its shard goes on from (the next page's message again:
harmless, it is completed too or runs once); one that was not completed runs again, and the executor credits
nobody twice (services/grants.py).
"""

from __future__ import annotations

from typing import Any

from ..observability import logger
from ..services import grants
from ..services.operations import Reply
from ..services.requests import GrantRequest
from ..services.runtime import Runtime, iso
from .queue import enqueue, run_pages

JOB = "grant"


def start(rt: Runtime, request: GrantRequest) -> Reply:
    """POST /v1/admin/grants: record the job, then send its shards (or run them inline without a queue)."""
    reply, pending = grants.accept_grant(rt, request)
    if pending is not None:
        job_id = pending.plan.job_id
        messages: list[dict[str, Any]] = [{"job": JOB, "job_id": job_id, "shard": s} for s in pending.plan.shards]
        if enqueue(rt, messages):
            logger.info("grant fanned out", extra={"job": job_id, "shards": len(messages)})
        else:
            for message in messages:
                run_shard(rt, job_id, message["shard"], None)
        rt.store.jobs.mark_dispatched(job_id, iso(rt.now()))
    return reply


def run_message(rt: Runtime, message: dict[str, Any]) -> int:
    return run_shard(rt, message["job_id"], message["shard"], message.get("cursor"))


def run_shard(rt: Runtime, job_id: str, shard: str, cursor: str | None) -> int:
    """From `cursor` (None: the shard's first page) to the shard's end, or to the first page that sends the next
    one as a message. Returns the members the pages run here went through."""
    job = rt.store.jobs.get(job_id)
    if job is None:
        logger.warning("grant job not found", extra={"job": job_id})
        return 0
    return run_pages(rt, JOB, job_id, shard, cursor, lambda at: grants.grant_page(rt, job.plan, shard, at))
